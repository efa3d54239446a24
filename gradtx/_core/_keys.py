"""PRNG keys given as hyperparameters: validation and canonical typed keys."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gradtx._core._validate import reported_as


def check_key(fn: str, key: Any) -> None:
    """Raise TypeError unless ``key`` is an int seed, a typed key or a raw uint32[2] key."""
    if isinstance(key, bool):
        raise TypeError(
            f"gradtx.{reported_as(fn)}(key={key!r}): key must be an int or a JAX PRNG key."
        )
    if isinstance(key, int | np.integer):
        return
    dtype = getattr(key, "dtype", None)
    shape = tuple(getattr(key, "shape", ()))
    if dtype is not None and jnp.issubdtype(dtype, jax.dtypes.prng_key) and shape == ():
        return
    if dtype is not None and jnp.dtype(dtype) == jnp.uint32 and shape == (2,):
        return
    if dtype is not None and jnp.issubdtype(dtype, jnp.integer) and shape == ():
        return
    raise TypeError(
        f"gradtx.{reported_as(fn)}(key=...): key must be an int, a scalar typed PRNG key "
        f"(jax.random.key) or a raw uint32[2] key; got {type(key).__name__}"
        + (f" of dtype {dtype} and shape {shape}." if dtype is not None else ".")
    )


def to_prng_key(key) -> jax.Array:
    """A typed scalar PRNG key from an int seed, a typed key or a raw uint32[2] key."""
    if isinstance(key, int | np.integer):
        return jax.random.key(key)
    dtype = key.dtype
    if jnp.issubdtype(dtype, jax.dtypes.prng_key):
        return key
    if jnp.dtype(dtype) == jnp.uint32 and tuple(key.shape) == (2,):
        return jax.random.wrap_key_data(jnp.asarray(key))
    return jax.random.key(key)
