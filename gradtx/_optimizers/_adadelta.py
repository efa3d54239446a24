"""Per-coordinate adaptive scaling: AdaGrad, RMSProp (plain and centered), Adadelta."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain
from gradtx._core._validate import (
    check_decay,
    check_nonnegative,
    checks_float_params,
    validates_through_parts,
)
from gradtx.transforms._scaling import learning_rate_or_identity
from gradtx.transforms._weight_decay import add_decayed_weights
from gradtx.tree_utils._construct import tree_zeros_like
from gradtx.tree_utils._moments import moment_update
from gradtx.tree_utils._tree_math import abs_sq, zip_map


class ScaleByAdaDeltaState(NamedTuple):
    """State of ``scale_by_adadelta`` (optax's name and fields): the EMA of squared
    gradients ``e_g`` and of squared steps ``e_x``."""

    e_g: object
    e_x: object


@checks_float_params
def scale_by_adadelta(
    rho: float | jax.Array = 0.9, eps: float | jax.Array = 1e-6
) -> GradientTransformation:
    """Scale by the ratio of RMS past steps to RMS past gradients (Adadelta).

    Update rule:
        e_g_t = rho * e_g_{t-1} + (1 - rho) * g_t^2
        u_t   = sqrt(e_x_{t-1} + eps) / sqrt(e_g_t + eps) * g_t
        e_x_t = rho * e_x_{t-1} + (1 - rho) * u_t^2

    The ratio has the units of the params, so no learning rate is needed in
    principle. Memory: two buffers.

    Args:
        rho: decay in [0, 1).
        eps: > 0 in practice; with eps = 0 the first step is 0.

    Returns:
        The transformation; its state is ``ScaleByAdaDeltaState``.

    References:
        Zeiler, ADADELTA: An Adaptive Learning Rate Method, 2012, Algorithm 1.
    """
    check_decay("scale_by_adadelta", "rho", rho)
    check_nonnegative("scale_by_adadelta", "eps", eps)

    def init(params):
        return ScaleByAdaDeltaState(e_g=tree_zeros_like(params), e_x=tree_zeros_like(params))

    def update(updates, state, params=None, **extra_args):
        del params, extra_args

        def leaf(g, n, d):
            new_n = moment_update(n, abs_sq(g), rho)
            u = jnp.sqrt(d + eps) / jnp.sqrt(new_n + eps) * g
            new_d = moment_update(d, abs_sq(u), rho)
            return u.astype(g.dtype), new_n, new_d

        updates, e_g, e_x = zip_map(
            "gradtx.scale_by_adadelta", leaf, 3, updates=updates, e_g=state.e_g, e_x=state.e_x
        )
        return updates, ScaleByAdaDeltaState(e_g=e_g, e_x=e_x)

    return GradientTransformation(init, update)


@checks_float_params
@validates_through_parts
def adadelta(
    learning_rate: ScalarOrSchedule | None = None,
    rho: float | jax.Array = 0.9,
    eps: float | jax.Array = 1e-6,
    weight_decay: ScalarOrSchedule = 0.0,
    weight_decay_mask=None,
) -> GradientTransformation:
    """Adadelta: optional L2 term, ``scale_by_adadelta``, then the learning rate.

        g'_t = g_t + weight_decay * p_t;   p_t = p_{t-1} - learning_rate * u_t

    ``learning_rate=None`` means 1.0, the paper's method. (optax's None skips the
    sign flip, which makes the step ascend; gradtx always descends.)
    torch.optim.Adadelta(lr=1.0, rho=0.9, eps=1e-6) is ``adadelta(1.0, 0.9, 1e-6)``.

    Complex params: supported (second moments of |g|^2, so steps keep g's phase).

    Example:
        >>> import gradtx
        >>> opt = gradtx.adadelta(learning_rate=1.0)
    """
    return chain(
        add_decayed_weights(weight_decay, mask=weight_decay_mask),
        scale_by_adadelta(rho, eps),
        learning_rate_or_identity("adadelta", learning_rate),
    )
