"""Eager calls compiled once: ``EagerJit``, and the switches that turn it off."""

from __future__ import annotations

import contextlib
import functools
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

_EAGER_JIT = {"enabled": True}
_SWITCH_LOCK = threading.Lock()
_MAX_STATIC_VARIANTS = 32

# The errors that mean "this function cannot be traced": it needs concrete values
# (Python control flow on an array, a NumPy conversion). A function that raises
# one while being compiled for an eager call runs op by op from then on, with a
# warning. Every other error is the function's own and is raised as it is.
_UNTRACEABLE = (
    jax.errors.ConcretizationTypeError,
    jax.errors.TracerArrayConversionError,
    jax.errors.TracerBoolConversionError,
    jax.errors.TracerIntegerConversionError,
)


class _NonArrayOutput(Exception):
    """Raised while tracing when the function returns a leaf jit cannot return."""


def set_eager_jit(enabled: bool) -> bool:
    """Turn compiled eager calls on or off for every transformation; return the old setting.

    With it on (the default), ``tx.update`` and ``apply_updates`` called outside a
    JAX trace run through a cached ``jax.jit``; with it off they run op by op,
    which is what you want when stepping through an update in a debugger. For one
    block of code use ``with gradtx.eager_jit_disabled():`` instead
    (``jax.disable_jit()`` has the same effect, for all of JAX).
    """
    if not isinstance(enabled, bool):
        raise TypeError(
            f"gradtx.set_eager_jit(enabled={enabled!r}): enabled must be a bool; "
            f"got {type(enabled).__name__}."
        )
    with _SWITCH_LOCK:
        old = _EAGER_JIT["enabled"]
        _EAGER_JIT["enabled"] = enabled
    return old


@contextlib.contextmanager
def eager_jit_disabled() -> Iterator[None]:
    """Run the eager ``update`` and ``apply_updates`` calls of a block op by op.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.sgd(0.1)
        >>> params = jnp.ones(2)
        >>> with gradtx.eager_jit_disabled():
        ...     updates, state = tx.update(params, tx.init(params))
        >>> updates
        Array([-0.1, -0.1], dtype=float32)
    """
    old = set_eager_jit(False)
    try:
        yield
    finally:
        set_eager_jit(old)


def _is_dynamic_leaf(x) -> bool:
    """Array-like leaves are traced arguments; everything else is static."""
    return isinstance(x, (jax.Array, np.ndarray, np.generic, float, int, complex)) and not (
        isinstance(x, bool)
    )


# Exact types that are certainly concrete arrays (checked by ``type(x) in``, which
# is several times cheaper than the isinstance chain of ``_is_dynamic_leaf``).
# Built on first use, not at import: creating an array initialises JAX's backend,
# after which ``jax.config.update("jax_num_cpu_devices", ...)`` fails.
@functools.cache
def _plain_array_types() -> frozenset:
    # ensure_compile_time_eval: a first call made inside a trace must still see the
    # concrete array type, not the tracer's.
    with jax.ensure_compile_time_eval():
        concrete = type(jnp.zeros(()))
    assert not issubclass(concrete, jax.core.Tracer)
    return frozenset({concrete, np.ndarray, float, int, complex})


class EagerJit:
    """Wrap ``fn`` so that calls made outside any JAX trace run a cached ``jax.jit`` of it.

    Calls made inside a trace (any argument leaf is a tracer, or a
    transformation such as ``jit``, ``grad`` or ``vmap`` is active) run ``fn``
    itself. Keyword arguments whose leaves are all arrays or Python numbers are
    traced, so new values reuse the compiled function; other keyword arguments
    (strings, bools, functions) are static and key the cache. Positional
    arguments with non-array leaves make the call run ``fn`` directly.

    Attributes:
        __wrapped__: the plain function.
        trace_count: how many times ``fn`` has been traced for an eager call
            (each trace is one compilation).
    """

    def __init__(self, fn: Callable):
        functools.update_wrapper(self, fn)
        self._jitted: dict[Any, Callable] = {}
        self._untraceable = False
        self.trace_count = 0

    def __repr__(self) -> str:
        return f"EagerJit({self.__wrapped__!r})"

    def _traced(self, static_kwargs, *args, **kwargs):
        self.trace_count += 1
        out = self.__wrapped__(*args, **kwargs, **static_kwargs)
        if not all(isinstance(x, jax.Array) for x in jax.tree.leaves(out)):
            raise _NonArrayOutput
        return out

    def _fall_back(self, reason: str) -> None:
        self._untraceable = True
        name = getattr(self.__wrapped__, "__qualname__", repr(self.__wrapped__))
        warnings.warn(
            f"gradtx: {name} could not be compiled for eager calls ({reason}); it runs op by "
            "op from now on. Inside your own jax.jit it is unaffected.",
            RuntimeWarning,
            stacklevel=3,
        )

    def __call__(self, *args, **kwargs):
        fn = self.__wrapped__
        if self._untraceable or not _EAGER_JIT["enabled"] or jax.config.jax_disable_jit:
            return fn(*args, **kwargs)
        leaves = jax.tree.leaves(args)
        plain = _plain_array_types()
        if not all(type(x) in plain for x in leaves):  # common case: fast
            for leaf in leaves:
                if isinstance(leaf, jax.core.Tracer) or not _is_dynamic_leaf(leaf):
                    return fn(*args, **kwargs)
        dynamic, static = {}, {}
        for name, value in kwargs.items():
            leaves = jax.tree.leaves(value)
            if any(isinstance(x, jax.core.Tracer) for x in leaves):
                return fn(*args, **kwargs)
            if all(_is_dynamic_leaf(x) for x in leaves):
                dynamic[name] = value
            else:
                static[name] = value
        try:
            key = tuple(sorted(static.items()))
            hash(key)
        except TypeError:  # an unhashable static argument: no caching possible
            return fn(*args, **kwargs)
        jitted = self._jitted.get(key)
        if jitted is None:
            if len(self._jitted) >= _MAX_STATIC_VARIANTS:
                self._jitted.clear()
            jitted = jax.jit(functools.partial(self._traced, static))
            self._jitted[key] = jitted
        try:
            return jitted(*args, **dynamic)
        except _UNTRACEABLE as err:
            reason = type(err).__name__
        except _NonArrayOutput:
            reason = "it returns values that are not arrays"
        # Run it op by op, now and, if that works, from now on; a genuine error
        # is raised here, before anything is switched.
        out = fn(*args, **kwargs)
        self._fall_back(reason)
        return out


def eager_jit(fn: Callable) -> Callable:
    """Return ``fn`` wrapped in ``EagerJit`` (unchanged if already wrapped or not callable)."""
    if isinstance(fn, EagerJit) or not callable(fn):
        return fn
    return EagerJit(fn)
