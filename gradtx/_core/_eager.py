"""The transformation contract: GradientTransformation, chain and friends."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

_EAGER_JIT = {"enabled": True}


_MAX_STATIC_VARIANTS = 32


# Errors that mean "this function cannot be traced" (TypeError is caught too: a
# non-array output). A function that raises one while being compiled for an eager
# call, and then runs op by op without error, runs op by op from then on.
_UNTRACEABLE = (
    jax.errors.ConcretizationTypeError,
    jax.errors.TracerArrayConversionError,
    jax.errors.TracerBoolConversionError,
    jax.errors.TracerIntegerConversionError,
)


try:  # A cheap "are we inside a trace?" test; the leaf scan below covers its absence.
    from jax._src.core import trace_state_clean as _trace_state_clean
except ImportError:  # pragma: no cover - depends on the JAX version
    _trace_state_clean = None


def set_eager_jit(enabled: bool) -> bool:
    """Turn compiled eager calls on or off for every transformation; return the old setting.

    With it on (the default), ``tx.update`` and ``apply_updates`` called outside a
    JAX trace run through a cached ``jax.jit``; with it off they run op by op,
    which is what you want when stepping through an update in a debugger
    (``jax.disable_jit()`` has the same effect for a block of code).
    """
    old = _EAGER_JIT["enabled"]
    _EAGER_JIT["enabled"] = bool(enabled)
    return old


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
    return frozenset({type(jnp.zeros(())), np.ndarray, float, int, complex})


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
        return self.__wrapped__(*args, **kwargs, **static_kwargs)

    def __call__(self, *args, **kwargs):
        fn = self.__wrapped__
        if self._untraceable or not _EAGER_JIT["enabled"] or jax.config.jax_disable_jit:
            return fn(*args, **kwargs)
        if _trace_state_clean is not None:
            if not _trace_state_clean():
                return fn(*args, **kwargs)
            # Top level: no argument can be a live tracer. Non-array leaves make
            # jit raise a TypeError, handled below.
        else:
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
        except (*_UNTRACEABLE, TypeError):
            # fn needs concrete values (Python control flow on an array, a NumPy
            # conversion) or returns non-array values: run it op by op, now and,
            # if that works, from now on. A genuine error is raised again here.
            out = fn(*args, **kwargs)
            self._untraceable = True
            return out


def eager_jit(fn: Callable) -> Callable:
    """Return ``fn`` wrapped in ``EagerJit`` (unchanged if already wrapped or not callable)."""
    if isinstance(fn, EagerJit) or not callable(fn):
        return fn
    return EagerJit(fn)
