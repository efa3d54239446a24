"""Schedules: jit-able functions of the step count that return a hyperparameter value.

Every schedule here takes a count of any shape and of any integer or float dtype
(int32, int64, uint32, float32, float64, or a Python number) and works elementwise,
so ``schedule(jnp.arange(n))`` evaluates ``n`` steps at once. Counts are never
forced into int32: step arithmetic stays exact in the count's own integer dtype
(comparisons against boundaries, ``count - begin``, integer division) and
fractions of a phase are computed in float64 when x64 is enabled, float32
otherwise. Counts past ``2**31`` (an int64 or uint32 count, a float count, or a
boundary larger than the count's dtype can hold) therefore give the right value.

Values are returned in float32 unless a value argument (``init_value``,
``peak_value``, ...) is an array of a wider float dtype, in which case that
dtype is used. Step arguments (``transition_steps``, boundaries, ...) must be
concrete numbers: they fix the shape of the schedule. Value arguments may be
Python numbers or JAX arrays."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import jax.numpy as jnp

from gradtx._core._contract import Schedule
from gradtx._core._validate import check_range, check_scalars, concrete_values
from gradtx.schedules._step_math import (
    ArrayLike,
    as_count,
    at_least,
    boundaries_arg,
    cast_value,
    float_like,
    floor_div,
    fraction,
    out_dtype,
    shift,
    steps_arg,
    transition_steps_arg,
)

# ---------------------------------------------------------------------------
# Schedules.


def constant_schedule(value: ArrayLike) -> Schedule:
    """Return ``value`` at every step.

    Example:
        >>> import gradtx
        >>> gradtx.constant_schedule(0.1)(1000)
        Array(0.1, dtype=float32)
    """
    check_scalars("constant_schedule", value=value)

    def schedule(count):
        c = as_count(count)
        return jnp.broadcast_to(jnp.asarray(value, out_dtype(value)), c.shape)

    return schedule


def polynomial_schedule(
    init_value: ArrayLike,
    end_value: ArrayLike,
    power: ArrayLike,
    transition_steps: int,
    transition_begin: int = 0,
) -> Schedule:
    """Go from ``init_value`` to ``end_value`` along a polynomial of degree ``power``.

    With ``I = init_value``, ``E = end_value``, ``B = transition_begin``,
    ``T = transition_steps`` and ``P = power``:

        v(t) = I                                  for t < B
        v(t) = (I - E) * (1 - (t - B) / T)^P + E  for B <= t < B + T
        v(t) = E                                  for t >= B + T

    ``power=1`` is ``linear_schedule``; torch's ``PolynomialLR(total_iters=T,
    power=P)`` is ``polynomial_schedule(lr, 0.0, P, T)``.

    Args:
        init_value: value before and at the start of the transition.
        end_value: value at the end of the transition and after it.
        power: exponent of the polynomial (1 = linear, 2 = quadratic...).
        transition_steps: length of the transition; 0 or less (with a warning) gives the constant
            ``init_value`` (as in optax).
        transition_begin: steps to hold ``init_value`` first, >= 0.

    Raises:
        ValueError: negative ``transition_begin``.

    Example:
        >>> import gradtx
        >>> s = gradtx.polynomial_schedule(1.0, 0.0, power=2, transition_steps=10)
        >>> print(s(5))
        0.25
    """
    fn = "polynomial_schedule"
    check_scalars(fn, init_value=init_value, end_value=end_value, power=power)
    transition_steps = transition_steps_arg(fn, transition_steps)
    transition_begin = steps_arg(fn, "transition_begin", transition_begin)
    if transition_steps == 0:
        return constant_schedule(init_value)
    dtype = out_dtype(init_value, end_value, power)

    def schedule(count):
        frac = 1 - fraction(as_count(count), transition_begin, transition_steps)
        return (init_value - end_value) * cast_value(frac, dtype) ** power + end_value

    return schedule


def linear_schedule(
    init_value: ArrayLike,
    end_value: ArrayLike,
    transition_steps: int,
    transition_begin: int = 0,
) -> Schedule:
    """Go linearly from ``init_value`` to ``end_value`` over ``transition_steps`` steps.

        v(t) = I + (E - I) * clip((t - B) / T, 0, 1)

    with ``I = init_value``, ``E = end_value``, ``B = transition_begin``,
    ``T = transition_steps`` (``T = 0`` gives the constant ``I``). torch's
    ``LinearLR(start_factor=a, end_factor=b, total_iters=T)`` is
    ``linear_schedule(a * lr, b * lr, T)``.

    Raises:
        ValueError: negative ``transition_steps`` or ``transition_begin``.

    Example:
        >>> import gradtx
        >>> s = gradtx.linear_schedule(0.0, 1.0, transition_steps=100)
        >>> print(s(25), s(1000))
        0.25 1.0
    """
    fn = "linear_schedule"
    check_scalars(fn, init_value=init_value, end_value=end_value)
    transition_steps = steps_arg(fn, "transition_steps", transition_steps)
    transition_begin = steps_arg(fn, "transition_begin", transition_begin)
    if transition_steps == 0:
        return constant_schedule(init_value)
    dtype = out_dtype(init_value, end_value)

    def schedule(count):
        frac = cast_value(fraction(as_count(count), transition_begin, transition_steps), dtype)
        return (1 - frac) * init_value + frac * end_value

    return schedule


def piecewise_constant_schedule(
    init_value: ArrayLike, boundaries_and_scales: dict[int, float] | None = None
) -> Schedule:
    """``init_value`` times the product of the scales of every boundary reached.

        v(t) = init_value * prod_{b_i <= t} s_i

    for ``boundaries_and_scales = {b_i: s_i}``. torch's ``MultiStepLR(milestones,
    gamma)`` is ``piecewise_constant_schedule(lr, {m: gamma for m in milestones})``.

    Args:
        init_value: value before the first boundary.
        boundaries_and_scales: ``{step: scale}``; steps >= 0, scales >= 0. The
            scale multiplies the value from that step on.

    Raises:
        ValueError: a negative step or scale.

    Example:
        >>> import gradtx
        >>> s = gradtx.piecewise_constant_schedule(1.0, {100: 0.1, 200: 0.5})
        >>> print(s(99), s(100), s(250))
        1.0 0.1 0.05
    """
    check_scalars("piecewise_constant_schedule", init_value=init_value)
    boundaries, scales = boundaries_arg("piecewise_constant_schedule", boundaries_and_scales)
    dtype = out_dtype(init_value, *scales)

    def schedule(count):
        c = as_count(count)
        v = jnp.broadcast_to(jnp.asarray(init_value, dtype), c.shape)
        for b, s in zip(boundaries, scales, strict=True):
            v = jnp.where(at_least(c, b), v * s, v)
        return v

    return schedule


def _linear_weight(pct):
    """Weight of the start value at ``pct`` of a linear segment."""
    return 1 - pct


def _cosine_weight(pct):
    """Weight of the start value at ``pct`` of a half-cosine segment."""
    return 0.5 * (1 + jnp.cos(jnp.pi * pct))


def piecewise_interpolate_schedule(
    interpolate_type: str,
    init_value: ArrayLike,
    boundaries_and_scales: dict[int, float] | None = None,
) -> Schedule:
    """Interpolate (linearly or along a half cosine) between values set at boundaries.

    With sorted boundaries ``b_1 < ... < b_n``, ``b_0 = 0``, and values
    ``v_0 = init_value``, ``v_i = v_{i-1} * s_i``, the schedule moves from ``v_i``
    at ``b_i`` to ``v_{i+1}`` at ``b_{i+1}`` and holds ``v_n`` after ``b_n``. The
    scales multiply cumulatively: the target of a segment is the previous value
    times its scale, not the scale itself.

    Args:
        interpolate_type: ``"linear"`` or ``"cosine"``.
        init_value: value at step 0.
        boundaries_and_scales: ``{step: scale}``; steps >= 0, scales >= 0.

    Raises:
        ValueError: an unknown ``interpolate_type``, a negative step or scale.

    Example:
        >>> import gradtx
        >>> s = gradtx.piecewise_interpolate_schedule("linear", 1.0, {4: 0.1, 8: 0.1})
        >>> print(s(2), s(4), s(6))
        0.55 0.1 0.055
    """
    fn = "piecewise_interpolate_schedule"
    check_scalars(fn, init_value=init_value)
    weights = {"linear": _linear_weight, "cosine": _cosine_weight}
    if interpolate_type not in weights:
        raise ValueError(
            f"gradtx.{fn}(interpolate_type={interpolate_type!r}): interpolate_type must be "
            f"'linear' or 'cosine'; got {interpolate_type!r}."
        )
    weight = weights[interpolate_type]
    boundaries, scales = boundaries_arg(fn, boundaries_and_scales)
    dtype = out_dtype(init_value, *scales)
    values = [init_value]
    for s in scales:
        values.append(values[-1] * s)
    starts = (0,) + boundaries

    def schedule(count):
        c = as_count(count)
        v = jnp.broadcast_to(jnp.asarray(values[-1], dtype), c.shape)
        # Walk the segments from the last to the first: the first one that has
        # started (start <= t) owns t.
        for i in reversed(range(len(boundaries))):
            lo, hi = starts[i], starts[i + 1]
            if hi <= lo:
                continue
            # The weight is computed in the count's float precision, then cast.
            w = cast_value(weight(fraction(c, lo, hi - lo)), dtype)
            start, end = jnp.asarray(values[i], dtype), jnp.asarray(values[i + 1], dtype)
            seg = end + (start - end) * w
            v = jnp.where(at_least(c, hi), v, seg)
        return v

    return schedule


def exponential_decay(
    init_value: ArrayLike,
    transition_steps: int,
    decay_rate: float,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: ArrayLike | None = None,
) -> Schedule:
    """Multiply ``init_value`` by ``decay_rate`` every ``transition_steps`` steps.

        p(t) = max(t - B, 0) / T        (floored when staircase=True)
        v(t) = init_value * decay_rate^p(t)

    then clipped at ``end_value`` from below (``decay_rate < 1``) or from above
    (``decay_rate > 1``). torch's ``StepLR(step_size=k, gamma=g)`` is
    ``exponential_decay(lr, k, g, staircase=True)`` and ``ExponentialLR(gamma=g)``
    is ``exponential_decay(lr, 1, g)``.

    Args:
        init_value: value until ``transition_begin``.
        transition_steps: steps per factor of ``decay_rate``; 0 or less gives the
            constant ``init_value`` (as in optax; a negative value warns).
        decay_rate: >= 0. Below 1 decays, above 1 grows; 0 gives the constant
            ``init_value`` with a warning (as in optax).
        transition_begin: steps to hold ``init_value`` first, >= 0.
        staircase: decay in discrete jumps at multiples of ``transition_steps``.
        end_value: optional bound where the decay (or growth) stops.

    Raises:
        ValueError: ``decay_rate < 0`` or negative ``transition_begin``.

    Example:
        >>> import gradtx
        >>> s = gradtx.exponential_decay(1.0, transition_steps=10, decay_rate=0.5)
        >>> print(s(10), s(20))
        0.5 0.25
    """
    fn = "exponential_decay"
    check_scalars(fn, init_value=init_value, end_value=end_value, none=("end_value",))
    transition_steps = transition_steps_arg(fn, transition_steps)
    transition_begin = steps_arg(fn, "transition_begin", transition_begin)
    check_range(fn, "decay_rate", decay_rate, 0.0)
    rate = concrete_values(decay_rate)
    if rate is not None and rate.ndim == 0 and rate.item() == 0:
        warnings.warn(
            f"gradtx.{fn}(decay_rate=0): a zero decay_rate gives a constant schedule with "
            "value init_value (as in optax).",
            stacklevel=2,
        )
        return constant_schedule(init_value)
    if transition_steps == 0:
        return constant_schedule(init_value)
    dtype = out_dtype(init_value, decay_rate, end_value)

    def schedule(count):
        s = shift(as_count(count), transition_begin)
        if staircase:
            p = floor_div(s, transition_steps)
        else:
            p = s.astype(float_like(s)) / float(transition_steps)
        rate = jnp.asarray(decay_rate, dtype)
        v = init_value * rate ** cast_value(p, dtype)
        if end_value is not None:
            v = jnp.where(rate < 1, jnp.maximum(v, end_value), jnp.minimum(v, end_value))
        return v.astype(dtype)

    return schedule


def cosine_decay_schedule(
    init_value: ArrayLike,
    decay_steps: int,
    alpha: ArrayLike = 0.0,
    exponent: ArrayLike = 1.0,
) -> Schedule:
    """Decay ``init_value`` along a half cosine to ``alpha * init_value``.

        c(t) = (1 + cos(pi * min(t, T) / T)) / 2
        v(t) = init_value * ((1 - alpha) * c(t)^exponent + alpha)

    with ``T = decay_steps``; the value stays at ``alpha * init_value`` after
    ``T``. torch's ``CosineAnnealingLR(T_max=T, eta_min=m)`` is
    ``cosine_decay_schedule(lr, T, alpha=m / lr)`` for ``t <= T``.

    Args:
        init_value: value at step 0.
        decay_steps: length of the decay, > 0.
        alpha: final value as a fraction of ``init_value``.
        exponent: power applied to the cosine factor (1 = plain cosine).

    Raises:
        ValueError: ``decay_steps <= 0``.

    References:
        Loshchilov and Hutter, SGDR: Stochastic Gradient Descent with Warm
        Restarts, ICLR 2017, https://arxiv.org/abs/1608.03983

    Example:
        >>> import gradtx
        >>> s = gradtx.cosine_decay_schedule(1.0, decay_steps=100)
        >>> print(s(0), s(25), s(100))
        1.0 0.8535534 0.0
    """
    check_scalars("cosine_decay_schedule", init_value=init_value, alpha=alpha, exponent=exponent)
    decay_steps = steps_arg("cosine_decay_schedule", "decay_steps", decay_steps, positive=True)
    dtype = out_dtype(init_value, alpha, exponent)

    def schedule(count):
        frac = fraction(as_count(count), 0, decay_steps)
        cos = cast_value(0.5 * (1 + jnp.cos(jnp.pi * frac)), dtype)
        return init_value * ((1 - alpha) * cos**exponent + alpha)

    return schedule


def join_schedules(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> Schedule:
    """Run ``schedules[0]`` until ``boundaries[0]``, then ``schedules[1]``, and so on.

    Each schedule after the first receives the number of steps since its own
    boundary: at step ``t >= boundaries[i - 1]`` (and before the next boundary)
    the value is ``schedules[i](t - boundaries[i - 1])``.

    Args:
        schedules: functions of the step count.
        boundaries: one fewer than ``schedules``; non-negative, non-decreasing.

    Raises:
        ValueError: wrong number of boundaries, a negative or decreasing boundary.

    Example:
        >>> import gradtx
        >>> s = gradtx.join_schedules(
        ...     [gradtx.constant_schedule(1.0), gradtx.constant_schedule(0.5)], [10])
        >>> print(s(9), s(10))
        1.0 0.5
    """
    fn = "join_schedules"
    schedules = list(schedules)
    boundaries = [steps_arg(fn, "boundaries", b) for b in boundaries]
    if len(boundaries) != len(schedules) - 1:
        raise ValueError(
            f"gradtx.{fn}: needs one boundary fewer than schedules; got {len(schedules)} "
            f"schedules and {len(boundaries)} boundaries."
        )
    for i in range(1, len(boundaries)):
        if boundaries[i] < boundaries[i - 1]:
            raise ValueError(
                f"gradtx.{fn}(boundaries={boundaries}): boundaries must be non-decreasing; "
                f"got {boundaries[i - 1]} before {boundaries[i]}."
            )

    def schedule(count):
        c = as_count(count)
        out = jnp.asarray(schedules[0](c))
        for b, sched in zip(boundaries, schedules[1:], strict=True):
            new = jnp.asarray(sched(shift(c, b)))
            dtype = jnp.result_type(out, new)
            out = jnp.where(at_least(c, b), new.astype(dtype), out.astype(dtype))
        return out

    return schedule
