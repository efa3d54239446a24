"""Scaling a gradient on the way back without changing the forward value."""

from __future__ import annotations

from typing import Any

import jax
from jax.typing import ArrayLike


@jax.custom_vjp
def _scaled_backward(inputs, scale):
    del scale
    return inputs


def _forward(inputs, scale):
    return inputs, scale


def _backward(scale, cotangents):
    return jax.tree.map(lambda g: g * scale, cotangents), None


_scaled_backward.defvjp(_forward, _backward)


def scale_gradient(inputs: Any, scale: ArrayLike) -> Any:
    """Identity on the forward pass; multiplies the gradient flowing back through it by ``scale``.

    ``scale=0`` is ``jax.lax.stop_gradient`` and ``scale=1`` returns ``inputs``
    untouched (both decided in Python, so pass a Python number for them).

    Args:
        inputs: a tree of arrays.
        scale: the factor for the cotangents (a scalar).

    Returns:
        ``inputs``, with the backward pass scaled.

    Example:
        >>> import gradtx, jax
        >>> jax.grad(lambda x: gradtx.scale_gradient(x, 0.5) ** 2)(3.0)
        Array(3., dtype=float32, weak_type=True)
    """
    if isinstance(scale, int | float) and scale == 1.0:
        return inputs
    if isinstance(scale, int | float) and scale == 0.0:
        return jax.lax.stop_gradient(inputs)
    return _scaled_backward(inputs, scale)
