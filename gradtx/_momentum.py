"""Momentum (trace), exponential moving averages, and SGD."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from gradtx._base import GradientTransformation, ScalarOrSchedule, chain, identity
from gradtx._coupling import is_python_zero
from gradtx._masking import add_decayed_weights
from gradtx._numerics import bias_correction_factor, canonicalize_dtype, safe_increment, zero_count
from gradtx._scaling import scale, scale_by_learning_rate
from gradtx._tree import tree_zeros_like, zip_map
from gradtx._validate import (
    check_decay,
    check_dtype,
    check_learning_rate,
    check_nonnegative,
    check_range,
)


class TraceState(NamedTuple):
    """State of ``trace``: step count and the momentum buffer ``mu``."""

    count: jax.Array
    mu: object


def trace(
    decay: float | jax.Array,
    nesterov: bool = False,
    accumulator_dtype=None,
    *,
    dampening: float | jax.Array = 0.0,
) -> GradientTransformation:
    """Accumulate a momentum trace of the updates (heavy ball, or Nesterov).

    Update rule (t counts from 1):
        mu_t = g_t + decay * mu_{t-1}                    (dampening = 0)
        mu_1 = g_1;  mu_t = decay * mu_{t-1} + (1 - dampening) * g_t   (t > 1)
        u_t  = mu_t                      (heavy ball)
        u_t  = g_t + decay * mu_t        (nesterov=True)

    This is the "sum" form used by optax and torch.optim.SGD: the step is not
    scaled by ``1 - decay``. With ``dampening`` it is torch.optim.SGD's buffer,
    whose first step is the raw gradient (undampened). Memory: one buffer per
    param.

    Args:
        decay: momentum coefficient in [0, 1).
        nesterov: use Nesterov's look-ahead form.
        accumulator_dtype: dtype of ``mu``; None uses each param's dtype.
        dampening: in [0, 1]; scales the incoming gradient from the second
            step on (torch.optim.SGD's ``dampening``). The default 0 is optax's
            trace.

    Returns:
        The transformation; its state is ``TraceState``.

    References:
        Polyak, Some methods of speeding up the convergence of iteration methods, 1964.
        Sutskever et al., On the importance of initialization and momentum in deep
        learning, ICML 2013.
    """
    check_decay("trace", "decay", decay)
    check_dtype("trace", "accumulator_dtype", accumulator_dtype)
    check_range("trace", "dampening", dampening, 0.0, 1.0)
    accumulator_dtype = canonicalize_dtype(accumulator_dtype)
    damped = not is_python_zero(dampening)

    def init(params):
        return TraceState(count=zero_count(), mu=tree_zeros_like(params, accumulator_dtype))

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        first = state.count == 0

        def leaf(g, m):
            if damped:
                new_m = jnp.where(first, g, decay * m + (1 - dampening) * g)
            else:
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
    *,
    dampening: float | jax.Array = 0.0,
    weight_decay: ScalarOrSchedule = 0.0,
    maximize: bool = False,
) -> GradientTransformation:
    """Stochastic gradient descent, optionally with (Nesterov) momentum.

    Chains ``scale(-1)`` (when ``maximize``), ``add_decayed_weights(weight_decay)``
    (when it is not a Python 0), ``trace(momentum, nesterov, dampening=dampening)``
    (when ``momentum`` is not None) and ``scale_by_learning_rate(learning_rate)``:
        g'_t = +-g_t + weight_decay * p_{t-1}
        mu_t = g'_t + momentum * mu_{t-1};  p_t = p_{t-1} - learning_rate * mu_t

    With the keyword-only arguments this is torch.optim.SGD exactly:
    ``SGD(lr, momentum=m, dampening=d, weight_decay=w, nesterov=n, maximize=x)``
    is ``sgd(lr, m, n, dampening=d, weight_decay=w, maximize=x)`` (docs/torch.md).

    Args:
        learning_rate: non-negative number, array or schedule.
        momentum: in [0, 1), or None for plain SGD (no state).
        nesterov: Nesterov momentum.
        accumulator_dtype: dtype of the momentum buffer.
        dampening: in [0, 1]; see ``trace``. Ignored when ``momentum`` is None
            (as torch ignores it when momentum is 0).
        weight_decay: >= 0; L2 regularisation added to the gradient before the
            momentum (torch.optim.SGD's ``weight_decay``).
        maximize: ascend instead of descend: the gradient is negated first, so
            the weight decay still pulls towards zero (torch's implementation).

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
    check_range("sgd", "dampening", dampening, 0.0, 1.0)
    check_nonnegative("sgd", "weight_decay", weight_decay)
    if not isinstance(maximize, bool):
        raise TypeError(
            f"gradtx.sgd(maximize={maximize!r}): maximize must be a bool; "
            f"got {type(maximize).__name__}."
        )
    head = []
    if maximize:
        head.append(scale(-1.0))
    if not is_python_zero(weight_decay):
        head.append(add_decayed_weights(weight_decay))
    if momentum is not None:
        damp = {} if is_python_zero(dampening) else {"dampening": dampening}
        core = trace(momentum, nesterov, accumulator_dtype, **damp)
    else:
        core = identity()
    return chain(*head, core, scale_by_learning_rate(learning_rate))
