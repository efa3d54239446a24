"""Reductions of a whole pytree to one number: sums, extrema, inner products, norms."""

from __future__ import annotations

import functools
import operator
from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike, DTypeLike

from gradtx.tree_utils._sharding import leaf_vdot
from gradtx.tree_utils._tree_math import abs_sq, promote_operands, promoted, promoted_dtype


def tree_sum(tree: Any, associative_reduction: bool = False) -> jax.Array:
    """The sum of every element of every leaf.

    Args:
        tree: a pytree of arrays.
        associative_reduction: add the per-leaf sums as a balanced tree
            (``jax.tree.reduce_associative``), which can compile faster for
            trees with many leaves; the order of summation, and so the last
            bits of a float result, may change.

    Returns:
        A scalar; 0 for a tree without leaves.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.tree_utils.tree_sum({"a": jnp.ones(3), "b": jnp.full(2, 2.0)})
        Array(7., dtype=float32)
    """
    sums = [jnp.sum(x) for x in jax.tree.leaves(tree)]
    if associative_reduction and sums:
        return jax.tree.reduce_associative(operator.add, sums)
    return functools.reduce(operator.add, sums, 0)


def _reduce_nonempty(fn, reduce, init, tree):
    parts = [fn(x) for x in jax.tree.leaves(tree) if jnp.size(x) > 0]
    return functools.reduce(reduce, parts, init)


def tree_max(tree: Any) -> jax.Array:
    """The largest element of the tree; ``-inf`` when it holds no elements.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.tree_utils.tree_max([jnp.array([1.0, 5.0]), jnp.array([3.0])])
        Array(5., dtype=float32)
    """
    return _reduce_nonempty(jnp.max, jnp.maximum, -float("inf"), tree)


def tree_min(tree: Any) -> jax.Array:
    """The smallest element of the tree; ``inf`` when it holds no elements.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.tree_utils.tree_min([jnp.array([1.0, 5.0]), jnp.array([-3.0])])
        Array(-3., dtype=float32)
    """
    return _reduce_nonempty(jnp.min, jnp.minimum, float("inf"), tree)


def tree_size(tree: Any) -> int:
    """The total number of elements in all leaves (a Python int).

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.tree_utils.tree_size({"w": jnp.zeros((2, 3)), "b": jnp.zeros(3)})
        9
    """
    return sum(int(jnp.size(x)) for x in jax.tree.leaves(tree))


def tree_vdot(tree_x: Any, tree_y: Any) -> jax.Array:
    """The inner product ``sum_i vdot(x_i, y_i)`` of two trees of the same structure.

    ``tree_x`` is conjugated for complex leaves (as ``jnp.vdot``); each leaf's
    product runs at ``Precision.HIGHEST`` so a float32 product on an accelerator
    is not computed in reduced precision. Each pair of leaves is multiplied and
    summed in their promoted dtype (an integer tree gives an integer, as optax);
    to accumulate in a wider dtype, cast first:
    ``tree_vdot(tree_cast(x, jnp.float64), tree_cast(y, jnp.float64))``.

    Returns:
        A scalar (0 for trees without leaves).

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.tree_utils.tree_vdot({"a": jnp.array([1.0, 2.0])}, {"a": jnp.array([3.0, 4.0])})
        Array(11., dtype=float32)
    """
    leaves_x, treedef = jax.tree.flatten(tree_x)
    leaves_y = treedef.flatten_up_to(tree_y)
    parts = [leaf_vdot(*promote_operands(x, y)) for x, y in zip(leaves_x, leaves_y)]
    # Added left to right, each sum in the dtype of its two operands (as optax's 0 + p1 + ...).
    return jnp.asarray(functools.reduce(lambda a, b: promoted(jnp.add, a, b), parts, 0))


def _sum_promoted(parts):
    """Add scalars of possibly different dtypes, all cast to their promoted dtype first."""
    dtype = promoted_dtype(*parts)
    return functools.reduce(operator.add, [p.astype(dtype) for p in parts])


def accumulation_dtype(dtype) -> jnp.dtype:
    """The dtype a reduction of ``dtype`` values accumulates in: real, float32 or wider."""
    dtype = jnp.dtype(dtype)
    if jnp.issubdtype(dtype, jnp.complexfloating):
        dtype = jnp.finfo(dtype).dtype
    return promoted_dtype(dtype, jnp.float32)


