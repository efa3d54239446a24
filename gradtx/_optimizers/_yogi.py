"""Adam variants that change the second moment: AdaBelief, Yogi, ADOPT.

Novograd, Adan and AdEMAMix, which change the first moment, live in
``gradtx/_adam_variants2.py``."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain
from gradtx._core._numerics import safe_increment, zero_count
from gradtx._core._validate import check_nonnegative, checks_float_params, validates_through_parts
from gradtx._optimizers._adam import check_adam_args
from gradtx.transforms._scaling import scale_by_learning_rate
from gradtx.tree_utils._construct import tree_full_like
from gradtx.tree_utils._moments import bias_correction_factor, moment_update
from gradtx.tree_utils._tree_math import abs_sq, zip_map

# ----------------------------------------------------------------------------- Yogi


class ScaleByYogiState(NamedTuple):
    """State of ``scale_by_yogi``: count, first moment ``mu``, second moment ``nu``.

    (optax stores Yogi's moments in a ``ScaleByAdamState``; the fields are the same.)
    """

    count: jax.Array
    mu: object
    nu: object


@checks_float_params
def scale_by_yogi(
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.999,
    eps: float | jax.Array = 1e-3,
    eps_root: float | jax.Array = 0.0,
    initial_accumulator_value: float | jax.Array = 1e-6,
) -> GradientTransformation:
    """Adam with an additive, sign-controlled second-moment update (Yogi).

    Adam's ``nu`` forgets a large past gradient at the rate ``b2`` however small
    the new gradients are, so the effective step can grow quickly. Yogi moves
    ``nu`` towards ``g^2`` by at most ``(1 - b2) * g^2`` per step, which keeps the
    effective learning rate from blowing up on sparse or noisy gradients.

    Update rule (t counts from 1; both moments start at initial_accumulator_value):
        mu_t = b1 * mu_{t-1} + (1 - b1) * g_t
        nu_t = nu_{t-1} - (1 - b2) * sign(nu_{t-1} - |g_t|^2) * |g_t|^2
        u_t  = (mu_t / (1 - b1^t)) / (sqrt(nu_t / (1 - b2^t) + eps_root) + eps)

    Args:
        b1: first-moment decay in [0, 1).
        b2: second-moment rate in [0, 1).
        eps: >= 0, added outside the root. The paper's default 1e-3 is much larger
            than Adam's.
        eps_root: >= 0, added inside the root.
        initial_accumulator_value: >= 0, the starting value of ``mu`` and ``nu``.

    Returns:
        The transformation; its state is ``ScaleByYogiState``.

    Raises:
        ValueError: for a concrete hyperparameter out of its range.

    References:
        Zaheer et al., Adaptive Methods for Nonconvex Optimization, NeurIPS 2018,
        https://papers.nips.cc/paper/8186-adaptive-methods-for-nonconvex-optimization.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.scale_by_yogi()
        >>> u, state = tx.update(jnp.array([1.0, -1.0]), tx.init(jnp.zeros(2)))
        >>> state.nu.round(4)
        Array([0.001, 0.001], dtype=float32)
    """
    check_adam_args("scale_by_yogi", b1, b2, eps, eps_root)
    check_nonnegative("scale_by_yogi", "initial_accumulator_value", initial_accumulator_value)

    def init(params):
        return ScaleByYogiState(
            count=zero_count(),
            mu=tree_full_like(params, initial_accumulator_value),
            nu=tree_full_like(params, initial_accumulator_value),
        )

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        count = safe_increment(state.count)
        c1 = bias_correction_factor(b1, count)
        c2 = bias_correction_factor(b2, count)

        def leaf(g, m, n):
            g2 = abs_sq(g)
            new_m = moment_update(m, g, b1)
            new_n = (n - (1 - b2) * jnp.sign(n - g2) * g2).astype(n.dtype)
            m_hat = new_m / c1.astype(new_m.dtype)
            n_hat = new_n / c2.astype(new_n.dtype)
            u = m_hat / (jnp.sqrt(n_hat + eps_root) + eps)
            return u.astype(g.dtype), new_m, new_n

        updates, mu, nu = zip_map(
            "gradtx.scale_by_yogi", leaf, 3, updates=updates, mu=state.mu, nu=state.nu
        )
        return updates, ScaleByYogiState(count=count, mu=mu, nu=nu)

    return GradientTransformation(init, update)


@checks_float_params
@validates_through_parts
def yogi(
    learning_rate: ScalarOrSchedule,
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.999,
    eps: float | jax.Array = 1e-3,
) -> GradientTransformation:
    """Yogi: ``scale_by_yogi`` (eps_root=0, initial_accumulator_value=1e-6) then
    ``scale_by_learning_rate``.

        p_t = p_{t-1} - learning_rate * u_t,  u_t as in ``scale_by_yogi``

    Complex params: supported (second moments of |g|^2, so steps keep g's phase).

    Args:
        learning_rate: >= 0, or a schedule of the step count.
        b1, b2, eps: see ``scale_by_yogi``.

    References:
        Zaheer et al., Adaptive Methods for Nonconvex Optimization, NeurIPS 2018.

    Example:
        >>> import gradtx
        >>> opt = gradtx.yogi(learning_rate=0.01)
    """
    return chain(scale_by_yogi(b1, b2, eps), scale_by_learning_rate(learning_rate))
