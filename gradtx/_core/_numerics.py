"""Memory-light second moments: Adafactor's factored RMS and SM3's covers."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from gradtx.tree_utils._tree_math import abs_sq, leaf_dtype


def real_dtype(dtype):
    dtype = jnp.dtype(dtype)
    return jnp.finfo(dtype).dtype if jnp.issubdtype(dtype, jnp.complexfloating) else dtype


def safe_increment(count: jax.Array) -> jax.Array:
    """``count + 1``, saturating at the largest value of ``count``'s integer dtype."""
    count = jnp.asarray(count)
    max_value = jnp.iinfo(count.dtype).max
    one = jnp.ones((), count.dtype)
    return jnp.where(count < max_value, count + one, max_value).astype(count.dtype)


safe_int32_increment = safe_increment


def zero_count() -> jax.Array:
    """The initial step count: an int32 zero scalar."""
    return jnp.zeros((), jnp.int32)


def moment_update(moment: jax.Array, value: jax.Array, decay) -> jax.Array:
    """One step of an exponential moving average, kept in the moment's dtype.

    ``decay * moment + (1 - decay) * value``: the first and second moments of
    Adam and its family, RMSProp's mean square, and every other EMA in gradtx
    are this one rule, so a bfloat16 moment stays bfloat16 even when ``decay``
    is a float32 array.
    """
    return ((1 - decay) * value + decay * moment).astype(moment.dtype)


def update_moment(updates, moments, decay, order: int):
    """EMA of ``g ** order``: ``decay * m + (1 - decay) * g ** order``, leafwise.

    The result keeps each moment's dtype, so state dtypes never drift even when
    ``decay`` is a float32 array and the moments are bfloat16.
    """

    def f(g, m):
        if g is None:
            return m
        return moment_update(m, g**order, decay)

    return jax.tree.map(f, updates, moments, is_leaf=lambda x: x is None)


def update_moment_per_elem_norm(updates, moments, decay, order: int):
    """EMA of ``|g| ** order`` (real even for complex g), keeping moment dtypes."""

    def f(g, m):
        if g is None:
            return m
        if order == 2:
            p = abs_sq(g)
        else:
            p = jnp.sqrt(abs_sq(g)) ** order
        return moment_update(m, p, decay)

    return jax.tree.map(f, updates, moments, is_leaf=lambda x: x is None)


def bias_correction_factor(decay, count: jax.Array) -> jax.Array:
    """The scalar ``1 - decay ** count``, computed once per step."""
    dtype = jnp.promote_types(jnp.asarray(decay).dtype, default_float_dtype())
    return 1 - jnp.asarray(decay, dtype) ** count.astype(dtype)


def bias_correction(moments, decay, count: jax.Array):
    """Divide each moment by ``1 - decay ** count`` (scalar computed once)."""
    c = bias_correction_factor(decay, count)
    return jax.tree.map(lambda m: m / c.astype(m.dtype), moments)


def canonicalize_dtype(dtype):
    """``None`` stays None; anything else becomes a concrete numpy dtype."""
    if dtype is None:
        return None
    return jax.dtypes.canonicalize_dtype(dtype)


def default_float_dtype() -> np.dtype:
    """The default float dtype: float64 when x64 is enabled, else float32.

    Used for per-step scalars and scalar state (bias corrections, step counts as
    floats), as torch uses its default dtype for ``step`` and friends.
    """
    return canonicalize_dtype(jnp.float64)


def widest_float_dtype(tree) -> np.dtype:
    """The widest real float dtype among a tree's leaves, and at least float32.

    Complex leaves count by their real part (complex128 gives float64); integer
    and boolean leaves are ignored. Used for scalar state that must not lose
    precision against any param (injected hyperparameters, plateau and
    schedule-free scalars).
    """
    dtype = np.dtype(jnp.float32)
    for leaf in jax.tree.leaves(tree):
        d = real_dtype(leaf_dtype(leaf))
        if jnp.issubdtype(d, jnp.floating):
            dtype = jnp.promote_types(dtype, d)
    return canonicalize_dtype(dtype)
