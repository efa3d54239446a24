"""What the losses share: input checks, masks, and a log-softmax that stays finite.

The cross-entropy-like losses in gradtx promise finite values and finite
gradients at ``-inf`` logits and at entries masked out by ``where``. Three
tools keep that promise:

- ``mask_fill`` replaces masked entries by a harmless constant *before* any
  arithmetic, so that NaN or infinite inputs there never meet a zero cotangent
  (``0 * inf`` is NaN in the backward pass even when the forward pass drops it);
- ``log_softmax_masked`` normalises over the kept entries only, with the shift
  and the normaliser made safe for rows where every entry is ``-inf`` or masked;
- ``weighted_log`` computes ``w * log_p`` with the convention ``0 * log 0 = 0``,
  in value and in gradient.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np


def check_floating(fn: str, name: str, x) -> None:
    """Raise TypeError unless ``x`` has a floating dtype (optax raises TypeError too)."""
    dtype = jax.dtypes.result_type(x)
    if not jnp.issubdtype(dtype, jnp.floating):
        raise TypeError(f"gradtx.losses.{fn}: {name} must have a floating dtype; got {dtype}.")


def check_integer(fn: str, name: str, x) -> None:
    dtype = jax.dtypes.result_type(x)
    if not jnp.issubdtype(dtype, jnp.integer):
        raise TypeError(f"gradtx.losses.{fn}: {name} must have an integer dtype; got {dtype}.")


def check_same_shape(fn: str, a_name: str, a, b_name: str, b) -> None:
    a_shape, b_shape = np.shape(a), np.shape(b)
    if a_shape != b_shape:
        raise ValueError(
            f"gradtx.losses.{fn}: {a_name} and {b_name} must have the same shape; "
            f"got {a_name} {a_shape} and {b_name} {b_shape}."
        )


def broadcast_like(fn: str, name: str, x, like: jax.Array) -> jax.Array:
    """``x`` broadcast explicitly to ``like``'s shape, with a clear error if it cannot be."""
    x = jnp.asarray(x)
    try:
        np.broadcast_shapes(x.shape, like.shape)
    except ValueError:
        raise ValueError(
            f"gradtx.losses.{fn}: {name} of shape {x.shape} does not broadcast to shape {like.shape}."
        ) from None
    if np.broadcast_shapes(x.shape, like.shape) != like.shape:
        raise ValueError(
            f"gradtx.losses.{fn}: {name} of shape {x.shape} does not broadcast to shape {like.shape}."
        )
    return jnp.broadcast_to(x, like.shape)


def normalize_axes(axis: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    """``axis`` as a sorted tuple of non-negative axes (None: all axes)."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    out = []
    for a in axes:
        a = operator.index(a)
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of bounds for an array of dimension {ndim}.")
        out.append(a % ndim)
    return tuple(sorted(out))


def expand_where(fn: str, where, like: jax.Array, axis) -> jax.Array | None:
    """A ``where`` mask broadcast to ``like``'s shape.

    A mask with fewer dimensions than ``like`` is first taken to lack the reduced
    axes (as optax does) and gets them back as size-1 dimensions; if that does not
    broadcast, it is broadcast as it is (a mask of the classes, say).
    """
    if where is None:
        return None
    where = jnp.asarray(where, bool)
    if where.ndim < like.ndim:
        axes = normalize_axes(axis, like.ndim)
        if where.ndim + len(axes) == like.ndim:
            expanded = jnp.expand_dims(where, axes)
            try:
                np.broadcast_shapes(expanded.shape, like.shape)
                where = expanded
            except ValueError:
                pass
    return broadcast_like(fn, "where", where, like)


def mask_fill(where: jax.Array | None, x: jax.Array, fill) -> jax.Array:
    """``x`` with masked entries replaced by ``fill``; gradients there are exactly 0."""
    if where is None:
        return x
    return jnp.where(where, x, jnp.asarray(fill, x.dtype))


def weighted_log(weights: jax.Array, log_values: jax.Array) -> jax.Array:
    """``weights * log_values`` with ``0 * log 0 = 0``, NaN-free in the backward pass too."""
    nonzero = weights != 0
    return weights * jnp.where(nonzero, log_values, jnp.zeros((), log_values.dtype))


def _max_shift(x: jax.Array, axis: tuple[int, ...]) -> jax.Array:
    m = jnp.max(x, axis=axis, keepdims=True)
    return jax.lax.stop_gradient(jnp.where(jnp.isfinite(m), m, jnp.zeros((), m.dtype)))


def logsumexp_masked(x: jax.Array, axis: tuple[int, ...], where: jax.Array | None) -> jax.Array:
    """log(sum(exp(x))) over ``axis`` and the kept entries, keeping the reduced dims.

    A row with no finite kept entry gives ``-inf`` with zero gradient (never NaN).
    """
    x = mask_fill(where, x, -jnp.inf)
    m = _max_shift(x, axis)
    s = jnp.sum(jnp.exp(x - m), axis=axis, keepdims=True)
    positive = s > 0
    safe_s = jnp.where(positive, s, jnp.ones((), s.dtype))
    return jnp.where(positive, jnp.log(safe_s) + m, -jnp.inf)


def log_softmax_masked(x: jax.Array, axis: tuple[int, ...], where: jax.Array | None) -> jax.Array:
    """log_softmax over ``axis`` and the kept entries; masked entries give ``-inf``.

    Rows where every kept entry is ``-inf`` give ``-inf`` everywhere, with zero
    gradient, instead of NaN.
    """
    x = mask_fill(where, x, -jnp.inf)
    m = _max_shift(x, axis)
    shifted = x - m
    s = jnp.sum(jnp.exp(shifted), axis=axis, keepdims=True)
    safe_s = jnp.where(s > 0, s, jnp.ones((), s.dtype))
    return shifted - jnp.log(safe_s)


def softmax_masked(x: jax.Array, axis: tuple[int, ...], where: jax.Array | None) -> jax.Array:
    """softmax over ``axis`` and the kept entries; masked entries and dead rows give 0."""
    return jnp.exp(log_softmax_masked(x, axis, where))


def zero_rows_without_kept(out: jax.Array, where: jax.Array | None, axis: int) -> jax.Array:
    """``out`` (reduced over ``axis``) with 0 for the rows where ``where`` keeps nothing."""
    if where is None:
        return out
    kept = jnp.any(where, axis=axis)
    return jnp.where(kept, out, jnp.zeros((), out.dtype))


def sum_masked(x: jax.Array, axis, where: jax.Array | None) -> jax.Array:
    """Sum over ``axis`` of the kept entries (masked entries are filled with 0 first)."""
    return jnp.sum(mask_fill(where, x, 0), axis=axis)
