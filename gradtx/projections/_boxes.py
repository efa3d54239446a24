"""Projections onto boxes: the non-negative orthant, boxes, hypercubes and l-infinity balls."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp


def _as_tree_like(tree: Any, bound: Any) -> Any:
    """``bound`` itself if it is a tree shaped like ``tree``, else one copy of it per leaf."""
    if jax.tree.structure(bound) == jax.tree.structure(tree):
        return bound
    if jax.tree.structure(bound).num_leaves == 1 and jax.tree.leaves(bound):
        value = jax.tree.leaves(bound)[0]
        return jax.tree.map(lambda _: value, tree)
    raise ValueError(
        "gradtx.projections: a bound must be a scalar (or array) or a tree with the "
        f"structure of the input; got {jax.tree.structure(bound)} for input "
        f"{jax.tree.structure(tree)}."
    )


def projection_non_negative(tree: Any) -> Any:
    """Project onto the non-negative orthant: ``argmin_{p >= 0} |x - p|^2 = max(x, 0)``.

    Args:
      tree: the tree to project.

    Returns:
      the projected tree, with ``tree``'s structure.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> print(gradtx.projections.projection_non_negative(jnp.array([-1.0, 2.0])))
      [0. 2.]
    """
    return jax.tree.map(jax.nn.relu, tree)


def projection_box(tree: Any, lower: Any, upper: Any) -> Any:
    """Project onto the box ``lower <= p <= upper``: clip each entry.

        argmin_p |x - p|^2  subject to  lower <= p <= upper   =   clip(x, lower, upper)

    Args:
      tree: the tree to project.
      lower: the lower bound, a scalar (or array broadcastable to every leaf) or a
        tree with ``tree``'s structure.
      upper: the upper bound, likewise; ``lower <= upper`` is assumed.

    Returns:
      the projected tree, with ``tree``'s structure.

    Differences from optax: a scalar bound also works when ``tree`` has several
    leaves (optax requires one bound per leaf then).

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> print(gradtx.projections.projection_box(jnp.array([-2.0, 0.5, 3.0]), -1.0, 1.0))
      [-1.   0.5  1. ]
    """
    return jax.tree.map(jnp.clip, tree, _as_tree_like(tree, lower), _as_tree_like(tree, upper))


def projection_hypercube(tree: Any, scale: Any = 1) -> Any:
    """Project onto the hypercube ``0 <= p <= scale``: ``projection_box(tree, 0, scale)``.

    Args:
      tree: the tree to project.
      scale: the side of the hypercube, a scalar or a tree (default 1: the unit cube).

    Returns:
      the projected tree, with ``tree``'s structure.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> print(gradtx.projections.projection_hypercube(jnp.array([-2.0, 0.5, 3.0])))
      [0.  0.5 1. ]
    """
    return projection_box(tree, lower=0, upper=scale)


def projection_linf_ball(tree: Any, scale: jax.typing.ArrayLike = 1) -> Any:
    """Project onto the l-infinity ball ``max_i |p_i| <= scale``: clip to ``[-scale, scale]``.

    Args:
      tree: the tree to project.
      scale: the radius of the ball, >= 0.

    Returns:
      the projected tree, with ``tree``'s structure.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> print(gradtx.projections.projection_linf_ball(jnp.array([-2.0, 0.5, 3.0])))
      [-1.   0.5  1. ]
    """
    return jax.tree.map(lambda x: jnp.clip(x, -scale, scale), tree)
