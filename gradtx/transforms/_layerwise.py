"""Per-block (per-leaf) scaling: trust ratios (LARS, LAMB, Fromage), block norms,
gradient centralization, block RMS clipping and adaptive gradient clipping.

A "block" is one leaf of the params tree: a weight matrix, a bias vector, a
convolution kernel. These transformations measure a norm per block and rescale
the whole block by one number, so a layer's step is sized relative to its own
weights rather than to the global gradient."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from gradtx._core._contract import EmptyState, GradientTransformation, init_empty_state
from gradtx._core._validate import check_nonnegative, check_positive, require_params
from gradtx.transforms._clipping import unit_axes, unitwise_clip, unitwise_norm
from gradtx.tree_utils._tree_math import abs_sq, zip_map

MaskOrFn = Any | Callable[[Any], Any]


# optax names the (empty) states of these stateless transformations; keep the names.
ScaleByTrustRatioState = EmptyState


AdaptiveGradClipState = EmptyState


def _floored(value, floor, x):
    """``max(value(x), floor)`` whose gradient stays finite when ``value(x) <= floor``.

    ``value`` is a reduction such as a norm; where it is at or below ``floor`` it
    is recomputed on ones (so that its derivative at zero is never evaluated)
    and replaced by ``floor``.
    """
    v = value(x)
    small = v <= floor
    v_safe = value(jnp.where(small, jnp.ones_like(x), x))
    return jnp.where(small, floor, v_safe).astype(v.dtype)


def _l2(x):
    return jnp.sqrt(jnp.sum(abs_sq(x)))


def _rms(x):
    return jnp.sqrt(jnp.mean(abs_sq(x)))


def scale_by_trust_ratio(
    min_norm: float | jax.Array = 0.0,
    trust_coefficient: float | jax.Array = 1.0,
    eps: float | jax.Array = 0.0,
) -> GradientTransformation:
    """Rescale each block so that its norm is proportional to its param's norm.

    Each leaf ``u`` of the updates is multiplied by the trust ratio of that
    leaf: the step of a layer becomes ``trust_coefficient`` times the size of
    its weights, whatever the size of its gradient. Stateless; needs params.

    Update rule (per leaf; norms are Frobenius norms of the whole leaf):
        pn = max(||p_t||, min_norm),   un = max(||g_t||, min_norm)
        r  = trust_coefficient * pn / (un + eps),  or 1 if pn == 0 or un == 0
        u_t = r * g_t

    Args:
        min_norm: floor on both norms, >= 0 (0: no floor).
        trust_coefficient: multiplier of the ratio, > 0.
        eps: >= 0, added to the update norm in the denominator.

    Returns:
        The transformation; its state is ``EmptyState`` (alias ``ScaleByTrustRatioState``).

    Raises:
        ValueError: concrete hyperparameters out of range, or ``update`` called
            without params.

    References:
        You et al., Large Batch Training of Convolutional Networks, 2017,
        https://arxiv.org/abs/1708.03888.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.scale_by_trust_ratio()
        >>> params, grads = jnp.array([3.0, 4.0]), jnp.array([0.0, 0.1])
        >>> tx.update(grads, tx.init(params), params)[0]  # norm 5, like the params
        Array([0., 5.], dtype=float32)
    """
    fn = "scale_by_trust_ratio"
    check_nonnegative(fn, "min_norm", min_norm)
    check_positive(fn, "trust_coefficient", trust_coefficient)
    check_nonnegative(fn, "eps", eps)

    def update(updates, state, params=None, **extra_args):
        del extra_args
        require_params(fn, params)

        def leaf(g, p):
            pn = _floored(_l2, min_norm, p)
            un = _floored(_l2, min_norm, g)
            degenerate = jnp.logical_or(pn == 0.0, un == 0.0)
            ratio = trust_coefficient * pn / jnp.where(degenerate, 1.0, un + eps)
            ratio = jnp.where(degenerate, 1.0, ratio)
            return (g * ratio).astype(g.dtype)

        return zip_map(f"gradtx.{fn}", leaf, updates=updates, params=params), state

    return GradientTransformation(init_empty_state, update)


def scale_by_param_block_norm(min_scale: float | jax.Array = 1e-3) -> GradientTransformation:
    """Multiply each block of updates by the norm of its param block. Stateless.

    Update rule (per leaf):
        u_t = max(||p_t||, min_scale) * g_t

    Composed after a normalised direction (e.g. ``scale_by_adam``), it makes
    each layer's step proportional to the size of its weights.

    Args:
        min_scale: floor of the norm, >= 0, so that zero-initialised blocks move.

    Returns:
        The transformation; its state is ``EmptyState``.

    Raises:
        ValueError: a concrete negative ``min_scale``, or ``update`` called
            without params.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.scale_by_param_block_norm()
        >>> params = {"w": jnp.array([3.0, 4.0]), "b": jnp.zeros(2)}
        >>> grads = {"w": jnp.ones(2), "b": jnp.ones(2)}
        >>> tx.update(grads, tx.init(params), params)[0]
        {'b': Array([0.001, 0.001], dtype=float32), 'w': Array([5., 5.], dtype=float32)}
    """
    fn = "scale_by_param_block_norm"
    check_nonnegative(fn, "min_scale", min_scale)

    def update(updates, state, params=None, **extra_args):
        del extra_args
        require_params(fn, params)
        leaf = lambda g, p: (g * _floored(_l2, min_scale, p)).astype(g.dtype)
        return zip_map(f"gradtx.{fn}", leaf, updates=updates, params=params), state

    return GradientTransformation(init_empty_state, update)


def scale_by_param_block_rms(min_scale: float | jax.Array = 1e-3) -> GradientTransformation:
    """Multiply each block of updates by the root mean square of its param block. Stateless.

    Update rule (per leaf, n = number of elements):
        u_t = max(sqrt(sum(p_t^2) / n), min_scale) * g_t

    Like ``scale_by_param_block_norm``, but independent of the block's size;
    Adafactor uses it for its relative step.

    Args:
        min_scale: floor of the RMS, >= 0.

    Returns:
        The transformation; its state is ``EmptyState``.

    Raises:
        ValueError: a concrete negative ``min_scale``, or ``update`` called
            without params.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.scale_by_param_block_rms()
        >>> params = jnp.array([1.0, -1.0, 1.0, -1.0]) * 2
        >>> tx.update(jnp.ones(4), tx.init(params), params)[0]
        Array([2., 2., 2., 2.], dtype=float32)
    """
    fn = "scale_by_param_block_rms"
    check_nonnegative(fn, "min_scale", min_scale)

    def update(updates, state, params=None, **extra_args):
        del extra_args
        require_params(fn, params)
        leaf = lambda g, p: (g * _floored(_rms, min_scale, p)).astype(g.dtype)
        return zip_map(f"gradtx.{fn}", leaf, updates=updates, params=params), state

    return GradientTransformation(init_empty_state, update)


def centralize() -> GradientTransformation:
    """Subtract from each row of a block its mean (gradient centralization). Stateless.

    For a leaf of rank >= 2 the mean is taken over all axes but the first (for
    a kernel of shape ``(out, ...)`` or ``(rows, cols)``: one mean per slice
    ``g[i]``); leaves of rank 0 and 1 pass through unchanged.

    Update rule (rank >= 2):
        u_t[i, ...] = g_t[i, ...] - mean(g_t[i, ...])

    Projecting the gradient onto the zero-mean hyperplane regularises the
    weights and smooths the loss landscape; place it first in a chain.

    Returns:
        The transformation; its state is ``EmptyState``.

    References:
        Yong et al., Gradient Centralization: A New Optimization Technique for
        Deep Neural Networks, ECCV 2020, https://arxiv.org/abs/2004.01461.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.centralize()
        >>> g = jnp.array([[1.0, 2.0, 3.0], [4.0, 6.0, 8.0]])
        >>> tx.update(g, tx.init(g))[0]
        Array([[-1.,  0.,  1.],
               [-2.,  0.,  2.]], dtype=float32)
    """

    def leaf(g):
        if g.ndim < 2:
            return g
        return (g - jnp.mean(g, axis=tuple(range(1, g.ndim)), keepdims=True)).astype(g.dtype)

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        return jax.tree.map(leaf, updates), state

    return GradientTransformation(init_empty_state, update)


def clip_by_block_rms(threshold: float | jax.Array) -> GradientTransformation:
    """Rescale each block of updates whose root mean square exceeds ``threshold``. Stateless.

    Update rule (per leaf, n = number of elements):
        u_t = g_t / max(1, sqrt(sum(|g_t|^2) / n) / threshold)

    Args:
        threshold: the largest RMS a block may keep, > 0.

    Returns:
        The transformation; its state is ``EmptyState``.

    Raises:
        ValueError: a concrete ``threshold`` <= 0.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.clip_by_block_rms(1.0)
        >>> g = {"big": jnp.array([4.0, -4.0]), "small": jnp.array([0.5, 0.1])}
        >>> tx.update(g, tx.init(g))[0]
        {'big': Array([ 1., -1.], dtype=float32), 'small': Array([0.5, 0.1], dtype=float32)}
    """
    check_positive("clip_by_block_rms", "threshold", threshold)

    def leaf(g):
        return (g / jnp.maximum(1.0, _rms(g) / threshold)).astype(g.dtype)

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        return jax.tree.map(leaf, updates), state

    return GradientTransformation(init_empty_state, update)


def adaptive_grad_clip(
    clipping: float | jax.Array,
    eps: float | jax.Array = 1e-3,
    axis: int | tuple[int, ...] | None = None,
) -> GradientTransformation:
    """Clip each unit's gradient to at most ``clipping`` times its weights' norm (AGC).

    A unit is one output unit of a layer: a column of a ``(in, out)`` weight,
    one output channel of an ``HWIO`` or ``DHWIO`` kernel, the whole leaf for
    vectors and scalars. Clipping relative to the weights (not to a global
    constant) lets NFNets train at large batch sizes without batch norm.
    Stateless; needs params.

    Update rule (per unit; norms over the unit's axes):
        m = clipping * max(||p_t||, eps)
        u_t = g_t                             if ||g_t|| < m
            = g_t * m / max(||g_t||, 1e-6)    otherwise

    Args:
        clipping: the largest allowed ratio of gradient norm to param norm, >= 0
            (the paper uses 0.01-0.16, smaller for larger batches).
        eps: >= 0, floor of the param norm so zero-initialised units can move.
        axis: the axes each unit's norm is taken over, for shapes other than the
            defaults above (rank 0-5); None infers them from the rank.

    Returns:
        The transformation; its state is ``EmptyState`` (alias ``AdaptiveGradClipState``).

    Raises:
        ValueError: concrete hyperparameters out of range; at trace time, a
            leaf of rank > 5 without ``axis``, or ``update`` called without params.

    References:
        Brock et al., High-Performance Large-Scale Image Recognition Without
        Normalization, ICML 2021, https://arxiv.org/abs/2102.06171.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.adaptive_grad_clip(0.1)
        >>> params = jnp.array([3.0, 4.0])
        >>> tx.update(jnp.array([0.0, 2.0]), tx.init(params), params)[0]
        Array([0. , 0.5], dtype=float32)
    """
    fn = "adaptive_grad_clip"
    check_nonnegative(fn, "clipping", clipping)
    check_nonnegative(fn, "eps", eps)
    if not (
        axis is None
        or isinstance(axis, int)
        or (isinstance(axis, tuple) and all(isinstance(a, int) for a in axis))
    ):
        raise TypeError(
            f"gradtx.{fn}(axis={axis!r}): axis must be None, an int or a tuple of ints."
        )

    def init(params):
        del params
        return AdaptiveGradClipState()

    def update(updates, state, params=None, **extra_args):
        del extra_args
        require_params(fn, params)

        def leaf(g, p):
            axes = unit_axes(fn, jnp.shape(g), axis)
            g_norm = unitwise_norm(g, axes if axes is not None else tuple(range(jnp.ndim(g))))
            p_norm = unitwise_norm(p, axes if axes is not None else tuple(range(jnp.ndim(p))))
            max_norm = clipping * jnp.maximum(p_norm, eps)
            return unitwise_clip(g_norm, max_norm, g).astype(g.dtype)

        return zip_map(f"gradtx.{fn}", leaf, updates=updates, params=params), state

    return GradientTransformation(init, update)
