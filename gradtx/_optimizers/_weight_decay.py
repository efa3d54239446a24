"""Helpers for torch-style options: where weight decay enters, scalar dtypes."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain
from gradtx._core._numerics import default_float_dtype, promoted_dtype
from gradtx._core._validate import check_nonnegative, reported_as
from gradtx.transforms._scaling import scale_by_learning_rate
from gradtx.transforms._weight_decay import add_decayed_weights


def check_weight_decay(fn: str, weight_decay: Any, decoupled_weight_decay: Any) -> None:
    check_nonnegative(fn, "weight_decay", weight_decay, none=True, schedule=True)
    if not isinstance(decoupled_weight_decay, bool):
        raise TypeError(
            f"gradtx.{reported_as(fn)}(decoupled_weight_decay={decoupled_weight_decay!r}): "
            f"decoupled_weight_decay must be a bool; got {type(decoupled_weight_decay).__name__}."
        )


def with_weight_decay(
    direction: GradientTransformation,
    learning_rate: ScalarOrSchedule,
    weight_decay: ScalarOrSchedule,
    decoupled: bool,
) -> GradientTransformation:
    """``direction`` then the learning rate, with weight decay placed torch's way.

    Coupled (L2, ``decoupled=False``): ``weight_decay * params`` is added to the
    gradient before ``direction``, so it enters the moments. Decoupled: it is
    added to ``direction``'s output, so the step is
    ``-learning_rate * (direction + weight_decay * params)``. ``None`` adds
    nothing (the chain is then exactly ``direction`` and the learning rate); any
    number, 0 included, adds the term, so the structure never depends on the
    number's type.
    """
    lr = scale_by_learning_rate(learning_rate)
    if weight_decay is None:
        return chain(direction, lr)
    if decoupled:
        return chain(direction, add_decayed_weights(weight_decay), lr)
    return chain(add_decayed_weights(weight_decay), direction, lr)


def as_scalar(x: Any) -> jax.Array:
    """A hyperparameter as a scalar array in at least the default float dtype."""
    x = jnp.asarray(x)
    return x.astype(promoted_dtype(x.dtype, default_float_dtype()))
