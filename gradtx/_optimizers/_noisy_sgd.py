"""Polyak step sizes, gradient noise, and two safety transforms (non-negativity, NaNs)."""

from __future__ import annotations

import jax

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain
from gradtx._core._validate import (
    check_learning_rate,
    check_nonnegative,
    checks_float_params,
    validates_through_parts,
)
from gradtx.transforms._noise import add_noise
from gradtx.transforms._scaling import scale_by_learning_rate


@validates_through_parts
@checks_float_params
def noisy_sgd(
    learning_rate: ScalarOrSchedule,
    eta: float | jax.Array = 0.01,
    gamma: float | jax.Array = 0.55,
    key: int | jax.Array | None = None,
    *,
    seed: int | None = None,
) -> GradientTransformation:
    """SGD on noisy gradients: ``add_noise(eta, gamma, key)`` then the learning rate.

        p_t = p_{t-1} - learning_rate * (g_t + sqrt(eta / t^gamma) * n_t)

    Same key, same trajectory as ``optax.noisy_sgd``.

    Complex params: supported.

    Example:
        >>> import gradtx
        >>> opt = gradtx.noisy_sgd(learning_rate=0.01, key=0)
    """
    check_learning_rate("noisy_sgd", learning_rate)
    check_nonnegative("noisy_sgd", "eta", eta)
    check_nonnegative("noisy_sgd", "gamma", gamma)
    return chain(add_noise(eta, gamma, key, seed=seed), scale_by_learning_rate(learning_rate))
