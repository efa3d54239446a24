"""Small helpers that registry entries share: masks, labels, adapters."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

import gradtx as gx

__all__ = [
    "as_float",
    "OBJ",
    "alternate_labels",
    "alternate_mask",
    "composed",
    "contract_obj_fn",
    "lookahead_plain",
    "tree_neg",
    "two_groups",
    "warmup",
]


def composed(outer: Callable, factory: Callable) -> Callable:
    """``factory`` followed by ``outer``, under the factory's name: the ``factory`` of a
    registry entry whose ``make`` wraps what a public factory returns."""

    @functools.wraps(factory)
    def build(**kwargs):
        return outer(factory(**kwargs))

    return build


def alternate_mask(params):
    """A mask: True on every other leaf, in flattening order."""
    leaves, treedef = jax.tree.flatten(params)
    return treedef.unflatten([i % 2 == 0 for i in range(len(leaves))])


def alternate_labels(params):
    """Labels "x", "y", "x", ... on the leaves in flattening order."""
    leaves, treedef = jax.tree.flatten(params)
    return treedef.unflatten(["x" if i % 2 == 0 else "y" for i in range(len(leaves))])


def tree_neg(tree):
    return jax.tree.map(lambda x: -x, tree)


def as_float(count):
    """A schedule's int32 count as float32: what a schedule written for strict promotion does."""
    return jnp.asarray(count).astype(jnp.float32)


def warmup(peak):
    return lambda count: peak * jnp.minimum(as_float(count) / 10.0, 1.0)


def two_groups(**kw):
    return gx.partition(
        {"x": gx.adam(0.01), "y": gx.sgd(0.1, momentum=0.9)}, alternate_labels, **kw
    )


def contract_obj_fn(params):
    """A smooth convex loss of any params tree (None leaves skipped), for Sophia's
    Hessian estimator in the contract suite."""
    return sum(jnp.sum(jnp.cosh(x.astype(jnp.float32))) for x in jax.tree.leaves(params))


OBJ = {"obj_fn": contract_obj_fn}


class _LookaheadPlainState(NamedTuple):
    slow: Any
    inner: Any


def lookahead_plain(**kwargs) -> gx.GradientTransformation:
    """lookahead with the slow params kept in the state, so that it takes plain params.

    The contract suite passes plain params; this adapter feeds
    ``LookaheadParams(fast=params, slow=state.slow)`` to lookahead and applies the
    slow updates itself, so the contract checks exercise lookahead's own update.
    """
    la = gx.lookahead(**kwargs)

    def init(params):
        if any(isinstance(x, jax.ShapeDtypeStruct) for x in jax.tree.leaves(params)):
            raise TypeError(
                "lookahead_plain: init needs the params' values (the slow params start "
                "at the params); got a jax.ShapeDtypeStruct."
            )
        return _LookaheadPlainState(slow=params, inner=la.init(params))

    def update(updates, state, params=None, **extra_args):
        lp = gx.LookaheadParams(fast=params, slow=state.slow)
        u, inner = la.update(updates, state.inner, lp, **extra_args)
        return u.fast, _LookaheadPlainState(gx.apply_updates(state.slow, u.slow), inner)

    return gx.GradientTransformation(init, update)
