"""Optimizer state shardings derived from the params' shardings."""

from __future__ import annotations

from typing import Any

import jax
from jax.sharding import Mesh, NamedSharding, PartitionSpec, Sharding

from gradtx.tree_utils._tree_math import leaf_dtype


def _named_sharding_of(x: Any) -> NamedSharding | None:
    """The NamedSharding a leaf is known to have: a tracer's type under an explicit
    mesh, or a concrete array's or ShapeDtypeStruct's own; None otherwise."""
    if isinstance(x, jax.core.Tracer):
        s = jax.typeof(x).sharding
        explicit = jax.sharding.AxisType.Explicit
        if isinstance(s, NamedSharding) and explicit in tuple(s.mesh.axis_types):
            return s
        return None
    s = getattr(x, "sharding", None)
    return s if isinstance(s, NamedSharding) else None


def padded_spec(spec: PartitionSpec, ndim: int) -> tuple:
    """The entries of ``spec``, one per dimension of a rank-``ndim`` array."""
    return tuple(spec) + (None,) * (ndim - len(spec))


def zeros_reduced_like(x: Any, axes: tuple[int, ...], dtype: Any) -> jax.Array:
    """Zeros shaped like ``x`` with ``axes`` removed, sharded like ``x`` on the rest.

    The state of a factored statistic (Adafactor's row and column RMS, SM3's
    covers) is a reduction of a param; creating it with this keeps it on the
    param's mesh, sharded on the remaining dimensions, exactly as the reduction
    in ``update`` will produce it, so the state's sharding does not change
    between ``init`` and ``update`` (under ``jax.set_mesh`` with explicit axes
    it must not). ``x`` may be an array, a tracer or a ``jax.ShapeDtypeStruct``.
    """
    shape = tuple(jax.numpy.shape(x))
    ndim = len(shape)
    axes = tuple(a % ndim for a in axes)
    out_shape = tuple(n for i, n in enumerate(shape) if i not in axes)
    return _zeros_placed_like(x, out_shape, dtype, lambda entries: [
        e for i, e in enumerate(entries) if i not in axes
    ])  # fmt: skip


def zeros_stacked_like(x: Any, n: int, dtype: Any = None) -> jax.Array:
    """Zeros of shape ``(n, *x.shape)``: ``n`` copies of ``x`` stacked on a new
    leading axis, each sharded like ``x`` (the new axis is not sharded).

    For ring buffers and tables of past values of a param (L-BFGS's memory,
    SAGA's table): a row written into it, or read from it, then has the param's
    sharding, and under explicit mesh axes the state keeps its sharding type.
    ``dtype`` defaults to ``x``'s.
    """
    shape = (n, *jax.numpy.shape(x))
    dtype = leaf_dtype(x) if dtype is None else dtype
    return _zeros_placed_like(x, shape, dtype, lambda entries: [None, *entries])


def _zeros_placed_like(x: Any, out_shape: tuple, dtype: Any, entries_of) -> jax.Array:
    """Zeros of ``out_shape`` on ``x``'s mesh, their spec ``entries_of(x's padded spec)``."""
    sharding = _named_sharding_of(x)
    if sharding is None:
        return jax.numpy.zeros(out_shape, dtype)
    spec = PartitionSpec(*entries_of(padded_spec(sharding.spec, len(jax.numpy.shape(x)))))
    if isinstance(x, jax.core.Tracer):
        return jax.numpy.zeros(out_shape, dtype, out_sharding=spec)
    return jax.numpy.zeros(out_shape, dtype, device=NamedSharding(sharding.mesh, spec))


def explicit_spec(x: Any) -> PartitionSpec | None:
    """The spec of ``x``'s type if it is sharded over explicit mesh axes; else None.

    None for concrete arrays, for tracers outside explicit meshes and for
    replicated types: then nothing needs resharding.
    """
    sharding = _named_sharding_of(x) if isinstance(x, jax.core.Tracer) else None
    if sharding is None or all(e is None for e in sharding.spec):
        return None
    return sharding.spec


def gather_explicit(x: jax.Array) -> jax.Array:
    """``x`` replicated, if its type is sharded over explicit mesh axes; else ``x``.

    For transformations that need a whole leaf at once (a matrix iteration, a
    concatenation of all leaves): under ``jax.set_mesh`` with explicit axes JAX
    refuses to guess the sharding of such ops. Outside explicit meshes this is a
    no-op and the SPMD partitioner chooses the communication itself. Pair it
    with ``reshard_like`` to put the result back in the leaf's sharding.
    """
    return x if explicit_spec(x) is None else jax.sharding.reshard(x, PartitionSpec())


def leaf_vdot(x: Any, y: Any) -> jax.Array:
    """``jnp.vdot(x, y)`` at ``Precision.HIGHEST``, a replicated scalar under explicit axes.

    ``jnp.vdot`` flattens both leaves and contracts them; when their types are
    sharded over explicit mesh axes JAX cannot tell how the (scalar) result is
    to be sharded, so there the product is one contraction over every axis with
    a replicated output (each device sums its shard, then one all-reduce).
    """
    highest = jax.lax.Precision.HIGHEST
    if explicit_spec(x) is None and explicit_spec(y) is None:
        return jax.numpy.vdot(x, y, precision=highest)
    x = jax.numpy.conj(x) if jax.numpy.iscomplexobj(x) else x
    if explicit_spec(x) is None:
        x = reshard_like(x, y)
    elif jax.typeof(x).sharding != jax.typeof(y).sharding:
        y = reshard_like(y, x)
    return jax.numpy.tensordot(
        x, y, jax.numpy.ndim(x), precision=highest, out_sharding=PartitionSpec()
    )


