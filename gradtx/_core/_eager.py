"""Eager calls compiled once: ``EagerJit``, and the switches that turn it off."""

from __future__ import annotations

import contextlib
import functools
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

_EAGER_JIT = {"enabled": True}
_SWITCH_LOCK = threading.Lock()

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


# Exact types that are certainly concrete arrays (checked with one C-level
# ``frozenset.issuperset`` over the leaf types, several times cheaper than the
# isinstance chain of ``_is_dynamic_leaf``). Filled on first use, not at import:
# creating an array initialises JAX's backend, after which
# ``jax.config.update("jax_num_cpu_devices", ...)`` fails.
_PLAIN_ARRAY_TYPES: frozenset | None = None


def _plain_array_types() -> frozenset:
    global _PLAIN_ARRAY_TYPES
    # ensure_compile_time_eval: a first call made inside a trace must still see the
    # concrete array type, not the tracer's.
    with jax.ensure_compile_time_eval():
        concrete = type(jnp.zeros(()))
    assert not issubclass(concrete, jax.core.Tracer)
    _PLAIN_ARRAY_TYPES = frozenset({concrete, np.ndarray, float, int, complex})
    return _PLAIN_ARRAY_TYPES


class _Variant:
    """One ``jax.jit`` of the function for one set of static keyword arguments."""

    __slots__ = ("jitted", "signatures")

    def __init__(self, jitted: Callable):
        self.jitted = jitted
        self.signatures = 0  # traces made through this jit (one per compiled signature)


class EagerJit:
    """Wrap ``fn`` so that calls made outside any JAX trace run a cached ``jax.jit`` of it.

    Calls made inside a trace (any argument leaf is a tracer, or a
    transformation such as ``jit``, ``grad`` or ``vmap`` is active) run ``fn``
    itself. Keyword arguments whose leaves are all arrays or Python numbers are
    traced, so new values reuse the compiled function; other keyword arguments
    (strings, bools, functions) are static and key the cache. Positional
    arguments with non-array leaves make the call run ``fn`` directly.

    The cache is bounded: it holds at most ``max_signatures`` compiled
    signatures (one per distinct tree structure, shapes and dtypes of the
    arguments, per static keyword values); default 64. When a new signature
    would go over the bound, the compilations of the least recently used
    static variant are dropped, or, when there is only one variant, all of its
    compilations (the next call of a dropped signature compiles again). JAX's
    own per-function caches are keyed on the jitted function, so dropping it
    frees them too. Set the bound per transformation
    (``tx.update.max_signatures = 16``), for every transformation
    (``gradtx.EagerJit.max_signatures = 16``) or when wrapping
    (``EagerJit(fn, max_signatures=16)``).

    Calls from several threads at once are safe: the cache is created and
    trimmed under a lock, and two threads that compile the same new signature
    at the same moment both get correct results (JAX may then trace it twice).

    Args:
        fn: the function.
        impl: what runs in its place, traced or op by op (default ``fn``): ``fn``
            with checks added, say (``GradientTransformation`` passes ``update``
            with its state check); ``__wrapped__`` stays ``fn``.
        max_signatures: the bound on compiled signatures (default 64).

    Attributes:
        __wrapped__: the plain function.
        impl: the function that runs (``fn``, or the ``impl`` given).
        trace_count: how many times ``fn`` has been traced for an eager call
            (each trace is one compilation).
        max_signatures: the bound on compiled signatures held (an int >= 1).
    """

    max_signatures: int = 64

    def __init__(
        self, fn: Callable, *, impl: Callable | None = None, max_signatures: int | None = None
    ):
        functools.update_wrapper(self, fn)
        self.impl = fn if impl is None else impl
        self._variants: OrderedDict[Any, _Variant] = OrderedDict()
        self._lock = threading.Lock()
        self._untraceable = False
        self._trim_due = False
        self.trace_count = 0
        if max_signatures is not None:
            if isinstance(max_signatures, bool) or not isinstance(max_signatures, int):
                raise TypeError(
                    f"gradtx.EagerJit(max_signatures={max_signatures!r}): max_signatures "
                    f"must be an int >= 1; got {type(max_signatures).__name__}."
                )
            if max_signatures < 1:
                raise ValueError(
                    f"gradtx.EagerJit(max_signatures={max_signatures!r}): max_signatures "
                    f"must be an int >= 1; got {max_signatures}."
                )
            self.max_signatures = max_signatures

    def __repr__(self) -> str:
        return f"EagerJit({self.__wrapped__!r})"

    def cache_size(self) -> int:
        """The number of compiled signatures this wrapper holds now (at most ``max_signatures``)."""
        with self._lock:
            return sum(v.signatures for v in self._variants.values())

    def _traced(self, variant: _Variant, static_kwargs, *args, **kwargs):
        with self._lock:
            self.trace_count += 1
            variant.signatures += 1
            if sum(v.signatures for v in self._variants.values()) > self.max_signatures:
                self._trim_due = True
        try:
            out = self.impl(*args, **kwargs, **static_kwargs)
            if not all(isinstance(x, jax.Array) for x in jax.tree.leaves(out)):
                raise _NonArrayOutput
        except BaseException:  # nothing was compiled for this signature
            with self._lock:
                variant.signatures -= 1
            raise
        return out

    def _variant(self, key, static) -> _Variant:
        """The cached jit for the static arguments ``key``, created under the lock."""
        with self._lock:
            variant = self._variants.get(key)
            if variant is None:
                variant = _Variant(None)
                variant.jitted = jax.jit(functools.partial(self._traced, variant, static))
                self._variants[key] = variant
            return variant

    def _trim(self, key, static) -> None:
        """Drop compilations until at most ``max_signatures`` are held (LRU variant first)."""
        with self._lock:
            self._trim_due = False
            bound = self.max_signatures
            total = sum(v.signatures for v in self._variants.values())
            for old in [k for k in self._variants if k != key]:
                if total <= bound:
                    break
                total -= self._variants.pop(old).signatures
            current = self._variants.get(key)
            if total > bound and current is not None:
                # One variant alone is over the bound: start it afresh.
                del self._variants[key]
        if total > bound:
            self._variant(key, static)

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
        fn = self.impl
        if self._untraceable or not _EAGER_JIT["enabled"] or jax.config.jax_disable_jit:
            return fn(*args, **kwargs)
        leaves = jax.tree.leaves(args)
        plain = _PLAIN_ARRAY_TYPES or _plain_array_types()
        if not plain.issuperset(map(type, leaves)):  # the common case is fast
            for leaf in leaves:
                if isinstance(leaf, jax.core.Tracer) or not _is_dynamic_leaf(leaf):
                    return fn(*args, **kwargs)
        if kwargs:
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
        else:
            dynamic = static = kwargs
            key = ()
        variants = self._variants
        variant = variants.get(key)
        if variant is None:
            variant = self._variant(key, static)
        elif len(variants) > 1:
            try:
                variants.move_to_end(key)
            except KeyError:  # trimmed by another thread meanwhile
                pass
        try:
            out = variant.jitted(*args, **dynamic)
        except _UNTRACEABLE as err:
            reason = type(err).__name__
        except _NonArrayOutput:
            reason = "it returns values that are not arrays"
        else:
            if self._trim_due:
                self._trim(key, static)
            return out
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
