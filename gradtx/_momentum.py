"""Momentum (trace), exponential moving averages, and SGD."""

from __future__ import annotations

from typing import NamedTuple

import jax

from gradtx._base import GradientTransformation, ScalarOrSchedule, chain, identity
from gradtx._numerics import bias_correction_factor, canonicalize_dtype, safe_increment, zero_count
from gradtx._scaling import scale_by_learning_rate
from gradtx._tree import tree_zeros_like, zip_map
from gradtx._validate import check_decay, check_dtype, check_learning_rate


class TraceState(NamedTuple):
    """State of ``trace``: step count and the momentum buffer ``mu``."""

    count: jax.Array
    mu: object


def trace(
    decay: float | jax.Array,
    nesterov: bool = False,
    accumulator_dtype=None,
) -> GradientTransformation:
    """Accumulate a momentum trace of the updates (heavy ball, or Nesterov).

    Update rule:
        mu_t = g_t + decay * mu_{t-1}
        u_t  = mu_t                      (heavy ball)
        u_t  = g_t + decay * mu_t        (nesterov=True)

    This is the "sum" form used by optax and torch.optim.SGD (with dampening 0):
    the step is not scaled by ``1 - decay``. Memory: one buffer per param.

    Args:
        decay: momentum coefficient in [0, 1).
        nesterov: use Nesterov's look-ahead form.
        accumulator_dtype: dtype of ``mu``; None uses each param's dtype.

    Returns:
        The transformation; its state is ``TraceState``.

    References:
        Polyak, Some methods of speeding up the convergence of iteration methods, 1964.
        Sutskever et al., On the importance of initialization and momentum in deep
        learning, ICML 2013.
    """
    check_decay("trace", "decay", decay)
    check_dtype("trace", "accumulator_dtype", accumulator_dtype)
    accumulator_dtype = canonicalize_dtype(accumulator_dtype)

    def init(params):
        return TraceState(count=zero_count(), mu=tree_zeros_like(params, accumulator_dtype))

    def update(updates, state, params=None, **extra_args):
        del params, extra_args

        def leaf(g, m):
            new_m = g + decay * m
            u = g + decay * new_m if nesterov else new_m
            return u.astype(g.dtype), new_m.astype(m.dtype)

        updates, mu = zip_map("gradtx.trace", leaf, 2, updates=updates, mu=state.mu)
        return updates, TraceState(count=safe_increment(state.count), mu=mu)

    return GradientTransformation(init, update)


class EmaState(NamedTuple):
    """State of ``ema``: step count and the running average ``mu``."""

    count: jax.Array
    mu: object


def ema(
    decay: float | jax.Array, debias: bool = True, accumulator_dtype=None
) -> GradientTransformation:
    """Replace the updates by their exponential moving average.

    Update rule:
        mu_t = decay * mu_{t-1} + (1 - decay) * g_t
        u_t  = mu_t / (1 - decay ** t)   (debias=True; t counts from 1)
        u_t  = mu_t                      (debias=False)

    Args:
        decay: in [0, 1).
        debias: divide by ``1 - decay**t`` so that early averages are not biased
            towards the zero initialisation.
        accumulator_dtype: dtype of ``mu``; None uses each param's dtype.

    Returns:
        The transformation; its state is ``EmaState``.
    """
    check_decay("ema", "decay", decay)
    check_dtype("ema", "accumulator_dtype", accumulator_dtype)
    accumulator_dtype = canonicalize_dtype(accumulator_dtype)

    def init(params):
        return EmaState(count=zero_count(), mu=tree_zeros_like(params, accumulator_dtype))

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        count = safe_increment(state.count)
        corr = bias_correction_factor(decay, count) if debias else None

        def leaf(g, m):
            new_m = (1 - decay) * g + decay * m
            u = new_m / corr.astype(new_m.dtype) if debias else new_m
            return u.astype(g.dtype), new_m.astype(m.dtype)

        updates, mu = zip_map("gradtx.ema", leaf, 2, updates=updates, mu=state.mu)
        return updates, EmaState(count=count, mu=mu)

    return GradientTransformation(init, update)


def sgd(
    learning_rate: ScalarOrSchedule,
    momentum: float | jax.Array | None = None,
    nesterov: bool = False,
    accumulator_dtype=None,
) -> GradientTransformation:
    """Stochastic gradient descent, optionally with (Nesterov) momentum.

    Chains ``trace(momentum, nesterov)`` (when ``momentum`` is not None) and
    ``scale_by_learning_rate(learning_rate)``:
        mu_t = g_t + momentum * mu_{t-1};  p_t = p_{t-1} - learning_rate * mu_t

    Args:
        learning_rate: non-negative number, array or schedule.
        momentum: in [0, 1), or None for plain SGD (no state).
        nesterov: Nesterov momentum.
        accumulator_dtype: dtype of the momentum buffer.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.sgd(0.1, momentum=0.9)
        >>> params = jnp.array([1.0, 2.0])
        >>> state = opt.init(params)
        >>> updates, state = opt.update(params, state)  # gradient of |p|^2/2 is p
        >>> gradtx.apply_updates(params, updates)
        Array([0.9, 1.8], dtype=float32)
    """
    check_learning_rate("sgd", learning_rate)
    if momentum is not None:
        check_decay("sgd", "momentum", momentum)
    return chain(
        trace(momentum, nesterov, accumulator_dtype) if momentum is not None else identity(),
        scale_by_learning_rate(learning_rate),
    )
