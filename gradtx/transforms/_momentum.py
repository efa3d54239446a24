"""Momentum (trace), exponential moving averages, and SGD."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation
from gradtx._core._numerics import canonicalize_dtype, moving_average, safe_increment, zero_count
from gradtx._core._validate import check_decay, check_dtype, check_range, checks_float_params
from gradtx.tree_utils._construct import tree_zeros_like
from gradtx.tree_utils._moments import bias_correction_factor
from gradtx.tree_utils._tree_math import zip_map


class TraceState(NamedTuple):
    """State of ``trace``: the momentum buffer ``trace`` (optax's field name).

    ``count`` is None unless ``dampening`` is set (torch's first step needs it),
    so with the defaults the state flattens to the same leaves as optax's
    ``TraceState(trace)``.
    """

    trace: object
    count: jax.Array | None = None


@checks_float_params
def trace(
    decay: float | jax.Array,
    nesterov: bool = False,
    accumulator_dtype=None,
    *,
    dampening: float | jax.Array | None = None,
) -> GradientTransformation:
    """Accumulate a momentum trace of the updates (heavy ball, or Nesterov).

    Update rule (t counts from 1):
        trace_t = g_t + decay * trace_{t-1}                    (dampening None)
        trace_1 = g_1;  trace_t = decay * trace_{t-1} + (1 - dampening) * g_t   (t > 1)
        u_t  = trace_t                      (heavy ball)
        u_t  = g_t + decay * trace_t        (nesterov=True)

    This is the "sum" form used by optax and torch.optim.SGD: the step is not
    scaled by ``1 - decay``. With ``dampening`` it is torch.optim.SGD's buffer,
    whose first step is the raw gradient (undampened). Memory: one buffer per
    param.

    Args:
        decay: momentum coefficient in [0, 1]; ``decay=1`` keeps a plain running
            sum of the updates (as optax allows).
        nesterov: use Nesterov's look-ahead form.
        accumulator_dtype: dtype of ``trace``; None uses each param's dtype.
        dampening: None (the default, optax's trace) or a number in [0, 1]
            that scales the incoming gradient from the second step on
            (torch.optim.SGD's ``dampening``; 0 gives the same numbers as None).

    Returns:
        The transformation; its state is ``TraceState``.

    References:
        Polyak, Some methods of speeding up the convergence of iteration methods, 1964.
        Sutskever et al., On the importance of initialization and momentum in deep
        learning, ICML 2013.
    """
    check_range("trace", "decay", decay, 0.0, 1.0)
    check_dtype("trace", "accumulator_dtype", accumulator_dtype)
    check_range("trace", "dampening", dampening, 0.0, 1.0, none=True)
    accumulator_dtype = canonicalize_dtype(accumulator_dtype)
    damped = dampening is not None

    def init(params):
        return TraceState(
            trace=tree_zeros_like(params, accumulator_dtype),
            count=zero_count() if damped else None,
        )

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        first = state.count == 0 if damped else None

        def leaf(g, m):
            if damped:
                new_m = jnp.where(first, g, decay * m + (1 - dampening) * g)
            else:
                new_m = g + decay * m
            u = g + decay * new_m if nesterov else new_m
            return u.astype(g.dtype), new_m.astype(m.dtype)

        updates, new_trace = zip_map("gradtx.trace", leaf, 2, updates=updates, trace=state.trace)
        count = safe_increment(state.count) if damped else None
        return updates, TraceState(trace=new_trace, count=count)

    return GradientTransformation(init, update)


class EmaState(NamedTuple):
    """State of ``ema``: step count and the running average ``ema`` (optax's fields)."""

    count: jax.Array
    ema: object


@checks_float_params
def ema(
    decay: float | jax.Array, debias: bool = True, accumulator_dtype=None
) -> GradientTransformation:
    """Replace the updates by their exponential moving average.

    Update rule:
        ema_t = decay * ema_{t-1} + (1 - decay) * g_t
        u_t   = ema_t / (1 - decay ** t)   (debias=True; t counts from 1)
        u_t   = ema_t                      (debias=False)

    Args:
        decay: in [0, 1).
        debias: divide by ``1 - decay**t`` so that early averages are not biased
            towards the zero initialisation.
        accumulator_dtype: dtype of ``ema``; None uses each param's dtype.

    Returns:
        The transformation; its state is ``EmaState``.
    """
    check_decay("ema", "decay", decay)
    check_dtype("ema", "accumulator_dtype", accumulator_dtype)
    accumulator_dtype = canonicalize_dtype(accumulator_dtype)

    def init(params):
        return EmaState(count=zero_count(), ema=tree_zeros_like(params, accumulator_dtype))

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        count = safe_increment(state.count)
        corr = bias_correction_factor(decay, count) if debias else None

        def leaf(g, m):
            new_m = moving_average(m, g, decay)
            u = new_m / corr.astype(new_m.dtype) if debias else new_m
            return u.astype(g.dtype), new_m.astype(m.dtype)

        updates, new_ema = zip_map("gradtx.ema", leaf, 2, updates=updates, ema=state.ema)
        return updates, EmaState(count=count, ema=new_ema)

    return GradientTransformation(init, update)
