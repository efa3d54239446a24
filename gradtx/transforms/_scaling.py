"""Scaling by a constant, a learning rate or a schedule."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import (
    EmptyState,
    GradientTransformation,
    ScalarOrSchedule,
    Schedule,
    init_empty_state,
)
from gradtx._core._numerics import safe_increment, scale_leaf, zero_count
from gradtx._core._validate import (
    check_learning_rate,
    check_nonnegative,
    check_range,
    check_scalar,
    reported_as,
)
from gradtx.tree_utils._reductions import tree_norm

ScaleState = EmptyState  # optax's name for scale's state


def scale(step_size: float | jax.Array) -> GradientTransformation:
    """Multiply every update by ``step_size``. Stateless.

    Update rule:
        u_t = step_size * g_t

    Args:
        step_size: any real scalar (a Python number or a JAX array, traced or not).
            Updates keep their dtype.

    Raises:
        TypeError: ``step_size`` is not a real scalar (a string, None, a list, a
            vector, a complex number, a bool or a function: use
            ``scale_by_schedule`` for a schedule).
        ValueError: a concrete NaN or infinite ``step_size``.
    """
    check_range("scale", "step_size", step_size)

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        return jax.tree.map(lambda g: scale_leaf(step_size, g), updates), state

    return GradientTransformation(init_empty_state, update)


class ScaleByScheduleState(NamedTuple):
    """State of ``scale_by_schedule``: the number of updates seen so far."""

    count: jax.Array


def scale_by_schedule(step_size_fn: Schedule) -> GradientTransformation:
    """Multiply the updates by ``step_size_fn(count)``, count starting at 0.

    Update rule:
        u_t = step_size_fn(t) * g_t,  t = 0, 1, 2, ...

    Args:
        step_size_fn: a function of the int32 step count returning a scalar.

    Returns:
        The transformation; its state is ``ScaleByScheduleState``.
    """
    if not callable(step_size_fn):
        raise TypeError(
            "gradtx.scale_by_schedule(step_size_fn=...): step_size_fn must be a function "
            f"of the step count; got {type(step_size_fn).__name__}. Use gradtx.scale for "
            "a constant."
        )

    def init(params):
        del params
        return ScaleByScheduleState(count=zero_count())

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        step_size = jnp.asarray(step_size_fn(state.count))
        updates = jax.tree.map(lambda g: scale_leaf(step_size, g), updates)
        return updates, ScaleByScheduleState(count=safe_increment(state.count))

    return GradientTransformation(init, update)


def scale_by_learning_rate(
    learning_rate: ScalarOrSchedule | None = None, *, flip_sign: bool = True
) -> GradientTransformation:
    """Scale by ``-learning_rate`` (or ``+learning_rate`` with ``flip_sign=False``).

    The last link of every optimizer: turns a descent direction into a step that
    ``apply_updates`` adds to the params.

    Args:
        learning_rate: a non-negative number, a scalar array, or a schedule
            (a function of the step count). None means 1.0 (optax returns the
            identity for None, which skips the sign flip and so ascends; gradtx
            keeps the sign flip).
        flip_sign: negate, so that adding the update descends. Default True.

    Raises:
        ValueError: a concrete negative or non-finite learning rate.
    """
    # None (documented above) only when this is the factory the user called: an
    # optimizer that builds it passes its own learning rate, where None is a mistake.
    outer = reported_as("scale_by_learning_rate") == "scale_by_learning_rate"
    check_learning_rate("scale_by_learning_rate", learning_rate, none=outer)
    if learning_rate is None:
        learning_rate = 1.0
    m = -1 if flip_sign else 1
    if callable(learning_rate):
        return scale_by_schedule(lambda count: m * learning_rate(count))
    return scale(m * learning_rate)


def learning_rate_or_identity(fn: str, learning_rate: ScalarOrSchedule | None):
    """``scale_by_learning_rate`` for optimizers whose learning rate may be None.

    None means 1.0 (a descent step of the raw direction); optax's None skips the
    sign flip, which turns descent into ascent, so gradtx does not follow it.
    """
    check_learning_rate(fn, learning_rate, none=True)
    return scale_by_learning_rate(1.0 if learning_rate is None else learning_rate)


def normalize_by_update_norm(
    scale_factor: jax.typing.ArrayLike = 1.0, eps: jax.typing.ArrayLike = 1e-6
) -> GradientTransformation:
    """Divide the updates by their global norm (plus ``eps``), times ``scale_factor``. Stateless.

    Update rule:
        u_t = scale_factor * g_t / (||g_t|| + eps)

    The result has norm just under ``scale_factor`` whatever the gradient's
    size: normalised gradient descent. The norm is ``tree_norm`` (accumulated
    in float32 or wider).

    Args:
        scale_factor: the target norm (a scalar; negative flips the direction).
        eps: >= 0, keeps the division finite at a zero gradient.

    Returns:
        The transformation; its state is ``EmptyState``.

    Raises:
        ValueError: a concrete negative ``eps``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.normalize_by_update_norm(eps=0.0)
        >>> tx.update(jnp.array([3.0, 4.0]), tx.init(jnp.zeros(2)))[0]
        Array([0.6, 0.8], dtype=float32)
    """
    check_scalar("normalize_by_update_norm", "scale_factor", scale_factor)
    check_nonnegative("normalize_by_update_norm", "eps", eps)
    check_range("normalize_by_update_norm", "scale_factor", scale_factor)

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        divisor = (tree_norm(updates) + eps) / scale_factor
        return jax.tree.map(lambda g: (g / divisor).astype(g.dtype), updates), state

    return GradientTransformation(init_empty_state, update)
