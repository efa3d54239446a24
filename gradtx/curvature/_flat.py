"""Pytrees as flat vectors: the view the matrix-free solvers work in.

Lanczos and the trace estimators keep a basis of many vectors; they hold it as
one ``(m, n)`` matrix of flattened params, so that reorthogonalisation is two
matrix-vector products instead of a loop over leaves. ``FlatView`` flattens a
tree into one vector of a working dtype (the widest float dtype of the leaves,
and at least float32, so bfloat16 params do not degrade the Krylov basis) and
back, each leaf returning to its own dtype. Under ``jax.set_mesh`` with explicit
axes the flat vector is replicated (each leaf is gathered before it is
raveled) and every leaf returns to its own sharding.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.sharding import PartitionSpec

from gradtx._core._numerics import widest_float_dtype
from gradtx.tree_utils._sharding import explicit_spec, gather_explicit, reshard_to


class FlatView:
    """Flatten trees like ``like`` into vectors of ``dtype`` and back.

    ``like`` only gives the structure, shapes and dtypes; it may hold tracers.
    """

    def __init__(self, like: Any):
        leaves, self.treedef = jax.tree.flatten(like)
        self.shapes = [jnp.shape(x) for x in leaves]
        self.dtypes = [jnp.asarray(x).dtype for x in leaves]
        self.specs = [explicit_spec(x) for x in leaves]  # None: nothing to reshard
        self.sizes = [math.prod(s) for s in self.shapes]
        self.size = sum(self.sizes)
        self.dtype = widest_float_dtype(like)

    def flatten(self, tree: Any) -> jax.Array:
        leaves = self.treedef.flatten_up_to(tree)
        if not leaves:
            return jnp.zeros((0,), self.dtype)
        return jnp.concatenate([jnp.ravel(gather_explicit(x)).astype(self.dtype) for x in leaves])

    def unflatten(self, vec: jax.Array) -> Any:
        out, start = [], 0
        for shape, dtype, size, spec in zip(self.shapes, self.dtypes, self.sizes, self.specs):
            out.append(reshard_to(vec[start : start + size].reshape(shape).astype(dtype), spec))
            start += size
        return self.treedef.unflatten(out)

    def unflatten_rows(self, mat: jax.Array) -> Any:
        """Rows of ``mat`` ``(k, n)`` as one tree whose leaves have a leading axis ``k``."""
        out, start = [], 0
        for shape, dtype, size, spec in zip(self.shapes, self.dtypes, self.sizes, self.specs):
            rows = mat[:, start : start + size].reshape((mat.shape[0],) + shape).astype(dtype)
            out.append(reshard_to(rows, None if spec is None else PartitionSpec(None, *spec)))
            start += size
        return self.treedef.unflatten(out)

    def operator(self, matvec: Callable[[Any], Any]) -> Callable[[jax.Array], jax.Array]:
        """The flat form ``x -> flatten(matvec(unflatten(x)))`` of a pytree operator."""
        return lambda x: self.flatten(matvec(self.unflatten(x)))


def default_key(key: jax.Array | None) -> jax.Array:
    """``key``, or ``jax.random.PRNGKey(0)`` when None."""
    return jax.random.PRNGKey(0) if key is None else key


def probe(key: jax.Array, i: jax.Array | int, size: int, dtype) -> jax.Array:
    """The ``i``-th Rademacher probe (entries +1 or -1) of length ``size`` drawn from ``key``.

    Trace, diagonal and density estimators draw probe ``i`` the same way, so
    that with the same key they use the same probes.
    """
    return jax.random.rademacher(jax.random.fold_in(key, i), (size,), jnp.float32).astype(dtype)
