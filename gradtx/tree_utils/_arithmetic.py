"""Leafwise arithmetic on pytrees: sums, differences, products, scaling, selection."""

from __future__ import annotations

import operator
from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from gradtx.tree_utils._tree_math import is_none


def tree_add(tree_x: Any, tree_y: Any, *other_trees: Any) -> Any:
    """Leafwise sum of two or more trees of the same structure.

    Args:
        tree_x: first tree.
        tree_y: second tree.
        *other_trees: more trees to add.

    Returns:
        ``tree_x + tree_y + ...`` leaf by leaf.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.tree_utils.tree_add({"a": jnp.ones(2)}, {"a": jnp.ones(2)}, {"a": jnp.ones(2)})
        {'a': Array([3., 3.], dtype=float32)}
    """

    def add(*leaves):
        total = leaves[0]
        for leaf in leaves[1:]:
            total = total + leaf
        return total

    return jax.tree.map(add, tree_x, tree_y, *other_trees)


def tree_sub(tree_x: Any, tree_y: Any) -> Any:
    """Leafwise difference ``tree_x - tree_y``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.tree_utils.tree_sub([jnp.ones(2)], [jnp.ones(2)])
        [Array([0., 0.], dtype=float32)]
    """
    return jax.tree.map(operator.sub, tree_x, tree_y)


def tree_mul(tree_x: Any, tree_y: Any) -> Any:
    """Leafwise product ``tree_x * tree_y``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.tree_utils.tree_mul([jnp.array([2.0])], [jnp.array([3.0])])
        [Array([6.], dtype=float32)]
    """
    return jax.tree.map(operator.mul, tree_x, tree_y)


def tree_div(tree_x: Any, tree_y: Any) -> Any:
    """Leafwise quotient ``tree_x / tree_y``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.tree_utils.tree_div([jnp.array([3.0])], [jnp.array([2.0])])
        [Array([1.5], dtype=float32)]
    """
    return jax.tree.map(operator.truediv, tree_x, tree_y)


def tree_scale(scalar: ArrayLike, tree: Any) -> Any:
    """Multiply every leaf by one scalar: ``scalar * tree``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.tree_utils.tree_scale(2.0, {"w": jnp.array([1.0, -1.0])})
        {'w': Array([ 2., -2.], dtype=float32)}
    """
    return jax.tree.map(lambda x: scalar * x, tree)


def tree_add_scale(tree_x: Any, scalar: ArrayLike, tree_y: Any) -> Any:
    """``tree_x + scalar * tree_y`` leaf by leaf; a None leaf of ``tree_x`` stays None.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.tree_utils.tree_add_scale([jnp.ones(2)], 0.5, [jnp.ones(2)])
        [Array([1.5, 1.5], dtype=float32)]
    """
    scalar = jnp.asarray(scalar)
    return jax.tree.map(
        lambda x, y: None if x is None else x + scalar * y, tree_x, tree_y, is_leaf=is_none
    )


def tree_conj(tree: Any) -> Any:
    """The complex conjugate of every leaf (real leaves unchanged).

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.tree_utils.tree_conj([jnp.array([1 + 2j])])
        [Array([1.-2.j], dtype=complex64)]
    """
    return jax.tree.map(jnp.conj, tree)


def tree_real(tree: Any) -> Any:
    """The real part of every leaf.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.tree_utils.tree_real([jnp.array([1 + 2j])])
        [Array([1.], dtype=float32)]
    """
    return jax.tree.map(jnp.real, tree)


def tree_clip(
    tree: Any, min_value: ArrayLike | None = None, max_value: ArrayLike | None = None
) -> Any:
    """Clip every leaf to ``[min_value, max_value]``; a None bound is not applied.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.tree_utils.tree_clip([jnp.array([-2.0, 0.5, 2.0])], -1.0, 1.0)
        [Array([-1. ,  0.5,  1. ], dtype=float32)]
    """
    return jax.tree.map(lambda x: jnp.clip(x, min_value, max_value), tree)


def tree_where(condition: ArrayLike, tree_x: Any, tree_y: Any) -> Any:
    """Leafwise ``jnp.where(condition, x, y)``: ``tree_x`` where ``condition`` holds, else ``tree_y``.

    ``condition`` is usually a scalar boolean (a traced one is fine, so this is a
    branch-free select under ``jit``); it broadcasts against each leaf.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.tree_utils.tree_where(jnp.array(False), [jnp.ones(2)], [jnp.zeros(2)])
        [Array([0., 0.], dtype=float32)]
    """
    return jax.tree.map(lambda x, y: jnp.where(condition, x, y), tree_x, tree_y)
