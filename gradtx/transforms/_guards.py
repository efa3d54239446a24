"""Guards that skip bad steps: non-finite gradients and loss or gradient-norm spikes.

A skipped step returns updates of -0.0 (the additive identity: ``apply_updates``
then leaves every param bit as it was, -0.0 included) and leaves the wrapped
transformation's state exactly as it was, bit for bit. Under ``jit`` the wrapped
transformation does not even run on a skipped step (``lax.cond``)."""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from gradtx._core._contract import GradientTransformation, with_extra_args_support
from gradtx._core._numerics import safe_increment, zero_count
from gradtx._core._param_updates import null_updates
from gradtx._core._validate import check_decay, check_int, check_positive
from gradtx.tree_utils._construct import tree_cast_like
from gradtx.tree_utils._reductions import tree_norm
from gradtx.tree_utils._state import tree_get_all_with_path


def _guarded_update(inner, accept, updates, inner_state, params, extra_args):
    """Run ``inner`` if ``accept``, else return ``-0.0`` updates and ``inner_state`` unchanged."""

    def run(_):
        u, s = inner.update(updates, inner_state, params, **extra_args)
        return tree_cast_like(u, updates), tree_cast_like(s, inner_state)

    def skip(_):
        return null_updates(updates), inner_state

    return lax.cond(accept, run, skip, None)


def _all_finite(tree) -> jax.Array:
    leaves = [jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves(tree)]
    return functools.reduce(jnp.logical_and, leaves, jnp.asarray(True))


class ApplyIfFiniteState(NamedTuple):
    """State of ``apply_if_finite``.

    Attributes:
        notfinite_count: int32 consecutive steps with an inf or NaN gradient
            (reset to 0 by a finite step).
        last_finite: bool, whether the last gradients were all finite.
        total_notfinite: int32 steps with an inf or NaN gradient since init.
        inner_state: the wrapped transformation's state.
    """

    notfinite_count: jax.Array
    last_finite: jax.Array
    total_notfinite: jax.Array
    inner_state: Any


def apply_if_finite(
    inner: GradientTransformation, max_consecutive_errors: int
) -> GradientTransformation:
    """Skip steps whose gradients hold an inf or a NaN, up to a limit.

    A skipped step returns zero updates (``-0.0``, which ``apply_updates``
    adds without changing a single param bit) and leaves ``inner``'s state
    bitwise unchanged, so one bad batch (or a loss-scale overflow in mixed precision) does not
    poison the optimizer's moments. After more than ``max_consecutive_errors``
    non-finite steps in a row the guard gives up and lets them through.

    Update rule (F = all gradients finite):
        F or notfinite_count > max_consecutive_errors:  u, s = inner(g, s)
        otherwise:                                       u = 0, s unchanged

    Args:
        inner: the transformation to guard.
        max_consecutive_errors: int >= 0, how many consecutive non-finite steps
            to skip before giving up.

    Returns:
        The transformation; its state is ``ApplyIfFiniteState``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.apply_if_finite(gradtx.sgd(0.1), max_consecutive_errors=5)
        >>> state = opt.init(jnp.zeros(2))
        >>> u, state = opt.update(jnp.array([1.0, jnp.nan]), state)
        >>> u, bool(state.last_finite)
        (Array([-0., -0.], dtype=float32), False)
    """
    check_int("apply_if_finite", "max_consecutive_errors", max_consecutive_errors, 0)
    inner = with_extra_args_support(inner)

    def init(params):
        return ApplyIfFiniteState(
            notfinite_count=zero_count(),
            last_finite=jnp.asarray(True),
            total_notfinite=zero_count(),
            inner_state=inner.init(params),
        )

    def update(updates, state, params=None, **extra_args):
        finite = _all_finite(updates)
        notfinite_count = jnp.where(finite, 0, safe_increment(state.notfinite_count))
        accept = jnp.logical_or(finite, notfinite_count > max_consecutive_errors)
        new_updates, inner_state = _guarded_update(
            inner, accept, updates, state.inner_state, params, extra_args
        )
        total = jnp.where(finite, state.total_notfinite, safe_increment(state.total_notfinite))
        return new_updates, ApplyIfFiniteState(
            notfinite_count=notfinite_count.astype(jnp.int32),
            last_finite=finite,
            total_notfinite=total,
            inner_state=inner_state,
        )

    return GradientTransformation(init, update)


class SkipSpikesState(NamedTuple):
    """State of ``skip_spikes``.

    Attributes:
        count: int32 number of metric values absorbed into the running statistics.
        metric_mean: float32 running mean of the metric.
        metric_var: float32 running variance of the metric.
        last_skipped: bool, whether the last step was skipped.
        total_skipped: int32 number of skipped steps since init.
        inner_state: the wrapped transformation's state.
    """

    count: jax.Array
    metric_mean: jax.Array
    metric_var: jax.Array
    last_skipped: jax.Array
    total_skipped: jax.Array
    inner_state: Any


# The spread used in the spike test is at least this fraction of |mean|, so a
# metric that has been constant does not flag every tiny rise as a spike.
_REL_SPREAD_FLOOR = 1e-3


