"""Reduce the scale of the updates when a monitored value stops improving."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation
from gradtx._core._numerics import safe_increment, widest_float_dtype, zero_count
from gradtx._core._validate import check_range, concrete_values


class ReduceLROnPlateauState(NamedTuple):
    """State of ``reduce_on_plateau``.

    Fields, in optax's order (optax code unpacks this state by position):
    ``scale`` the factor applied to the updates; ``best_value`` the best window
    average so far; ``plateau_count`` windows since the last improvement;
    ``cooldown_count`` windows left in the cooldown; ``count`` values
    accumulated in the current window; ``avg_value`` the running average of
    the current window.
    """

    scale: jax.Array
    best_value: jax.Array
    plateau_count: jax.Array
    cooldown_count: jax.Array
    count: jax.Array
    avg_value: jax.Array


def reduce_on_plateau(
    factor: float = 0.1,
    patience: int | jax.Array = 10,
    rtol: float = 1e-4,
    atol: float = 0.0,
    cooldown: int | jax.Array = 0,
    accumulation_size: int | jax.Array = 1,
    min_scale: float | jax.Array = 0.0,
) -> GradientTransformation:
    """Multiply the updates by a scale that drops by ``factor`` when the loss plateaus.

    ``update`` needs the monitored value as an extra argument:
    ``tx.update(grads, state, params, value=loss)``. Values are averaged over
    windows of ``accumulation_size`` calls; at the end of each window:

        improved  = avg < (1 - rtol) * best - atol
        best      = avg if improved else best
        plateau   = 0 if improved else plateau + 1
        if cooldown_count > 0:          # cooling down: no reduction
            plateau = 0; cooldown_count -= 1
        elif plateau == patience:       # reduce
            scale = max(scale * factor, min_scale)
            plateau = 0; cooldown_count = cooldown

    and at every call ``u_t = scale * g_t``. Place it after the optimizer (or at
    least after ``scale_by_learning_rate``) in a chain. Matches
    ``optax.contrib.reduce_on_plateau``; torch's ``ReduceLROnPlateau(patience=p)``
    reduces one window later, as ``patience=p + 1`` here. The scale, best and
    average are kept in float32 (float64 if a param is float64), where optax
    keeps the scale in the lowest param dtype.

    Args:
        factor: multiplier of the scale at each reduction, in (0, 1).
        patience: windows without improvement before a reduction, >= 1.
        rtol: relative improvement threshold, in [0, 1].
        atol: absolute improvement threshold, >= 0; rtol and atol not both 0.
        cooldown: windows after a reduction during which none happens, >= 0.
        accumulation_size: calls averaged into one window, >= 1 (use more than 1
            when ``value`` is a noisy minibatch loss).
        min_scale: the scale never goes below it, >= 0.

    Returns:
        The transformation; its state is ``ReduceLROnPlateauState``.

    Raises:
        ValueError: out-of-range concrete arguments; ``update`` without ``value=``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.chain(gradtx.sgd(0.1), gradtx.reduce_on_plateau(patience=5))
        >>> params = jnp.ones(2)
        >>> state = opt.init(params)
        >>> updates, state = opt.update(params, state, params, value=1.0)
    """
    fn = "reduce_on_plateau"
    check_range(fn, "factor", factor, 0.0, 1.0, low_open=True, high_open=True)
    check_range(fn, "rtol", rtol, 0.0, 1.0)
    check_range(fn, "atol", atol, 0.0)
    check_range(fn, "patience", patience, 1.0)
    check_range(fn, "cooldown", cooldown, 0.0)
    check_range(fn, "accumulation_size", accumulation_size, 1.0)
    check_range(fn, "min_scale", min_scale, 0.0)
    r, a = concrete_values(rtol), concrete_values(atol)
    if r is not None and a is not None and float(r) == 0.0 and float(a) == 0.0:
        raise ValueError(
            f"gradtx.{fn}(rtol=0.0, atol=0.0): at least one of rtol and atol must be "
            f"positive, or every tiny change counts as an improvement."
        )

    def init(params):
        dtype = widest_float_dtype(params)
        return ReduceLROnPlateauState(
            count=zero_count(),
            scale=jnp.ones((), dtype),
            best_value=jnp.full((), jnp.inf, dtype),
            plateau_count=zero_count(),
            cooldown_count=zero_count(),
            avg_value=jnp.zeros((), dtype),
        )

    def end_of_window(s: ReduceLROnPlateauState) -> ReduceLROnPlateauState:
        improved = s.avg_value < (1 - rtol) * s.best_value - atol
        best = jnp.where(improved, s.avg_value, s.best_value)
        plateau = jnp.where(improved, 0, safe_increment(s.plateau_count))
        cooling = s.cooldown_count > 0
        hit = jnp.logical_and(~cooling, plateau == patience)
        scale = jnp.where(hit, s.scale * factor, s.scale)
        scale = jnp.where(cooling, s.scale, jnp.maximum(scale, min_scale))
        cooldown_count = jnp.where(
            cooling, s.cooldown_count - 1, jnp.where(hit, jnp.asarray(cooldown), 0)
        )
        i32 = jnp.int32
        return ReduceLROnPlateauState(
            count=jnp.zeros((), i32),
            scale=scale.astype(s.scale.dtype),
            best_value=best.astype(s.best_value.dtype),
            plateau_count=jnp.where(cooling | hit, 0, plateau).astype(i32),
            cooldown_count=cooldown_count.astype(i32),
            avg_value=jnp.zeros((), s.avg_value.dtype),
        )

    def update(updates, state, params=None, **extra_args):
        del params
        if "value" not in extra_args:
            raise ValueError(
                f"gradtx.{fn}: update needs the monitored value as an extra argument, e.g. "
                f"tx.update(grads, state, params, value=loss)."
            )
        value = jnp.asarray(extra_args["value"])
        if value.shape != ():
            raise ValueError(f"gradtx.{fn}: value must be a scalar; got shape {value.shape}.")
        count = safe_increment(state.count)
        dtype = state.avg_value.dtype
        avg = (state.count.astype(dtype) * state.avg_value + value.astype(dtype)) / count.astype(
            dtype
        )
        s = state._replace(count=count, avg_value=avg.astype(dtype))
        done = count == accumulation_size
        s = jax.tree.map(lambda a, b: jnp.where(done, a, b), end_of_window(s), s)
        updates = jax.tree.map(lambda g: (s.scale * g).astype(g.dtype), updates)
        return updates, s

    return GradientTransformation(init, update)
