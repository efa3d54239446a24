"""Clipping updates elementwise, by their global norm, per example or per unit."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from gradtx._core._contract import EmptyState, GradientTransformation, init_empty_state
from gradtx._core._validate import check_range
from gradtx.tree_utils._reductions import tree_norm
from gradtx.tree_utils._sharding import reshard_like
from gradtx.tree_utils._tree_math import abs_sq


def global_norm(updates) -> jax.Array:
    """The Euclidean norm of all leaves together: ``sqrt(sum_i sum(|x_i|^2))``.

    The same as ``gradtx.tree_utils.tree_norm(updates)``: accumulated in float32
    or wider.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.global_norm({"a": jnp.array([3.0]), "b": jnp.array([4.0])})
        Array(5., dtype=float32)
    """
    return tree_norm(updates)


ClipState = EmptyState  # optax's name for clip's state

ClipByGlobalNormState = EmptyState  # optax's name for clip_by_global_norm's state


def clip(max_delta: float | jax.Array) -> GradientTransformation:
    """Clip every element of the updates to ``[-max_delta, max_delta]``. Stateless.

    Update rule:
        u_t = min(max(g_t, -max_delta), max_delta)

    Raises:
        ValueError: a concrete negative or NaN ``max_delta`` (``inf`` clips nothing).
    """
    check_range("clip", "max_delta", max_delta, 0.0, math.inf)

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        return jax.tree.map(
            lambda g: jnp.clip(g, -max_delta, max_delta).astype(g.dtype), updates
        ), state

    return GradientTransformation(init_empty_state, update)


def clip_by_global_norm(max_norm: float | jax.Array) -> GradientTransformation:
    """Rescale the updates so that their global norm is at most ``max_norm``. Stateless.

    Update rule:
        n = global_norm(g);  u_t = g_t if n < max_norm else g_t * max_norm / n

    The direction is kept; only its length changes. Used against exploding
    gradients (Pascanu et al., On the difficulty of training recurrent neural
    networks, ICML 2013).

    Raises:
        ValueError: a concrete negative or NaN ``max_norm`` (``inf`` clips nothing).
    """
    check_range("clip_by_global_norm", "max_norm", max_norm, 0.0, math.inf)

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        g_norm = global_norm(updates)
        trigger = g_norm < max_norm
        # Divide by a safe norm: when trigger is true the division's result is unused.
        factor = jnp.where(trigger, 1.0, max_norm / jnp.where(trigger, 1.0, g_norm))
        return jax.tree.map(
            lambda g: jnp.where(trigger, g, g * factor.astype(g.dtype)).astype(g.dtype),
            updates,
        ), state

    return GradientTransformation(init_empty_state, update)


def _check_batch_dim(fn: str, grads) -> None:
    leaves = jax.tree.leaves(grads)
    sizes = {jnp.shape(g)[0] if jnp.ndim(g) else None for g in leaves}
    if None in sizes or len(sizes) > 1:
        raise ValueError(
            f"gradtx.{fn}: every leaf of grads must have the same leading batch axis (one "
            f"gradient per example); got shapes {jax.tree.map(jnp.shape, grads)}."
        )


def per_example_global_norm_clip(grads, l2_norm_clip: ArrayLike) -> tuple[Any, jax.Array]:
    """Clip each example's gradient to global norm ``l2_norm_clip``, then sum over examples.

    The aggregation step of DP-SGD: every leaf holds one gradient per example
    on axis 0; each example's whole gradient (all leaves together) is scaled
    down to norm at most ``l2_norm_clip``, and the clipped gradients are summed.

    Update rule (n_i: global norm of example i):
        s_i = min(1, l2_norm_clip / n_i)   (1 where that is NaN, e.g. 0/0)
        out = sum_i s_i * g_i

    Args:
        grads: a tree whose leaves all have the same leading batch axis.
        l2_norm_clip: the largest per-example norm, >= 0 (``inf``: no clipping).

    Returns:
        ``(clipped_sum, num_clipped)``: the summed tree (leaves without the batch
        axis) and how many examples were clipped.

    Raises:
        ValueError: leaves without a common leading batch axis.

    References:
        Abadi et al., Deep Learning with Differential Privacy, CCS 2016,
        https://arxiv.org/abs/1607.00133.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> grads = [jnp.array([[0.0, 0.0], [3.0, 4.0]])]
        >>> gradtx.per_example_global_norm_clip(grads, 1.0)
        ([Array([0.6, 0.8], dtype=float32)], Array(1, dtype=int32))
    """
    _check_batch_dim("per_example_global_norm_clip", grads)
    norms = jax.vmap(tree_norm)(grads)
    scales = jnp.nan_to_num(jnp.minimum(l2_norm_clip / norms, 1.0), nan=1.0)
    num_clipped = jnp.sum(scales < 1.0)
    clipped_sum = jax.tree.map(lambda g: jnp.tensordot(scales, g, axes=1), grads)
    return clipped_sum, num_clipped


def per_example_layer_norm_clip(
    grads, global_l2_norm_clip: ArrayLike, uniform: bool = True
) -> tuple[Any, Any]:
    """Clip each example's gradient layer by layer, then sum over examples.

    Each leaf (layer) k is clipped per example as in
    ``per_example_global_norm_clip``, to its own bound C_k:
        C_k = C / sqrt(K)          (uniform=True; K layers)
        C_k = C * sqrt(D_k / D)    (uniform=False; D_k of the D params per example in layer k)
    so that the whole example's norm is at most ``C = global_l2_norm_clip``.

    Args:
        grads: a tree whose leaves all have the same leading batch axis.
        global_l2_norm_clip: the overall bound C, >= 0.
        uniform: split C equally among layers, or in proportion to their sizes.

    Returns:
        ``(clipped_sum, num_clipped)``: two trees with ``grads``' structure, the
        summed clipped gradients and, per layer, how many examples were clipped.

    Raises:
        ValueError: leaves without a common leading batch axis.

    References:
        McMahan et al., Learning Differentially Private Recurrent Language
        Models, ICLR 2018, https://arxiv.org/abs/1710.06963.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> grads = [jnp.array([[3.0, 4.0]]), jnp.array([[0.0]])]
        >>> clipped, counts = gradtx.per_example_layer_norm_clip(grads, 2.0**0.5)
        >>> clipped[0], counts
        (Array([0.6, 0.8], dtype=float32), [Array(1, dtype=int32), Array(0, dtype=int32)])
    """
    _check_batch_dim("per_example_layer_norm_clip", grads)
    leaves, treedef = jax.tree.flatten(grads)
    if uniform:
        bounds = [global_l2_norm_clip * (1.0 / len(leaves)) ** 0.5 for _ in leaves]
    else:
        total = sum(jnp.size(g[0]) for g in leaves)
        bounds = [global_l2_norm_clip * (jnp.size(g[0]) / total) ** 0.5 for g in leaves]
    pairs = [per_example_global_norm_clip(g, c) for g, c in zip(leaves, bounds)]
    return treedef.unflatten([p[0] for p in pairs]), treedef.unflatten([p[1] for p in pairs])


def unit_axes(fn: str, shape: tuple[int, ...], axis) -> tuple[int, ...] | None:
    """The axes a unit-wise norm reduces over for a leaf of ``shape``; None means all."""
    if axis is not None:
        return (axis,) if isinstance(axis, int) else tuple(axis)
    ndim = len(shape)
    if sum(d != 1 for d in shape) <= 1:  # scalars and (possibly padded) vectors
        return None
    if ndim in (2, 3):  # linear (in, out), multi-head linear
        return (0,)
    if ndim == 4:  # conv kernel HWIO
        return (0, 1, 2)
    if ndim == 5:  # conv3d kernel DHWIO
        return (0, 1, 2, 3)
    raise ValueError(
        f"gradtx.{fn}: cannot infer the unit axes of a leaf of shape {shape} (rank "
        f"{ndim}); pass axis= (the axes to take each unit's norm over)."
    )


def unitwise_norm(x: ArrayLike, axis: int | tuple[int, ...] | None = None) -> jax.Array:
    """The L2 norm of each unit of ``x``, broadcast back to ``x``'s shape.

    A unit is a slice over ``axis``; with ``axis=None`` it follows the layer
    conventions: the whole array for scalars and vectors, axis 0 for rank 2-3
    (``(in, out)`` linear, multi-head linear), axes (0, 1, 2) for an HWIO conv
    kernel and (0, 1, 2, 3) for DHWIO.

    Raises:
        ValueError: rank above 5 with ``axis=None``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.transforms.unitwise_norm(jnp.array([[3.0, 0.0], [4.0, 1.0]]))
        Array([[5., 1.],
               [5., 1.]], dtype=float32)
    """
    x = jnp.asarray(x)
    axes = unit_axes("unitwise_norm", x.shape, axis)
    norms = jnp.sqrt(jnp.sum(abs_sq(x), axis=axes, keepdims=True))
    return reshard_like(jnp.broadcast_to(norms, x.shape), x)  # x's sharding under explicit axes


def unitwise_clip(
    g_norm: ArrayLike, max_norm: ArrayLike, grad: ArrayLike, div_eps: ArrayLike = 1e-6
) -> jax.Array:
    """Scale ``grad`` down to ``max_norm`` where its unit norm ``g_norm`` reaches ``max_norm``.

    Update rule (elementwise; the three arrays have one shape):
        out = grad                                        if g_norm < max_norm
            = grad * max_norm / max(g_norm, div_eps)      otherwise

    Raises:
        ValueError: arrays of different shapes.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> g = jnp.array([3.0, 4.0])
        >>> gradtx.transforms.unitwise_clip(gradtx.transforms.unitwise_norm(g), jnp.full(2, 1.0), g)
        Array([0.6, 0.8], dtype=float32)
    """
    shapes = {jnp.shape(g_norm), jnp.shape(max_norm), jnp.shape(grad)}
    if len(shapes) > 1:
        raise ValueError(
            f"gradtx.unitwise_clip: g_norm, max_norm and grad must have one shape; got "
            f"{jnp.shape(g_norm)}, {jnp.shape(max_norm)} and {jnp.shape(grad)}."
        )
    clipped = grad * (max_norm / jnp.maximum(g_norm, div_eps))
    return jnp.where(g_norm < max_norm, grad, clipped)