def skip_spikes(
    inner: GradientTransformation,
    *,
    threshold: float | jax.Array = 6.0,
    decay: float | jax.Array = 0.99,
    warmup: int = 50,
    metric: str = "grad_norm",
) -> GradientTransformation:
    """Skip steps whose loss or gradient norm spikes far above its recent values.

    Keeps a running mean m and variance v of a metric x (the global gradient
    norm, or the loss passed as ``update(..., value=loss)``). A step is a spike
    when x is not finite, or, after ``warmup`` values, when
        x > m + threshold * s,   s = max(sqrt(v), 1e-3 * |m|).
    A spike returns zero updates (``-0.0``: the params keep every bit) and
    leaves ``inner``'s state bitwise unchanged. The
    statistics absorb accepted values as they are and a finite spike clipped to
    m + threshold * s, so one outlier barely moves them while a lasting shift
    of the metric is followed within a few windows.

    Update rule (exponential moving statistics, d = x - m):
        m <- m + (1 - decay) * d
        v <- decay * (v + (1 - decay) * d^2)
    starting from m = x, v = 0 at the first finite value.

    Args:
        inner: the transformation to guard.
        threshold: > 0, how many spreads above the mean count as a spike.
        decay: in [0, 1); the statistics average over about 1 / (1 - decay)
            steps.
        warmup: int >= 0, values absorbed before spikes are looked for
            (non-finite values are always skipped).
        metric: ``"grad_norm"`` (the global norm of the incoming gradients) or
            ``"loss"`` (read from the ``value`` extra argument).

    Returns:
        The transformation; its state is ``SkipSpikesState``.

    Raises:
        ValueError: out-of-range arguments, an unknown ``metric``, or
            ``metric="loss"`` with no ``value=`` given to ``update``.

    Example:
        >>> import gradtx
        >>> opt = gradtx.skip_spikes(gradtx.adam(1e-3), metric="loss", warmup=10)
    """
    check_positive("skip_spikes", "threshold", threshold)
    check_decay("skip_spikes", "decay", decay)
    check_int("skip_spikes", "warmup", warmup, 0)
    if metric not in ("grad_norm", "loss"):
        raise ValueError(
            f"gradtx.skip_spikes(metric={metric!r}): metric must be 'grad_norm' or 'loss'; "
            f"got {metric!r}."
        )
    inner = with_extra_args_support(inner)

    def init(params):
        zero = lambda: jnp.zeros((), jnp.float32)  # a new buffer each: state is donatable
        return SkipSpikesState(
            count=zero_count(),
            metric_mean=zero(),
            metric_var=zero(),
            last_skipped=jnp.asarray(False),
            total_skipped=zero_count(),
            inner_state=inner.init(params),
        )

    def update(updates, state, params=None, **extra_args):
        if metric == "loss":
            if "value" not in extra_args:
                raise ValueError(
                    "gradtx.skip_spikes(metric='loss'): update needs the loss; call "
                    "update(grads, state, params, value=loss)."
                )
            x = jnp.asarray(extra_args["value"]).astype(jnp.float32)
            if x.shape != ():
                raise ValueError(
                    f"gradtx.skip_spikes(metric='loss'): value must be a scalar; got shape {x.shape}."
                )
        else:
            x = tree_norm(updates).astype(jnp.float32)
        m, v = state.metric_mean, state.metric_var
        finite = jnp.isfinite(x)
        spread = jnp.maximum(jnp.sqrt(v), _REL_SPREAD_FLOOR * jnp.abs(m))
        bound = m + threshold * spread
        spike = jnp.logical_or(
            jnp.logical_not(finite), jnp.logical_and(state.count >= warmup, x > bound)
        )
        new_updates, inner_state = _guarded_update(
            inner, jnp.logical_not(spike), updates, state.inner_state, params, extra_args
        )
        xa = jnp.where(finite, jnp.minimum(x, jnp.where(state.count >= warmup, bound, x)), m)
        first = state.count == 0
        d = xa - m
        new_m = jnp.where(first, xa, m + (1 - decay) * d)
        new_v = jnp.where(first, 0.0, decay * (v + (1 - decay) * d * d))
        new_m = jnp.where(finite, new_m, m).astype(jnp.float32)
        new_v = jnp.where(finite, new_v, v).astype(jnp.float32)
        count = jnp.where(finite, safe_increment(state.count), state.count)
        total = jnp.where(spike, safe_increment(state.total_skipped), state.total_skipped)
        return new_updates, SkipSpikesState(
            count=count,
            metric_mean=new_m,
            metric_var=new_v,
            last_skipped=spike,
            total_skipped=total,
            inner_state=inner_state,
        )

    return GradientTransformation(init, update)


def step_skipped(state: Any) -> jax.Array:
    """Whether a guard inside ``state`` rejected the last step (bool scalar).

    Looks for ``SkipSpikesState`` (``last_skipped``) and ``ApplyIfFiniteState``
    (not ``last_finite``; after ``max_consecutive_errors`` is exceeded such
    steps are let through but still reported). False when there is no guard.
    """
    flags = [
        jnp.asarray(s.last_skipped) for _, s in tree_get_all_with_path(state, "SkipSpikesState")
    ]
    flags += [
        jnp.logical_not(s.last_finite)
        for _, s in tree_get_all_with_path(state, "ApplyIfFiniteState")
    ]
    return functools.reduce(jnp.logical_or, flags, jnp.asarray(False))
