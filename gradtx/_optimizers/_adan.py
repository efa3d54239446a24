"""Adam variants that change the first moment: NovoGrad, Adan, AdEMAMix.

AdaBelief, Yogi and ADOPT, which change the second moment, live in
``gradtx/_adam_variants.py``."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain
from gradtx._core._numerics import safe_increment, zero_count
from gradtx._core._validate import (
    check_decay,
    checks_float_params,
    validates_through_parts,
)
from gradtx._optimizers._adam import check_adam_args
from gradtx.transforms._scaling import scale_by_learning_rate
from gradtx.transforms._weight_decay import add_decayed_weights
from gradtx.tree_utils._construct import tree_zeros_like
from gradtx.tree_utils._moments import bias_correction_factor, moment_update
from gradtx.tree_utils._tree_math import abs_sq, zip_map

# ----------------------------------------------------------------------------- Adan


class ScaleByAdanState(NamedTuple):
    """State of ``scale_by_adan``: count, gradient EMA ``mu``, EMA ``nu`` of the
    squared corrected gradient, EMA ``mu_diff`` of gradient differences, and the
    previous gradient ``prev_grad``.

    (optax names these ``t, m, n, v, g``, in the order ``m, v, n, g, t``.)
    """

    count: jax.Array
    mu: object
    nu: object
    mu_diff: object
    prev_grad: object


def _check_adan_args(fn, b1, b2, b3, eps, eps_root):
    check_adam_args(fn, b1, b2, eps, eps_root)
    check_decay(fn, "b3", b3)


@checks_float_params
def scale_by_adan(
    b1: float | jax.Array = 0.98,
    b2: float | jax.Array = 0.92,
    b3: float | jax.Array = 0.99,
    eps: float | jax.Array = 1e-8,
    eps_root: float | jax.Array = 0.0,
) -> GradientTransformation:
    """Adam with a Nesterov-style correction from the gradient difference (Adan).

    Adan estimates the gradient at the extrapolated point from the change
    ``g_t - g_{t-1}``, so it gets Nesterov acceleration without a second
    gradient evaluation. Memory: four buffers per param.

    Update rule (t counts from 1; d_1 = 0):
        d_t       = g_t - g_{t-1}
        mu_t      = b1 * mu_{t-1} + (1 - b1) * g_t
        mu_diff_t = b2 * mu_diff_{t-1} + (1 - b2) * d_t
        nu_t      = b3 * nu_{t-1} + (1 - b3) * |g_t + (1 - b2) * d_t|^2
        u_t = (mu_t / (1 - b1^t) + (1 - b2) * mu_diff_t / (1 - b2^t))
              / (sqrt(nu_t / (1 - b3^t) + eps_root) + eps)

    The b's are decay rates (the paper's ``1 - beta``). The correction terms use
    the factor ``1 - b2`` (0.08 by default) as optax does; the paper's Algorithm 1
    and the authors' PyTorch code use ``b2`` there (the paper's ``1 - beta_2``,
    0.92 by default), which weighs the gradient difference about ten times more.
    gradtx follows optax so that trajectories agree.

    Args:
        b1: decay of the gradient EMA in [0, 1).
        b2: decay of the gradient-difference EMA in [0, 1).
        b3: decay of the second moment in [0, 1).
        eps: >= 0, added outside the root.
        eps_root: >= 0, added inside the root.

    Returns:
        The transformation; its state is ``ScaleByAdanState``.

    Raises:
        ValueError: for a concrete hyperparameter out of its range.

    References:
        Xie et al., Adan: Adaptive Nesterov Momentum Algorithm for Faster Optimizing
        Deep Models, IEEE TPAMI 2024, https://arxiv.org/abs/2208.06677.

    Example:
        >>> import gradtx, jax.numpy as jnp, numpy as np
        >>> tx = gradtx.scale_by_adan()
        >>> u, state = tx.update(jnp.array([2.0, -4.0]), tx.init(jnp.zeros(2)))
        >>> print(np.asarray(u).round(4))  # with d_1 = 0 the first step is g / |g|
        [ 1. -1.]
    """
    _check_adan_args("scale_by_adan", b1, b2, b3, eps, eps_root)

    def init(params):
        return ScaleByAdanState(
            count=zero_count(),
            mu=tree_zeros_like(params),
            nu=tree_zeros_like(params),
            mu_diff=tree_zeros_like(params),
            prev_grad=tree_zeros_like(params),
        )

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        first = state.count == 0
        count = safe_increment(state.count)
        c1 = bias_correction_factor(b1, count)
        c2 = bias_correction_factor(b2, count)
        c3 = bias_correction_factor(b3, count)

        def leaf(g, m, n, v, g_prev):
            d = jnp.where(first, jnp.zeros_like(g), g - g_prev)
            new_m = moment_update(m, g, b1)
            new_v = moment_update(v, d, b2)
            new_n = ((1 - b3) * abs_sq(g + (1 - b2) * d) + b3 * n).astype(n.dtype)
            direction = new_m / c1.astype(new_m.dtype) + (1 - b2) * (new_v / c2.astype(new_v.dtype))
            u = direction / (jnp.sqrt(new_n / c3.astype(new_n.dtype) + eps_root) + eps)
            return u.astype(g.dtype), new_m, new_n, new_v, g.astype(g_prev.dtype)

        updates, mu, nu, mu_diff, prev_grad = zip_map(
            "gradtx.scale_by_adan",
            leaf,
            5,
            updates=updates,
            mu=state.mu,
            nu=state.nu,
            mu_diff=state.mu_diff,
            prev_grad=state.prev_grad,
        )
        return updates, ScaleByAdanState(count, mu, nu, mu_diff, prev_grad)

    return GradientTransformation(init, update)


@checks_float_params
@validates_through_parts
def adan(
    learning_rate: ScalarOrSchedule,
    b1: float | jax.Array = 0.98,
    b2: float | jax.Array = 0.92,
    b3: float | jax.Array = 0.99,
    eps: float | jax.Array = 1e-8,
    eps_root: float | jax.Array = 1e-8,
    weight_decay: ScalarOrSchedule = 0.0,
    mask: Any = None,
) -> GradientTransformation:
    """Adan: ``scale_by_adan``, ``add_decayed_weights``, then the learning rate.

        p_t = p_{t-1} - learning_rate * (u_t + weight_decay * p_{t-1})

    The decay is decoupled and multiplied by the learning rate (the authors'
    ``no_prox=True``); their default proximal form divides by
    ``1 + learning_rate * weight_decay`` instead. Note the optimizer's
    ``eps_root`` default (1e-8) differs from the building block's (0), as in optax.

    Complex params: supported (second moments of |g|^2, so steps keep g's phase).

    Args:
        learning_rate: >= 0, or a schedule of the step count.
        b1, b2, b3, eps, eps_root: see ``scale_by_adan``.
        weight_decay: >= 0, or a schedule.
        mask: tree of bools (or a function of the params returning one) selecting
            the leaves to decay.

    References:
        Xie et al., Adan: Adaptive Nesterov Momentum Algorithm for Faster Optimizing
        Deep Models, IEEE TPAMI 2024.

    Example:
        >>> import gradtx
        >>> opt = gradtx.adan(learning_rate=1e-3, weight_decay=0.02)
    """
    return chain(
        scale_by_adan(b1, b2, b3, eps, eps_root),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )
