"""ZeRO-1 style optimizer state sharding over a data-parallel mesh axis."""

from __future__ import annotations

from typing import Any

import jax
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from gradtx._core._contract import GradientTransformation, with_extra_args_support
from gradtx.tree_utils._sharding import padded_spec, state_shardings
from gradtx.tree_utils._tree_math import leaf_dtype


def _uses(spec: PartitionSpec, axis: str) -> bool:
    for e in spec:
        if e == axis or (isinstance(e, tuple) and axis in e):
            return True
    return False


def zero_spec(shape: tuple[int, ...], spec: PartitionSpec, axis: str, size: int) -> PartitionSpec:
    """``spec`` with ``axis`` added on the first unsharded dimension divisible by ``size``.

    A leaf with no such dimension (a scalar, a bias of odd length), or already
    sharded over ``axis``, keeps ``spec``.
    """
    if _uses(spec, axis):
        return spec
    entries = list(padded_spec(spec, len(shape)))
    for i, (n, e) in enumerate(zip(shape, entries)):
        if e is None and n % size == 0 and n >= size:
            entries[i] = axis
            return PartitionSpec(*entries)
    return spec


def _constrain(tree: Any, shardings: Any) -> Any:
    def f(x, s):
        if x is None:
            return None
        if isinstance(x, jax.core.Tracer):
            # Explicit mesh axes are part of the type: change them with reshard.
            if jax.sharding.AxisType.Explicit in tuple(s.mesh.axis_types):
                return jax.sharding.reshard(x, s)
            return jax.lax.with_sharding_constraint(x, s)
        if isinstance(x, jax.ShapeDtypeStruct):
            return jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=s)
        return jax.device_put(x, s)

    return jax.tree.map(f, tree, shardings, is_leaf=lambda x: x is None)


def shard_state_over(
    inner: GradientTransformation,
    mesh: Mesh,
    axis: str = "data",
    *,
    param_specs: Any = None,
) -> GradientTransformation:
    """Shard ``inner``'s state over the mesh axis ``axis`` (ZeRO stage 1).

    In data-parallel training every device holds the whole model and, by
    default, the whole optimizer state: Adam keeps two more copies of the
    params on every device. This wrapper keeps the params as they are
    (replicated over ``axis``) but splits every state leaf that is shaped like a
    param over ``axis``: each of the N devices along it stores and updates 1/N
    of the moments.

    Each step: the (already averaged, replicated) gradients and the params are
    constrained to the state's layout, which is a local slice, no
    communication; ``inner`` updates its slice of the state; the updates are
    constrained back to the params' layout, which XLA compiles into one
    all-gather per leaf. With gradients still to be averaged (the batch is
    sharded over ``axis`` and the loss is a mean), XLA can fuse the averaging
    into a reduce-scatter. The numbers are those of ``inner`` (elementwise
    rules give the same bits; reductions such as global norms may differ in the
    last ulp, by summation order).

    A leaf is split on its first dimension that is not already sharded and is
    divisible by the size of ``axis``; a leaf without one (a scalar, an odd
    bias) keeps its state replicated. Step counts and scalar hyperparameters
    stay replicated. Use it under ``jax.jit``; called eagerly, ``init`` puts the
    state on the mesh with ``jax.device_put``.

    Args:
        inner: the transformation whose state to shard.
        mesh: the device mesh; must have an axis named ``axis``.
        axis: the data-parallel mesh axis to shard the state over.
        param_specs: the params' own ``PartitionSpec``s (for model parallelism
            over other axes), as a tree with the params' structure, or one spec
            for every leaf; default: replicated, ``PartitionSpec()``.

    Returns:
        A transformation with ``inner``'s state (same structure, types and
        values), whose state leaves are sharded as described.

    Raises:
        ValueError: ``axis`` is not an axis of ``mesh``.

    References:
        Rajbhandari et al., ZeRO: Memory Optimizations Toward Training Trillion
        Parameter Models, SC 2020, https://arxiv.org/abs/1910.02054.
        Xu et al., Automatic Cross-Replica Sharding of Weight Update in
        Data-Parallel Training, 2020, https://arxiv.org/abs/2004.13336.

    Example:
        >>> import jax, jax.numpy as jnp, gradtx
        >>> mesh = jax.make_mesh((1,), ("data",))
        >>> opt = gradtx.shard_state_over(gradtx.adam(1e-3), mesh, "data")
        >>> state = jax.jit(opt.init)({"w": jnp.zeros((4, 3))})
        >>> print(state[0].mu["w"].sharding.spec)
        P('data', None)
    """
    fn = "shard_state_over"
    if not isinstance(mesh, Mesh):
        raise TypeError(
            f"gradtx.{fn}(mesh=...): mesh must be a jax.sharding.Mesh; got {type(mesh).__name__}."
        )
    if axis not in mesh.axis_names:
        raise ValueError(
            f"gradtx.{fn}(axis={axis!r}): axis must be one of the mesh's axes "
            f"{tuple(mesh.axis_names)}; got {axis!r}."
        )
    size = mesh.shape[axis]
    inner = with_extra_args_support(inner)

    def layouts(params):
        leaves, treedef = jax.tree.flatten(params)
        if param_specs is None or isinstance(param_specs, PartitionSpec):
            specs = [param_specs or PartitionSpec()] * len(leaves)
        else:
            specs = treedef.flatten_up_to(param_specs)
        shapes = [tuple(jax.numpy.shape(x)) for x in leaves]
        base = [NamedSharding(mesh, s) for s in specs]
        zero = [
            NamedSharding(mesh, zero_spec(shape, s, axis, size)) for shape, s in zip(shapes, specs)
        ]
        abstract = treedef.unflatten(
            [
                jax.ShapeDtypeStruct(shape, leaf_dtype(x), sharding=z)
                for shape, x, z in zip(shapes, leaves, zero)
            ]
        )
        return treedef.unflatten(base), treedef.unflatten(zero), abstract

    def init(params):
        _, _, abstract = layouts(params)
        return _constrain(inner.init(params), state_shardings(inner, abstract))

    def update(updates, state, params=None, **extra_args):
        base, zero, abstract = layouts(updates)
        updates = _constrain(updates, zero)
        if params is not None:
            params = _constrain(params, zero)
        updates, state = inner.update(updates, state, params, **extra_args)
        state = _constrain(state, state_shardings(inner, abstract))
        return _constrain(updates, base), state

    return GradientTransformation(init, update)