def tree_sum_of_squares(tree: Any, dtype: DTypeLike | None = None) -> jax.Array:
    """``sum_i sum(|x_i|^2)`` over all leaves, accumulated in float32 or wider.

    Each leaf is squared and summed in the wider of its own dtype and ``dtype``
    (float32 by default), so a bfloat16 tree's norm does not lose the bits
    bfloat16 would drop and float64 leaves stay float64; the per-leaf sums are
    then added in their promoted dtype. Complex leaves contribute ``|x|^2``
    (a real number).

    Args:
        tree: a pytree of arrays (real or complex).
        dtype: the narrowest accumulation dtype (a real float dtype); None
            means float32. ``dtype=jnp.float64`` sums a float32 tree in float64
            (as the scalar state of DoG, Mechanic and MoMo needs).

    Returns:
        A real scalar of the accumulation dtype (``dtype``, or float32, for an
        empty tree).

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.tree_utils.tree_sum_of_squares([jnp.array([3.0, 4.0], jnp.bfloat16)])
        Array(25., dtype=float32)
    """
    floor = jnp.float32 if dtype is None else dtype
    leaves = jax.tree.leaves(tree)
    if not leaves:
        return jnp.zeros((), accumulation_dtype(floor))

    def leaf_sum(x):
        x = jnp.asarray(x)
        wide = x.astype(promoted_dtype(x.dtype, floor))  # complex stays complex
        return jnp.sum(abs_sq(wide))

    return _sum_promoted([leaf_sum(x) for x in leaves])


def tree_norm(tree: Any, ord: int | str | float | None = None, squared: bool = False) -> jax.Array:  # noqa: A002
    """The vector norm of all leaves taken together.

    ``ord=None`` or ``2``: ``sqrt(sum |x|^2)`` (computed by ``tree_sum_of_squares``);
    ``ord=1``: ``sum |x|``; ``ord=inf`` (or ``"inf"``, ``"infinity"``): ``max |x|``.
    Every order is accumulated and returned in float32 or wider (a bfloat16 tree
    gives a float32 norm; optax returns the leaves' dtype).

    Args:
        tree: a pytree of arrays (real or complex).
        ord: 1, 2, ``None`` (= 2) or infinity.
        squared: return the norm squared.

    Returns:
        A real scalar.

    Raises:
        ValueError: any other ``ord``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tree = {"a": jnp.array([3.0, -4.0])}
        >>> gradtx.tree_utils.tree_norm(tree), gradtx.tree_utils.tree_norm(tree, ord=1)
        (Array(5., dtype=float32), Array(7., dtype=float32))
    """
    if ord is None or (not isinstance(ord, str) and ord == 2):
        sq = tree_sum_of_squares(tree)
        return sq if squared else jnp.sqrt(sq)
    leaves = jax.tree.leaves(tree)
    acc = functools.reduce(
        promoted_dtype, [accumulation_dtype(jnp.result_type(x)) for x in leaves], jnp.float32
    )
    magnitudes = [jnp.abs(jnp.asarray(x)).astype(acc) for x in leaves]
    if not isinstance(ord, str) and ord == 1:
        value = functools.reduce(operator.add, [jnp.sum(m) for m in magnitudes], jnp.zeros((), acc))
    elif ord in ("inf", "infinity") or (not isinstance(ord, str) and ord == float("inf")):
        value = _reduce_nonempty(jnp.max, jnp.maximum, jnp.zeros((), acc), magnitudes)
    else:
        raise ValueError(
            f"gradtx.tree_utils.tree_norm(ord={ord!r}): ord must be None, 1, 2 or inf; got {ord!r}."
        )
    return value * value if squared else value


def tree_allclose(
    a: Any,
    b: Any,
    rtol: ArrayLike = 1e-05,
    atol: ArrayLike = 1e-08,
    equal_nan: bool = False,
) -> jax.Array | bool:
    """Whether two trees are equal leaf by leaf within ``atol + rtol * |b|`` (``jnp.allclose``).

    Returns:
        A boolean scalar (``True`` for trees without leaves).

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> bool(gradtx.tree_utils.tree_allclose([jnp.array(1.0)], [jnp.array(1.0 + 1e-7)]))
        True
    """
    results = jax.tree.leaves(
        jax.tree.map(
            lambda x, y: jnp.allclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan), a, b
        )
    )
    return functools.reduce(operator.and_, results, True)
