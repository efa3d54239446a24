"""Finding and replacing hyperparameters and state fields by name in a nested state.

An optimizer state is a tree of NamedTuples, dicts, tuples and lists. These helpers
look a name up anywhere in that tree: a NamedTuple field (``count``, ``mu``,
``inner_state``), a dict key (``inject_hyperparams``' ``hyperparams['learning_rate']``)
or the class name of a NamedTuple (``"ScaleByAdamState"``). They follow
``optax.tree_utils.tree_get`` / ``tree_set``, with two differences in ``tree_set``:
a new value is cast to the dtype and shape of the leaf it replaces (so a jitted
step that takes the state does not recompile), and an unknown name raises a
``KeyError`` that lists the names the state does have."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Iterator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gradtx.tree_utils._tree_math import KeyPath, tree_children

Filtering = Callable[[KeyPath, Any], bool]


@dataclasses.dataclass(frozen=True)
class NamedTupleKey:
    """A path entry for a NamedTuple field that also records the tuple's class name.

    ``filtering(path, value)`` callbacks can read ``path[-1].tuple_name`` to tell
    apart fields of the same name in different states (``count`` of
    ``ScaleByAdamState`` against ``count`` of ``InjectHyperparamsState``).
    """

    tuple_name: str
    name: str

    def __str__(self) -> str:
        return f"{self.tuple_name}.{self.name}"


class StateKeyError(KeyError):
    """A KeyError whose message prints without the quotes ``KeyError`` adds."""

    def __str__(self) -> str:
        return str(self.args[0])


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def _children(path: KeyPath, node: Any) -> tuple[list[tuple[KeyPath, Any]], Any]:
    """``tree_children`` with NamedTuple fields keyed by ``NamedTupleKey``."""
    kids, treedef = tree_children(node, path)
    if _is_namedtuple(node):
        name = type(node).__name__
        kids = [((*path, NamedTupleKey(name, f)), v) for f, (_, v) in zip(node._fields, kids)]
    return kids, treedef


def _matches(path: KeyPath, node: Any, key: str) -> Iterator[tuple[KeyPath, Any]]:
    """The (path, value) pairs that ``key`` names directly at ``node``."""
    if _is_namedtuple(node):
        if type(node).__name__ == key:
            yield path, node
        if key in node._fields:
            yield (*path, NamedTupleKey(type(node).__name__, key)), getattr(node, key)
    elif isinstance(node, dict) and key in node:
        yield (*path, jax.tree_util.DictKey(key)), node[key]


def _walk(path: KeyPath, node: Any) -> Iterator[tuple[KeyPath, Any]]:
    yield path, node
    for p, child in _children(path, node)[0]:
        yield from _walk(p, child)


def tree_get_all_with_path(
    tree: Any, key: str, filtering: Filtering | None = None
) -> list[tuple[KeyPath, Any]]:
    """Every value that ``key`` names in ``tree``, with its path.

    ``key`` may be a NamedTuple field, a dict key or a NamedTuple class name.
    Paths are tuples of jax key entries and ``NamedTupleKey``;
    ``jax.tree_util.keystr(path)`` prints them.

    Args:
        tree: the tree to search (usually an optimizer state).
        key: the name to look for.
        filtering: optional ``filtering(path, value) -> bool`` keeping only some
            of the matches.

    Returns:
        A list of ``(path, value)`` pairs, outermost first.

    Example:
        >>> import gradtx, jax, jax.numpy as jnp
        >>> opt = gradtx.chain(gradtx.scale_by_adam(), gradtx.scale_by_schedule(lambda c: 0.1))
        >>> found = gradtx.tree_get_all_with_path(opt.init(jnp.zeros(2)), "count")
        >>> [jax.tree_util.keystr(p) for p, _ in found]
        ['[0]ScaleByAdamState.count', '[1]ScaleByScheduleState.count']
    """
    found = []
    for path, node in _walk((), tree):
        for p, v in _matches(path, node, key):
            if filtering is None or filtering(p, v):
                found.append((p, v))
    return found


def _available_names(tree: Any) -> list[str]:
    names: dict[str, None] = {}
    for _, node in _walk((), tree):
        if _is_namedtuple(node):
            names[type(node).__name__] = None
            names.update(dict.fromkeys(node._fields))
        elif isinstance(node, dict):
            names.update({k: None for k in node if isinstance(k, str)})
    return list(names)


_MAX_NAMES_SHOWN = 40


def _unknown_name_error(fn: str, key: str, tree: Any, filtered: bool) -> StateKeyError:
    names = _available_names(tree)
    close = difflib.get_close_matches(key, names, n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    where = " that passes the filtering function" if filtered else ""
    shown = ", ".join(names[:_MAX_NAMES_SHOWN]) + (", ..." if len(names) > _MAX_NAMES_SHOWN else "")
    return StateKeyError(
        f"gradtx.{fn}: no field or key named {key!r}{where} in the state. "
        f"Names in this state: {shown or '(none)'}.{hint}"
    )


def tree_get(tree: Any, key: str, default: Any = None, filtering: Filtering | None = None) -> Any:
    """The value that ``key`` names in ``tree``, or ``default`` if there is none.

    ``key`` may be a NamedTuple field, a dict key (for example an injected
    hyperparameter, ``"learning_rate"``) or a NamedTuple class name. The lookup
    reads only the tree's structure, so it is free under ``jit``.

    Args:
        tree: the tree to search (usually an optimizer state).
        key: the name to look for.
        default: returned when ``key`` names nothing.
        filtering: optional ``filtering(path, value) -> bool`` to choose among
            several matches.

    Raises:
        KeyError: ``key`` names more than one value (the message lists their
            paths; pass ``filtering`` to choose).

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.inject_hyperparams(gradtx.adam)(learning_rate=1e-3)
        >>> gradtx.tree_get(opt.init(jnp.zeros(3)), "learning_rate")
        Array(0.001, dtype=float32)
    """
    found = tree_get_all_with_path(tree, key, filtering)
    if len(found) > 1:
        paths = ", ".join(jax.tree_util.keystr(p) for p, _ in found)
        raise StateKeyError(
            f"gradtx.tree_get: {key!r} names {len(found)} values in the state, at {paths}. "
            "Pass filtering=lambda path, value: ... to choose one, or use "
            "gradtx.tree_get_all_with_path."
        )
    return found[0][1] if found else default


def _is_array_like(x: Any) -> bool:
    return isinstance(x, jax.Array | np.ndarray | np.generic) or (
        hasattr(x, "dtype") and hasattr(x, "shape")
    )


def _cast_leaf(key: str, value: Any, old: Any) -> Any:
    """``value`` as an array with ``old``'s dtype and shape."""
    dtype = old.dtype
    if jax.dtypes.issubdtype(dtype, jax.dtypes.extended):
        return value
    new = jnp.asarray(value, dtype=dtype)
    if new.shape != tuple(old.shape):
        try:
            new = jnp.broadcast_to(new, old.shape)
        except ValueError:
            raise ValueError(
                f"gradtx.tree_set({key}=...): the new value has shape {new.shape} but the "
                f"state holds shape {tuple(old.shape)} there. To give each member of a "
                "population its own value, call tree_set inside jax.vmap."
            ) from None
    return new


