"""A grouped layout for many small leaves: one flat buffer per dtype.

An optimizer step over a tree of N leaves runs a few kernels per leaf. With
thousands of small leaves (biases, norm scales, small MLPs) the step is
dominated by per-kernel overhead (kernel launches on GPU, thunk dispatch on CPU)
and compile time grows with N. Packing the small leaves of each dtype into one
1-D buffer makes every elementwise transformation run a handful of kernels per
step, whatever N is.

Keep the params in that form: ``group_leaves(params)`` returns a
``GroupedLeaves`` pytree whose leaves are the flat buffers (plus the large
leaves, untouched); call ``params.ungroup()`` inside the loss, and ``jax.grad``
returns the gradients in the same layout. The optimizer state is then grouped
too, and the optimizer and ``apply_updates`` see a few big arrays: kernels per
step and compile time stop depending on N.

Why not a wrapper that groups inside ``update`` and leaves the params as a
tree? Splitting the updates back into N leaves each step needs N slices, and
XLA on CPU compiles every slice as its own kernel: at 500 leaves such a wrapper
compiled 3x slower than plain Adam (see docs/performance.md). Grouping the
params themselves moves the slicing into the loss, where it fuses with the
model's own per-leaf work.

Only elementwise transformations and global reductions (global-norm clipping,
global-norm statistics) give the same results grouped and ungrouped. Anything
that looks at one leaf at a time (per-leaf norms and trust ratios as in LARS and
LAMB, factored second moments as in Adafactor, orthogonalisation as in Muon,
per-leaf masks) sees one long vector per dtype instead and computes something
else; leave those leaves out (``max_leaf_size``) or do not group.

Sharding: leaves larger than ``max_leaf_size`` are never packed, so they keep
their own shape and sharding. Packed buffers are ordinary arrays; packing
leaves that are sharded across devices gathers them. Choose ``max_leaf_size``
below the size of your smallest sharded leaf."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

DEFAULT_MAX_LEAF_SIZE = 1 << 16


class _Layout(NamedTuple):
    """Static description of a packing: hashable, compared by value."""

    treedef: Any
    # Per leaf of the original tree, in flattening order: (group, offset, shape,
    # dtype) for a packed leaf, (-1, index into ``loose``, shape, dtype) otherwise.
    slots: tuple
    group_dtypes: tuple
    group_sizes: tuple


@jax.tree_util.register_pytree_node_class
class GroupedLeaves:
    """A tree whose small leaves are packed into one flat buffer per dtype.

    Its pytree children are ``buffers`` (one 1-D array per dtype group) and
    ``loose`` (the leaves that were too large to pack, unchanged); the layout is
    static aux data. Any gradtx or optax transformation, ``apply_updates`` and
    ``jax.grad`` treat it as a pytree with those few leaves. ``ungroup()``
    rebuilds the original tree (slices and reshapes of the buffers).

    Build one with ``group_leaves``.
    """

    __slots__ = ("buffers", "loose", "layout")

    def __init__(self, buffers: tuple, loose: tuple, layout: _Layout):
        self.buffers = tuple(buffers)
        self.loose = tuple(loose)
        self.layout = layout

    def tree_flatten(self):
        return (self.buffers, self.loose), self.layout

    @classmethod
    def tree_unflatten(cls, layout, children):
        buffers, loose = children
        return cls(buffers, loose, layout)

    def ungroup(self):
        """The original tree: every packed leaf sliced out and reshaped."""
        return ungroup_leaves(self)

    @property
    def num_leaves(self) -> int:
        """Number of leaves of the original tree."""
        return len(self.layout.slots)

    def __repr__(self) -> str:
        groups = ", ".join(
            f"{jnp.dtype(d).name}[{n}]"
            for d, n in zip(self.layout.group_dtypes, self.layout.group_sizes, strict=True)
        )
        return (
            f"GroupedLeaves({self.num_leaves} leaves; packed: {groups or 'none'}; "
            f"loose: {len(self.loose)})"
        )


def _make_layout(tree, max_leaf_size: int | None) -> tuple[_Layout, list]:
    leaves, treedef = jax.tree.flatten(tree)
    slots = []
    group_of_dtype: dict[Any, int] = {}
    group_dtypes: list = []
    group_sizes: list[int] = []
    loose_count = 0
    for x in leaves:
        shape = tuple(np.shape(x))
        dtype = jnp.result_type(x)
        size = math.prod(shape)
        if max_leaf_size is None or size <= max_leaf_size:
            g = group_of_dtype.get(dtype)
            if g is None:
                g = group_of_dtype[dtype] = len(group_dtypes)
                group_dtypes.append(dtype)
                group_sizes.append(0)
            slots.append((g, group_sizes[g], shape, dtype))
            group_sizes[g] += size
        else:
            slots.append((-1, loose_count, shape, dtype))
            loose_count += 1
    layout = _Layout(treedef, tuple(slots), tuple(group_dtypes), tuple(group_sizes))
    return layout, leaves


def _pack(layout: _Layout, leaves: list) -> GroupedLeaves:
    members: list[list] = [[] for _ in layout.group_dtypes]
    loose = []
    for (g, _, _, dtype), x in zip(layout.slots, leaves, strict=True):
        if g < 0:
            loose.append(x)
        else:
            members[g].append(jnp.ravel(jnp.asarray(x, dtype)))
    buffers = tuple(m[0] if len(m) == 1 else jnp.concatenate(m) for m in members)
    return GroupedLeaves(buffers, tuple(loose), layout)


def group_leaves(tree, max_leaf_size: int | None = DEFAULT_MAX_LEAF_SIZE) -> GroupedLeaves:
    """Pack the leaves of ``tree`` with at most ``max_leaf_size`` elements into flat buffers.

    One buffer per dtype, leaves in flattening order; larger leaves stay as
    they are. None leaves stay None (they are part of the tree structure).

    Args:
        tree: a pytree of arrays.
        max_leaf_size: leaves with more elements are not packed; None packs
            every leaf.

    Returns:
        A ``GroupedLeaves``; ``.ungroup()`` gives ``tree`` back.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> g = gradtx.group_leaves({"b": jnp.zeros(3), "w": jnp.ones((2, 2))})
        >>> g.buffers[0].shape
        (7,)
        >>> g.ungroup()["w"].shape
        (2, 2)
    """
    if max_leaf_size is not None and (
        isinstance(max_leaf_size, bool) or not isinstance(max_leaf_size, int) or max_leaf_size < 0
    ):
        raise ValueError(
            "gradtx.group_leaves(max_leaf_size=...): max_leaf_size must be a non-negative "
            f"int or None; got {max_leaf_size!r}."
        )
    layout, leaves = _make_layout(tree, max_leaf_size)
    return _pack(layout, leaves)


def ungroup_leaves(grouped: GroupedLeaves):
    """Rebuild the tree that ``group_leaves`` packed (the inverse of ``group_leaves``)."""
    if not isinstance(grouped, GroupedLeaves):
        raise TypeError(
            "gradtx.ungroup_leaves: expected a GroupedLeaves (from gradtx.group_leaves); "
            f"got {type(grouped).__name__}."
        )
    layout = grouped.layout
    # lax.split differentiates into one concatenate; slices would transpose
    # into one full-size pad per leaf, summed (quadratic in the leaf count).
    pieces = []
    for g, buf in enumerate(grouped.buffers):
        sizes = [math.prod(s[2]) for s in layout.slots if s[0] == g]
        pieces.append(iter(_split(buf, sizes)))
    out = []
    for g, off, shape, _ in layout.slots:
        if g < 0:
            out.append(grouped.loose[off])
        else:
            out.append(next(pieces[g]).reshape(shape))
    return layout.treedef.unflatten(out)


def _split(buf, sizes):
    if len(sizes) == 1:
        return [buf]
    if hasattr(jax.lax, "split"):
        return jax.lax.split(buf, sizes)
    offsets = np.cumsum([0, *sizes])  # pragma: no cover - JAX < 0.4.36
    return [
        jax.lax.slice(buf, (int(a),), (int(b),))
        for a, b in zip(offsets[:-1], offsets[1:], strict=True)
    ]
