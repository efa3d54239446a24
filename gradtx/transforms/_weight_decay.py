"""Applying a transformation to part of the params only, and weight decay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule
from gradtx._core._numerics import safe_increment, zero_count
from gradtx._core._validate import check_range, require_params
from gradtx.transforms._masking import masked
from gradtx.tree_utils._tree_math import zip_map


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
        require_params("add_decayed_weights", params)
        new = zip_map(
            "gradtx.add_decayed_weights",
            lambda g, p: (g + wd * p).astype(g.dtype),
            updates=updates,
            params=params,
        )
        return new, AddDecayedWeightsState(count=safe_increment(state.count))

    tx = GradientTransformation(init, update)
    return masked(tx, mask) if mask is not None else tx