def _cast_like(key: str, value: Any, old: Any) -> Any:
    """``value`` made to look like ``old``: same dtypes and shapes, leaf by leaf."""
    if old is None:
        return value
    if _is_array_like(old):
        return _cast_leaf(key, value, old)
    old_leaves, old_def = jax.tree.flatten(old)
    if not old_leaves:
        return value
    if all(not _is_array_like(x) for x in old_leaves):
        return value
    val_leaves, val_def = jax.tree.flatten(value)
    if val_def == old_def:
        return old_def.unflatten(
            [
                _cast_leaf(key, v, o) if _is_array_like(o) else v
                for v, o in zip(val_leaves, old_leaves, strict=True)
            ]
        )
    if _is_array_like(value) or isinstance(value, int | float | complex):
        # One value for a whole subtree, e.g. tree_set(state, mu=0.0) resets a moment.
        return old_def.unflatten(
            [_cast_leaf(key, value, o) if _is_array_like(o) else o for o in old_leaves]
        )
    raise ValueError(
        f"gradtx.tree_set({key}=...): the state holds a tree there ({old_def}) and the new "
        f"value has a different structure ({val_def}). Pass a tree with the same structure "
        "or a single number to fill every leaf."
    )


def tree_set(tree: Any, filtering: Filtering | None = None, /, **kwargs: Any) -> Any:
    """A copy of ``tree`` with the values that the given names denote replaced.

    Every match of each name is replaced (a NamedTuple field, a dict key or a
    NamedTuple class name, as in ``tree_get``). Each new value is cast to the
    dtype and shape of the leaf it replaces, so a state changed between jitted
    steps reuses the compiled step: ``tree_set(state, learning_rate=1e-4)``
    keeps a float32 scalar a float32 scalar. A subtree may be replaced by a tree
    of the same structure or by one number that fills all its leaves
    (``tree_set(state, mu=0.0)``). Works on traced values (inside ``jit`` and
    ``vmap``).

    Args:
        tree: the tree to copy (usually an optimizer state).
        filtering: optional positional ``filtering(path, value) -> bool``;
            only matches that pass it are replaced.
        **kwargs: name=new value.

    Returns:
        The new tree, with the same structure and dtypes.

    Raises:
        KeyError: a name matches nothing; the message lists the names present.
        ValueError: a value whose shape or structure cannot be cast to the
            place it goes.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.inject_hyperparams(gradtx.sgd)(learning_rate=0.1)
        >>> state = gradtx.tree_set(opt.init(jnp.zeros(3)), learning_rate=0.05)
        >>> gradtx.tree_get(state, "learning_rate")
        Array(0.05, dtype=float32)
    """
    for key in kwargs:
        if not tree_get_all_with_path(tree, key, filtering):
            raise _unknown_name_error("tree_set", key, tree, filtering is not None)

    def wanted(key, path, value):
        return key in kwargs and (filtering is None or filtering(path, value))

    def rebuild(path, node):
        if _is_namedtuple(node) and wanted(type(node).__name__, path, node):
            return _cast_like(type(node).__name__, kwargs[type(node).__name__], node)
        kids, treedef = _children(path, node)
        if treedef is None:
            return node
        new = []
        for p, child in kids:
            entry = p[-1]
            k = entry.name if isinstance(entry, NamedTupleKey) else getattr(entry, "key", None)
            named = isinstance(entry, NamedTupleKey) or isinstance(node, dict)
            hit = named and isinstance(k, str) and wanted(k, p, child)
            new.append(_cast_like(k, kwargs[k], child) if hit else rebuild(p, child))
        return treedef.unflatten(new)

    return rebuild((), tree)


