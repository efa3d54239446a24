"""Per-coordinate adaptive scaling: AdaGrad, RMSProp (plain and centered), Adadelta."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule
from gradtx._core._numerics import default_float_dtype, safe_increment, zero_count
from gradtx._core._validate import (
    check_learning_rate,
    check_nonnegative,
    checks_float_params,
    validates_through_parts,
)
from gradtx._optimizers._weight_decay import (
    as_scalar,
    with_weight_decay,
)
from gradtx.tree_utils._construct import tree_full_like
from gradtx.tree_utils._tree_math import abs_sq, zip_map


class ScaleByRssState(NamedTuple):
    """State of ``scale_by_rss``: step count and the running sum of squares ``nu``."""

    count: jax.Array
    nu: object


@checks_float_params
def scale_by_rss(
    initial_accumulator_value: float | jax.Array = 0.1,
    eps: float | jax.Array = 1e-7,
    *,
    eps_in_sqrt: bool = True,
) -> GradientTransformation:
    """Divide by the root of the sum of all past squared gradients (AdaGrad).

    Update rule:
        nu_t = nu_{t-1} + g_t^2,   nu_0 = initial_accumulator_value
        u_t  = g_t / sqrt(nu_t + eps)     (eps_in_sqrt=True; 0 where nu_t = 0)
        u_t  = g_t / (sqrt(nu_t) + eps)   (eps_in_sqrt=False, as torch.optim.Adagrad;
                                           0 where nu_t = 0)

    Coordinates that saw large gradients take smaller steps; the effective step
    only shrinks, which suits convex and sparse problems. Memory: one buffer.

    Args:
        initial_accumulator_value: starting value of ``nu``, >= 0.
        eps: >= 0, added inside the root (or outside, see ``eps_in_sqrt``).
        eps_in_sqrt: where eps goes, see above. torch uses False with eps=1e-10.

    Returns:
        The transformation; its state is ``ScaleByRssState``.

    References:
        Duchi et al., Adaptive Subgradient Methods for Online Learning and Stochastic
        Optimization, JMLR 2011.
    """
    check_nonnegative("scale_by_rss", "initial_accumulator_value", initial_accumulator_value)
    check_nonnegative("scale_by_rss", "eps", eps)

    def init(params):
        return ScaleByRssState(
            count=zero_count(), nu=tree_full_like(params, initial_accumulator_value)
        )

    def update(updates, state, params=None, **extra_args):
        del params, extra_args

        def leaf(g, n):
            new_n = (n + abs_sq(g)).astype(n.dtype)
            if eps_in_sqrt:
                u = jnp.where(new_n > 0, jax.lax.rsqrt(new_n + eps), 0.0) * g
            else:
                # nu_t = 0 forces g_t = 0; the guard only avoids 0 / 0 when eps = 0.
                u = jnp.where(new_n > 0, g / (jnp.sqrt(new_n) + eps), 0.0)
            return u.astype(g.dtype), new_n

        updates, nu = zip_map("gradtx.scale_by_rss", leaf, 2, updates=updates, nu=state.nu)
        return updates, ScaleByRssState(count=safe_increment(state.count), nu=nu)

    return GradientTransformation(init, update)


@checks_float_params
@validates_through_parts
def adagrad(
    learning_rate: ScalarOrSchedule,
    initial_accumulator_value: float | jax.Array = 0.1,
    eps: float | jax.Array = 1e-7,
    *,
    eps_in_sqrt: bool = True,
    lr_decay: float | jax.Array | None = None,
    weight_decay: ScalarOrSchedule | None = None,
) -> GradientTransformation:
    """AdaGrad: optional L2 term, ``scale_by_rss``, then the (decaying) learning rate.

        g'_t = g_t + weight_decay * p_{t-1}
        nu_t = nu_{t-1} + g'_t^2
        p_t  = p_{t-1} - learning_rate / (1 + (t - 1) * lr_decay) * g'_t / sqrt(nu_t + eps)

    torch.optim.Adagrad(lr, lr_decay, weight_decay, initial_accumulator_value, eps)
    is ``adagrad(lr, initial_accumulator_value, eps, eps_in_sqrt=False,
    lr_decay=lr_decay, weight_decay=weight_decay)``; mind torch's defaults
    (initial_accumulator_value=0, eps=1e-10).

    Complex params: supported (second moments of |g|^2, so steps keep g's phase).

    Args:
        learning_rate: non-negative number, array or schedule.
        initial_accumulator_value: starting value of ``nu``, >= 0.
        eps: >= 0.
        eps_in_sqrt: see ``scale_by_rss``; False puts eps outside the root (torch).
        lr_decay: None (default: no decay) or >= 0; the step t uses
            ``learning_rate / (1 + (t - 1) * lr_decay)``
            (a schedule's value at step t is divided the same way).
        weight_decay: None (the default) adds no decay term; else >= 0 (0 included,
            which keeps the term in the chain whatever the number's type);
            L2 regularisation added to the gradient first.

    Example:
        >>> import gradtx
        >>> opt = gradtx.adagrad(learning_rate=0.1)
    """
    check_learning_rate("adagrad", learning_rate)
    check_nonnegative("adagrad", "lr_decay", lr_decay, none=True)
    check_nonnegative("adagrad", "weight_decay", weight_decay, none=True, schedule=True)
    rss = scale_by_rss(initial_accumulator_value, eps, eps_in_sqrt=eps_in_sqrt)
    if lr_decay is not None:
        learning_rate = _decayed_learning_rate(learning_rate, lr_decay)
    return with_weight_decay(rss, learning_rate, weight_decay, decoupled=False)


def _decayed_learning_rate(learning_rate, lr_decay):
    """The schedule ``count -> learning_rate(count) / (1 + count * lr_decay)``."""

    def schedule(count):
        lr = learning_rate(count) if callable(learning_rate) else learning_rate
        c = count.astype(default_float_dtype())
        return as_scalar(lr) / (1 + c * lr_decay)

    return schedule
