"""Memory-light second moments: Adafactor's factored RMS and SM3's covers."""

from __future__ import annotations

import jax
import jax.numpy as jnp

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


def update_moment(updates, moments, decay, order: int):
    """EMA of ``g ** order``: ``decay * m + (1 - decay) * g ** order``, leafwise.

    The result keeps each moment's dtype, so state dtypes never drift even when
    ``decay`` is a float32 array and the moments are bfloat16.
    """

    def f(g, m):
        if g is None:
            return m
        new = (1 - decay) * (g**order) + decay * m
        return new.astype(m.dtype)

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
        return ((1 - decay) * p + decay * m).astype(m.dtype)

    return jax.tree.map(f, updates, moments, is_leaf=lambda x: x is None)


def bias_correction_factor(decay, count: jax.Array) -> jax.Array:
    """The scalar ``1 - decay ** count``, computed once per step."""
    dtype = jnp.promote_types(jnp.asarray(decay).dtype, jnp.result_type(float))
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


def cast_to_updates_dtype(new_updates, updates):
    """Cast outgoing updates back to the incoming updates' dtypes."""
    return jax.tree.map(lambda u, g: u.astype(leaf_dtype(g)), new_updates, updates)


def widest_float_dtype(params) -> jnp.dtype:
    """The widest float dtype among the params, and at least float32."""
    dtypes = [leaf_dtype(x) for x in jax.tree.leaves(params)]
    dtypes = [d for d in dtypes if jnp.issubdtype(d, jnp.floating)]
    return jnp.result_type(jnp.float32, *dtypes)
