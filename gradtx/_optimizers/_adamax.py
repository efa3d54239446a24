"""Adam and its close family: AdamW, NAdam(W) (optax's and torch's), AMSGrad, Adamax(W)."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain
from gradtx._core._numerics import safe_increment, zero_count
from gradtx._core._validate import check_nonnegative, checks_float_params, validates_through_parts
from gradtx._optimizers._adam import check_adam_args
from gradtx._optimizers._weight_decay import with_weight_decay
from gradtx.transforms._scaling import scale_by_learning_rate
from gradtx.transforms._weight_decay import add_decayed_weights
from gradtx.tree_utils._construct import tree_zeros_like
from gradtx.tree_utils._moments import bias_correction_factor, moment_update
from gradtx.tree_utils._tree_math import zip_map


class ScaleByAdamaxState(NamedTuple):
    """State of ``scale_by_adamax``: count, ``mu``, and the infinity norm ``nu``."""

    count: jax.Array
    mu: object
    nu: object


@checks_float_params
def scale_by_adamax(
    b1: float | jax.Array = 0.9, b2: float | jax.Array = 0.999, eps: float | jax.Array = 1e-8
) -> GradientTransformation:
    """Adam with the infinity norm in place of the second moment (Adamax).

    Update rule:
        mu_t = b1 * mu_{t-1} + (1 - b1) * g_t
        nu_t = max(b2 * nu_{t-1}, |g_t| + eps)
        u_t  = mu_t / ((1 - b1^t) * nu_t)

    (torch.optim.Adamax puts eps the same way: ``max(b2 * nu, |g| + eps)``.)

    Returns:
        The transformation; its state is ``ScaleByAdamaxState``.

    References:
        Kingma and Ba, Adam: A Method for Stochastic Optimization, ICLR 2015, sec. 7.1.
    """
    check_adam_args("scale_by_adamax", b1, b2, eps)

    def init(params):
        return ScaleByAdamaxState(
            count=zero_count(), mu=tree_zeros_like(params), nu=tree_zeros_like(params)
        )

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        count = safe_increment(state.count)
        c1 = bias_correction_factor(b1, count)

        def leaf(g, m, n):
            new_m = moment_update(m, g, b1)
            new_n = jnp.maximum(b2 * n, jnp.abs(g) + eps).astype(n.dtype)
            u = (new_m / c1.astype(new_m.dtype)) / new_n
            return u.astype(g.dtype), new_m, new_n

        updates, mu, nu = zip_map(
            "gradtx.scale_by_adamax", leaf, 3, updates=updates, mu=state.mu, nu=state.nu
        )
        return updates, ScaleByAdamaxState(count=count, mu=mu, nu=nu)

    return GradientTransformation(init, update)


@checks_float_params
@validates_through_parts
def adamax(
    learning_rate: ScalarOrSchedule,
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.999,
    eps: float | jax.Array = 1e-8,
    *,
    weight_decay: ScalarOrSchedule | None = None,
) -> GradientTransformation:
    """Adamax: ``scale_by_adamax`` then the learning rate.

    torch.optim.Adamax(lr, betas, eps, weight_decay) is
    ``adamax(lr, b1, b2, eps, weight_decay=weight_decay)``: both put eps inside
    the max.

    Complex params: supported.

    Args:
        weight_decay: None (the default) adds no decay term; else >= 0 (0 included,
            which keeps the term in the chain whatever the number's type);
            L2 regularisation added to the gradient first.
    """
    check_nonnegative("adamax", "weight_decay", weight_decay, none=True, schedule=True)
    return with_weight_decay(
        scale_by_adamax(b1, b2, eps), learning_rate, weight_decay, decoupled=False
    )


@checks_float_params
@validates_through_parts
def adamaxw(
    learning_rate: ScalarOrSchedule,
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.999,
    eps: float | jax.Array = 1e-8,
    weight_decay: ScalarOrSchedule = 1e-4,
    mask=None,
) -> GradientTransformation:
    """Adamax with decoupled weight decay, as ``adamw`` is to ``adam``.

    Complex params: supported.
    """
    check_nonnegative("adamaxw", "weight_decay", weight_decay, schedule=True)
    return chain(
        scale_by_adamax(b1, b2, eps),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )
