"""Memory-light second moments: Adafactor's factored RMS and SM3's covers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain, identity
from gradtx._core._numerics import canonicalize_dtype, real_dtype, safe_increment, zero_count
from gradtx._core._validate import (
    check_decay,
    check_dtype,
    check_int,
    check_learning_rate,
    check_nonnegative,
    check_positive,
    checks_float_params,
)
from gradtx.transforms._layerwise import clip_by_block_rms, scale_by_param_block_rms
from gradtx.transforms._momentum import EmaState, ema
from gradtx.transforms._scaling import scale, scale_by_learning_rate
from gradtx.transforms._weight_decay import add_decayed_weights
from gradtx.tree_utils._sharding import zeros_reduced_like
from gradtx.tree_utils._tree_math import abs_sq, leaf_dtype, map_leaves_with_stats, zip_map


def _mean_square(x: jax.Array) -> jax.Array:
    return jnp.mean(abs_sq(x))


# ---------------------------------------------------------------------------
# Adafactor


def _decay_rate_pow(i: jax.Array, exponent: float | jax.Array = 0.8) -> jax.Array:
    """Adafactor's second-moment decay ``1 - (i + 1) ** -exponent``, in float32."""
    t = jnp.asarray(safe_increment(i), jnp.float32)  # i + 1, saturating at the int32 limit
    return 1.0 - t ** (-exponent)


def _factored_dims(shape, factored: bool, min_dim_size_to_factor: int):
    """The (second largest, largest) axes of ``shape``, or None if not factored.

    A leaf is factored when ``factored`` is set, it has rank >= 2 and its second
    largest axis has at least ``min_dim_size_to_factor`` entries. Ties keep
    NumPy's stable argsort order, as optax does.
    """
    if not factored or len(shape) < 2:
        return None
    order = np.argsort(shape, kind="stable")
    if shape[order[-2]] < min_dim_size_to_factor:
        return None
    return int(order[-2]), int(order[-1])


class FactoredState(NamedTuple):
    """State of ``scale_by_factored_rms``.

    ``v_row`` and ``v_col`` hold the row and column statistics of factored
    leaves; ``v`` the full second moment of the other leaves. The unused fields
    of a leaf hold a one-element placeholder, so the structure is the same for
    every leaf and every flag.
    """

    count: jax.Array
    v_row: Any
    v_col: Any
    v: Any


