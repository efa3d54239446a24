"""Applying a transformation to part of the params only, and weight decay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import numpy as np

from gradtx._core._contract import GradientTransformation, with_extra_args_support


class MaskedNode(NamedTuple):
    """Stands in for a masked-out subtree: an empty pytree, so it holds no state."""


class MaskedState(NamedTuple):
    """State of ``masked``: the inner transformation's state, on the masked-in leaves."""

    inner_state: Any


def _as_static_bool(leaf):
    """A mask leaf as a Python bool; None if it is not a concrete boolean."""
    if isinstance(leaf, bool):
        return leaf
    if isinstance(leaf, np.bool_):
        return bool(leaf)
    if isinstance(leaf, jax.Array | np.ndarray) and not isinstance(leaf, jax.core.Tracer):
        if leaf.shape == () and leaf.dtype == np.bool_:
            return bool(leaf)
    return None


def _mask_tree(fn: str, mask, params):
    mask_tree = mask(params) if callable(mask) else mask

    def to_bool(leaf):
        b = _as_static_bool(leaf)
        if b is None:
            raise TypeError(
                f"gradtx.{fn}(mask=...): mask leaves must be Python bools (a tree with the "
                f"params' structure, or a prefix of it, or a function returning one); got "
                f"{type(leaf).__name__}. The mask must be static: it cannot depend on traced "
                f"values."
            )
        return b

    return jax.tree.map(to_bool, mask_tree)


def _children(node):
    """The immediate children of a pytree node as ``[(key, child)]``."""
    kids, _ = jax.tree_util.tree_flatten_with_path(node, is_leaf=lambda x: x is not node)
    return [(path[0], child) for path, child in kids]


def _is_leaf(node) -> bool:
    return node is not None and jax.tree_util.treedef_is_leaf(jax.tree.structure(node))


def _describe(node) -> str:
    if node is None:
        return "None"
    if _is_leaf(node):
        return f"a leaf ({type(node).__name__})"
    return f"a {type(node).__name__}"


def prefix_difference(prefix_name: str, prefix, full_name: str, full, path=()):
    """Describe the first place where ``prefix`` is not a tree prefix of ``full``.

    A leaf of ``prefix`` covers the whole subtree of ``full`` at its place.
    Returns None when ``prefix`` is a prefix of ``full``.
    """
    if _is_leaf(prefix):
        return None
    where = jax.tree_util.keystr(path) or "<root>"
    if _is_leaf(full) or full is None or type(prefix) is not type(full):
        return (
            f"{prefix_name} and {full_name} differ at path {where}: {prefix_name} has "
            f"{_describe(prefix)} where {full_name} has {_describe(full)}"
        )
    p_kids, f_kids = _children(prefix), _children(full)
    p_keys = [jax.tree_util.keystr((k,)) for k, _ in p_kids]
    f_keys = [jax.tree_util.keystr((k,)) for k, _ in f_kids]
    if p_keys != f_keys:
        only_p = [k for k in p_keys if k not in f_keys]
        only_f = [k for k in f_keys if k not in p_keys]
        detail = (
            f"{prefix_name} has {', '.join(only_p)} which {full_name} lacks"
            if only_p
            else f"{full_name} has {', '.join(only_f)} which {prefix_name} lacks"
            if only_f
            else "their keys come in a different order"
        )
        return f"{prefix_name} and {full_name} differ at path {where}: {detail}"
    for (k, p), (_, f) in zip(p_kids, f_kids, strict=True):
        diff = prefix_difference(prefix_name, p, full_name, f, path + (k,))
        if diff is not None:
            return diff
    return None


def map_with_prefix(fn: str, prefix_name: str, f, prefix, *trees):
    """``jax.tree.map(f, prefix, *trees)`` with an error that names the first bad path."""
    try:
        return jax.tree.map(f, prefix, *trees)
    except (ValueError, TypeError):
        for t in trees:
            diff = prefix_difference(prefix_name, prefix, "params", t)
            if diff is not None:
                raise ValueError(
                    f"gradtx.{fn}: {diff}. The {prefix_name} must have the params' structure "
                    f"or be a prefix of it."
                ) from None
        raise


def _select(fn, mask_tree, tree):
    return map_with_prefix(fn, "mask", lambda m, sub: sub if m else MaskedNode(), mask_tree, tree)


def _merge(mask_tree, new, old):
    return jax.tree.map(lambda m, a, b: a if m else b, mask_tree, new, old)


MaskOrFn = Any | Callable[[Any], Any] | None
"""A mask (a tree of booleans, or a prefix of the params tree) or a function of the params returning one."""


def masked(
    inner: GradientTransformation,
    mask: Any | Callable[[Any], Any],
    *,
    mask_compatible_extra_args: bool = False,
) -> GradientTransformation:
    """Apply ``inner`` to the leaves where ``mask`` is True; pass the rest through.

    Masked-out leaves keep their incoming updates and take no state in ``inner``
    (they appear as ``MaskedNode()`` in the trees ``inner`` sees).

    Args:
        inner: the transformation to apply on the masked-in leaves.
        mask: a tree of bools with the structure of the params (or a prefix of
            it, down to a single bool), or a function of the params that returns
            one. The mask is static: its leaves must be Python bools (NumPy
            bools and concrete 0-d JAX bool arrays are accepted too).
        mask_compatible_extra_args: also mask the extra args (keyword arguments
            of ``update``) whose tree structure equals the updates'; other extra
            args reach ``inner`` unchanged.

    Returns:
        The transformation; its state is ``MaskedState``.

    Raises:
        ValueError: the mask is not a prefix of the params, naming the first
            path where they differ.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> params = {"w": jnp.ones(3), "b": jnp.ones(1)}
        >>> tx = gradtx.masked(gradtx.add_decayed_weights(0.1), {"w": True, "b": False})
        >>> u, _ = tx.update(params, tx.init(params), params)
        >>> print(u["w"][0], u["b"][0])
        1.1 1.0
    """
    inner = with_extra_args_support(inner)

    def init(params):
        mask_tree = _mask_tree("masked", mask, params)
        return MaskedState(inner_state=inner.init(_select("masked", mask_tree, params)))

    def update(updates, state, params=None, **extra_args):
        mask_tree = _mask_tree("masked", mask, updates if params is None else params)
        sel_params = None if params is None else _select("masked", mask_tree, params)
        if mask_compatible_extra_args and extra_args:
            structure = jax.tree.structure(updates)
            extra_args = {
                k: _select("masked", mask_tree, v) if jax.tree.structure(v) == structure else v
                for k, v in extra_args.items()
            }
        new, inner_state = inner.update(
            _select("masked", mask_tree, updates), state.inner_state, sel_params, **extra_args
        )
        return _merge(mask_tree, new, updates), MaskedState(inner_state=inner_state)

    return GradientTransformation(init, update)
