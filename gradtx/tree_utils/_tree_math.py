"""Internal tree helpers: None-aware maps over several trees with clear structure errors."""

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


def _flatten_with_paths(tree):
    leaves, treedef = jax.tree_util.tree_flatten_with_path(tree, is_leaf=is_none)
    return leaves, treedef


def _shape(x) -> tuple[int, ...]:
    return tuple(np.shape(x)) if not hasattr(x, "shape") else tuple(x.shape)


def first_difference(a_name: str, a, b_name: str, b, *, check_shapes: bool = True):
    """Describe the first place where two trees differ, or return None.

    None leaves are wildcards: a None in either tree matches anything there.
    """
    a_leaves, a_def = _flatten_with_paths(a)
    b_leaves, b_def = _flatten_with_paths(b)
    a_paths = [p for p, _ in a_leaves]
    b_paths = [p for p, _ in b_leaves]
    if a_paths != b_paths:
        b_set = {jax.tree_util.keystr(p) for p in b_paths}
        a_set = {jax.tree_util.keystr(p) for p in a_paths}
        for p in a_paths:
            k = jax.tree_util.keystr(p)
            if k not in b_set:
                return f"{a_name} and {b_name} differ at path {k or '<root>'}: present in {a_name} but not in {b_name}"
        for p in b_paths:
            k = jax.tree_util.keystr(p)
            if k not in a_set:
                return f"{a_name} and {b_name} differ at path {k or '<root>'}: present in {b_name} but not in {a_name}"
        return f"{a_name} and {b_name} have leaves in a different order: {a_def} vs {b_def}"
    if a_def != b_def:
        return f"{a_name} and {b_name} have different container types: {a_def} vs {b_def}"
    if check_shapes:
        for (path, x), (_, y) in zip(a_leaves, b_leaves):
            if x is None or y is None:
                continue
            sx, sy = _shape(x), _shape(y)
            if sx != sy:
                k = jax.tree_util.keystr(path) or "<root>"
                return f"{a_name} and {b_name} differ at path {k}: {a_name} has shape {sx}, {b_name} {sy}"
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
