"""Proximal operators: ``prox(x, hyperparams, scaling) = argmin_y |y - x|^2 / 2 + scaling * h(y)``.

Names, signatures and penalties are jaxopt's (jaxopt.prox), so ported code keeps
working. Every operator maps over the leaves of a pytree (None leaves stay None),
keeps each leaf's dtype, and accepts Python numbers, arrays or (where said) pytrees
of hyperparameters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp


def _like(x: jax.Array, h: Any) -> jax.Array:
    return jnp.asarray(h).astype(x.dtype)


def _per_leaf(h: Any, x: Any) -> Any:
    """Broadcast a scalar hyperparameter to the tree of ``x``, or keep a tree of them."""
    if isinstance(h, int | float) or (hasattr(h, "shape") and not isinstance(h, dict | list)):
        return jax.tree.map(lambda _: h, x)
    return h


def _soft(x: jax.Array, thresh: Any) -> jax.Array:
    t = _like(x, thresh)
    return jnp.sign(x) * jnp.maximum(jnp.abs(x) - t, jnp.zeros((), x.dtype))


def prox_none(x: Any, hyperparams: Any = None, scaling: Any = 1.0) -> Any:
    """The prox of ``h = 0``: the identity.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.proximal.prox_none(jnp.array([1.0, -2.0]))
        Array([ 1., -2.], dtype=float32)
    """
    del hyperparams, scaling
    return x


def prox_lasso(x: Any, l1reg: Any = None, scaling: Any = 1.0) -> Any:
    """Soft thresholding, the prox of ``h(y) = l1reg * |y|_1``.

    Rule (leafwise): ``y = sign(x) * max(|x| - scaling * l1reg, 0)``.

    Args:
        x: a pytree.
        l1reg: >= 0, a number or a pytree like ``x`` (weights per leaf or per
            coordinate); None means 1.
        scaling: > 0, usually the step size.

    Returns:
        A pytree like ``x``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.proximal.prox_lasso(jnp.array([2.0, -3.0, 0.1]), 0.25, 2.0)
        Array([ 1.5, -2.5,  0. ], dtype=float32)
    """
    l1reg = 1.0 if l1reg is None else l1reg
    return jax.tree.map(lambda v, lam: _soft(v, jnp.asarray(scaling) * lam), x, _per_leaf(l1reg, x))


def prox_non_negative_lasso(x: Any, l1reg: Any = None, scaling: Any = 1.0) -> Any:
    """The prox of ``l1reg * |y|_1`` restricted to ``y >= 0``: ``max(x - scaling * l1reg, 0)``.

    Args:
        x: a pytree.
        l1reg: >= 0, a number or a pytree like ``x``; None means 1.
        scaling: > 0.

    Returns:
        A pytree like ``x``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.proximal.prox_non_negative_lasso(jnp.array([2.0, -3.0]), 0.5)
        Array([1.5, 0. ], dtype=float32)
    """
    l1reg = 1.0 if l1reg is None else l1reg

    def leaf(v, lam):
        return jnp.maximum(v - _like(v, jnp.asarray(scaling) * lam), jnp.zeros((), v.dtype))

    return jax.tree.map(leaf, x, _per_leaf(l1reg, x))


def prox_elastic_net(x: Any, hyperparams: Any = None, scaling: Any = 1.0) -> Any:
    """The prox of the elastic net ``h(y) = a * (|y|_1 + b / 2 * |y|_2^2)``, ``(a, b) = hyperparams``.

    Rule (leafwise): ``y = soft(x, scaling * a) / (1 + scaling * a * b)``.
    scikit-learn's ``ElasticNet(alpha, l1_ratio)`` penalty is this with
    ``a = alpha * l1_ratio`` and ``b = (1 - l1_ratio) / l1_ratio``.

    Args:
        x: a pytree.
        hyperparams: ``(a, b)``, each >= 0, a number or a pytree like ``x``;
            None means ``(1, 1)``.
        scaling: > 0.

    Returns:
        A pytree like ``x``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.proximal.prox_elastic_net(jnp.array([3.0, 0.5]), (1.0, 1.0))
        Array([1., 0.], dtype=float32)
    """
    a, b = (1.0, 1.0) if hyperparams is None else hyperparams

    def leaf(v, a_, b_):
        sa = jnp.asarray(scaling) * a_
        return _soft(v, sa) / (1 + _like(v, sa * b_))

    return jax.tree.map(leaf, x, _per_leaf(a, x), _per_leaf(b, x))


def prox_ridge(x: Any, l2reg: Any = 1.0, scaling: Any = 1.0) -> Any:
    """The prox of ``h(y) = l2reg / 2 * |y|_2^2``: ``x / (1 + scaling * l2reg)``.

    The same numbers as ``jaxopt.prox.prox_ridge`` (whose docstring writes the
    penalty without the 1/2, while its code computes this).

    Args:
        x: a pytree.
        l2reg: >= 0, a number; None means 1.
        scaling: > 0.

    Returns:
        A pytree like ``x``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.proximal.prox_ridge(jnp.array([3.0, -1.5]), 2.0)
        Array([ 1. , -0.5], dtype=float32)
    """
    l2reg = 1.0 if l2reg is None else l2reg
    return jax.tree.map(lambda v: v / (1 + _like(v, jnp.asarray(scaling) * l2reg)), x)


def prox_non_negative_ridge(x: Any, l2reg: Any = 1.0, scaling: Any = 1.0) -> Any:
    """The prox of ``l2reg / 2 * |y|_2^2`` restricted to ``y >= 0``: ``max(x, 0) / (1 + scaling l2reg)``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.proximal.prox_non_negative_ridge(jnp.array([3.0, -1.5]), 2.0)
        Array([1., 0.], dtype=float32)
    """
    ridge = prox_ridge(x, l2reg, scaling)
    return jax.tree.map(lambda v: jnp.maximum(v, jnp.zeros((), v.dtype)), ridge)


def prox_group_lasso(x: Any, l2reg: Any = 1.0, scaling: Any = 1.0) -> Any:
    """Block soft thresholding, the prox of ``h(y) = l2reg * |y|_2`` over the whole pytree.

    Rule: ``y = max(1 - scaling * l2reg / |x|_2, 0) * x``: the group shrinks
    toward zero and vanishes when its norm is below ``scaling * l2reg``. The
    pytree is one group, as in jaxopt; for several groups (rows of a matrix,
    say) ``jax.vmap`` it over the group axis.

    Args:
        x: a pytree (one group).
        l2reg: >= 0, a number; None means 1.
        scaling: > 0.

    Returns:
        A pytree like ``x``.

    Example:
        >>> import gradtx, jax, jax.numpy as jnp
        >>> rows = jnp.array([[3.0, 4.0], [0.3, 0.4]])  # norms 5 and 0.5
        >>> jax.vmap(lambda r: gradtx.proximal.prox_group_lasso(r, 1.0))(rows)
        Array([[2.4, 3.2],
               [0. , 0. ]], dtype=float32)
    """
    l2reg = 1.0 if l2reg is None else l2reg
    leaves = jax.tree.leaves(x)
    if not leaves:
        return x
    wide = jnp.result_type(jnp.float32, *leaves)
    norm = jnp.sqrt(sum(jnp.sum(jnp.square(v.astype(wide))) for v in leaves))
    factor = jnp.maximum(
        1 - jnp.asarray(scaling) * l2reg / jnp.maximum(norm, jnp.finfo(wide).tiny), 0
    )
    return jax.tree.map(lambda v: v * factor.astype(v.dtype), x)


def prox_box(x: Any, hyperparams: Any = None, scaling: Any = 1.0) -> Any:
    """The prox of the indicator of a box: the projection ``clip(x, lower, upper)``.

    Args:
        x: a pytree.
        hyperparams: ``(lower, upper)``, numbers or pytrees like ``x``, with
            ``lower <= upper``; None means ``(0, 1)``.
        scaling: ignored (a projection does not depend on the step).

    Returns:
        A pytree like ``x``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.proximal.prox_box(jnp.array([-1.0, 0.5, 2.0]), (0.0, 1.0))
        Array([0. , 0.5, 1. ], dtype=float32)
    """
    del scaling
    lower, upper = (0.0, 1.0) if hyperparams is None else hyperparams

    def leaf(v, lo, hi):
        return jnp.clip(v, _like(v, lo), _like(v, hi))

    return jax.tree.map(leaf, x, _per_leaf(lower, x), _per_leaf(upper, x))


def prox_non_negative(x: Any, hyperparams: Any = None, scaling: Any = 1.0) -> Any:
    """The prox of the indicator of ``y >= 0``: ``max(x, 0)``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.proximal.prox_non_negative(jnp.array([-1.0, 2.0]))
        Array([0., 2.], dtype=float32)
    """
    del hyperparams, scaling
    return jax.tree.map(lambda v: jnp.maximum(v, jnp.zeros((), v.dtype)), x)


def make_prox_from_projection(projection: Callable) -> Callable:
    """Turn a projection ``projection(x, hyperparams) -> x`` (or ``projection(x)``) into a prox.

    The prox of the indicator of a convex set is the projection onto it,
    whatever the scaling. Use it with the projections of
    ``gradtx.projections`` to constrain ``fista`` or ``proximal_gradient``.

    Args:
        projection: ``projection(x, hyperparams)``; called as
            ``projection(x)`` when hyperparams is None.

    Returns:
        ``prox(x, hyperparams=None, scaling=1.0)``.

    Raises:
        TypeError: ``projection`` not callable.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> unit_ball = lambda x: x / jnp.maximum(jnp.linalg.norm(x), 1.0)
        >>> prox = gradtx.proximal.make_prox_from_projection(unit_ball)
        >>> prox(jnp.array([3.0, 4.0]), None, 0.1)
        Array([0.6, 0.8], dtype=float32)
    """
    if not callable(projection):
        raise TypeError(
            f"gradtx.proximal.make_prox_from_projection: projection must be callable; got "
            f"{type(projection).__name__}."
        )

    def prox(x, hyperparams=None, scaling=1.0):
        del scaling
        return projection(x) if hyperparams is None else projection(x, hyperparams)

    return prox
