"""Random trees shaped like another tree, one independent key per leaf."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import jax
from jax.typing import DTypeLike


def tree_split_key_like(rng_key: jax.Array, target_tree: Any) -> Any:
    """Split ``rng_key`` into one key per leaf of ``target_tree``, in its structure.

    Example:
        >>> import gradtx, jax, jax.numpy as jnp
        >>> keys = gradtx.tree_utils.tree_split_key_like(jax.random.key(0), {"a": 0, "b": 0})
        >>> sorted(keys)
        ['a', 'b']
    """
    treedef = jax.tree.structure(target_tree)
    keys = jax.random.split(rng_key, treedef.num_leaves)
    return jax.tree.unflatten(treedef, list(keys))


def tree_random_like(
    rng_key: jax.Array,
    target_tree: Any,
    sampler: Callable[..., jax.Array] = jax.random.normal,
    dtype: DTypeLike | None = None,
) -> Any:
    """A tree of random arrays with ``target_tree``'s structure and shapes.

    Each leaf gets its own key from ``tree_split_key_like`` and is drawn as
    ``sampler(key, leaf.shape, dtype or leaf.dtype)``; a sampler that accepts
    ``out_sharding`` also receives the leaf's sharding.

    Args:
        rng_key: the PRNG key.
        target_tree: the tree to imitate; leaves must have shape and dtype.
        sampler: ``jax.random.normal`` (default), ``uniform``, ``rademacher``, ...
        dtype: dtype of every leaf; None uses each leaf's dtype.

    Example:
        >>> import gradtx, jax, jax.numpy as jnp
        >>> noise = gradtx.tree_utils.tree_random_like(jax.random.key(0), {"w": jnp.zeros((2, 3))})
        >>> noise["w"].shape
        (2, 3)
    """
    keys = tree_split_key_like(rng_key, target_tree)
    try:
        takes_sharding = "out_sharding" in inspect.signature(sampler).parameters
    except (TypeError, ValueError):
        takes_sharding = False

    def draw(leaf, key):
        leaf_dtype = dtype or leaf.dtype
        if takes_sharding:
            return sampler(key, leaf.shape, leaf_dtype, out_sharding=jax.typeof(leaf).sharding)
        return sampler(key, leaf.shape, leaf_dtype)

    return jax.tree.map(draw, target_tree, keys)


def tree_unwrap_random_key_data(input_tree: Any) -> Any:
    """Replace typed PRNG key leaves (``jax.random.key``) by their raw ``key_data``.

    Lets trees that hold keys be compared numerically (``tree_allclose``,
    ``np.testing``); other leaves are unchanged.

    Example:
        >>> import gradtx, jax
        >>> gradtx.tree_utils.tree_unwrap_random_key_data([jax.random.key(0)])[0].dtype
        dtype('uint32')
    """

    def unwrap(x):
        if isinstance(x, jax.Array) and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key):
            return jax.random.key_data(x)
        return x

    return jax.tree.map(unwrap, input_tree)
