"""Applying a transformation to part of the params only, and weight decay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import EmptyState, GradientTransformation, ScalarOrSchedule
from gradtx._core._numerics import promoted, safe_increment, zero_count
from gradtx._core._validate import check_range, require_params
from gradtx.transforms._masking import masked
from gradtx.tree_utils._tree_math import check_same_structure, is_none


class AddDecayedWeightsState(NamedTuple):
    """State of ``add_decayed_weights`` with a scheduled ``weight_decay``: the step count.

    With a constant ``weight_decay`` the state is ``EmptyState()`` (as optax's).
    """

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
    check_range("add_decayed_weights", "weight_decay", weight_decay, 0.0, schedule=True)

    scheduled = callable(weight_decay)
    skip = isinstance(weight_decay, int | float) and weight_decay == 0

    def init(params):
        del params
        return AddDecayedWeightsState(count=zero_count()) if scheduled else EmptyState()

    def update(updates, state, params=None, **extra_args):
        del extra_args
        require_params("add_decayed_weights", params)
        new_state = AddDecayedWeightsState(safe_increment(state.count)) if scheduled else state
        if skip:  # a Python zero: nothing to add (updates may even be None, as in optax)
            return updates, new_state
        wd = weight_decay(state.count) if scheduled else weight_decay
        check_same_structure("gradtx.add_decayed_weights", updates=updates, params=params)
        new = jax.tree.map(
            lambda g, p: (
                None
                if g is None
                else promoted(jnp.add, g, promoted(jnp.multiply, wd, p)).astype(g.dtype)
            ),
            updates,
            params,
            is_leaf=is_none,
        )
        return new, new_state

    tx = GradientTransformation(init, update)
    return masked(tx, mask) if mask is not None else tx
