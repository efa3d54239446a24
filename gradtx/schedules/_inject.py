"""Hyperparameters kept in the optimizer state: read, logged, changed and vmapped live."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple, Protocol, runtime_checkable

import jax
import jax.numpy as jnp
import numpy as np

from gradtx._core._contract import GradientTransformation, with_extra_args_support
from gradtx._core._numerics import (
    canonicalize_dtype,
    promoted_dtype,
    safe_increment,
    widest_float_dtype,
    zero_count,
)
from gradtx._core._validate import check_dtype
from gradtx.tree_utils._construct import tree_cast_like


class InjectHyperparamsState(NamedTuple):
    """State of ``inject_hyperparams``.

    Attributes:
        count: int32 number of updates so far; schedules are evaluated on it.
        hyperparams: dict of the injected hyperparameters (scalar arrays). Floats
            are float32 (float64 when the params have float64 leaves) unless
            ``hyperparam_dtype`` says otherwise; scheduled entries hold the value
            used by the last update.
        inner_state: the state of the wrapped transformation.
    """

    count: jax.Array
    hyperparams: dict[str, jax.Array]
    inner_state: Any


class InjectStatefulHyperparamsState(NamedTuple):
    """State of ``inject_stateful_hyperparams``: as ``InjectHyperparamsState``,
    plus ``hyperparams_states``, the states of the stateful schedules by name."""

    count: jax.Array
    hyperparams: dict[str, jax.Array]
    hyperparams_states: dict[str, Any]
    inner_state: Any


@runtime_checkable
class StatefulSchedule(Protocol):
    """A schedule that keeps state: ``init()``, ``update(state, **extra_args)``, ``__call__(state, **extra_args)``.

    ``inject_stateful_hyperparams`` calls ``init`` once, then at every step
    reads the value with ``__call__(state)`` and advances with ``update(state)``;
    the state lives in ``InjectStatefulHyperparamsState.hyperparams_states``.
    ``WrappedSchedule`` turns a plain schedule into one.
    """

    def init(self) -> Any:
        """The schedule's initial state."""

    def update(self, state: Any, **extra_args: Any) -> Any:
        """The state after one step."""

    def __call__(self, state: Any, **extra_args: Any) -> jax.typing.ArrayLike:
        """The current value."""


def _is_stateful_schedule(v: Any) -> bool:
    """optax's StatefulSchedule protocol: ``init()``, ``update(state)``, ``__call__(state)``."""
    return callable(v) and hasattr(v, "init") and hasattr(v, "update")


def _is_dtype_like(v: Any) -> bool:
    return isinstance(v, type | np.dtype)


def _is_float(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, float):
        return True
    dtype = getattr(v, "dtype", None)
    return dtype is not None and jnp.issubdtype(dtype, jnp.floating)


def _is_strong_array(v: Any) -> bool:
    return isinstance(v, jax.Array) and not getattr(v, "weak_type", False)


def _as_hyperparam(v: Any, float_dtype, forced_dtype) -> jax.Array:
    """A numeric hyperparameter as a strongly typed array that never loses precision.

    Floats go to ``forced_dtype`` if given, else to ``float_dtype`` (at least
    float32; a strongly typed float array keeps a wider dtype of its own).
    Python ints become int32; other integer arrays keep their dtype.
    """
    if _is_float(v):
        if forced_dtype is not None:
            dtype = forced_dtype
        elif _is_strong_array(v):
            dtype = canonicalize_dtype(promoted_dtype(v.dtype, float_dtype))
        else:
            dtype = float_dtype
        return jnp.asarray(v, dtype=dtype)
    if isinstance(v, int):
        return jnp.asarray(v, dtype=jnp.int32)
    if _is_strong_array(v):
        return v
    return jnp.asarray(v, dtype=jnp.result_type(v))


def _inject(
    fn: str,
    inner_factory: Callable[..., GradientTransformation],
    static_args: str | Iterable[str],
    hyperparam_dtype: Any,
    always_stateful: bool,
) -> Callable[..., GradientTransformation]:
    check_dtype(fn, "hyperparam_dtype", hyperparam_dtype)
    forced_dtype = canonicalize_dtype(hyperparam_dtype)
    static = {static_args} if isinstance(static_args, str) else set(static_args)
    signature = inspect.signature(inner_factory)
    unknown = static - set(signature.parameters)
    if unknown:
        raise ValueError(
            f"gradtx.{fn}(static_args={sorted(static)}): {sorted(unknown)} are not "
            f"parameters of {getattr(inner_factory, '__name__', inner_factory)}; its "
            f"parameters are {list(signature.parameters)}."
        )

    @functools.wraps(inner_factory)
    def make(*args: Any, **kwargs: Any) -> GradientTransformation:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        fixed, numeric, schedules, stateful = {}, {}, {}, {}
        for name, value in bound.arguments.items():
            kind = signature.parameters[name].kind
            if kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
                raise TypeError(
                    f"gradtx.{fn}: {getattr(inner_factory, '__name__', 'the factory')} takes "
                    f"*{name}; inject_hyperparams needs a factory with named parameters only."
                )
            if name in static or isinstance(value, bool) or _is_dtype_like(value):
                fixed[name] = value
            elif _is_stateful_schedule(value):
                stateful[name] = value
            elif callable(value):
                schedules[name] = value
            elif isinstance(value, int | float | np.number | np.ndarray | jax.Array):
                numeric[name] = value
            else:
                fixed[name] = value
        use_stateful_state = always_stateful or bool(stateful)

        # Build the inner transformation once now, so that its own argument checks
        # run at construction (schedules checked at their first value).
        first = {k: s(zero_count()) for k, s in schedules.items()}
        first.update({k: s(s.init()) for k, s in stateful.items()})
        inner_factory(**fixed, **numeric, **first)

        def current_values(count, hp_states, extra_args):
            vals = {k: s(count) for k, s in schedules.items()}
            vals.update({k: s(hp_states[k], **extra_args) for k, s in stateful.items()})
            return vals

        def init(params):
            float_dtype = widest_float_dtype(params)
            hp_states = {k: s.init() for k, s in stateful.items()}
            hp = {k: _as_hyperparam(v, float_dtype, forced_dtype) for k, v in numeric.items()}
            for k, v in current_values(zero_count(), hp_states, {}).items():
                hp[k] = _as_hyperparam(v, float_dtype, forced_dtype)
            inner_state = inner_factory(**fixed, **hp).init(params)
            if use_stateful_state:
                return InjectStatefulHyperparamsState(zero_count(), hp, hp_states, inner_state)
            return InjectHyperparamsState(zero_count(), hp, inner_state)

        def update(updates, state, params=None, **extra_args):
            old_hp = state.hyperparams
            float_dtype = widest_float_dtype(params) if params is not None else jnp.float32
            hp_states = state.hyperparams_states if use_stateful_state else {}
            hp = {}
            for k, v in old_hp.items():
                # Values put in by hand (a Python float in the dict) are normalised;
                # arrays already in the state pass through untouched.
                hp[k] = v if _is_strong_array(v) else _as_hyperparam(v, float_dtype, forced_dtype)
            for k, v in current_values(state.count, hp_states, extra_args).items():
                hp[k] = jnp.asarray(v, dtype=jnp.result_type(hp[k]))
            inner = with_extra_args_support(inner_factory(**fixed, **hp))
            new_updates, inner_state = inner.update(
                updates, state.inner_state, params, **extra_args
            )
            new_updates = tree_cast_like(new_updates, updates)
            inner_state = tree_cast_like(inner_state, state.inner_state)
            count = safe_increment(state.count)
            if use_stateful_state:
                new_hp_states = {
                    k: s.update(hp_states[k], **extra_args) for k, s in stateful.items()
                }
                return new_updates, InjectStatefulHyperparamsState(
                    count, hp, new_hp_states, inner_state
                )
            return new_updates, InjectHyperparamsState(count, hp, inner_state)

        return GradientTransformation(init, update)

    return make


