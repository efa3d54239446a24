"""Schedule-Free learning: interpolation and averaging in place of momentum and decay."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gradtx._core._contract import (
    GradientTransformation,
    ScalarOrSchedule,
    chain,
    with_extra_args_support,
)
from gradtx._core._numerics import (
    canonicalize_dtype,
    safe_increment,
    widest_float_dtype,
    zero_count,
)
from gradtx._core._validate import (
    check_dtype,
    check_int,
    check_learning_rate,
    check_nonnegative,
    check_range,
    checks_float_params,
    require_param_values,
)
from gradtx._optimizers._rmsprop import scale_by_rms
from gradtx._optimizers._sgd import sgd
from gradtx.transforms._scaling import scale_by_learning_rate
from gradtx.transforms._weight_decay import add_decayed_weights
from gradtx.tree_utils._tree_math import zip_map


class ScheduleFreeState(NamedTuple):
    """State of ``schedule_free``.

    Fields:
        count: number of updates so far (int32; optax's ``step_count`` is
            ``count + 1``, available as a property of the same name).
        b1: the interpolation weight, kept so that ``schedule_free_eval_params``
            can recover the evaluation point from the state alone.
        weight_sum: sum of the averaging weights ``max_lr ** weight_lr_power``.
        max_lr: the largest learning rate seen so far.
        inner_state: the base optimizer's state (optax: ``base_optimizer_state``,
            also available as a property).
        z: the base optimizer's iterate (the "fast" sequence), in ``state_dtype``.
    """

    count: jax.Array
    b1: jax.Array
    weight_sum: jax.Array
    max_lr: jax.Array
    inner_state: Any
    z: Any

    @property
    def step_count(self) -> jax.Array:
        """optax's name: the 1-based step counter, ``count + 1``."""
        return safe_increment(self.count)

    @property
    def base_optimizer_state(self) -> Any:
        """optax's name for ``inner_state``."""
        return self.inner_state


def _check_b1(fn: str, b1) -> None:
    check_range(fn, "b1", b1, 0.0, 1.0, low_open=True)


def _warmup_constant(peak_value, warmup_steps: int):
    """Linear ramp from 0 to ``peak_value`` over ``warmup_steps`` steps, then constant.

    The same values as ``warmup_constant_schedule(0, peak_value, warmup_steps)``
    (a private copy, so this module does not depend on the schedules module).
    """

    def schedule(count):
        frac = 1 - jnp.clip(count, 0, warmup_steps) / warmup_steps
        return peak_value - peak_value * frac

    return schedule


def schedule_free(
    base_optimizer: GradientTransformation,
    learning_rate: ScalarOrSchedule,
    b1: float | jax.Array = 0.9,
    weight_lr_power: float | jax.Array = 2.0,
    state_dtype=None,
) -> GradientTransformation:
    """Make ``base_optimizer`` schedule-free: replace its momentum and its decay schedule
    by interpolation between two sequences and a weighted running average.

    The base optimizer's steps move a sequence ``z``; the evaluation point ``x``
    is a weighted average of the ``z``'s; gradients are taken at the params
    ``y``, which interpolate between the two. No decaying schedule is needed
    (keep a warmup), and the memory is the base optimizer's plus one buffer
    (``x`` is recomputed from ``y`` and ``z``). Give the base optimizer no
    momentum (``sgd(lr)``, or Adam with ``b1=0``): ``b1`` here plays its part.

    Update rule (y = params, d_t = base_optimizer's update for the gradient at
    y_t, lr_t = learning_rate at 1-based step t):
        max_lr_t     = max(max_lr_{t-1}, lr_t)
        w_t          = max_lr_t ** weight_lr_power
        weight_sum_t = weight_sum_{t-1} + w_t
        c_t          = w_t / weight_sum_t           (0 while weight_sum_t = 0)
        z_t          = z_{t-1} + d_t,                z_0 = params
        x_{t-1}      = (y_{t-1} - (1 - b1) * z_{t-1}) / b1
        x_t          = (1 - c_t) * x_{t-1} + c_t * z_t
        y_t          = b1 * x_t + (1 - b1) * z_t
        u_t          = y_t - y_{t-1}

    With plain SGD and weight_lr_power = 0 this is the paper's
    ``y = (1-b1) z + b1 x;  z <- z - lr * grad f(y);  x <- (1 - 1/t) x + z / t``.
    Evaluate (validation loss, checkpoints) at ``x``, which
    ``schedule_free_eval_params(state, params)`` returns.

    Args:
        base_optimizer: the transformation whose updates move ``z``; it sees the
            gradients, the params ``y`` and any extra args.
        learning_rate: the learning rate the base optimizer uses (a number or a
            schedule with warmup and no decay); here it only sets the averaging
            weights. A schedule is evaluated at the 1-based step count.
        b1: interpolation weight in (0, 1]. 0.9 by default; 0.95 and 0.98 also
            work well in the paper. b1 = 1 gives Polyak averaging of ``z``.
        weight_lr_power: >= 0; the averaging weight is ``max_lr ** weight_lr_power``,
            which down-weights the iterates of the warmup (2 as in the paper's code).
        state_dtype: dtype of ``z``; None keeps each param's dtype.

    Returns:
        The transformation; its state is ``ScheduleFreeState``. ``update`` needs
        ``params``.

    Raises:
        ValueError: b1 outside (0, 1], negative weight_lr_power or learning rate.
        TypeError: ``base_optimizer`` is not an (init, update) pair.

    References:
        Defazio, Yang, Mehta, Mishchenko, Khaled and Cutkosky, The Road Less
        Scheduled, NeurIPS 2024, https://arxiv.org/abs/2405.15682.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.schedule_free(gradtx.sgd(0.5), learning_rate=0.5)
        >>> params = jnp.array([1.0, -2.0])
        >>> state = opt.init(params)
        >>> updates, state = opt.update(params, state, params)  # grad of |p|^2/2
        >>> params = gradtx.apply_updates(params, updates)
        >>> gradtx.schedule_free_eval_params(state, params)
        Array([ 0.5, -1. ], dtype=float32)
    """
    fn = "schedule_free"
    if not (
        isinstance(base_optimizer, tuple)
        and len(base_optimizer) == 2
        and all(callable(f) for f in base_optimizer)
    ):
        raise TypeError(
            f"gradtx.{fn}(base_optimizer=...): base_optimizer must be a "
            f"GradientTransformation (an (init, update) pair); got "
            f"{type(base_optimizer).__name__}."
        )
    check_learning_rate(fn, learning_rate)
    _check_b1(fn, b1)
    check_nonnegative(fn, "weight_lr_power", weight_lr_power)
    check_dtype(fn, "state_dtype", state_dtype)
    state_dtype = canonicalize_dtype(state_dtype)
    base = with_extra_args_support(GradientTransformation(*base_optimizer))

    def init(params):
        require_param_values(fn, params, "the sequence z starts at the params")
        sdt = widest_float_dtype(params)
        z = jax.tree.map(lambda p: jnp.array(p, dtype=state_dtype, copy=True), params)
        return ScheduleFreeState(
            count=zero_count(),
            b1=jnp.asarray(b1, sdt),
            weight_sum=jnp.zeros((), sdt),
            max_lr=jnp.zeros((), sdt),
            inner_state=base.init(params),
            z=z,
        )

    def update(updates, state, params=None, **extra_args):
        if params is None:
            raise ValueError(
                "gradtx.schedule_free: update needs the params (the interpolated "
                "point y); call update(grads, state, params)."
            )
        sdt = state.max_lr.dtype
        count = safe_increment(state.count)
        lr = learning_rate(count) if callable(learning_rate) else learning_rate
        max_lr = jnp.maximum(state.max_lr, jnp.asarray(lr, sdt))
        weight = max_lr**weight_lr_power
        weight_sum = (state.weight_sum + weight).astype(sdt)
        zero = weight_sum == 0
        ck = jnp.where(zero, 0.0, weight / jnp.where(zero, 1.0, weight_sum)).astype(sdt)

        base_updates, inner_state = base.update(updates, state.inner_state, params, **extra_args)

        def leaf(u, y, z_old, g):
            # Interpolate in at least the scalars' precision (float32 for bfloat16 params).
            wdt = jnp.result_type(y, z_old, sdt)
            y_w, z_w = y.astype(wdt), z_old.astype(wdt)
            z_new = (z_w + u).astype(z_old.dtype)
            x_old = (y_w - (1 - b1) * z_w) / b1
            z_new_w = z_new.astype(wdt)
            x = (1 - ck) * x_old + ck * z_new_w
            y_new = b1 * x + (1 - b1) * z_new_w
            return (y_new - y_w).astype(jnp.asarray(g).dtype), z_new

        new_updates, z = zip_map(
            "gradtx.schedule_free",
            leaf,
            2,
            base_updates=base_updates,
            params=params,
            z=state.z,
            updates=updates,
        )
        return new_updates, ScheduleFreeState(
            count=count,
            b1=state.b1,
            weight_sum=weight_sum,
            max_lr=max_lr.astype(sdt),
            inner_state=inner_state,
            z=z,
        )

    return GradientTransformation(init, update)


def _is_schedule_free_state(x) -> bool:
    """A gradtx ScheduleFreeState, or any NamedTuple with ``b1`` and ``z`` fields
    (optax.contrib's ScheduleFreeState)."""
    if isinstance(x, ScheduleFreeState):
        return True
    fields = getattr(type(x), "_fields", None)
    return isinstance(x, tuple) and fields is not None and "b1" in fields and "z" in fields


def _find_schedule_free_state(state):
    if _is_schedule_free_state(state):
        return state
    found = [
        s
        for s in jax.tree.leaves(state, is_leaf=_is_schedule_free_state)
        if _is_schedule_free_state(s)
    ]
    if len(found) == 1:
        return found[0]
    if not found:
        raise ValueError(
            "gradtx.schedule_free_eval_params: state holds no ScheduleFreeState; pass "
            "the state of a schedule_free optimizer (or of a chain containing one)."
        )
    raise ValueError(
        f"gradtx.schedule_free_eval_params: state holds {len(found)} ScheduleFreeStates; "
        "pass the one that belongs to these params."
    )


def schedule_free_eval_params(state: Any, params: Any) -> Any:
    """Return the evaluation point ``x`` of a schedule-free optimizer.

    Training takes gradients at the params ``y``; the point to evaluate, test
    or checkpoint is the average ``x = (y - (1 - b1) * z) / b1`` (see
    ``schedule_free``). Each leaf keeps its param's dtype.

    Args:
        state: a ``ScheduleFreeState`` (gradtx's or optax.contrib's), or any
            state tree (a chain's tuple, ``inject_hyperparams``, ...) holding
            exactly one.
        params: the current params ``y``.

    Returns:
        A tree shaped like ``params``.

    Raises:
        ValueError: ``state`` holds no ScheduleFreeState, or more than one.
    """
    sf = _find_schedule_free_state(state)
    b1 = sf.b1

    def leaf(y, z):
        wdt = jnp.result_type(y, z, b1)
        return ((y.astype(wdt) - (1 - b1) * z.astype(wdt)) / b1).astype(jnp.asarray(y).dtype)

    return zip_map("gradtx.schedule_free_eval_params", leaf, params=params, z=sf.z)


def _check_sf_common(fn, learning_rate, warmup_steps, b1, weight_lr_power, state_dtype):
    check_learning_rate(fn, learning_rate, schedule=False)
    if warmup_steps is None:
        pass
    elif isinstance(warmup_steps, int | np.integer):
        check_int(fn, "warmup_steps", warmup_steps, low=1)
    elif isinstance(warmup_steps, jax.Array) and jnp.issubdtype(warmup_steps.dtype, jnp.integer):
        check_range(fn, "warmup_steps", warmup_steps, 1.0)  # an int array (inject_hyperparams)
    else:
        raise TypeError(
            f"gradtx.{fn}(warmup_steps={warmup_steps!r}): warmup_steps must be None or an "
            f"int >= 1; got {type(warmup_steps).__name__}."
        )
    _check_b1(fn, b1)
    check_nonnegative(fn, "weight_lr_power", weight_lr_power)
    check_dtype(fn, "state_dtype", state_dtype)


@checks_float_params
def schedule_free_sgd(
    learning_rate: float | jax.Array = 1.0,
    warmup_steps: int | None = None,
    b1: float | jax.Array = 0.9,
    weight_decay: float | jax.Array | None = None,
    weight_lr_power: float | jax.Array = 2.0,
    state_dtype=None,
) -> GradientTransformation:
    """Schedule-Free SGD: ``schedule_free`` around plain SGD.

        z_t = z_{t-1} - lr_t * (grad f(y_{t-1}) + weight_decay * y_{t-1})

    then ``x`` and ``y`` as in ``schedule_free``. With ``warmup_steps`` the
    learning rate ramps linearly from 0 to ``learning_rate`` (the base SGD sees
    the ramp at its 0-based count, the averaging weights at the 1-based one, as
    in optax.contrib), then stays constant.

    Complex params: supported.

    Args:
        learning_rate: the peak SGD learning rate, >= 0.
        warmup_steps: None, or the length of the linear warmup (an int >= 1;
            optax.contrib silently gives a zero learning rate for 0).
        b1: interpolation weight in (0, 1].
        weight_decay: None or >= 0; L2 term added to the gradient (so it is
            multiplied by the learning rate, as in PyTorch).
        weight_lr_power: >= 0, see ``schedule_free``.
        state_dtype: dtype of ``z``.

    Returns:
        The transformation; its state is ``ScheduleFreeState``.

    References:
        Defazio et al., The Road Less Scheduled, NeurIPS 2024.

    Example:
        >>> import gradtx
        >>> opt = gradtx.schedule_free_sgd(learning_rate=0.1, warmup_steps=100)
    """
    fn = "schedule_free_sgd"
    _check_sf_common(fn, learning_rate, warmup_steps, b1, weight_lr_power, state_dtype)
    if weight_decay is not None:
        check_nonnegative(fn, "weight_decay", weight_decay, none=True)
    if warmup_steps is not None:
        learning_rate = _warmup_constant(learning_rate, warmup_steps)
    base = sgd(learning_rate)
    if weight_decay is not None:
        base = chain(add_decayed_weights(weight_decay), base)
    return schedule_free(base, learning_rate, b1, weight_lr_power, state_dtype)


@checks_float_params
def schedule_free_adamw(
    learning_rate: float | jax.Array = 0.0025,
    warmup_steps: int | None = None,
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.999,
    eps: float | jax.Array = 1e-8,
    weight_decay: float | jax.Array = 0.0,
    weight_lr_power: float | jax.Array = 2.0,
    state_dtype=None,
) -> GradientTransformation:
    """Schedule-Free AdamW: ``schedule_free`` around AdamW without momentum.

        nu_t = b2 * nu_{t-1} + (1 - b2) * g_t^2
        z_t  = z_{t-1} - lr_t * (g_t / (sqrt(nu_t / (1 - b2^t)) + eps) + weight_decay * y_{t-1})

    then ``x`` and ``y`` as in ``schedule_free`` (``b1`` is the interpolation
    weight; the Adam first moment is dropped, so the base optimizer is
    ``scale_by_rms(b2, eps, eps_in_sqrt=False, bias_correction=True)``, one
    buffer instead of two).

    Complex params: supported.

    Args:
        learning_rate: the peak learning rate, >= 0.
        warmup_steps: None, or the length of the linear warmup (an int >= 1).
        b1: interpolation weight in (0, 1].
        b2: second-moment decay in [0, 1).
        eps: >= 0, added outside the root.
        weight_decay: >= 0, decoupled (applied to y, multiplied by the learning rate).
        weight_lr_power: >= 0, see ``schedule_free``.
        state_dtype: dtype of ``z``.

    Returns:
        The transformation; its state is ``ScheduleFreeState``.

    References:
        Defazio et al., The Road Less Scheduled, NeurIPS 2024 (Schedule-Free AdamW).

    Example:
        >>> import gradtx
        >>> opt = gradtx.schedule_free_adamw(1e-3, warmup_steps=1000, weight_decay=1e-4)
    """
    fn = "schedule_free_adamw"
    _check_sf_common(fn, learning_rate, warmup_steps, b1, weight_lr_power, state_dtype)
    check_range(fn, "b2", b2, 0.0, 1.0, high_open=True)
    check_nonnegative(fn, "eps", eps)
    check_nonnegative(fn, "weight_decay", weight_decay)
    if warmup_steps is not None:
        learning_rate = _warmup_constant(learning_rate, warmup_steps)
    base = chain(
        scale_by_rms(decay=b2, eps=eps, eps_in_sqrt=False, bias_correction=True),
        add_decayed_weights(weight_decay),
        scale_by_learning_rate(learning_rate),
    )
    return schedule_free(base, learning_rate, b1, weight_lr_power, state_dtype)