@checks_float_params
def scale_by_factored_rms(
    factored: bool = True,
    decay_rate: float | jax.Array = 0.8,
    step_offset: int | jax.Array = 0,
    min_dim_size_to_factor: int = 128,
    epsilon: float | jax.Array = 1e-30,
    decay_rate_fn: Callable[[jax.Array, Any], jax.Array] = _decay_rate_pow,
) -> GradientTransformation:
    """Divide by a factored estimate of the root mean square gradient (Adafactor).

    For a matrix of shape (n, m) Adafactor keeps n + m numbers instead of n * m:
    the row and column means of the squared gradients, whose outer product
    (divided by their grand mean) is a rank-1 estimate of the second moment.
    Leaves of rank >= 2 are factored over their two largest axes when the
    second largest has at least ``min_dim_size_to_factor`` entries; the other
    leaves keep a full second moment as RMSProp does.

    Update rule (t counts from 0, ``beta_t = decay_rate_fn(t - step_offset,
    decay_rate)``, by default ``1 - (t - step_offset + 1) ** -decay_rate``,
    computed in float32):
        s_t = |g_t|^2 + epsilon
        factored leaf, "rows" r = its second largest axis, "columns" c = its largest:
            R_t = beta_t * R_{t-1} + (1 - beta_t) * mean_c(s_t)     (``v_row``)
            C_t = beta_t * C_{t-1} + (1 - beta_t) * mean_r(s_t)     (``v_col``)
            u_t = g_t * (R_t / mean(R_t)) ** -1/2 * C_t ** -1/2
        other leaves:
            V_t = beta_t * V_{t-1} + (1 - beta_t) * s_t            (``v``)
            u_t = g_t * V_t ** -1/2

    With the default schedule ``beta_0 = 0``, so no bias correction is needed.

    Args:
        factored: factor the second moment of leaves of rank >= 2.
        decay_rate: exponent c of the decay schedule, >= 0 (0.8 in the paper).
        step_offset: subtracted from the step count, >= 0 (set it to the first
            step of a fine-tuning phase to restart the schedule).
        min_dim_size_to_factor: int >= 0; factor only if the two largest axes
            have at least this many entries.
        epsilon: >= 0, added to the squared gradients.
        decay_rate_fn: ``f(step, decay_rate) -> beta``; the default is the
            paper's power schedule.

    Returns:
        The transformation; its state is ``FactoredState``.

    Raises:
        ValueError: out-of-range concrete hyperparameters.

    References:
        Shazeer and Stern, Adafactor: Adaptive Learning Rates with Sublinear
        Memory Cost, ICML 2018, https://arxiv.org/abs/1804.04235.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.scale_by_factored_rms(min_dim_size_to_factor=2)
        >>> state = tx.init({"w": jnp.ones((2, 3))})
        >>> state.v_row["w"].shape, state.v_col["w"].shape
        ((2,), (3,))
    """
    fn = "scale_by_factored_rms"
    check_nonnegative(fn, "decay_rate", decay_rate)
    check_nonnegative(fn, "step_offset", step_offset)
    check_int(fn, "min_dim_size_to_factor", min_dim_size_to_factor, 0)
    check_nonnegative(fn, "epsilon", epsilon)
    if not callable(decay_rate_fn):
        raise TypeError(
            f"gradtx.{fn}(decay_rate_fn={decay_rate_fn!r}): decay_rate_fn must be a "
            "function of (step, decay_rate)."
        )

    def dims(shape):
        return _factored_dims(tuple(shape), factored, min_dim_size_to_factor)

    def init(params):
        def leaf(p):
            dtype = real_dtype(leaf_dtype(p))
            # Distinct placeholder buffers, so that the state can be donated.
            placeholder = lambda: jnp.zeros((1,), dtype)
            d = dims(jnp.shape(p))
            if d is None:
                return placeholder(), placeholder(), jnp.zeros_like(p, dtype)
            row_axis, col_axis = d
            row = zeros_reduced_like(p, (col_axis,), dtype)
            col = zeros_reduced_like(p, (row_axis,), dtype)
            return row, col, placeholder()

        v_row, v_col, v = zip_map(f"gradtx.{fn}", leaf, 3, params=params)
        return FactoredState(count=zero_count(), v_row=v_row, v_col=v_col, v=v)

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        beta = decay_rate_fn(state.count - step_offset, decay_rate)

        def leaf(g, r, c, v):
            s = abs_sq(g) + epsilon
            d = dims(g.shape)
            if d is None:
                new_v = (beta * v + (1.0 - beta) * s).astype(v.dtype)
                return (g * new_v**-0.5).astype(g.dtype), r, c, new_v
            row_axis, col_axis = d
            new_r = (beta * r + (1.0 - beta) * jnp.mean(s, axis=col_axis)).astype(r.dtype)
            new_c = (beta * c + (1.0 - beta) * jnp.mean(s, axis=row_axis)).astype(c.dtype)
            # new_r lost col_axis, so row_axis moved left if it came after it.
            r_axis_in_r = row_axis - 1 if row_axis > col_axis else row_axis
            row_factor = (new_r / jnp.mean(new_r, axis=r_axis_in_r, keepdims=True)) ** -0.5
            col_factor = new_c**-0.5
            u = g * jnp.expand_dims(row_factor, col_axis) * jnp.expand_dims(col_factor, row_axis)
            return u.astype(g.dtype), new_r, new_c, v

        updates, v_row, v_col, v = map_leaves_with_stats(
            f"gradtx.{fn}", leaf, 4, updates, state.v_row, state.v_col, state.v
        )
        return updates, FactoredState(
            count=safe_increment(state.count), v_row=v_row, v_col=v_col, v=v
        )

    return GradientTransformation(init, update)


def _adafactor_momentum(momentum, dtype) -> GradientTransformation:
    """``ema(momentum, debias=False)``, or a pass-through with the same state type.

    Without momentum, ``ema`` holds one-element placeholders, so adafactor's state
    structure does not depend on whether momentum is on.
    """
    if momentum is not None:
        return ema(momentum, debias=False, accumulator_dtype=dtype)

    def init(params):
        return EmaState(
            count=zero_count(), ema=jax.tree.map(lambda p: jnp.zeros((1,), dtype), params)
        )

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        return updates, EmaState(count=safe_increment(state.count), ema=state.ema)

    return GradientTransformation(init, update)


