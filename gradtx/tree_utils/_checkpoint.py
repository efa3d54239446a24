"""Save and load pytrees of arrays (optimizer state, params) as ``.npz`` files.

Dependency-free (NumPy only): the arrays go in as ``leaf_<i>`` entries and the tree
structure as JSON in one more entry, so a file loads back into the same types:
NamedTuple states, dicts with int keys, tuples, lists, None. PRNG key leaves and
bfloat16 / float8 leaves round-trip bit-exactly. ``tree_drop_empty`` and
``tree_refill_empty`` carry zero-size leaves through checkpointers that refuse
them (Orbax).
"""

from __future__ import annotations

import importlib
import json
import math
import os
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

_META = "__gradtx_tree__"
_VERSION = 1


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def _describe(node: Any, leaves: list) -> dict:
    """The JSON description of ``node``; appends its array leaves to ``leaves``."""
    if node is None:
        return {"t": "none"}
    if isinstance(node, dict):
        for k in node:
            if isinstance(k, bool) or not isinstance(k, int | str):
                raise TypeError(
                    f"gradtx.tree_utils.save_npz: dict keys must be str or int; got {k!r} "
                    f"({type(k).__name__})."
                )
        # Children in JAX's order (sorted keys), as jax.tree.flatten visits them.
        order = sorted(node, key=lambda k: (isinstance(k, str), k))
        keys = [["int" if isinstance(k, int) else "str", k] for k in order]
        return {"t": "dict", "keys": keys, "c": [_describe(node[k], leaves) for k in order]}
    if _is_namedtuple(node):
        cls = type(node)
        return {
            "t": "namedtuple",
            "module": cls.__module__,
            "name": cls.__qualname__,
            "fields": list(cls._fields),
            "c": [_describe(v, leaves) for v in node],
        }
    if isinstance(node, tuple | list):
        return {"t": type(node).__name__, "c": [_describe(v, leaves) for v in node]}
    children, _ = jax.tree_util.tree_flatten(node, is_leaf=lambda y: y is not node)
    if len(children) == 1 and children[0] is node:  # a leaf
        leaves.append(node)
        return {"t": "leaf"}
    # Another registered pytree node (a Flax struct, GroupedLeaves): leaves only;
    # loading it needs the target.
    return {
        "t": "opaque",
        "type": type(node).__qualname__,
        "c": [_describe(v, leaves) for v in children],
    }


def _to_numpy(x: Any) -> tuple[np.ndarray, dict]:
    if isinstance(x, jax.Array) and jax.dtypes.issubdtype(x.dtype, jax.dtypes.extended):
        impl = str(jax.random.key_impl(x))
        return np.asarray(jax.random.key_data(x)), {"dtype": str(x.dtype), "key": impl}
    # Python numbers get the dtype JAX gives them (float32 unless x64 is on).
    a = np.asarray(x if isinstance(x, np.ndarray | np.generic | jax.Array) else jnp.asarray(x))
    info = {"dtype": str(a.dtype)}
    if a.dtype.kind == "V":  # bfloat16, float8_*: store the raw bits
        a = a.view(f"uint{8 * a.dtype.itemsize}")
    return a, info


def save_npz(path: str | os.PathLike, tree: Any) -> None:
    """Write the arrays of ``tree`` and its structure to the ``.npz`` file ``path``.

    Every leaf is fetched to the host (a sharded array is gathered), so the file
    holds the full values; ``load_npz`` puts them back where a target says.

    Args:
        path: the file to write; NumPy appends ``.npz`` if the name lacks it.
        tree: a pytree of arrays (jax or NumPy) and numbers; containers may be
            dicts with str or int keys, lists, tuples, NamedTuples and None, or
            other registered pytree nodes (their leaves are saved; loading them
            needs ``target``).

    Raises:
        TypeError: a dict key that is neither str nor int.

    Example:
        >>> import os, tempfile, jax.numpy as jnp, gradtx
        >>> opt = gradtx.adam(1e-3)
        >>> state = opt.init({"w": jnp.ones(3)})
        >>> path = os.path.join(tempfile.mkdtemp(), "state.npz")
        >>> gradtx.tree_utils.save_npz(path, state)
        >>> type(gradtx.tree_utils.load_npz(path)[0]).__name__
        'ScaleByAdamState'
    """
    leaves: list = []
    structure = _describe(tree, leaves)
    arrays, infos = {}, []
    for i, leaf in enumerate(leaves):
        arrays[f"leaf_{i}"], info = _to_numpy(leaf)
        infos.append(info)
    paths = [jax.tree_util.keystr(p) for p, _ in jax.tree_util.tree_flatten_with_path(tree)[0]]
    meta = {"version": _VERSION, "structure": structure, "leaves": infos, "paths": paths}
    arrays[_META] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    np.savez(path, **arrays)


def _from_numpy(a: np.ndarray, info: dict) -> Any:
    if "key" in info:
        return jax.random.wrap_key_data(jnp.asarray(a), impl=info["key"])
    dtype = jnp.dtype(info["dtype"])
    if a.dtype != dtype:
        a = a.view(dtype)
    return a


def _rebuild(node: dict, leaves: list) -> Any:
    t = node["t"]
    if t == "none":
        return None
    if t == "leaf":
        return leaves.pop(0)
    children = [_rebuild(c, leaves) for c in node.get("c", [])]
    if t == "dict":
        return {(int(v) if kind == "int" else v): c for (kind, v), c in zip(node["keys"], children)}
    if t == "list":
        return children
    if t == "tuple":
        return tuple(children)
    if t == "namedtuple":
        where = f"{node['module']}.{node['name']}"
        try:
            cls: Any = importlib.import_module(node["module"])
            for part in node["name"].split("."):
                cls = getattr(cls, part)
        except (ImportError, AttributeError):
            cls = None
        if cls is None or list(getattr(cls, "_fields", ())) != node["fields"]:
            raise ValueError(
                f"gradtx.tree_utils.load_npz: cannot rebuild the NamedTuple {where} "
                f"(fields {node['fields']}): it is not importable or has other fields; "
                "pass target= (e.g. jax.eval_shape(tx.init, params))."
            )
        return cls(*children)
    raise ValueError(
        f"gradtx.tree_utils.load_npz: the file holds a {node.get('type')} pytree node, "
        "which only a target can rebuild; pass target=."
    )


def load_npz(path: str | os.PathLike, target: Any = None) -> Any:
    """Read a tree written by ``save_npz``.

    With ``target`` (a tree of arrays or ``jax.ShapeDtypeStruct``s, for example
    ``jax.eval_shape(tx.init, params)``) the result has exactly the target's
    structure and types; the file must hold the same paths, shapes and dtypes,
    and each leaf is put in the target leaf's sharding when it has one. Without
    it, the structure recorded in the file is rebuilt: dicts (int keys stay
    int), lists, tuples, None and NamedTuples (their classes are imported by
    name); leaves come back as ``jax.Array``s on the default device.

    Args:
        path: a file written by ``save_npz``.
        target: optional abstract or concrete tree to restore into.

    Returns:
        The tree, bit-for-bit equal to the saved one.

    Raises:
        ValueError: the file is not a gradtx tree file, or it differs from
            ``target`` (naming the first path where they differ).
    """
    with np.load(path, allow_pickle=False) as data:
        if _META not in data:
            raise ValueError(
                f"gradtx.tree_utils.load_npz: {os.fspath(path)!r} was not written by save_npz."
            )
        meta = json.loads(data[_META].tobytes().decode())
        arrays = [data[f"leaf_{i}"] for i in range(len(meta["leaves"]))]
    values = [_from_numpy(a, info) for a, info in zip(arrays, meta["leaves"])]
    if target is None:
        return _rebuild(meta["structure"], [jnp.asarray(v) for v in values])

    flat, treedef = jax.tree_util.tree_flatten_with_path(target)
    paths = [jax.tree_util.keystr(p) for p, _ in flat]
    if paths != meta["paths"]:
        saved = set(meta["paths"])
        missing = [p for p in paths if p not in saved]
        extra = [p for p in meta["paths"] if p not in set(paths)]
        where = (missing or extra or ["(the order of the leaves)"])[0]
        raise ValueError(
            f"gradtx.tree_utils.load_npz: the file and target differ at path {where or '<root>'}: "
            f"{'missing from the file' if missing else 'not in the target' if extra else 'different order'}."
        )
    out = []
    for (p, t), v, info in zip(flat, values, meta["leaves"]):
        want = (tuple(jnp.shape(t)), str(t.dtype) if hasattr(t, "dtype") else None)
        got = (tuple(jnp.shape(v)), info["dtype"])
        if want[0] != got[0] or (want[1] is not None and want[1] != got[1]):
            raise ValueError(
                f"gradtx.tree_utils.load_npz: at path {jax.tree_util.keystr(p) or '<root>'} the file "
                f"holds {got[1]}{list(got[0])} but the target expects {want[1]}{list(want[0])}."
            )
        sharding = getattr(t, "sharding", None)
        out.append(jax.device_put(v, sharding) if sharding is not None else jnp.asarray(v))
    return jax.tree_util.tree_unflatten(treedef, out)