def inject_hyperparams(
    inner_factory: Callable[..., GradientTransformation],
    static_args: str | Iterable[str] = (),
    hyperparam_dtype: Any = None,
) -> Callable[..., GradientTransformation]:
    """Keep a transformation's numeric hyperparameters in its state, or schedule them.

    ``inject_hyperparams(gradtx.adam)(learning_rate=1e-3)`` builds Adam whose
    learning rate, ``b1``, ``b2``, ``eps``, ... live in ``state.hyperparams``
    instead of being compile-time constants. Then:

    - read them for logging: ``gradtx.tree_get(state, "learning_rate")``;
    - change them between jitted steps without recompiling:
      ``state = gradtx.tree_set(state, learning_rate=3e-4)``;
    - sweep them with ``jax.vmap`` (each member of a population gets its own
      value, in one compiled step);
    - pass a schedule (a function of the step count) for any of them: it is
      evaluated on ``count`` at every update and the value used is stored.

    Numeric arguments (Python numbers, NumPy and JAX arrays) become state;
    callables are schedules unless listed in ``static_args``; bools, dtypes,
    None and anything else stay fixed Python values. Options that are off by
    default are None (``adam(..., *, weight_decay=None)``), so they stay fixed and
    the inner chain keeps the plain optimizer's structure; pass a number to
    inject one. Objects with ``init``,
    ``update`` and ``__call__`` (optax's stateful schedules) are supported and
    switch the state to ``InjectStatefulHyperparamsState``.

    Precision: float hyperparameters are stored in float32, or float64 when the
    params have float64 leaves, or in ``hyperparam_dtype`` if given; never in a
    narrower params dtype. With bfloat16 params, ``b2=0.999`` stays
    ``float32(0.999)`` (in bfloat16 it would round to 1.0 and Adam would stop
    adapting); optax stores it in the params' dtype. The trajectory is the one
    of the plain optimizer given the same hyperparameters as arrays of the
    stored dtype, bit for bit. (Given Python floats, a plain float32 optimizer
    differs slightly: Python computes ``1 - 0.999`` in double precision, while
    ``1 - float32(0.999)`` is off by 5e-5 relative. optax behaves the same.)

    Args:
        inner_factory: a function returning a ``GradientTransformation``
            (``gradtx.adam``, ``gradtx.scale_by_adam``, your own ...).
        static_args: names of callable arguments that are not schedules (a
            ``mask`` function, for example).
        hyperparam_dtype: dtype for every float hyperparameter; None for the
            rule above.

    Returns:
        A function with the same arguments as ``inner_factory`` returning the
        transformation; its state is ``InjectHyperparamsState``.

    Raises:
        ValueError: ``static_args`` names something ``inner_factory`` does not
            take; the inner factory's own checks run at construction.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.inject_hyperparams(gradtx.adam)(learning_rate=1e-2)
        >>> state = opt.init({"w": jnp.zeros(3, jnp.bfloat16)})
        >>> state.hyperparams["b2"]
        Array(0.999, dtype=float32)
        >>> state = gradtx.tree_set(state, learning_rate=1e-3)
    """
    return _inject("inject_hyperparams", inner_factory, static_args, hyperparam_dtype, False)


def inject_stateful_hyperparams(
    inner_factory: Callable[..., GradientTransformation],
    static_args: str | Iterable[str] = (),
    hyperparam_dtype: Any = None,
) -> Callable[..., GradientTransformation]:
    """``inject_hyperparams`` whose state always has ``hyperparams_states``.

    Schedules may be stateful (objects with ``init()``, ``update(state,
    **extra_args)`` and ``__call__(state, **extra_args)``, such as a learning
    rate that reacts to the loss passed as ``value=``); their states are kept in
    ``hyperparams_states`` and advanced after every update. Plain schedules are
    evaluated on ``count`` as in ``inject_hyperparams``.

    Returns:
        A function with the same arguments as ``inner_factory``; its
        transformation's state is ``InjectStatefulHyperparamsState``.
    """
    return _inject(
        "inject_stateful_hyperparams", inner_factory, static_args, hyperparam_dtype, True
    )


class WrappedScheduleState(NamedTuple):
    """State of a ``WrappedSchedule``: the step count."""

    count: jax.Array


class WrappedSchedule:
    """A plain schedule ``f(count)`` dressed as a stateful schedule (optax's protocol)."""

    def __init__(self, schedule_fn: Callable[[jax.Array], Any]):
        self.schedule_fn = schedule_fn

    def init(self) -> WrappedScheduleState:
        return WrappedScheduleState(count=zero_count())

    def update(self, state: WrappedScheduleState, **extra_args: Any) -> WrappedScheduleState:
        del extra_args
        return WrappedScheduleState(count=safe_increment(state.count))

    def __call__(self, state: WrappedScheduleState, **extra_args: Any) -> Any:
        del extra_args
        return self.schedule_fn(state.count)
