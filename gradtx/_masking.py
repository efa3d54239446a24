"""Applying a transformation to part of the params only, and weight decay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax

from gradtx._base import GradientTransformation, ScalarOrSchedule, with_extra_args_support
from gradtx._numerics import safe_increment, zero_count
from gradtx._tree import zip_map
from gradtx._validate import check_range


class MaskedNode(NamedTuple):
    """Stands in for a masked-out subtree: an empty pytree, so it holds no state."""


class MaskedState(NamedTuple):
    """State of ``masked``: the inner transformation's state, on the masked-in leaves."""

    inner_state: Any


def _mask_tree(fn: str, mask, params):
    mask_tree = mask(params) if callable(mask) else mask
    for leaf in jax.tree.leaves(mask_tree):
        if not isinstance(leaf, bool):
            raise TypeError(
                f"gradtx.{fn}(mask=...): mask leaves must be Python bools (a tree with the "
                f"params' structure, or a prefix of it, or a function returning one); got "
                f"{type(leaf).__name__}."
            )
    return mask_tree


def _select(mask_tree, tree):
    return jax.tree.map(lambda m, sub: sub if m else MaskedNode(), mask_tree, tree)


def _merge(mask_tree, new, old):
    return jax.tree.map(lambda m, a, b: a if m else b, mask_tree, new, old)


def masked(
    inner: GradientTransformation,
    mask: Any | Callable[[Any], Any],
) -> GradientTransformation:
    """Apply ``inner`` to the leaves where ``mask`` is True; pass the rest through.

    Masked-out leaves keep their incoming updates and take no state in ``inner``.

    Args:
        inner: the transformation to apply on the masked-in leaves.
        mask: a tree of Python bools with the structure of the params (or a
            prefix of it), or a function of the params that returns one.

    Returns:
        The transformation; its state is ``MaskedState``.
    """
    inner = with_extra_args_support(inner)

    def init(params):
        mask_tree = _mask_tree("masked", mask, params)
        return MaskedState(inner_state=inner.init(_select(mask_tree, params)))

    def update(updates, state, params=None, **extra_args):
        mask_tree = _mask_tree("masked", mask, updates if params is None else params)
        sel_params = None if params is None else _select(mask_tree, params)
        new, inner_state = inner.update(
            _select(mask_tree, updates), state.inner_state, sel_params, **extra_args
        )
        return _merge(mask_tree, new, updates), MaskedState(inner_state=inner_state)

    return GradientTransformation(init, update)


class AddDecayedWeightsState(NamedTuple):
    """State of ``add_decayed_weights``: the step count (read by a schedule)."""

    count: jax.Array


def add_decayed_weights(
    weight_decay: ScalarOrSchedule = 0.0,
    mask: Any | Callable[[Any], Any] | None = None,
) -> GradientTransformation:
    """Add ``weight_decay * params`` to the updates (decoupled weight decay when
    placed after the preconditioner, L2 regularisation when placed before it).

    Update rule:
        u_t = g_t + weight_decay * p_t

    Args:
        weight_decay: non-negative number, array, or schedule of the step count.
        mask: optional tree of bools (or function of params) selecting the leaves
            to decay, for example to skip biases and norm scales.

    Raises:
        ValueError: negative concrete ``weight_decay``, or ``update`` called
            without params.
    """
    check_range("add_decayed_weights", "weight_decay", weight_decay, 0.0)

    def init(params):
        del params
        return AddDecayedWeightsState(count=zero_count())

    def update(updates, state, params=None, **extra_args):
        del extra_args
        wd = weight_decay(state.count) if callable(weight_decay) else weight_decay
        if params is None:
            raise ValueError(
                "gradtx.add_decayed_weights: update needs params (pass params= to update)."
            )
        new = zip_map(
            "gradtx.add_decayed_weights",
            lambda g, p: (g + wd * p).astype(g.dtype),
            updates=updates,
            params=params,
        )
        return new, AddDecayedWeightsState(count=safe_increment(state.count))

    tx = GradientTransformation(init, update)
    return masked(tx, mask) if mask is not None else tx