def _is_empty_leaf(x: Any) -> bool:
    return x is not None and hasattr(x, "shape") and math.prod(jnp.shape(x)) == 0


def tree_drop_empty(tree: Any) -> Any:
    """``tree`` with every zero-size leaf replaced by None, for checkpointers that refuse them.

    Orbax cannot save arrays with no elements ("Cannot save arrays with zero
    size"); some states hold such placeholders (``contrib.scale_by_galore``'s
    ``(0, 0)`` projector of a leaf it does not project, as in optax). A zero-size
    array carries no values, only its shape, dtype and sharding, which the
    restore target has too: save ``tree_drop_empty(state)``, restore into
    ``tree_drop_empty(target)`` and put the placeholders back with
    ``tree_refill_empty(restored, target)``. Works on arrays and on abstract
    trees (``jax.ShapeDtypeStruct``) alike; other leaves are kept as they are.

    Example:
        >>> import jax.numpy as jnp, gradtx
        >>> gradtx.tree_utils.tree_drop_empty({"p": jnp.zeros((0, 0)), "w": jnp.ones(2)})
        {'p': None, 'w': Array([1., 1.], dtype=float32)}
    """
    return jax.tree.map(lambda x: None if _is_empty_leaf(x) else x, tree)


def tree_refill_empty(tree: Any, target: Any) -> Any:
    """Undo ``tree_drop_empty``: zeros where ``target`` has a zero-size leaf and ``tree`` None.

    Each rebuilt leaf has the target leaf's shape, dtype and, when the target
    leaf has one, sharding; every other leaf of ``tree`` is returned unchanged.

    Args:
        tree: a tree restored from a checkpoint of ``tree_drop_empty(...)``.
        target: the full target: arrays or ``jax.ShapeDtypeStruct``s with the
            structure of the saved tree before ``tree_drop_empty``
            (e.g. ``jax.eval_shape(tx.init, params)``).

    Returns:
        ``tree`` with the target's structure.

    Raises:
        ValueError: ``tree`` holds a value where ``target`` has a zero-size leaf.

    Example:
        >>> import jax, jax.numpy as jnp, gradtx
        >>> target = {"p": jax.ShapeDtypeStruct((0, 0), jnp.float32), "w": jnp.ones(2)}
        >>> gradtx.tree_utils.tree_refill_empty({"p": None, "w": jnp.ones(2)}, target)["p"].shape
        (0, 0)
    """

    def refill(path, t, x):
        if not _is_empty_leaf(t):
            return x
        if x is not None and math.prod(jnp.shape(x)) != 0:
            raise ValueError(
                "gradtx.tree_utils.tree_refill_empty: at path "
                f"{jax.tree_util.keystr(path) or '<root>'} the target has a zero-size leaf "
                f"{jnp.shape(t)} but the tree holds shape {jnp.shape(x)}; pass the target "
                "the tree was saved from."
            )
        sharding = getattr(t, "sharding", None)
        return jnp.zeros(jnp.shape(t), t.dtype, device=sharding)

    return jax.tree_util.tree_map_with_path(refill, target, tree, is_leaf=lambda v: v is None)
