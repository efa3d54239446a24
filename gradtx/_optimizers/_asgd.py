"""Averaged SGD (torch.optim.ASGD): decaying-step SGD plus a running average of iterates."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, OptState, Params, ScalarOrSchedule
from gradtx._core._lookup import find_unique_state
from gradtx._core._numerics import default_float_dtype, safe_increment, zero_count
from gradtx._core._validate import (
    check_learning_rate,
    check_nonnegative,
    checks_float_params,
    require_params,
)
from gradtx._optimizers._weight_decay import as_scalar
from gradtx.tree_utils._construct import tree_zeros_like
from gradtx.tree_utils._tree_math import zip_map


class AsgdState(NamedTuple):
    """State of ``asgd``: the step count and the averaged iterate ``ax``
    (zeros before the first update). Read ``ax`` with ``asgd_average``."""

    count: jax.Array
    ax: Any


@checks_float_params
def asgd(
    learning_rate: ScalarOrSchedule,
    lambd: float | jax.Array = 1e-4,
    alpha: float | jax.Array = 0.75,
    t0: float | jax.Array = 1e6,
    weight_decay: float | jax.Array = 0.0,
) -> GradientTransformation:
    """Averaged stochastic gradient descent, as torch.optim.ASGD computes it.

    SGD with a slowly decaying step ``eta_t`` and a shrinkage term ``lambd``,
    which also keeps the Polyak-Ruppert average ``ax`` of the iterates from
    step ``t0`` on. For convex stochastic problems the average converges at the
    optimal rate even with steps too large for the last iterate; evaluate with
    ``asgd_average(state)``. Memory: one buffer per param.

    Update rule (t counts from 1; eta_0 = learning_rate, mu_0 = 1):
        g'_t  = g_t + weight_decay * p_{t-1}
        p_t   = p_{t-1} - eta_{t-1} * (g'_t + lambd * p_{t-1})
        ax_t  = ax_{t-1} + mu_{t-1} * (p_t - ax_{t-1})   if mu_{t-1} != 1, else p_t
        eta_t = learning_rate / (1 + lambd * learning_rate * t) ** alpha
        mu_t  = 1 / max(1, t - t0)

    This is torch's per-tensor (CPU) implementation; torch's multi-tensor CUDA
    path has at times used ``eta_t = lr / (1 + lambd * lr * t ** alpha)``
    instead. A learning-rate schedule is evaluated at ``t - 1`` and used in
    place of ``learning_rate`` in ``eta_{t-1}``.

    ``asgd`` needs ``params`` in ``update``, and must be the last link of a
    chain (``ax`` tracks ``params + updates``).

    Complex params: supported.

    Args:
        learning_rate: non-negative number, array or schedule (torch's ``lr``).
        lambd: >= 0, the decay term.
        alpha: >= 0, the power in the step decay.
        t0: >= 0, the step from which averaging starts (torch's default 1e6
            means: no averaging in practice).
        weight_decay: >= 0, L2 regularisation added to the gradient.

    Returns:
        The optimizer; its state is ``AsgdState``.

    Raises:
        ValueError: out-of-range concrete hyperparameters; ``update`` without params.

    References:
        Polyak and Juditsky, Acceleration of Stochastic Approximation by
        Averaging, SIAM J. Control Optim. 1992.
        Bottou, Stochastic Gradient Descent Tricks, 2012 (the step schedule).

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.asgd(learning_rate=0.1, t0=0.0)
        >>> params = jnp.array([1.0, -2.0])
        >>> state = opt.init(params)
        >>> for _ in range(3):
        ...     updates, state = opt.update(params, state, params)  # grad of |p|^2/2
        ...     params = gradtx.apply_updates(params, updates)
        >>> gradtx.asgd_average(state).shape
        (2,)
    """
    check_learning_rate("asgd", learning_rate)
    check_nonnegative("asgd", "lambd", lambd)
    check_nonnegative("asgd", "alpha", alpha)
    check_nonnegative("asgd", "t0", t0)
    check_nonnegative("asgd", "weight_decay", weight_decay)

    def init(params):
        return AsgdState(count=zero_count(), ax=tree_zeros_like(params))

    def update(updates, state, params=None, **extra_args):
        del extra_args
        require_params("asgd", params)
        c = state.count.astype(default_float_dtype())
        lr = as_scalar(learning_rate(state.count) if callable(learning_rate) else learning_rate)
        eta = lr / (1 + lambd * lr * c) ** alpha
        averaging = c - t0 > 1  # mu_{t-1} != 1
        mu = 1 / jnp.maximum(1.0, c - t0)

        def leaf(g, p, ax):
            dt = jnp.result_type(g, p)
            e = eta.astype(dt)
            u = -(e * (g + weight_decay * p) + (lambd * e) * p)
            u = u.astype(g.dtype)
            new_p = (p + u).astype(p.dtype)
            avg = ax + (new_p - ax) * mu.astype(ax.dtype)
            new_ax = jnp.where(averaging, avg, new_p).astype(ax.dtype)
            return u, new_ax

        updates, ax = zip_map("gradtx.asgd", leaf, 2, updates=updates, params=params, ax=state.ax)
        return updates, AsgdState(count=safe_increment(state.count), ax=ax)

    return GradientTransformation(init, update)


def asgd_average(opt_state: OptState) -> Params:
    """The averaged iterate ``ax`` kept by ``asgd``, found anywhere in ``opt_state``.

    Works on the state of ``asgd`` itself or of a chain (or other wrapper)
    that contains exactly one ``asgd``. Before the first update it is zeros.

    Raises:
        ValueError: if ``opt_state`` holds no ``AsgdState``, or more than one.
    """
    return find_unique_state("asgd_average", opt_state, AsgdState).ax
