"""The state check: ``update`` given a state that its ``init`` did not build says so.

Every ``GradientTransformation`` wraps its ``update`` with ``with_state_check``.
The outermost gradtx ``update`` of a call (a chain's, not its stages') compares
the structure and leaf shapes of the state it receives with
``jax.eval_shape(init, params)``. The comparison runs in Python when the update
is traced (under ``jax.jit``, and once per compilation of an eager call), so a
compiled step costs nothing more; dtypes are not compared (a restored state may
hold Python floats, a ``bfloat16`` moment may be cast), and a None anywhere in
either state matches anything there.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from typing import Any

import jax

from gradtx.tree_utils._tree_math import first_difference, is_tree_leaf, tree_children

# True while an outer gradtx update is running in this thread: the stages of a
# chain (and any transformation that another one wraps) are not checked again.
_INSIDE_UPDATE: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "gradtx_inside_update", default=False
)

_HOW_TO_FIX = (
    "Build the state with this transformation's own init on the same params "
    "(state = tx.init(params)); when restoring a checkpoint, pass the abstract state "
    "jax.eval_shape(tx.init, params) as the restore target (for example "
    "gradtx.tree_utils.load_npz(path, target=jax.eval_shape(tx.init, params))) so that "
    "tuples, NamedTuples and dicts come back as init builds them."
)


class StateMismatchError(ValueError):
    """``update`` got a state that this transformation's ``init`` did not build.

    Raised when the state's tree structure (its containers, NamedTuple types,
    dict keys and tuple lengths) or a leaf's shape differs from what ``init``
    builds for the params (or, when ``params`` is None, for the updates): the
    state of another optimizer, one built for a different params tree, or a
    checkpoint restored with lists for tuples or dicts for NamedTuples. The
    message names the first path where they differ, the state types expected and
    received, and how to fix it. Dtypes are not compared. The check runs when
    ``update`` is traced, never per compiled step, and only for the outermost
    transformation of a call. A subclass of ``ValueError``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> params = jnp.zeros(2)
        >>> try:
        ...     gradtx.adam(1e-3).update(params, gradtx.sgd(0.1, 0.9).init(params), params)
        ... except gradtx.StateMismatchError as err:
        ...     print(str(err).split(" (")[0])
        gradtx: update got a state that this transformation's init did not build: at path [0] init(params) builds a ScaleByAdamState and the state has a TraceState
    """


def _children(x) -> list[tuple[Any, Any]] | None:
    """The (key, child) pairs of a pytree node one level down, or None for a leaf."""
    if is_tree_leaf(x):
        return None
    return [(path[-1], child) for path, child in tree_children(x)[0]]


def _name(x) -> str:
    return type(x).__name__


def _a(name: str) -> str:
    return ("an " if name[:1].lower() in "aeiou" else "a ") + name


def _describe(x, depth: int = 2) -> str:
    """A short picture of a state: containers down to NamedTuples, leaves as shapes."""
    if x is None:
        return "None"
    kids = _children(x)
    if kids is None:
        shape = getattr(x, "shape", ())
        return f"array{tuple(shape)}"
    is_named = isinstance(x, tuple) and hasattr(type(x), "_fields")
    if is_named or depth == 0:
        return _name(x)
    inner = ", ".join(_describe(c, depth - 1) for _, c in kids[:6])
    if len(kids) > 6:
        inner += ", ..."
    if isinstance(x, tuple):
        return f"({inner}{',' if len(kids) == 1 else ''})"
    if isinstance(x, list):
        return f"[{inner}]"
    if isinstance(x, dict):
        keys = ", ".join(f"{k!r}: ..." for k in list(x)[:6])
        return "{" + keys + (", ..." if len(x) > 6 else "") + "}"
    return f"{_name(x)}({inner})"


def _has_leaves(x) -> bool:
    return bool(jax.tree.leaves(x))


def _first_type_difference(expected, received, path: str = "") -> tuple[str, str, str] | None:
    """The first path where a container's type differs, with the two type names.

    None matches anything, and two subtrees without leaves match each other
    (``()`` for an ``EmptyState``: neither carries anything).
    """
    if expected is None or received is None:
        return None
    if not _has_leaves(expected) and not _has_leaves(received):
        return None
    e_kids, r_kids = _children(expected), _children(received)
    if (e_kids is None) != (r_kids is None) or (
        e_kids is not None and type(expected) is not type(received)
    ):
        e_name = "array" if e_kids is None else _name(expected)
        r_name = "array" if r_kids is None else _name(received)
        return path, e_name, r_name
    if e_kids is None or [k for k, _ in e_kids] != [k for k, _ in r_kids]:
        return None  # leaves, or different keys: first_difference names the path
    for (key, e), (_, r) in zip(e_kids, r_kids):
        found = _first_type_difference(e, r, path + jax.tree_util.keystr((key,)))
        if found is not None:
            return found
    return None


def _empty_to_none(tree):
    """``tree`` with every subtree that holds no leaf replaced by None (a wildcard)."""
    return jax.tree.map(
        lambda x: x if _has_leaves(x) else None,
        tree,
        is_leaf=lambda x: x is not None and not _has_leaves(x),
    )


def _signature(tree) -> tuple:
    leaves, treedef = jax.tree.flatten(tree)
    return treedef, tuple(getattr(x, "shape", ()) for x in leaves)


def state_mismatch_message(expected: Any, received: Any, source: str = "params") -> str | None:
    """Say where ``received`` differs from the abstract state ``expected``, or return None.

    ``expected`` is ``jax.eval_shape(init, x)``, and ``source`` names ``x``
    (``"params"`` or ``"updates"``). Leaf shapes are compared only against
    ``init(params)``: updates need not have the params' shapes (per-example
    gradients with a leading batch axis, for one), so without params only the
    structure is checked.
    """
    shapes = source == "params"
    if shapes and _signature(expected) == _signature(received):  # the usual case, in one pass
        return None
    if not shapes and jax.tree.structure(expected) == jax.tree.structure(received):
        return None
    found = _first_type_difference(expected, received)
    if found is not None:
        where, e_name, r_name = found
        where = f"at path {where}" if where else "at the root"
        what = f"{where} init({source}) builds {_a(e_name)} and the state has {_a(r_name)}"
    else:
        what = first_difference(
            f"init({source})",
            _empty_to_none(expected),
            "the state",
            _empty_to_none(received),
            check_shapes=shapes,
        )
        if what is None:
            return None
    if source == "updates":
        what += (
            "; no params were given, so the state is compared with init(updates): "
            "the updates may be what differs"
        )
    pictures = _describe(expected), _describe(received)
    if pictures[0] != pictures[1]:
        what += f" (init({source}) builds {pictures[0]}, the state is {pictures[1]})"
    return (
        f"gradtx: update got a state that this transformation's init did not build: {what}. "
        + _HOW_TO_FIX
    )


def _split_args(args: tuple, kwargs: dict) -> tuple[Any, Any, Any] | None:
    """``(updates, state, params)`` from an update call, or None if they cannot be told."""
    names = ("updates", "state", "params")
    values = list(args[:3])
    for name in names[len(values) :]:
        if name in kwargs:
            values.append(kwargs[name])
        elif name == "params":
            values.append(None)
        else:
            return None
    return values[0], values[1], values[2]


def check_state(init: Callable, args: tuple, kwargs: dict, passed: dict | None = None) -> None:
    """Raise StateMismatchError if the call's state is not what ``init`` builds.

    Skipped (silently) when the call's arguments cannot be told apart or when
    ``init`` cannot be evaluated abstractly on the params (it needs something
    else, or concrete values). ``passed``, when given, remembers the
    (params, state) signatures already found to match, so that calls made op by
    op (``gradtx.eager_jit_disabled()``) do not evaluate ``init`` every step.
    """
    split = _split_args(args, kwargs)
    if split is None:
        return
    updates, state, params = split
    source = updates if params is None else params
    key = None
    if passed is not None:
        try:
            key = (params is None, _signature(source), _signature(state))
            if key in passed:
                return
        except TypeError:  # a tree node with unhashable metadata
            key = None
    try:
        expected = jax.eval_shape(init, source)
    except Exception:  # noqa: BLE001 - init needs more than abstract params: no check
        return
    message = state_mismatch_message(expected, state, "updates" if params is None else "params")
    if message is not None:
        raise StateMismatchError(message)
    if key is not None:
        _remember(passed, key)


def _remember(passed: dict, key: tuple) -> None:
    if len(passed) >= 16:
        passed.clear()
    passed[key] = True


def with_init_record(init: Callable) -> Callable:
    """``init`` that remembers the (params, state) signatures it builds.

    ``update``'s state check looks them up first: a state that this ``init``
    built for params of the same signature passes without ``jax.eval_shape``
    of ``init`` (which costs a trace of ``init``, about 0.4 s at 2000 leaves).
    Returns ``init`` itself if it already records.
    """
    if getattr(init, "_gradtx_built", None) is not None:
        return init
    built: dict = {}

    @functools.wraps(init)
    def recording_init(params, *args, **kwargs):
        state = init(params, *args, **kwargs)
        try:
            params_sig, state_sig = _signature(params), _signature(state)
            _remember(built, (False, params_sig, state_sig))
            # updates with the params' signature: init(updates) builds the same
            _remember(built, (True, params_sig, state_sig))
        except TypeError:  # a tree node with unhashable metadata: nothing remembered
            pass
        return state

    recording_init._gradtx_built = built
    recording_init._gradtx_original = init
    return recording_init


def original_init(init: Callable) -> Callable:
    """The ``init`` a ``with_init_record`` wrapper records for (or ``init`` itself)."""
    return getattr(init, "_gradtx_original", init)


def with_state_check(init: Callable, update: Callable) -> Callable:
    """``update`` that, when it is the outermost gradtx update running, checks its state first.

    Returns ``update`` itself if it already checks against this ``init``. An
    ``init`` made by ``with_init_record`` shares what it built with the check.
    """
    if getattr(update, "_gradtx_checked_init", None) is original_init(init):
        return update

    passed: dict = getattr(init, "_gradtx_built", None)
    if passed is None:
        passed = {}

    @functools.wraps(update, updated=())
    def checked_update(*args, **kwargs):
        if _INSIDE_UPDATE.get():
            return update(*args, **kwargs)
        token = _INSIDE_UPDATE.set(True)
        try:
            check_state(init, args, kwargs, passed)
            return update(*args, **kwargs)
        finally:
            _INSIDE_UPDATE.reset(token)

    checked_update._gradtx_checked_init = original_init(init)
    return checked_update
