"""Internal tree helpers: the one-level pytree walker, the tree-difference engine behind structure errors, and None-aware maps over several trees."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


def map_leaves_with_stats(where: str, f, n_out: int, updates, *stats):
    """Map ``f(g, *stat_leaves)`` over the leaves of ``updates``; return ``n_out`` trees.

    Each tree in ``stats`` has the updates' structure down to the updates'
    leaves, where it may hold arrays of other shapes (factored statistics,
    placeholders) or lists of arrays, so unlike ``zip_map`` shapes are not
    compared.
    """
    leaves, treedef = jax.tree.flatten(updates)
    try:
        rest = [treedef.flatten_up_to(s) for s in stats]
    except (ValueError, TypeError):
        for i, s in enumerate(stats):
            diff = first_difference("updates", updates, f"state[{i}]", s, check_shapes=False)
            if diff is not None:
                raise ValueError(f"{where}: {diff}; was the state built by this init?") from None
        raise
    outs = [f(*xs) for xs in zip(leaves, *rest, strict=True)]
    return tuple(treedef.unflatten([o[k] for o in outs]) for k in range(n_out))


def is_none(x: Any) -> bool:
    return x is None


KeyPath = tuple[Any, ...]


def is_tree_leaf(node: Any) -> bool:
    """True for a pytree leaf. None and containers (empty ones too) are not leaves."""
    return jax.tree_util.all_leaves([node])


def tree_children(node: Any, path: KeyPath = ()) -> tuple[list[tuple[KeyPath, Any]], Any]:
    """One level of a pytree node: ``([(child_path, child), ...], treedef)``.

    Children come in JAX's flatten order (dict keys sorted), each with ``path``
    extended by its JAX key entry; ``treedef.unflatten(new_children)`` rebuilds the
    node. A None child is listed as a child. Leaves and None have no children and
    no treedef: ``([], None)``. This is the one walker behind ``tree_get`` /
    ``tree_set`` and the structure messages of ``first_difference``.
    """
    if node is None or is_tree_leaf(node):
        return [], None
    kids, treedef = jax.tree_util.tree_flatten_with_path(node, is_leaf=lambda x: x is not node)
    return [((*path, *p), v) for p, v in kids], treedef


def _shape(x) -> tuple[int, ...]:
    return tuple(np.shape(x)) if not hasattr(x, "shape") else tuple(x.shape)


def _describe(node) -> str:
    if node is None:
        return "None"
    if is_tree_leaf(node):
        return f"a leaf ({type(node).__name__})"
    return f"a {type(node).__name__}"


def _where(path: KeyPath) -> str:
    return jax.tree_util.keystr(path) or "<root>"


def first_difference(
    a_name: str, a, b_name: str, b, *, prefix: bool = False, check_shapes: bool = True
) -> str | None:
    """Describe the first place where two trees differ, or return None.

    By default the trees must have the same structure: a None in either tree
    matches a leaf or None in the other, and with ``check_shapes`` matching leaves
    must have the same shape. With ``prefix=True``, ``a`` must be a tree prefix of
    ``b`` (what ``jax.tree.map(f, a, b)`` needs): a leaf of ``a`` covers the whole
    subtree of ``b`` at its place, None is an empty node, and shapes are not
    compared. The message starts ``"<a_name> and <b_name> differ at path ..."``.
    """
    if not prefix:
        # The common case, trees that agree, costs two flattens and no Python walk.
        a_leaves, a_def = jax.tree_util.tree_flatten_with_path(a, is_leaf=is_none)
        b_leaves, b_def = jax.tree_util.tree_flatten_with_path(b, is_leaf=is_none)
        if a_def == b_def:
            if not check_shapes:
                return None
            for (path, x), (_, y) in zip(a_leaves, b_leaves):
                if x is not None and y is not None and _shape(x) != _shape(y):
                    return (
                        f"{a_name} and {b_name} differ at path {_where(path)}: "
                        f"{a_name} has shape {_shape(x)}, {b_name} {_shape(y)}"
                    )
            return None
    diff = _node_difference(a_name, a, b_name, b, (), prefix)
    if diff is None and not prefix:
        # Same children everywhere but different node metadata (a custom node's aux data).
        diff = f"{a_name} and {b_name} have different container types: {a_def} vs {b_def}"
    return diff


def _node_difference(a_name: str, a, b_name: str, b, path: KeyPath, prefix: bool):
    """The structural part of ``first_difference``, one node at a time."""
    a_leaf, b_leaf = is_tree_leaf(a), is_tree_leaf(b)
    if prefix and a_leaf:
        return None
    head = f"{a_name} and {b_name} differ at path {_where(path)}"
    mismatch = f"{head}: {a_name} has {_describe(a)} where {b_name} has {_describe(b)}"
    if not prefix and (a is None or b is None):
        other = b if a is None else a
        return None if other is None or is_tree_leaf(other) else mismatch
    if a_leaf and b_leaf:
        return None
    if a_leaf or b_leaf or type(a) is not type(b):
        return mismatch
    a_kids, b_kids = tree_children(a, path)[0], tree_children(b, path)[0]
    a_keys = [jax.tree_util.keystr(p[-1:]) for p, _ in a_kids]
    b_keys = [jax.tree_util.keystr(p[-1:]) for p, _ in b_kids]
    if a_keys != b_keys:
        for (p, _), k in zip(a_kids, a_keys):
            if k not in b_keys:
                return f"{a_name} and {b_name} differ at path {_where(p)}: present in {a_name} but not in {b_name}"
        for (p, _), k in zip(b_kids, b_keys):
            if k not in a_keys:
                return f"{a_name} and {b_name} differ at path {_where(p)}: present in {b_name} but not in {a_name}"
        return f"{head}: their keys come in a different order"
    for (p, x), (_, y) in zip(a_kids, b_kids, strict=True):
        diff = _node_difference(a_name, x, b_name, y, p, prefix)
        if diff is not None:
            return diff
    return None


def check_same_structure(fn_name: str, **trees) -> None:
    """Raise ValueError naming the first path where the given trees differ.

    The first keyword is compared against each of the others. Runs at trace
    time only (structure and shapes are static), so it costs nothing per step.
    """
    items = list(trees.items())
    a_name, a = items[0]
    for b_name, b in items[1:]:
        if b is None:
            continue
        diff = first_difference(a_name, a, b_name, b)
        if diff is not None:
            raise ValueError(f"{fn_name}: {diff}.")


def leaf_dtype(x) -> jnp.dtype:
    """The dtype of a leaf: an array, a tracer, a ``jax.ShapeDtypeStruct`` or a number.

    Reads ``x.dtype`` where there is one, so abstract leaves are never converted
    to arrays (``jnp.asarray`` of a ``ShapeDtypeStruct`` fails); a Python number
    gets the dtype ``jnp.asarray`` would give it.
    """
    return jnp.result_type(x) if not hasattr(x, "dtype") else jnp.dtype(x.dtype)


def zip_map(where: str, f, n_out: int | None = None, **trees):
    """Map ``f`` over the leaves of several same-shaped trees in one pass.

    The first keyword tree fixes the structure. ``f`` gets one leaf of each tree,
    in keyword order, and returns one value, or a tuple of ``n_out`` values (then
    ``n_out`` trees are returned). Flattening happens once, so a many-leaf tree
    is traced once per step, not once per output.

    Raises:
        ValueError: ``where`` followed by the first path at which the trees
            differ in structure or in a leaf's shape.
    """
    names = list(trees)
    first = trees[names[0]]
    leaves, treedef = jax.tree.flatten(first)
    try:
        rest = [treedef.flatten_up_to(trees[n]) for n in names[1:]]
    except (ValueError, TypeError):
        for n in names[1:]:
            diff = first_difference(names[0], first, n, trees[n])
            if diff is not None:
                raise ValueError(f"{where}: {diff}.") from None
        raise
    for xs in zip(leaves, *rest):
        s0 = jnp.shape(xs[0])
        for n, x in zip(names[1:], xs[1:]):
            if x is not None and jnp.shape(x) != s0:
                diff = first_difference(names[0], first, n, trees[n])
                raise ValueError(f"{where}: {diff}.")
    outs = [f(*xs) for xs in zip(leaves, *rest)]
    if n_out is None:
        return treedef.unflatten(outs)
    return tuple(treedef.unflatten([o[k] for o in outs]) for k in range(n_out))


def promoted_dtype(*operands) -> np.dtype:
    """The dtype JAX's standard promotion gives these operands, in every promotion mode.

    Operands are arrays, dtypes or Python scalars (weak: a Python float with a
    float32 array gives float32). A step casts to this dtype explicitly, so it
    computes the same numbers under ``jax_numpy_dtype_promotion="strict"`` as
    the implicit promotion does under ``"standard"``.
    """
    with jax.numpy_dtype_promotion("standard"):
        return jnp.result_type(*operands)


def promote_operands(*operands):
    """The operands of one arithmetic operation, cast to their ``promoted_dtype``.

    Weakly typed operands (Python scalars, weak arrays) are returned unchanged:
    they take the other operands' dtype in every promotion mode. ``x, y =
    promote_operands(x, y); x * y`` is then the product implicit promotion
    computes, written so that strict promotion accepts it.
    """
    dtype = promoted_dtype(*operands)
    return tuple(x if is_weak(x) else jnp.asarray(x).astype(dtype) for x in operands)


def promoted(op, *operands):
    """``op(*operands)`` after ``promote_operands``: e.g. ``promoted(jnp.add, x, eps)``."""
    return op(*promote_operands(*operands))


def is_weak(x) -> bool:
    """Whether ``x`` is weakly typed: a Python number, or an array marked weak."""
    if isinstance(x, (bool, np.generic)):  # NumPy scalars carry their dtype
        return False
    return isinstance(x, (int, float, complex)) or bool(getattr(x, "weak_type", False))


def abs_sq(x: jax.Array) -> jax.Array:
    """|x|^2 elementwise, real for complex x."""
    x = jnp.asarray(x)
    if jnp.iscomplexobj(x):
        return (x.conj() * x).real
    return x * x