@checks_float_params
def adafactor(
    learning_rate: ScalarOrSchedule | None = None,
    min_dim_size_to_factor: int = 128,
    decay_rate: float | jax.Array = 0.8,
    decay_offset: int | jax.Array = 0,
    multiply_by_parameter_scale: bool = True,
    clipping_threshold: float | jax.Array | None = 1.0,
    momentum: float | jax.Array | None = None,
    dtype_momentum=jnp.float32,
    weight_decay_rate: ScalarOrSchedule | None = None,
    eps: float | jax.Array = 1e-30,
    factored: bool = True,
    weight_decay_mask: Any = None,
) -> GradientTransformation:
    """Adafactor: factored RMS scaling, block clipping, relative step size.

    Chains, in this order (as optax does):
        1. ``scale_by_factored_rms(factored, decay_rate, decay_offset,
           min_dim_size_to_factor, eps)``                   -> u
        2. ``clip_by_block_rms(clipping_threshold)``         u / max(1, rms(u) / d)
        3. multiply by ``learning_rate`` (skipped if None)
        4. ``scale_by_param_block_rms()``                    u * max(rms(p), 1e-3)
        5. ``ema(momentum, debias=False)`` (pass-through if momentum is None)
        6. ``add_decayed_weights(weight_decay_rate, weight_decay_mask)``
        7. negate:  p_t = p_{t-1} - u

    So the weight decay is not multiplied by the learning rate, and the
    momentum averages steps that already include it. Steps 2 and 4 become
    pass-throughs when disabled; the state is a 7-tuple whose structure does
    not depend on ``clipping_threshold``, ``multiply_by_parameter_scale``,
    ``momentum`` or ``weight_decay_rate`` being set.

    Complex params: supported (second moments of |g|^2, so steps keep g's phase).

    Args:
        learning_rate: a non-negative number, array or schedule; None means
            the relative step of the paper with no extra factor.
        min_dim_size_to_factor: factor a leaf's statistics only if its two
            largest axes have at least this many entries.
        decay_rate: exponent of the second-moment decay schedule, >= 0.
        decay_offset: subtracted from the step count by the schedule, >= 0.
        multiply_by_parameter_scale: scale the step by each param's RMS.
        clipping_threshold: > 0, or None for no clipping.
        momentum: in [0, 1), or None for no first moment (and no memory for it).
        dtype_momentum: dtype of the momentum buffer.
        weight_decay_rate: >= 0 (number, array or schedule), or None.
        eps: >= 0, added to the squared gradients.
        factored: use factored second moments at all.
        weight_decay_mask: tree of bools (or function of the params) selecting
            the leaves to decay.

    Returns:
        The transformation; its state is a tuple holding ``FactoredState`` first.

    References:
        Shazeer and Stern, Adafactor: Adaptive Learning Rates with Sublinear
        Memory Cost, ICML 2018, https://arxiv.org/abs/1804.04235.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.adafactor(learning_rate=0.01)
        >>> params = {"w": jnp.ones((4, 3))}
        >>> updates, state = opt.update(params, opt.init(params), params)
    """
    fn = "adafactor"
    if learning_rate is not None:
        check_learning_rate(fn, learning_rate, none=True)
    check_int(fn, "min_dim_size_to_factor", min_dim_size_to_factor, 0)
    check_nonnegative(fn, "decay_rate", decay_rate)
    check_nonnegative(fn, "decay_offset", decay_offset)
    if clipping_threshold is not None:
        check_positive(fn, "clipping_threshold", clipping_threshold, none=True)
    if momentum is not None:
        check_decay(fn, "momentum", momentum, none=True)
    check_dtype(fn, "dtype_momentum", dtype_momentum)
    if weight_decay_rate is not None:
        check_nonnegative(fn, "weight_decay_rate", weight_decay_rate, none=True, schedule=True)
    check_nonnegative(fn, "eps", eps)
    dtype_momentum = canonicalize_dtype(dtype_momentum)
    return chain(
        scale_by_factored_rms(factored, decay_rate, decay_offset, min_dim_size_to_factor, eps),
        identity() if clipping_threshold is None else clip_by_block_rms(clipping_threshold),
        identity()
        if learning_rate is None
        else scale_by_learning_rate(learning_rate, flip_sign=False),
        scale_by_param_block_rms() if multiply_by_parameter_scale else identity(),
        _adafactor_momentum(momentum, dtype_momentum),
        add_decayed_weights(
            0.0 if weight_decay_rate is None else weight_decay_rate, weight_decay_mask
        ),
        scale(-1.0),
    )
