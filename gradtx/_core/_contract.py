"""The transformation contract: GradientTransformation, chain and friends."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

import jax
import jax.numpy as jnp

from gradtx._core._eager import EagerJit
from gradtx._core._state_check import original_init, with_init_record, with_state_check
from gradtx.tree_utils._tree_math import check_same_structure, is_none

Params = Any


Updates = Any


OptState = Any


Schedule = Callable[[jax.Array], jax.Array]


ScalarOrSchedule = float | jax.Array | Schedule


class TransformInitFn(Protocol):
    """``init(params) -> state``: builds a transformation's state from the params."""

    def __call__(self, params: Params) -> OptState: ...


class TransformUpdateFn(Protocol):
    """``update(updates, state, params=None, **extra_args) -> (updates, state)``."""

    def __call__(
        self, updates: Updates, state: OptState, params: Params | None = None, **extra_args: Any
    ) -> tuple[Updates, OptState]: ...


# Every gradtx update accepts extra keyword arguments, so the two protocols are one.
TransformUpdateExtraArgsFn = TransformUpdateFn


class _TransformPair(NamedTuple):
    init: TransformInitFn
    update: TransformUpdateFn


class GradientTransformation(_TransformPair):
    """A pure pair of functions that turns gradients into updates.

    ``init(params) -> state`` builds the state from the params (only their
    structure, shapes and dtypes are read). ``update(updates, state, params=None,
    **extra_args) -> (updates, state)`` maps incoming updates (usually gradients)
    to outgoing updates. Both are pure and jit/vmap friendly. Extra keyword
    arguments (for example ``value=loss``) are passed down a chain; a
    transformation ignores the ones it does not use.

    Eager calls are compiled: ``update`` called outside any JAX trace (in a
    notebook, say) runs through a ``jax.jit`` of itself that is cached on this
    transformation, so an eager step costs about what a jitted one does and
    compiles once. Inside a trace (your own ``jax.jit``, ``grad``, ``vmap``,
    ``scan``) the plain function runs, with no nested jit. Array and Python
    number arguments are dynamic (a new ``value=`` does not recompile); other
    extra arguments (strings, bools, None) are static. ``update.__wrapped__`` is
    the plain function and ``update.trace_count`` counts its compilations. Under
    ``jax.disable_jit()`` or after ``gradtx.set_eager_jit(False)`` every call runs
    op by op.

    ``update`` checks that the state it gets is one this ``init`` builds: the
    outermost update of a call compares the state's tree structure and leaf
    shapes with ``jax.eval_shape(init, params)`` (``updates`` when ``params`` is
    None) when it is traced, and raises ``gradtx.StateMismatchError`` naming the
    first difference and how to fix it. Compiled steps never repeat the check;
    an ``init`` that cannot be evaluated abstractly is not checked.
    """

    __slots__ = ()

    def __new__(cls, init: TransformInitFn, update: TransformUpdateFn):
        if callable(init):
            init = with_init_record(init)
        if callable(update) and not (
            isinstance(update, EagerJit) and _checks_against(update, init)
        ):
            update = EagerJit(update, impl=with_state_check(init, update))
        return tuple.__new__(_optax_compatible(cls), (init, update))

    @classmethod
    def _make(cls, iterable):
        return cls(*iterable)


def _checks_against(update: EagerJit, init: Callable) -> bool:
    """Whether this eager-compiled ``update`` already checks its state against ``init``."""
    return getattr(update.impl, "_gradtx_checked_init", None) is original_init(init)


# optax distinguishes transformations that accept extra args; in gradtx every
# transformation does, so the two names denote the same type.
GradientTransformationExtraArgs = GradientTransformation

_OPTAX_COMPATIBLE: dict[type, type] = {}


def _optax_compatible(cls: type) -> type:
    """``cls``, or a subclass that is also optax's ``GradientTransformationExtraArgs``.

    optax's combinators (``optax.chain``, ``optax.masked``, ...) pass extra
    arguments such as ``value=`` only to instances of their own
    ``GradientTransformationExtraArgs``. When optax has been imported, gradtx
    transformations are built as instances of a subclass of both types, so a
    gradtx transformation placed inside ``optax.chain`` still receives them.
    gradtx never imports optax itself: a transformation built before optax was
    imported stays a plain gradtx one.
    """
    optax = sys.modules.get("optax")
    base = getattr(optax, "GradientTransformationExtraArgs", None)
    if base is None or issubclass(cls, base):
        return cls
    mixed = _OPTAX_COMPATIBLE.get(cls)
    if mixed is None:
        mixed = type(cls.__name__, (cls, base), {"__slots__": (), "__module__": cls.__module__})
        mixed.__qualname__ = cls.__qualname__
        _OPTAX_COMPATIBLE[cls] = mixed
    return mixed


class EmptyState(NamedTuple):
    """The state of a stateless transformation: an empty tuple."""


def _accepts_extra_args(fn: Callable) -> bool:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return True
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values())


def with_extra_args_support(tx: GradientTransformation) -> GradientTransformation:
    """Return ``tx`` with an ``update`` that accepts and ignores unknown extra args.

    Transformations written for optax without ``**extra_args`` in their update
    signature can then be placed in a gradtx chain.
    """
    if _accepts_extra_args(tx.update):
        return tx
    inner = tx.update

    def update(updates, state, params=None, **extra_args):
        del extra_args
        return inner(updates, state, params)

    return GradientTransformation(tx.init, update)


