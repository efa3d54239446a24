"""Step arithmetic shared by the schedules: counts of any dtype, phase fractions, argument checks."""

from __future__ import annotations

import math
import warnings
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gradtx._core._numerics import promoted_dtype
from gradtx._core._validate import concrete_values

ArrayLike = Any


# ---------------------------------------------------------------------------
# Count arithmetic that never overflows int32.


def count_float_dtype():
    return jnp.float64 if jax.config.jax_enable_x64 else jnp.float32


def as_count(count: ArrayLike) -> jax.Array:
    """The count as a JAX array, without overflowing int32 on big Python/NumPy ints.

    Without x64, an integer that int32 cannot hold becomes a float32 count.
    """
    if isinstance(count, jax.Array):
        c = count
    else:
        arr = np.asarray(count)
        if arr.dtype.kind == "b":
            arr = arr.astype(np.int32)
        elif arr.dtype.kind in "iu":
            if jax.config.jax_enable_x64:
                if arr.dtype == np.uint64 and arr.size and arr.max() > np.iinfo(np.int64).max:
                    arr = arr.astype(np.float64)
            elif arr.size and (
                arr.max() > np.iinfo(np.int32).max or arr.min() < np.iinfo(np.int32).min
            ):
                # uint32 holds big counts exactly; anything else becomes float32.
                if arr.min() >= 0 and arr.max() <= np.iinfo(np.uint32).max:
                    arr = arr.astype(np.uint32)
                else:
                    arr = arr.astype(np.float32)
            elif arr.dtype.kind == "i" or isinstance(count, int):
                arr = arr.astype(np.int32)
        c = jnp.asarray(arr)
    if c.dtype == jnp.bool_:
        c = c.astype(jnp.int32)
    return c


def is_int_like(c: jax.Array) -> bool:
    return jnp.issubdtype(c.dtype, jnp.integer)


def at_least(c: jax.Array, b: float) -> jax.Array:
    """``c >= b`` elementwise, exact for integer counts whatever the size of ``b``."""
    if is_int_like(c):
        info = jnp.iinfo(c.dtype)
        bi = math.ceil(b)
        if bi > info.max:
            return jnp.zeros(c.shape, jnp.bool_)
        if bi <= info.min:
            return jnp.ones(c.shape, jnp.bool_)
        return c >= jnp.asarray(bi, c.dtype)
    return c >= jnp.asarray(b, c.dtype)


def shift(c: jax.Array, b: float) -> jax.Array:
    """``max(c - b, 0)`` for a step number ``b >= 0``, without overflow.

    For an integer count and an integer ``b`` the result stays an integer array in
    the count's dtype (the subtraction only happens where ``c >= b``); otherwise
    it is a float array.
    """
    if is_int_like(c) and float(b).is_integer():
        bi = int(b)
        if bi == 0:
            return jnp.maximum(c, jnp.zeros((), c.dtype))
        if bi > jnp.iinfo(c.dtype).max:
            return jnp.zeros(c.shape, c.dtype)
        bc = jnp.asarray(bi, c.dtype)
        return jnp.where(c >= bc, c - bc, jnp.zeros((), c.dtype))
    f = c.astype(float_like(c))
    return jnp.maximum(f - float(b), 0)


def float_like(c: jax.Array):
    """The float dtype that step arithmetic on ``c`` uses."""
    return count_float_dtype() if is_int_like(c) else promoted_dtype(c.dtype, count_float_dtype())


def since(c: jax.Array, b: float) -> jax.Array:
    """``max(c - b, 0)`` as a float array (float64 under x64, else float32)."""
    s = shift(c, b)
    return s.astype(float_like(s))


def fraction(c: jax.Array, begin: float, length: float) -> jax.Array:
    """``clip((c - begin) / length, 0, 1)`` as a float array; ``length > 0``."""
    return jnp.minimum(since(c, begin) / float(length), 1)


def floor_div(s: jax.Array, n: float) -> jax.Array:
    """``floor(s / n)`` for a non-negative ``s`` from ``shift``, exact for integers."""
    if is_int_like(s) and float(n).is_integer() and int(n) <= jnp.iinfo(s.dtype).max:
        return (s // jnp.asarray(int(n), s.dtype)).astype(count_float_dtype())
    return jnp.floor(s.astype(float_like(s)) / float(n))


def out_dtype(*values: ArrayLike):
    """float32, or the widest float dtype among the (non-weak) value arguments."""
    return jnp.result_type(jnp.float32, *[v for v in values if v is not None])


def cast_value(x: jax.Array, dtype) -> jax.Array:
    return x.astype(dtype)


# ---------------------------------------------------------------------------
# Construction-time checks.


def steps_arg(fn: str, name: str, value: Any, *, positive: bool = False) -> int | float:
    """A concrete, finite, non-negative (or positive) step number, as a Python number."""
    arr = concrete_values(value)
    if arr is None or arr.ndim != 0 or isinstance(value, bool):
        raise TypeError(
            f"gradtx.{fn}({name}={value!r}): {name} must be a concrete number of steps "
            f"(a Python int), because it fixes the shape of the schedule; got "
            f"{type(value).__name__}."
        )
    v = arr.item()
    if not math.isfinite(v) or (v <= 0 if positive else v < 0):
        rng = "> 0" if positive else ">= 0"
        raise ValueError(f"gradtx.{fn}({name}={v!r}): {name} must be finite and {rng}; got {v!r}.")
    return int(v) if float(v).is_integer() else float(v)


def transition_steps_arg(fn: str, value: Any) -> int | float:
    """``transition_steps``, with a non-positive value turned into 0 (a constant schedule).

    optax accepts ``transition_steps <= 0`` and gives a constant schedule; gradtx
    does the same and warns, since it is usually a mistake.
    """
    arr = concrete_values(value)
    if arr is not None and arr.ndim == 0 and not isinstance(value, bool) and arr.item() < 0:
        warnings.warn(
            f"gradtx.{fn}(transition_steps={arr.item()!r}): a non-positive transition_steps "
            "gives a constant schedule with value init_value.",
            stacklevel=3,
        )
        return 0
    return steps_arg(fn, "transition_steps", value)


def boundaries_arg(fn: str, boundaries_and_scales: dict | None):
    """Sorted ``(boundaries, scales)`` from a ``{step: scale}`` dict, checked."""
    if boundaries_and_scales is None:
        return (), ()
    if not isinstance(boundaries_and_scales, dict):
        raise TypeError(
            f"gradtx.{fn}(boundaries_and_scales=...): must be a dict {{step: scale}}; "
            f"got {type(boundaries_and_scales).__name__}."
        )
    items = sorted(
        (steps_arg(fn, "boundaries_and_scales key", k), s) for k, s in boundaries_and_scales.items()
    )
    for b, s in items:
        arr = concrete_values(s)
        if arr is not None and np.any(arr < 0):
            raise ValueError(
                f"gradtx.{fn}(boundaries_and_scales=...): scales must be >= 0; got "
                f"scale {s!r} at step {b}."
            )
    return tuple(b for b, _ in items), tuple(s for _, s in items)
