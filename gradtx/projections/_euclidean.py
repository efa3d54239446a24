"""Projections onto l2 balls and spheres, vectors, hyperplanes and halfspaces."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from gradtx.tree_utils._arithmetic import tree_add_scale, tree_scale
from gradtx.tree_utils._reductions import tree_sum_of_squares, tree_vdot


def projection_l2_sphere(tree: Any, scale: jax.typing.ArrayLike = 1) -> Any:
    """Project onto the l2 sphere ``{y : |y|_2 = scale}``: ``y = scale * x / |x|_2``.

    Args:
      tree: the tree to project (nonzero; the zero tree gives NaN, as in optax).
      scale: the radius of the sphere, > 0.

    Returns:
      the projected tree, with ``tree``'s structure.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> print(gradtx.projections.projection_l2_sphere(jnp.array([3.0, 4.0])))
      [0.6 0.8]
    """
    return tree_scale(scale / jnp.sqrt(tree_sum_of_squares(tree)), tree)


def projection_l2_ball(tree: Any, scale: jax.typing.ArrayLike = 1) -> Any:
    """Project onto the l2 ball ``{y : |y|_2 <= scale}``: ``y = x * scale / max(|x|_2, scale)``.

    Args:
      tree: the tree to project.
      scale: the radius of the ball, > 0.

    Returns:
      the projected tree, with ``tree``'s structure.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> print(gradtx.projections.projection_l2_ball(jnp.array([3.0, 4.0]), scale=10.0))
      [3. 4.]
    """
    squared_norm = tree_sum_of_squares(tree)
    return tree_scale(scale / jnp.sqrt(jnp.maximum(squared_norm, scale**2)), tree)


def projection_vector(x: Any, a: Any) -> Any:
    """Project ``x`` onto the line spanned by ``a``: ``(<x, a> / <a, a>) a``.

    Args:
      x: the tree to project.
      a: a nonzero tree with ``x``'s structure.

    Returns:
      the projected tree, with ``x``'s structure.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> print(gradtx.projections.projection_vector(jnp.array([1.0, 2.0]), jnp.array([1.0, 0.0])))
      [1. 0.]
    """
    return tree_scale(tree_vdot(x, a) / tree_vdot(a, a), a)


def projection_hyperplane(x: Any, a: Any, b: jax.typing.ArrayLike) -> Any:
    """Project ``x`` onto the hyperplane ``{y : <a, y> = b}``.

        y = x + ((b - <a, x>) / <a, a>) a

    Args:
      x: the tree to project.
      a: the normal of the hyperplane, a nonzero tree with ``x``'s structure.
      b: the offset, a scalar.

    Returns:
      the projected tree, with ``x``'s structure.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> x, a = jnp.array([1.0, 2.0]), jnp.array([1.0, 1.0])
      >>> print(gradtx.projections.projection_hyperplane(x, a, 1.0))
      [0. 1.]
    """
    return tree_add_scale(x, (b - tree_vdot(a, x)) / tree_vdot(a, a), a)


def projection_halfspace(x: Any, a: Any, b: jax.typing.ArrayLike) -> Any:
    """Project ``x`` onto the halfspace ``{y : <a, y> <= b}``.

        y = x + min(0, (b - <a, x>) / <a, a>) a

    Points inside are returned unchanged.

    Args:
      x: the tree to project.
      a: the outward normal, a nonzero tree with ``x``'s structure.
      b: the offset, a scalar.

    Returns:
      the projected tree, with ``x``'s structure.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> x, a = jnp.array([1.0, 2.0]), jnp.array([1.0, 1.0])
      >>> print(gradtx.projections.projection_halfspace(x, a, 5.0))
      [1. 2.]
    """
    step = jnp.minimum((b - tree_vdot(a, x)) / tree_vdot(a, a), 0)
    return tree_add_scale(x, step, a)
