"""Shared numerics: step counts, the moment update, dtype rules, safe norms."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

# Re-exported for the optimizers, which import their shared numerics from here.
from gradtx.tree_utils._moments import bias_correction_factor as bias_correction_factor
from gradtx.tree_utils._moments import moment_update as moment_update
from gradtx.tree_utils._moments import moving_average as moving_average
from gradtx.tree_utils._tree_math import abs_sq, leaf_dtype
from gradtx.tree_utils._tree_math import promote_operands as promote_operands
from gradtx.tree_utils._tree_math import promoted as promoted
from gradtx.tree_utils._tree_math import promoted_dtype as promoted_dtype


def real_dtype(dtype):
    dtype = jnp.dtype(dtype)
    return jnp.finfo(dtype).dtype if jnp.issubdtype(dtype, jnp.complexfloating) else dtype


def safe_increment(count: ArrayLike) -> jax.Array:
    """``count + 1``, saturating at the largest value of ``count``'s dtype.

    Integer counts (signed or unsigned) stop at ``iinfo(dtype).max`` instead of
    wrapping around to the minimum; float counts stop at ``finfo(dtype).max``
    (a float32 count already stops growing at 2**24, where ``count + 1 == count``).

    Args:
        count: an integer or float scalar (or array) counter.

    Returns:
        The incremented counter, with ``count``'s dtype.

    Raises:
        ValueError: a count whose dtype is neither integer nor float.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.safe_increment(jnp.asarray(2**31 - 1, jnp.int32))
        Array(2147483647, dtype=int32)
    """
    count = jnp.asarray(count)
    if jnp.issubdtype(count.dtype, jnp.integer):
        max_value = jnp.iinfo(count.dtype).max
    elif jnp.issubdtype(count.dtype, jnp.floating):
        max_value = jnp.finfo(count.dtype).max
    else:
        raise ValueError(
            f"gradtx.safe_increment: count must have an integer or float dtype; got {count.dtype}."
        )
    max_value = jnp.asarray(max_value, count.dtype)
    one = jnp.ones((), count.dtype)
    return jnp.where(count < max_value, count + one, max_value)


safe_int32_increment = safe_increment


def scale_leaf(factor: ArrayLike, g: jax.Array) -> jax.Array:
    """``factor * g`` in ``g``'s dtype, the product taken in the promoted dtype.

    ``factor`` is a hyperparameter or per-step scalar (a Python number, or an
    array of any float dtype); the product is what implicit promotion computes,
    cast explicitly, so it is accepted under strict promotion.
    """
    return promoted(jnp.multiply, factor, g).astype(leaf_dtype(g))


def zero_count() -> jax.Array:
    """The initial step count: an int32 zero scalar."""
    return jnp.zeros((), jnp.int32)


def debiased_first_moment(mu, g, b1, c1, c1_next=None):
    """Adam's bias-corrected first moment, or its Nesterov look-ahead (NAdam).

    With ``c1 = 1 - b1^t`` and ``c1_next = 1 - b1^(t+1)`` (scalars computed once a
    step by ``bias_correction_factor``):

        m_hat = mu / c1                                  (c1_next None)
        m_hat = b1 * mu / c1_next + (1 - b1) * g / c1    (Nesterov)
    """
    if c1_next is None:
        return mu / c1.astype(mu.dtype)
    look_ahead = promoted(jnp.multiply, b1, mu / c1_next.astype(mu.dtype))
    current = promoted(jnp.multiply, 1 - b1, g / c1.astype(g.dtype))
    return promoted(jnp.add, look_ahead, current)


def canonicalize_dtype(dtype):
    """``None`` stays None; anything else becomes a concrete numpy dtype."""
    if dtype is None:
        return None
    return jax.dtypes.canonicalize_dtype(dtype)


def default_float_dtype() -> np.dtype:
    """The default float dtype: float64 when x64 is enabled, else float32.

    Used for per-step scalars and scalar state (bias corrections, step counts as
    floats), as torch uses its default dtype for ``step`` and friends.
    """
    return canonicalize_dtype(jnp.float64)


def widest_float_dtype(tree) -> np.dtype:
    """The widest real float dtype among a tree's leaves, and at least float32.

    Complex leaves count by their real part (complex128 gives float64); integer
    and boolean leaves are ignored. Used for scalar state that must not lose
    precision against any param (injected hyperparameters, plateau and
    schedule-free scalars).
    """
    dtype = np.dtype(jnp.float32)
    for leaf in jax.tree.leaves(tree):
        d = real_dtype(leaf_dtype(leaf))
        if jnp.issubdtype(d, jnp.floating):
            dtype = promoted_dtype(dtype, d)
    return canonicalize_dtype(dtype)


def safe_norm(
    x: ArrayLike,
    min_norm: ArrayLike,
    ord: int | float | str | None = None,  # noqa: A002
    axis: None | tuple[int, ...] | int = None,
    keepdims: bool = False,
) -> jax.Array:
    """``max(||x||, min_norm)``, with a finite gradient where ``||x||`` is 0.

    The gradient of ``jnp.linalg.norm`` is NaN at 0. Here, wherever the norm is
    at most ``min_norm`` the norm is computed of a stand-in array of ones (its
    gradient is then 0 with respect to ``x``) and ``min_norm`` is returned.

    Args:
        x: the array.
        min_norm: the floor of the result; >= 0.
        ord, axis, keepdims: as ``jnp.linalg.norm``.

    Returns:
        The floored norm.

    Example:
        >>> import gradtx, jax, jax.numpy as jnp
        >>> jax.grad(lambda x: gradtx.safe_norm(x, 0.0))(jnp.zeros(2))
        Array([0., 0.], dtype=float32)
    """
    x = jnp.asarray(x)
    norm = jnp.linalg.norm(x, ord=ord, axis=axis, keepdims=True)
    small = norm <= min_norm
    stand_in = jnp.where(small, jnp.ones_like(x), x)
    if not keepdims:
        small = jnp.squeeze(small, axis=axis)
    return jnp.where(
        small, min_norm, jnp.linalg.norm(stand_in, ord=ord, axis=axis, keepdims=keepdims)
    )


def safe_root_mean_squares(x: ArrayLike, min_rms: ArrayLike) -> jax.Array:
    """``max(sqrt(mean(|x|^2)), min_rms)``, with a finite gradient where the RMS is 0.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.safe_root_mean_squares(jnp.array([3.0, 4.0]), 1.0)
        Array(3.535534, dtype=float32)
    """
    x = jnp.asarray(x)
    rms = jnp.sqrt(jnp.mean(abs_sq(x)))
    small = rms <= min_rms
    stand_in = jnp.where(small, jnp.ones_like(x), x)
    return jnp.where(small, min_rms, jnp.sqrt(jnp.mean(abs_sq(stand_in))))