def identity() -> GradientTransformation:
    """Leave the updates unchanged. Stateless.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.identity()
        >>> tx.update(jnp.ones(2), tx.init(jnp.zeros(2)))[0]
        Array([1., 1.], dtype=float32)
    """

    def init(params):
        del params
        return EmptyState()

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        return updates, state

    return GradientTransformation(init, update)


def set_to_zero() -> GradientTransformation:
    """Replace every update by zeros (of the same shape and dtype). Stateless.

    Useful with ``partition`` or ``masked`` to freeze part of a model.
    """

    def init(params):
        del params
        return EmptyState()

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        return jax.tree.map(jnp.zeros_like, updates), state

    return GradientTransformation(init, update)


def stateless(
    f: Callable[[Updates, Params | None], Updates],
) -> GradientTransformation:
    """Build a stateless transformation from ``f(updates, params) -> updates``."""

    def init(params):
        del params
        return EmptyState()

    def update(updates, state, params=None, **extra_args):
        del extra_args
        return f(updates, params), state

    return GradientTransformation(init, update)


def stateless_with_tree_map(
    f: Callable[[jax.Array, jax.Array | None], jax.Array],
) -> GradientTransformation:
    """Build a stateless transformation that applies ``f(update, param)`` leafwise."""

    def tree_f(updates, params):
        if params is None:
            return jax.tree.map(lambda u: f(u, None), updates)
        check_same_structure("gradtx.stateless_with_tree_map", updates=updates, params=params)
        return jax.tree.map(f, updates, params)

    return stateless(tree_f)


def chain(*transforms: GradientTransformation) -> GradientTransformation:
    """Apply transformations one after the other; the state is a tuple of states.

    Extra keyword arguments given to ``update`` reach every transformation in the
    chain. Transformations that do not accept extra arguments are wrapped so
    that they ignore them.

    Example:
        >>> import gradtx
        >>> opt = gradtx.chain(gradtx.clip_by_global_norm(1.0), gradtx.adam(1e-3))
    """
    for i, t in enumerate(transforms):
        if not (isinstance(t, tuple) and len(t) == 2 and callable(t[0]) and callable(t[1])):
            raise TypeError(
                f"gradtx.chain(): argument {i} must be a GradientTransformation "
                f"(an (init, update) pair); got {type(t).__name__}."
            )
    txs = tuple(with_extra_args_support(GradientTransformation(*t)) for t in transforms)

    def init(params):
        return tuple(t.init(params) for t in txs)

    def update(updates, state, params=None, **extra_args):
        if len(state) != len(txs):
            raise ValueError(
                f"gradtx.chain(): state has {len(state)} entries but the chain has "
                f"{len(txs)} transformations; was the state built by this chain's init?"
            )
        new_state = []
        for t, s in zip(txs, state, strict=True):
            updates, s = t.update(updates, s, params, **extra_args)
            new_state.append(s)
        return updates, tuple(new_state)

    return GradientTransformation(init, update)


def named_chain(*transforms: tuple[str, GradientTransformation]) -> GradientTransformation:
    """Like ``chain``, but the state is a dict keyed by the given names.

    Example:
        >>> import gradtx
        >>> opt = gradtx.named_chain(("clip", gradtx.clip(1.0)), ("sgd", gradtx.sgd(0.1)))
    """
    names = [n for n, _ in transforms]
    if len(set(names)) != len(names):
        raise ValueError(f"gradtx.named_chain(): names must be unique; got {names}.")
    txs = {n: with_extra_args_support(GradientTransformation(*t)) for n, t in transforms}

    def init(params):
        return {n: t.init(params) for n, t in txs.items()}

    def update(updates, state, params=None, **extra_args):
        new_state = {}
        for n, t in txs.items():
            updates, new_state[n] = t.update(updates, state[n], params, **extra_args)
        return updates, new_state

    return GradientTransformation(init, update)


def apply_updates(params: Params, updates: Updates) -> Params:
    """Return ``params + updates``, each leaf keeping its param's dtype.

    A None leaf in ``params`` or ``updates`` leaves the param as it is. Called
    outside a trace it runs one cached compiled function (not one op per leaf).

    In a training step, donate the params and the optimizer state so that XLA
    updates them in place instead of allocating new buffers each step (halves
    the step's peak memory for the optimizer):

        >>> import jax, gradtx
        >>> opt = gradtx.adam(1e-3)
        >>> def train_step(params, opt_state, grads):
        ...     updates, opt_state = opt.update(grads, opt_state, params)
        ...     return gradtx.apply_updates(params, updates), opt_state
        >>> train_step = jax.jit(train_step, donate_argnums=(0, 1))

    (The donated input arrays must not be used after the call.)

    Raises:
        ValueError: if the two trees differ in structure or in a leaf's shape,
            naming the first path where they differ.
    """
    return _apply_updates_eager(params, updates)


def _apply_updates(params: Params, updates: Updates) -> Params:
    check_same_structure("gradtx.apply_updates", params=params, updates=updates)

    def add(p, u):
        if p is None or u is None:
            return p
        return jnp.asarray(p + u).astype(jnp.asarray(p).dtype)

    return jax.tree.map(add, params, updates, is_leaf=is_none)


_apply_updates_eager = EagerJit(_apply_updates)


def init_empty_state(params: Params) -> EmptyState:
    """An ``init`` for stateless transformations."""
    del params
    return EmptyState()