@jax.tree_util.register_pytree_node_class
class _ParamsMarker:
    """A leafless stand-in for the params: where it lands in a state, a copy of the params is."""

    def tree_flatten(self):
        return (), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        del aux, children
        return cls()


def _is_marker(x: Any) -> bool:
    return isinstance(x, _ParamsMarker)


def tree_map_params(
    initable: Any,
    f: Callable[..., Any],
    state: Any,
    /,
    *rest: Any,
    transform_non_params: Callable[..., Any] | None = None,
    is_leaf: Callable[[Any], bool] | None = None,
) -> Any:
    """Apply ``f`` to every params-shaped subtree of an optimizer state.

    An optimizer state holds copies of the params tree (Adam's ``mu`` and
    ``nu``, a trace) next to other leaves (counts, hyperparameters). This finds
    the copies by running ``init`` on a leafless marker in place of the params,
    then maps ``f(leaf, *rest_leaves)`` over each copy. The typical use is to
    build sharding specs for a state from the params' specs.

    Args:
        initable: a transformation (anything with ``.init``) or an init function.
        f: called on each leaf of each params copy, with the matching leaves of
            ``rest``.
        state: the state to map over (from ``initable``'s init).
        *rest: trees with the params' structure, passed to ``f``.
        transform_non_params: applied to every leaf that is not part of a
            params copy; None leaves them as they are.
        is_leaf: passed to ``jax.tree.map`` over each params copy (for example
            to treat ``MaskedNode`` as a leaf).

    Returns:
        A tree with ``state``'s structure.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.adam(1e-3)
        >>> state = opt.init({"w": jnp.zeros(3)})
        >>> specs = gradtx.tree_map_params(opt, lambda _, s: s, state, {"w": "model"},
        ...                                transform_non_params=lambda _: None)
        >>> specs[0].mu, specs[0].count
        ({'w': 'model'}, None)
    """
    init = initable.init if hasattr(initable, "init") else initable
    marked = init(_ParamsMarker())

    def per_subtree(marker_or_value, value):
        if _is_marker(marker_or_value):
            return jax.tree.map(f, value, *rest, is_leaf=is_leaf)
        if transform_non_params is not None:
            return transform_non_params(value)
        return value

    return jax.tree.map(per_subtree, marked, state, is_leaf=_is_marker)
