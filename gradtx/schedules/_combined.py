"""Schedules built from the basic ones: warmups, one-cycle, warm restarts, cyclic.

Counts follow the rules of ``gradtx/_schedules.py``: any integer or float dtype,
any shape, exact step arithmetic past ``2**31``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import jax
import jax.numpy as jnp

from gradtx._core._contract import Schedule
from gradtx._core._numerics import promoted_dtype
from gradtx._core._validate import check_range, check_scalars, concrete_values
from gradtx.schedules._schedule import (
    cosine_decay_schedule,
    exponential_decay,
    join_schedules,
    linear_schedule,
    piecewise_interpolate_schedule,
)
from gradtx.schedules._step_math import ArrayLike, as_count, out_dtype, shift, steps_arg


def warmup_constant_schedule(
    init_value: ArrayLike, peak_value: ArrayLike, warmup_steps: int
) -> Schedule:
    """Warm up linearly from ``init_value`` to ``peak_value``, then hold it.

        v(t) = init_value + (peak_value - init_value) * min(t / warmup_steps, 1)

    Args:
        init_value: value at step 0.
        peak_value: value from ``warmup_steps`` on.
        warmup_steps: length of the warmup, >= 0 (0 gives ``init_value``
            throughout, as in optax).

    Example:
        >>> import gradtx
        >>> s = gradtx.warmup_constant_schedule(0.0, 1.0, warmup_steps=10)
        >>> print(s(5), s(100))
        0.5 1.0
    """
    check_scalars("warmup_constant_schedule", init_value=init_value, peak_value=peak_value)
    warmup_steps = steps_arg("warmup_constant_schedule", "warmup_steps", warmup_steps)
    return linear_schedule(init_value, peak_value, warmup_steps)


def _safe_ratio(num, den):
    """``num / den``, or 0 where ``den == 0``."""
    if concrete_values(den) is not None and concrete_values(num) is not None:
        return 0.0 if float(den) == 0.0 else num / den
    return jnp.where(den == 0, 0.0, num / jnp.where(den == 0, 1.0, den))


def warmup_cosine_decay_schedule(
    init_value: ArrayLike,
    peak_value: ArrayLike,
    warmup_steps: int,
    decay_steps: int,
    end_value: ArrayLike = 0.0,
    exponent: ArrayLike = 1.0,
) -> Schedule:
    """Linear warmup to ``peak_value``, then cosine decay to ``end_value``.

    With ``W = warmup_steps`` and ``D = decay_steps`` (which counts the warmup):

        v(t) = init_value + (peak_value - init_value) * t / W       for t < W
        c(t) = (1 + cos(pi * min(t - W, D - W) / (D - W))) / 2        for t >= W
        v(t) = end_value + (peak_value - end_value) * c(t)^exponent

    (computed as ``cosine_decay_schedule(peak_value, D - W, alpha=end_value /
    peak_value)`` like optax, so ``peak_value = 0`` gives 0 after the warmup).

    Args:
        init_value: value at step 0.
        peak_value: value at the end of the warmup.
        warmup_steps: length of the warmup, >= 0.
        decay_steps: total length, warmup included; > ``warmup_steps``.
        end_value: value at ``decay_steps`` and after.
        exponent: power of the cosine factor.

    Raises:
        ValueError: ``decay_steps <= warmup_steps`` or negative steps.

    Example:
        >>> import gradtx
        >>> lr = gradtx.warmup_cosine_decay_schedule(0.0, 1e-3, 100, 1000, end_value=1e-5)
        >>> opt = gradtx.adamw(learning_rate=lr, weight_decay=0.05)
    """
    fn = "warmup_cosine_decay_schedule"
    check_scalars(
        fn, init_value=init_value, peak_value=peak_value, end_value=end_value, exponent=exponent
    )
    warmup_steps = steps_arg(fn, "warmup_steps", warmup_steps)
    decay_steps = steps_arg(fn, "decay_steps", decay_steps)
    if decay_steps <= warmup_steps:
        raise ValueError(
            f"gradtx.{fn}(warmup_steps={warmup_steps}, decay_steps={decay_steps}): "
            f"decay_steps is the total length, warmup included, so it must be > "
            f"warmup_steps; got {decay_steps} <= {warmup_steps}."
        )
    alpha = _safe_ratio(end_value, peak_value)
    return join_schedules(
        [
            linear_schedule(init_value, peak_value, warmup_steps),
            cosine_decay_schedule(peak_value, decay_steps - warmup_steps, alpha, exponent),
        ],
        [warmup_steps],
    )


def warmup_exponential_decay_schedule(
    init_value: ArrayLike,
    peak_value: ArrayLike,
    warmup_steps: int,
    transition_steps: int,
    decay_rate: ArrayLike,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: ArrayLike | None = None,
) -> Schedule:
    """Linear warmup to ``peak_value``, then ``exponential_decay`` from it.

    After ``warmup_steps`` the value is ``exponential_decay(peak_value,
    transition_steps, decay_rate, transition_begin, staircase, end_value)``
    evaluated at ``t - warmup_steps``.

    Raises:
        ValueError: negative steps or ``decay_rate <= 0``.

    Example:
        >>> import gradtx
        >>> s = gradtx.warmup_exponential_decay_schedule(0.0, 1.0, 10, 10, 0.5)
        >>> print(s(5), s(20))
        0.5 0.5
    """
    fn = "warmup_exponential_decay_schedule"
    check_scalars(
        fn, init_value=init_value, peak_value=peak_value, end_value=end_value, none=("end_value",)
    )
    warmup_steps = steps_arg(fn, "warmup_steps", warmup_steps)
    steps_arg(fn, "transition_steps", transition_steps)
    steps_arg(fn, "transition_begin", transition_begin)
    check_range(fn, "decay_rate", decay_rate, 0.0, low_open=True)
    return join_schedules(
        [
            linear_schedule(init_value, peak_value, warmup_steps),
            exponential_decay(
                peak_value, transition_steps, decay_rate, transition_begin, staircase, end_value
            ),
        ],
        [warmup_steps],
    )


def _check_onecycle(fn, transition_steps, pct_start, div_factor, final_div_factor):
    transition_steps = steps_arg(fn, "transition_steps", transition_steps, positive=True)
    check_range(fn, "pct_start", pct_start, 0.0, 1.0)
    check_range(fn, "div_factor", div_factor, 0.0, low_open=True)
    check_range(fn, "final_div_factor", final_div_factor, 0.0, low_open=True)
    return transition_steps


def linear_onecycle_schedule(
    transition_steps: int,
    peak_value: ArrayLike,
    pct_start: float = 0.3,
    pct_final: float = 0.85,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> Schedule:
    """One cycle of three linear phases (Smith's 1cycle policy).

    With ``T = transition_steps``, ``lo = peak_value / div_factor``:
    from step 0 to ``int(pct_start * T)`` rise from ``lo`` to ``peak_value``;
    until ``int(pct_final * T)`` fall back to ``lo``; until ``T`` fall to
    ``lo / final_div_factor``; hold that value afterwards.

    Args:
        transition_steps: length of the cycle, > 0.
        peak_value: the largest value, reached at ``pct_start * T``.
        pct_start: fraction of the cycle spent rising, in [0, 1].
        pct_final: fraction of the cycle at which the value is back at ``lo``,
            in [pct_start, 1].
        div_factor: ``peak_value / lo``, > 0.
        final_div_factor: ``lo / final value``, > 0.

    References:
        Smith and Topin, Super-Convergence: Very Fast Training of Neural Networks
        Using Large Learning Rates, 2017, https://arxiv.org/abs/1708.07120

    Example:
        >>> import gradtx
        >>> s = gradtx.linear_onecycle_schedule(100, peak_value=1.0)
        >>> print(s(30))
        1.0
    """
    fn = "linear_onecycle_schedule"
    check_scalars(fn, peak_value=peak_value)
    transition_steps = _check_onecycle(
        fn, transition_steps, pct_start, div_factor, final_div_factor
    )
    check_range(fn, "pct_final", pct_final, pct_start, 1.0)
    return piecewise_interpolate_schedule(
        "linear",
        peak_value / div_factor,
        {
            int(pct_start * transition_steps): div_factor,
            int(pct_final * transition_steps): 1.0 / div_factor,
            transition_steps: 1.0 / final_div_factor,
        },
    )


def cosine_onecycle_schedule(
    transition_steps: int,
    peak_value: ArrayLike,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> Schedule:
    """One cycle of two half-cosine phases (the usual OneCycle learning rate).

    With ``T = transition_steps``, ``lo = peak_value / div_factor``: rise from
    ``lo`` to ``peak_value`` along a half cosine until ``int(pct_start * T)``,
    then fall to ``lo / final_div_factor`` at ``T`` and stay there. torch's
    ``OneCycleLR`` (cos, two phases) puts its phase ends one step earlier
    (``pct_start * total_steps - 1`` and ``total_steps - 1``).

    Args:
        transition_steps: length of the cycle, > 0.
        peak_value: the largest value.
        pct_start: fraction of the cycle spent rising, in [0, 1].
        div_factor: ``peak_value / lo``, > 0.
        final_div_factor: ``lo / final value``, > 0.

    References:
        Smith and Topin, Super-Convergence: Very Fast Training of Neural Networks
        Using Large Learning Rates, 2017, https://arxiv.org/abs/1708.07120

    Example:
        >>> import gradtx
        >>> s = gradtx.cosine_onecycle_schedule(100, peak_value=1.0)
        >>> print(s(30))
        1.0
    """
    fn = "cosine_onecycle_schedule"
    check_scalars(fn, peak_value=peak_value)
    transition_steps = _check_onecycle(
        fn, transition_steps, pct_start, div_factor, final_div_factor
    )
    return piecewise_interpolate_schedule(
        "cosine",
        peak_value / div_factor,
        {
            int(pct_start * transition_steps): div_factor,
            transition_steps: 1.0 / (div_factor * final_div_factor),
        },
    )


def sgdr_schedule(cosine_kwargs: Iterable[dict[str, Any]]) -> Schedule:
    """Stochastic gradient descent with warm restarts: cosine cycles joined end to end.

    Each dict of ``cosine_kwargs`` holds the arguments of one
    ``warmup_cosine_decay_schedule`` (``init_value``, ``peak_value``,
    ``warmup_steps``, ``decay_steps``, optional ``end_value``, ``exponent``);
    cycle ``i`` starts when cycle ``i - 1`` has run its ``decay_steps``. torch's
    ``CosineAnnealingWarmRestarts(T_0, T_mult, eta_min)`` is cycles with
    ``init_value = peak_value = lr``, ``warmup_steps = 0``, ``end_value = eta_min``
    and ``decay_steps = T_0 * T_mult**i``.

    Raises:
        ValueError: no cycles, or a cycle without ``decay_steps``.

    References:
        Loshchilov and Hutter, SGDR: Stochastic Gradient Descent with Warm
        Restarts, ICLR 2017, https://arxiv.org/abs/1608.03983

    Example:
        >>> import gradtx
        >>> cycle = dict(init_value=1.0, peak_value=1.0, warmup_steps=0, decay_steps=10)
        >>> s = gradtx.sgdr_schedule([cycle, cycle])
        >>> print(s(10))
        1.0
    """
    schedules, boundaries, step = [], [], 0
    for i, kwargs in enumerate(cosine_kwargs):
        if "decay_steps" not in kwargs:
            raise ValueError(
                f"gradtx.sgdr_schedule: cycle {i} has no 'decay_steps'; each dict holds the "
                f"arguments of warmup_cosine_decay_schedule; got keys {sorted(kwargs)}."
            )
        schedules.append(warmup_cosine_decay_schedule(**kwargs))
        step += kwargs["decay_steps"]
        boundaries.append(step)
    if not schedules:
        raise ValueError("gradtx.sgdr_schedule(cosine_kwargs=[]): needs at least one cycle.")
    return join_schedules(schedules, boundaries[:-1])


_CYCLIC_MODES = {"triangular": "cycle", "triangular2": "cycle", "exp_range": "iterations"}


def cyclic_schedule(
    base_value: ArrayLike,
    max_value: ArrayLike,
    step_size_up: int = 2000,
    step_size_down: int | None = None,
    mode: str = "triangular",
    gamma: ArrayLike = 1.0,
    scale_fn: Callable[[jax.Array], jax.Array] | None = None,
    scale_mode: str = "cycle",
) -> Schedule:
    """Cycle between ``base_value`` and ``max_value`` (torch's ``CyclicLR``).

    Each cycle rises linearly for ``step_size_up`` steps and falls linearly for
    ``step_size_down`` steps. With ``U = step_size_up``, ``L = U +
    step_size_down``, ``r = t mod L`` and ``cycle = t // L + 1``:

        h(t) = r / U                 if r <= U
               (L - r) / (L - U)     otherwise
        v(t) = base_value + (max_value - base_value) * h(t) * a(t)

    where the amplitude factor ``a`` is 1 (``"triangular"``),
    ``1 / 2^(cycle - 1)`` (``"triangular2"``), ``gamma^t`` (``"exp_range"``), or
    ``scale_fn(cycle)`` / ``scale_fn(t)`` when ``scale_fn`` is given (then
    ``scale_mode`` picks its argument and ``mode`` is ignored, as in torch).

    Args:
        base_value: lower end of the cycle.
        max_value: upper end of the cycle (before the amplitude factor).
        step_size_up: steps of the rising half, > 0.
        step_size_down: steps of the falling half, >= 0; None means ``step_size_up``.
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``.
        gamma: > 0, the per-step factor of ``"exp_range"``.
        scale_fn: optional custom amplitude factor, a jnp function.
        scale_mode: ``"cycle"`` or ``"iterations"``: what ``scale_fn`` receives.

    Raises:
        ValueError: an unknown ``mode`` or ``scale_mode``, non-positive
            ``step_size_up`` or ``gamma``, negative ``step_size_down``.

    References:
        Smith, Cyclical Learning Rates for Training Neural Networks, WACV 2017,
        https://arxiv.org/abs/1506.01186

    Example:
        >>> import gradtx
        >>> s = gradtx.cyclic_schedule(0.1, 1.0, step_size_up=10, mode="triangular2")
        >>> print(s(10), s(20), s(30))
        1.0 0.1 0.55
    """
    fn = "cyclic_schedule"
    check_scalars(fn, base_value=base_value, max_value=max_value)
    up = steps_arg(fn, "step_size_up", step_size_up, positive=True)
    down = up if step_size_down is None else steps_arg(fn, "step_size_down", step_size_down)
    if scale_fn is None:
        if mode not in _CYCLIC_MODES:
            raise ValueError(
                f"gradtx.{fn}(mode={mode!r}): mode must be one of {sorted(_CYCLIC_MODES)}; "
                f"got {mode!r}."
            )
        scale_mode = _CYCLIC_MODES[mode]
    else:
        if not callable(scale_fn):
            raise TypeError(f"gradtx.{fn}(scale_fn=...): scale_fn must be callable or None.")
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError(
                f"gradtx.{fn}(scale_mode={scale_mode!r}): scale_mode must be 'cycle' or "
                f"'iterations'; got {scale_mode!r}."
            )
    check_range(fn, "gamma", gamma, 0.0, low_open=True)
    total = up + down
    dtype = out_dtype(base_value, max_value, gamma)

    def schedule(count):
        t = shift(as_count(count), 0)
        if (
            jnp.issubdtype(t.dtype, jnp.integer)
            and isinstance(total, int)
            and total <= jnp.iinfo(t.dtype).max
        ):
            q = t // jnp.asarray(total, t.dtype)
            r = t - q * jnp.asarray(total, t.dtype)
        else:
            t = t.astype(promoted_dtype(t.dtype, jnp.float32))
            q = jnp.floor(t / float(total))
            r = t - q * float(total)
        fdt = promoted_dtype(dtype, jnp.float64 if jax.config.jax_enable_x64 else dtype)
        r, q, tf = r.astype(fdt), q.astype(fdt), t.astype(fdt)
        rising = r <= float(up)
        # r < L, so r > U only happens when L > U.
        h = jnp.where(rising, r / float(up), (float(total) - r) / float(max(down, 1)))
        cycle = q + 1
        if scale_fn is not None:
            amp = scale_fn(cycle if scale_mode == "cycle" else tf)
        elif mode == "triangular":
            amp = 1.0
        elif mode == "triangular2":
            amp = jnp.exp2(-(cycle - 1))
        else:
            amp = jnp.asarray(gamma, fdt) ** tf
        value = base_value + (max_value - base_value) * (h * amp).astype(dtype)
        return jnp.asarray(value).astype(dtype)

    return schedule
