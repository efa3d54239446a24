"""Exponential moving averages of gradient powers, and their bias correction."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from gradtx.tree_utils._tree_math import abs_sq, is_none, leaf_dtype, promoted, promoted_dtype


def moment_update(moment: jax.Array, value: jax.Array, decay: ArrayLike) -> jax.Array:
    """One step of an exponential moving average, kept in the moment's dtype.

    ``decay * moment + (1 - decay) * value``: the first and second moments of
    Adam and its family, RMSProp's mean square, and every other EMA in gradtx
    are this one rule, so a bfloat16 moment stays bfloat16 even when ``decay``
    is a float32 array.
    """
    return moving_average(moment, value, decay).astype(leaf_dtype(moment))


def moving_average(moment: jax.Array, value: jax.Array, decay: ArrayLike) -> jax.Array:
    """``(1 - decay) * value + decay * moment`` in the dtype implicit promotion gives.

    Each product and the sum cast their operands explicitly (``promoted``), so
    the numbers are those of standard promotion and strict promotion accepts
    it; unlike ``moment_update`` the result is not cast back to the moment's dtype.
    """
    new_part = promoted(jnp.multiply, 1 - decay, value)
    old_part = promoted(jnp.multiply, decay, moment)
    return promoted(jnp.add, new_part, old_part)


def _ema_map(f, updates, moments):
    """Map ``f(g, m)`` over leaves, keeping each moment's dtype; a None update keeps None."""

    def leaf(g, m):
        if g is None:
            return None
        return f(g, m).astype(jnp.result_type(m))

    return jax.tree.map(leaf, updates, moments, is_leaf=is_none)


def tree_update_moment(updates: Any, moments: Any, decay: ArrayLike, order: int) -> Any:
    """The EMA of the ``order``-th power of the updates, leafwise.

    Update rule:
        m_t = (1 - decay) * g_t ** order + decay * m_{t-1}

    Each result keeps its moment's dtype (optax's may promote, e.g. a bfloat16
    moment with a float32 ``decay`` array), so an optimizer state's dtypes never
    drift. A None update leaf gives None.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.tree_utils.tree_update_moment([jnp.array([2.0])], [jnp.array([0.0])], 0.9, 2)
        [Array([0.4], dtype=float32)]
    """
    return _ema_map(lambda g, m: moment_update(m, g**order, decay), updates, moments)


def tree_update_moment_per_elem_norm(
    updates: Any, moments: Any, decay: ArrayLike, order: int
) -> Any:
    """The EMA of ``|g| ** order``, leafwise; real even for complex updates.

    Update rule:
        m_t = (1 - decay) * |g_t| ** order + decay * m_{t-1}

    For order 2 this is ``|g|^2 = g * conj(g)``. For odd orders of a real ``g``
    optax uses ``g ** order`` (signed); gradtx uses the magnitude, as the name
    says. Results keep each moment's dtype; a None update gives None.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.tree_utils.tree_update_moment_per_elem_norm(
        ...     [jnp.array([3j])], [jnp.array([0.0])], 0.0, 2)
        [Array([9.], dtype=float32)]
    """

    def power(g):
        sq = abs_sq(g)
        if order == 2:
            return sq
        half = order / 2
        return sq ** (int(half) if float(half).is_integer() else half)

    return _ema_map(lambda g, m: moment_update(m, power(g), decay), updates, moments)


def tree_update_infinity_moment(
    updates: Any, moments: Any, decay: ArrayLike, eps: ArrayLike
) -> Any:
    """The exponentially weighted infinity norm (Adamax's ``u``), leafwise.

    Update rule:
        u_t = max(|g_t| + eps, decay * u_{t-1})

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.tree_utils.tree_update_infinity_moment(
        ...     [jnp.array([-1.0])], [jnp.array([4.0])], 0.5, 0.0)
        [Array([2.], dtype=float32)]
    """
    return _ema_map(lambda g, m: jnp.maximum(jnp.abs(g) + eps, decay * m), updates, moments)


def bias_correction_factor(decay: ArrayLike, count: jax.Array) -> jax.Array:
    """The scalar ``1 - decay ** count``, in float32 or wider, computed once per step.

    The float dtype is the wider of ``decay``'s and the default float (float64
    with x64 enabled); the integer ``count`` is cast to it explicitly. Cast the
    result to a leaf's dtype where it meets the leaf.
    """
    dtype = promoted_dtype(leaf_dtype(decay), jnp.result_type(float))
    return 1 - jnp.asarray(decay, dtype) ** jnp.asarray(count).astype(dtype)


def tree_bias_correction(moment: Any, decay: ArrayLike, count: ArrayLike) -> Any:
    """Divide each leaf of an EMA by ``1 - decay ** count`` (Adam's debiasing).

    Update rule:
        m_hat = m / (1 - decay ** count)

    The divisor is one scalar per step, cast to each leaf's dtype. At
    ``count = 0`` it is 0: debias after incrementing the count.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.tree_utils.tree_bias_correction([jnp.array([0.25])], 0.5, jnp.asarray(2))
        [Array([0.33333334], dtype=float32)]
    """
    c = bias_correction_factor(decay, count)
    return jax.tree.map(lambda m: m / c.astype(jnp.result_type(m)), moment)