def reshard_like(y: jax.Array, like: Any) -> jax.Array:
    """``y`` in ``like``'s explicit sharding, if ``like`` has one; else ``y``."""
    return reshard_to(y, explicit_spec(like))


def reshard_to(y: jax.Array, spec: PartitionSpec | None) -> jax.Array:
    """``y`` resharded to ``spec`` (one ``explicit_spec`` gave); ``y`` when ``spec`` is None."""
    return y if spec is None else jax.sharding.reshard(y, spec)


def _init_fn(tx: Any):
    init = getattr(tx, "init", tx)
    if not callable(init):
        raise TypeError(
            "gradtx.tree_utils.state_shardings(tx=...): tx must be a GradientTransformation "
            f"or an init function; got {type(tx).__name__}."
        )
    return init


def _param_shardings(params: Any, shardings: Any) -> tuple[list, list, Any]:
    leaves, treedef = jax.tree.flatten(params)
    if shardings is None:
        found = [getattr(x, "sharding", None) for x in leaves]
    else:
        found = treedef.flatten_up_to(shardings)
    for path_leaf, s in zip(jax.tree_util.tree_flatten_with_path(params)[0], found):
        if not isinstance(s, Sharding):
            where = jax.tree_util.keystr(path_leaf[0]) or "<root>"
            raise ValueError(
                "gradtx.tree_utils.state_shardings: the param at "
                f"{where} has no sharding (got {type(s).__name__}); pass jax.Arrays, "
                "jax.ShapeDtypeStructs with sharding=..., or shardings=<tree of shardings>."
            )
    return leaves, found, treedef


def _common_mesh(shardings: list) -> Mesh | None:
    meshes = {s.mesh for s in shardings if isinstance(s, NamedSharding)}
    if not meshes:
        return None
    if len(meshes) > 1 or not all(isinstance(s, NamedSharding) for s in shardings):
        raise ValueError(
            "gradtx.tree_utils.state_shardings: the params' shardings must all be "
            "NamedShardings over one mesh (or all the same single-device sharding); "
            f"got {sorted({type(s).__name__ for s in shardings})} over {len(meshes)} mesh(es)."
        )
    return meshes.pop()


def state_shardings(tx: Any, params: Any, shardings: Any = None) -> Any:
    """The sharding of every leaf of ``tx.init(params)``, following the params' shardings.

    A state leaf built from a param (a moment ``zeros_like(param)``) gets that
    param's partition spec; leaves built from nothing (step counts, scalar
    hyperparameters, Adafactor's placeholders) are replicated over the mesh.
    The rule is JAX's own sharding-in-types propagation: ``tx.init`` is traced
    abstractly (nothing is allocated) on a copy of the params' mesh whose axes are
    ``Explicit``, so whatever ``init`` does to a param (reductions, reshapes,
    casts) gives the spec JAX infers for it.

    Use it to create the state directly on the params' devices, sharded, with
    no full copy on the default device:

        state = jax.jit(tx.init, out_shardings=state_shardings(tx, params))(params)

    or, for a model too large to materialise, with ``jax.ShapeDtypeStruct``
    params that carry their shardings (then ``jax.eval_shape(tx.init, params)``
    gives the abstract state, e.g. as an Orbax restore target).

    Args:
        tx: a ``GradientTransformation`` (or just its ``init`` function).
        params: the params as ``jax.Array``s or ``jax.ShapeDtypeStruct``s; only
            their shapes, dtypes and shardings are read.
        shardings: optional tree of ``jax.sharding.Sharding`` with the params'
            structure, used instead of the leaves' own ``.sharding``.

    Returns:
        A tree with the state's structure and a ``Sharding`` at every leaf:
        ``NamedSharding``s over the params' mesh, or, when every param has the
        same single-device sharding, that sharding everywhere.

    Raises:
        ValueError: a param without a sharding, or params over several meshes.

    Example:
        >>> import jax, jax.numpy as jnp, gradtx
        >>> from jax.sharding import NamedSharding, PartitionSpec as P
        >>> mesh = jax.make_mesh((1,), ("model",))
        >>> w = jax.ShapeDtypeStruct((4, 2), jnp.float32, sharding=NamedSharding(mesh, P("model")))
        >>> s = gradtx.tree_utils.state_shardings(gradtx.adam(1e-3), {"w": w})
        >>> print(s[0].mu["w"].spec, s[0].count.spec)
        P('model', None) P()
    """
    init = _init_fn(tx)
    leaves, found, treedef = _param_shardings(params, shardings)
    mesh = _common_mesh(found)
    if mesh is None:
        distinct = set(found)
        if len(distinct) > 1:
            raise ValueError(
                "gradtx.tree_utils.state_shardings: the params are on different devices "
                f"without a common mesh ({len(distinct)} distinct shardings); put them on "
                "one jax.sharding.Mesh with NamedShardings."
            )
        only = found[0] if found else None
        return jax.tree.map(lambda _: only, jax.eval_shape(init, params))

    explicit = Mesh(
        mesh.devices,
        mesh.axis_names,
        axis_types=(jax.sharding.AxisType.Explicit,) * len(mesh.axis_names),
    )
    abstract = treedef.unflatten(
        [
            jax.ShapeDtypeStruct(
                jax.numpy.shape(x),
                leaf_dtype(x),
                sharding=NamedSharding(explicit, s.spec),
            )
            for x, s in zip(leaves, found)
        ]
    )
    with jax.sharding.use_abstract_mesh(explicit.abstract_mesh):
        state = jax.eval_shape(init, abstract)

    def spec_of(leaf):
        sharding = getattr(leaf, "sharding", None)
        spec = sharding.spec if isinstance(sharding, NamedSharding) else PartitionSpec()
        return NamedSharding(mesh, spec)

    return jax.tree.map(spec_of, state)
