"""Building trees shaped like another tree, and reading or changing their dtypes."""

from __future__ import annotations

import functools
from typing import Any, TypeVar

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike, DTypeLike

from gradtx.tree_utils._tree_math import leaf_dtype, promoted_dtype

T = TypeVar("T")


def tree_full_like(tree: Any, fill_value: ArrayLike, dtype: DTypeLike | None = None) -> Any:
    """A tree of the same structure and shapes with every element ``fill_value``.

    Only each leaf's shape, dtype and sharding are read, so ``jax.ShapeDtypeStruct``
    leaves work, and each new leaf takes its leaf's sharding (a committed sharded
    array, a ``ShapeDtypeStruct`` with a sharding, or a tracer under a mesh with
    explicit axes): optimizer state is created where the params live. The result
    is never weakly typed.

    Args:
        tree: the tree to copy the structure of.
        fill_value: the value of every element.
        dtype: the dtype of every leaf; None keeps each leaf's dtype.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.tree_utils.tree_full_like({"a": jnp.zeros(2)}, 3.0)
        {'a': Array([3., 3.], dtype=float32)}
    """
    return jax.tree.map(lambda x: jnp.full_like(x, fill_value, dtype=dtype or leaf_dtype(x)), tree)


def tree_zeros_like(tree: Any, dtype: DTypeLike | None = None) -> Any:
    """Zeros with each leaf's shape, in ``dtype`` (None: each leaf's dtype).

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.tree_utils.tree_zeros_like([jnp.ones(2)], jnp.int32)
        [Array([0, 0], dtype=int32)]
    """
    return jax.tree.map(lambda x: jnp.zeros_like(x, dtype=dtype or leaf_dtype(x)), tree)


def tree_ones_like(tree: Any, dtype: DTypeLike | None = None) -> Any:
    """Ones with each leaf's shape, in ``dtype`` (None: each leaf's dtype).

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.tree_utils.tree_ones_like([jnp.zeros(2)])
        [Array([1., 1.], dtype=float32)]
    """
    return jax.tree.map(lambda x: jnp.ones_like(x, dtype=dtype or leaf_dtype(x)), tree)


def tree_batch_shape(tree: Any, shape: tuple[int, ...] = ()) -> Any:
    """Broadcast every leaf to ``(*shape, *leaf.shape)``: add leading batch axes.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.tree_utils.tree_batch_shape({"w": jnp.ones(3)}, (2,))["w"].shape
        (2, 3)
    """
    return jax.tree.map(lambda x: jnp.broadcast_to(x, (*shape, *jnp.shape(x))), tree)


def tree_cast(tree: Any, dtype: DTypeLike | None) -> Any:
    """Cast every leaf to ``dtype``; ``dtype=None`` returns the tree unchanged.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.tree_utils.tree_cast({"a": jnp.ones(1)}, jnp.bfloat16)
        {'a': Array([1], dtype=bfloat16)}
    """
    if dtype is None:
        return tree
    return jax.tree.map(lambda x: jnp.asarray(x).astype(dtype), tree)


def tree_cast_like(tree: T, other_tree: Any) -> T:
    """Cast each array leaf of ``tree`` to the dtype of the matching leaf of ``other_tree``.

    Wrappers apply it to the state and updates their inner transformation
    returns, so state dtypes stay fixed even around a transformation that
    promotes (a float32 hyperparameter times a bfloat16 moment). Leaves that are
    not arrays, already have the dtype, or have an extended dtype (PRNG keys),
    pass through unchanged.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.tree_utils.tree_cast_like([jnp.ones(1)], [jnp.zeros(1, jnp.bfloat16)])
        [Array([1], dtype=bfloat16)]
    """

    def cast(x, other):
        xd, od = getattr(x, "dtype", None), getattr(other, "dtype", None)
        if xd is None or od is None or xd == od or jax.dtypes.issubdtype(od, jax.dtypes.extended):
            return x
        return x.astype(od)

    return jax.tree.map(cast, tree, other_tree)


def _lower(d1, d2):
    joined = promoted_dtype(d1, d2)
    if joined == d1:
        return d2
    if joined == d2:
        return d1
    raise ValueError(
        f"gradtx.tree_utils.tree_dtype: {d1} and {d2} are not ordered (neither promotes to "
        "the other), so there is no highest or lowest; use mixed_dtype_handler='promote'."
    )


def _higher(d1, d2):
    return d2 if _lower(d1, d2) == d1 else d1


def tree_dtype(tree: Any, mixed_dtype_handler: str | None = None) -> jnp.dtype:
    """The dtype of the tree's leaves.

    Args:
        tree: a pytree of arrays.
        mixed_dtype_handler: what to do when leaves differ: None raises;
            ``"promote"`` returns ``jnp.promote_types`` of all of them;
            ``"highest"`` / ``"lowest"`` the widest / narrowest under the order
            "d1 <= d2 when d1 promotes to d2" (raises for unordered pairs such
            as int32 and uint32).

    Returns:
        A dtype; JAX's default float dtype for a tree without leaves.

    Raises:
        ValueError: mixed dtypes with ``mixed_dtype_handler=None``, unordered
            dtypes for ``"highest"``/``"lowest"``, or an unknown handler.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tree = {"a": jnp.ones(1, jnp.float16), "b": jnp.ones(1, jnp.float32)}
        >>> gradtx.tree_utils.tree_dtype(tree, "lowest")
        dtype('float16')
    """
    dtypes = [leaf_dtype(x) for x in jax.tree.leaves(tree)]
    if not dtypes:
        return jnp.asarray([]).dtype
    if mixed_dtype_handler is None:
        paths = jax.tree_util.tree_flatten_with_path(tree)[0]
        bad = [
            f"{jax.tree_util.keystr(p) or '<root>'} has {d}"
            for (p, _), d in zip(paths, dtypes)
            if d != dtypes[0]
        ]
        if bad:
            raise ValueError(
                f"gradtx.tree_utils.tree_dtype: the leaves have different dtypes (the first is "
                f"{dtypes[0]}; {', '.join(bad)}). Pass mixed_dtype_handler='promote', "
                "'highest' or 'lowest'."
            )
        return jnp.dtype(dtypes[0])
    reducers = {"promote": promoted_dtype, "highest": _higher, "lowest": _lower}
    if mixed_dtype_handler not in reducers:
        raise ValueError(
            f"gradtx.tree_utils.tree_dtype(mixed_dtype_handler={mixed_dtype_handler!r}): "
            "must be None, 'promote', 'highest' or 'lowest'."
        )
    return jnp.dtype(functools.reduce(reducers[mixed_dtype_handler], dtypes))
