"""Projections onto the simplex, and onto l1 spheres and balls built on it."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from jax import flatten_util

from gradtx.tree_utils._arithmetic import tree_where


@jax.custom_jvp
def _unit_simplex(v: jax.Array) -> jax.Array:
    """Sort-based projection of a vector onto ``{p >= 0, sum(p) = 1}`` (Held et al. 1974).

    The threshold ``tau`` is found from the sorted values ``u_1 >= u_2 >= ...``:
    ``rho = max{k : u_k > (sum_{j<=k} u_j - 1) / k}``, ``tau = (sum_{j<=rho} u_j - 1) / rho``,
    and ``p = max(v - tau, 0)``. ``-inf`` entries get 0.
    """
    u = jnp.flip(jnp.sort(v))
    cumsum = jnp.cumsum(u)
    k = jnp.arange(1, v.shape[0] + 1, dtype=v.dtype)
    rho = jnp.sum(u * k > cumsum - 1)
    tau = (cumsum[rho - 1] - 1) / rho.astype(v.dtype)
    return jnp.maximum(v - tau, 0)


@_unit_simplex.defjvp
def _unit_simplex_jvp(primals, tangents):
    (v,), (dv,) = primals, tangents
    p = _unit_simplex(v)
    support = (p > 0).astype(v.dtype)
    # On the support the projection is v - tau with sum fixed: dp = dv - mean_support(dv).
    mean = jnp.sum(support * dv) / jnp.sum(support)
    return p, support * (dv - mean)


def projection_simplex(tree: Any, scale: jax.typing.ArrayLike = 1) -> Any:
    """Project onto the simplex ``{p >= 0, sum(p) = scale}``, all leaves taken together.

        argmin_p |x - p|^2  subject to  p >= 0, sum(p) = scale
        p = max(x - tau, 0),  tau such that sum(p) = scale

    ``tau`` comes from sorting (O(n log n)). The result is differentiable almost
    everywhere (a custom JVP: on the support, the tangent minus its mean).

    Args:
      tree: the tree to project; its leaves are flattened into one vector.
      scale: what the projection sums to, > 0 (default 1: the probability simplex).

    Returns:
      the projected tree, with ``tree``'s structure.

    References:
      Held, Wolfe and Crowder, Validation of subgradient optimization, Math.
      Programming 1974; Duchi et al., Efficient projections onto the l1-ball for
      learning in high dimensions, ICML 2008.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> print(gradtx.projections.projection_simplex(jnp.array([2.0, 1.5, -1.0])))
      [0.75 0.25 0.  ]
    """
    values, unravel = flatten_util.ravel_pytree(tree)
    return unravel(scale * _unit_simplex(values / scale))


def projection_l1_sphere(tree: Any, scale: jax.typing.ArrayLike = 1) -> Any:
    """Project onto the l1 sphere ``{y : sum |y_i| = scale}``.

        y = sign(x) * projection_simplex(|x|, scale)

    Args:
      tree: the tree to project.
      scale: the radius of the sphere, > 0.

    Returns:
      the projected tree, with ``tree``'s structure.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> print(gradtx.projections.projection_l1_sphere(jnp.array([2.0, -1.5, 0.1])))
      [ 0.75 -0.25  0.  ]
    """
    magnitudes = projection_simplex(jax.tree.map(jnp.abs, tree), scale)
    return jax.tree.map(lambda x, m: jnp.sign(x) * m, tree, magnitudes)


def projection_l1_ball(tree: Any, scale: jax.typing.ArrayLike = 1) -> Any:
    """Project onto the l1 ball ``{y : sum |y_i| <= scale}``.

    Points inside are returned as they are; points outside go to the l1 sphere.

    Args:
      tree: the tree to project.
      scale: the radius of the ball, > 0.

    Returns:
      the projected tree, with ``tree``'s structure.

    References:
      Duchi et al., Efficient projections onto the l1-ball for learning in high
      dimensions, ICML 2008.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> print(gradtx.projections.projection_l1_ball(jnp.array([2.0, -1.5, 0.1])))
      [ 0.75 -0.25  0.  ]
      >>> print(gradtx.projections.projection_l1_ball(jnp.array([0.5, -0.25])))
      [ 0.5  -0.25]
    """
    l1_norm = sum(jnp.sum(jnp.abs(x)) for x in jax.tree.leaves(tree))
    return tree_where(l1_norm <= scale, tree, projection_l1_sphere(tree, scale))
