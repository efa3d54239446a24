"""Track the sharpness (top Hessian eigenvalue) and the Hessian trace during training."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from gradtx._core._contract import GradientTransformation, with_extra_args_support
from gradtx._core._numerics import safe_increment, zero_count
from gradtx._core._validate import check_int
from gradtx.curvature._eigen import hessian_eigenvalues
from gradtx.curvature._flat import FlatView
from gradtx.curvature._inputs import as_key, inner_update_with_objective
from gradtx.curvature._trace import hessian_trace


class TrackSharpnessState(NamedTuple):
    """State of ``track_sharpness``.

    Attributes:
        count: int32 steps taken.
        sharpness: float32, the largest Hessian eigenvalue at the last measurement
            (0 before the first).
        trace: float32, the Hutchinson estimate of the Hessian trace at the last
            measurement (0 when ``trace_samples`` is 0).
        measured_at: int32, the step of the last measurement (-1 before the first).
        key: the PRNG key of the next measurement.
        inner_state: the wrapped transformation's state.
    """

    count: jax.Array
    sharpness: jax.Array
    trace: jax.Array
    measured_at: jax.Array
    key: jax.Array
    inner_state: Any


def track_sharpness(
    inner: GradientTransformation,
    every_k: int = 10,
    *,
    order: int = 20,
    trace_samples: int = 0,
    key: int | jax.Array = 0,
) -> GradientTransformation:
    """Run ``inner`` and, every ``every_k`` steps, record the top Hessian eigenvalue in the state.

    For edge-of-stability plots: full-batch gradient descent with step size
    ``eta`` drives the sharpness (the largest eigenvalue of the training-loss
    Hessian) up to about ``2 / eta`` and hovers there (Cohen et al.). The
    measurement is ``order`` Lanczos steps on ``obj_fn`` at the current params
    (one Hessian-vector product each), plus ``trace_samples`` Hutchinson
    products for the trace; it runs under ``lax.cond`` on steps
    ``0, every_k, 2 every_k, ..`` only (under ``vmap``, ``cond`` becomes a
    select and every step pays). The updates are ``inner``'s, unchanged. Read
    the values with ``gradtx.tree_get(state, "sharpness")`` (and ``"trace"``).

    ``update(grads, state, params, obj_fn=f)`` needs the params and the extra
    argument ``obj_fn``, the loss as a function of the params alone.

    Args:
        inner: the optimizer being monitored.
        every_k: an int >= 1, measure on steps where ``count % every_k == 0``.
        order: an int >= 1, Lanczos steps (clipped to the number of params).
        trace_samples: an int >= 0, Hutchinson probes for the trace; 0 skips it.
        key: an int seed or a PRNG key for the Lanczos start and the probes.

    Returns:
        The transformation; its state is ``TrackSharpnessState``.

    Raises:
        ValueError: ``every_k`` or ``order`` < 1, ``trace_samples`` < 0; at
            update, missing ``params`` or ``obj_fn``.

    References:
        Cohen, Kaur, Li, Kolter and Talwalkar, Gradient Descent on Neural Networks
        Typically Occurs at the Edge of Stability, ICLR 2021,
        https://arxiv.org/abs/2103.00065.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> loss = lambda p: 0.5 * jnp.sum(jnp.array([1.0, 3.0]) * p ** 2)
        >>> opt = gradtx.track_sharpness(gradtx.sgd(0.1), every_k=5, trace_samples=2)
        >>> params = jnp.ones(2)
        >>> u, state = opt.update(params, opt.init(params), params, obj_fn=loss)
        >>> round(float(gradtx.tree_get(state, "sharpness")), 4), float(state.trace)
        (3.0, 4.0)
    """
    fn = "track_sharpness"
    check_int(fn, "every_k", every_k, 1)
    check_int(fn, "order", order, 1)
    check_int(fn, "trace_samples", trace_samples, 0)
    key0 = as_key(fn, key)
    inner = with_extra_args_support(inner)

    def init(params):
        return TrackSharpnessState(
            count=zero_count(),
            sharpness=jnp.zeros((), jnp.float32),
            trace=jnp.zeros((), jnp.float32),
            measured_at=jnp.asarray(-1, jnp.int32),
            key=key0,
            inner_state=inner.init(params),
        )

    def update(updates, state, params=None, obj_fn: Callable | None = None, **extra_args):
        obj_fn, new_updates, inner_state = inner_update_with_objective(
            fn, inner, updates, state.inner_state, params, obj_fn, extra_args
        )
        next_key, sub = jax.random.split(state.key)
        m = min(order, FlatView(params).size)

        def measure(_):
            eig_key, trace_key = jax.random.split(sub)
            top = hessian_eigenvalues(obj_fn, params, k=1, order=m, key=eig_key).eigenvalues[0]
            if trace_samples:
                tr = hessian_trace(obj_fn, params, num_samples=trace_samples, key=trace_key)
            else:
                tr = jnp.zeros(())
            return top.astype(jnp.float32), tr.astype(jnp.float32), state.count

        def keep(_):
            return state.sharpness, state.trace, state.measured_at

        sharp, tr, at = lax.cond(state.count % every_k == 0, measure, keep, None)
        return new_updates, TrackSharpnessState(
            count=safe_increment(state.count),
            sharpness=sharp,
            trace=tr,
            measured_at=at,
            key=next_key,
            inner_state=inner_state,
        )

    return GradientTransformation(init, update)
