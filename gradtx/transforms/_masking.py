"""Applying a transformation to part of the params only, and weight decay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import numpy as np

from gradtx._core._contract import GradientTransformation, with_extra_args_support
from gradtx.tree_utils._tree_math import first_difference


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


def map_with_prefix(fn: str, prefix_name: str, f, prefix, *trees):
    """``jax.tree.map(f, prefix, *trees)`` with an error that names the first bad path."""
    try:
        return jax.tree.map(f, prefix, *trees)
    except (ValueError, TypeError):
        for t in trees:
            diff = first_difference(prefix_name, prefix, "params", t, prefix=True)
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
