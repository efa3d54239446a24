"""The contract suite, run over every registered transformation and optimizer.

For each entry: init and update under jit on a nested tree with None leaves and
mixed dtypes; the second update reuses the compiled function; state structure and
dtypes never change; updates keep the gradients' structure and dtypes; unknown
extra args are ignored; outputs are finite; vmap over a leading batch axis equals
the unbatched computation.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gradtx as gx
from tests.fuzz._trees import check_values, check_vmap_values
from tests.registry import ALL, Entry

IDS = [e.name for e in ALL]


def contract_tree(entry: Entry, seed: int):
    """A nested dict/list/tuple tree with a None leaf and the entry's dtypes."""
    rng = np.random.default_rng(seed)
    dts = {d: jnp.dtype(d) for d in entry.dtypes}

    def arr(shape, dtype):
        if entry.min_ndim > len(shape):
            shape = (2,) * (entry.min_ndim - len(shape)) + shape
        return jnp.asarray(rng.normal(size=shape), dtype)

    f = dts.get("float32", next(iter(dts.values())))
    tree = {
        "a": [arr((3, 4), f), None, (arr((5,), dts.get("bfloat16", f)),)],
        "b": {"c": arr((2, 3), dts.get("float64", f)), "d": arr((), f)},
        # zero-size leaves (the fuzz suite's awkward shapes ride on this compile)
        "e": arr((0,), dts.get("bfloat16", f)),
        "f": {"z": arr((2, 0), f)},
    }
    return tree


def _extra(entry: Entry, params, grads) -> dict:
    extra = dict(entry.extra_args)
    if entry.extra_args_fn is not None:
        extra.update(entry.extra_args_fn(params, grads))
    return extra


def _dtypes(tree):
    return jax.tree.map(lambda x: jnp.asarray(x).dtype, tree)


@pytest.mark.parametrize("entry", ALL, ids=IDS)
def test_jit_contract(entry: Entry):
    params = contract_tree(entry, 0)
    grads = contract_tree(entry, 1)
    if entry.finite_on_zero_grad:
        grads["b"]["d"] = jnp.zeros_like(grads["b"]["d"])
    tx = entry.make()
    assert isinstance(tx, tuple) and len(tx) == 2

    init = jax.jit(tx.init)
    update = jax.jit(
        lambda g, s, p: tx.update(g, s, p, unknown_extra_arg=1.0, **_extra(entry, p, g))
    )
    state0 = init(params)
    updates1, state1 = update(grads, state0, params)
    params1 = gx.apply_updates(params, updates1)
    updates2, state2 = update(grads, state1, params1)

    # An entry that places its outputs on a mesh sees committed params from step 2 on:
    # one more compile then, and none after (checked by a third step).
    if entry.places_on_mesh:
        update(grads, state2, gx.apply_updates(params1, updates2))
    assert update._cache_size() == 1 + entry.places_on_mesh, "update recompiled"
    # Every state leaf is its own buffer, so the state can be donated (donate_argnums).
    eager_leaves = jax.tree.leaves(tx.init(params))
    assert len({id(x) for x in eager_leaves}) == len(eager_leaves), "state leaves share a buffer"
    for s in (state1, state2):
        assert jax.tree.structure(s) == jax.tree.structure(state0)
        assert _dtypes(s) == _dtypes(state0), "state dtypes changed between steps"
    for u in (updates1, updates2):
        assert jax.tree.structure(u) == jax.tree.structure(grads)
        assert _dtypes(u) == _dtypes(grads), "updates not in the gradients' dtypes"
        assert all(bool(jnp.all(jnp.isfinite(x))) for x in jax.tree.leaves(u))
    assert _dtypes(params1) == _dtypes(params)
    assert params1["a"][1] is None
    for leaf in jax.tree.leaves(state2):
        if jnp.issubdtype(jnp.asarray(leaf).dtype, jnp.inexact):
            assert bool(jnp.all(jnp.isfinite(leaf)))
    # The fuzz suite: drawn values (inf and NaN gradients among them) through the same
    # compiled functions; none of them may compile again.
    if not entry.places_on_mesh:
        check_values(init, update, params, grads, gx.apply_updates)
        assert update._cache_size() == 1, "update recompiled on fuzzed values"
    check_counts_at_limit(update, grads, state2, params1, cyclic=entry.cyclic_count)
    assert update._cache_size() == 1 + entry.places_on_mesh, "update recompiled at the count limit"


# Integer state leaves that count steps without bound (not per-cycle counters such as
# MultiSteps' mini_step, which stays below k): set to one below their dtype's maximum.
COUNT_NAMES = frozenset(
    {"count", "t", "gradient_step", "num_averaged", "total_notfinite", "total_skipped"}
)


def _leaf_name(path) -> str:
    last = path[-1] if path else None
    return str(getattr(last, "name", getattr(last, "key", last)))


def _is_count(path, leaf) -> bool:
    leaf = jnp.asarray(leaf)
    return (
        leaf.ndim == 0
        and jnp.issubdtype(leaf.dtype, jnp.integer)
        and _leaf_name(path) in COUNT_NAMES
    )


def check_counts_at_limit(update, grads, state, params, cyclic=False):
    """Three steps from step counts at ``iinfo(dtype).max - 1``, through the compiled update.

    The params stay where they are (only the counts are far along). Counts
    saturate at the maximum (never wrap to negative), and updates and the float
    state stay finite (bias corrections ``1 - b ** count`` are then 1). A
    ``cyclic`` count (count mod k) need only stay in ``[0, max]``.
    """

    def near_limit(path, leaf):
        if not _is_count(path, leaf):
            return leaf
        # computed from the leaf, so it stays placed (committed) as before: no recompile
        return leaf * 0 + (jnp.iinfo(leaf.dtype).max - 1)

    if not any(_is_count(path, leaf) for path, leaf in jax.tree_util.tree_leaves_with_path(state)):
        return []
    state = jax.tree_util.tree_map_with_path(near_limit, state)
    start = [
        leaf for path, leaf in jax.tree_util.tree_leaves_with_path(state) if _is_count(path, leaf)
    ]
    for _ in range(3):
        updates, state = update(grads, state, params)
        assert all(bool(jnp.all(jnp.isfinite(x))) for x in jax.tree.leaves(updates)), (
            "updates not finite at the step-count limit"
        )
    counts = [
        leaf for path, leaf in jax.tree_util.tree_leaves_with_path(state) if _is_count(path, leaf)
    ]
    for before, after in zip(start, counts, strict=True):
        low = 0 if cyclic else before
        assert low <= after <= jnp.iinfo(after.dtype).max, "step count wrapped around"
    for leaf in jax.tree.leaves(state):
        if jnp.issubdtype(jnp.asarray(leaf).dtype, jnp.inexact):
            assert bool(jnp.all(jnp.isfinite(leaf))), "state not finite at the step-count limit"
    return counts


def _vmap_tree(entry: Entry, seed: int, batch: int | None):
    rng = np.random.default_rng(seed)
    lead = () if batch is None else (batch,)
    w_shape = (4, 3)
    b_shape = (3,) if entry.min_ndim <= 1 else (2, 3)
    e_shape = (0,) if entry.min_ndim <= 1 else (2,) * (entry.min_ndim - 1) + (0,)
    return {
        "w": jnp.asarray(rng.normal(size=lead + w_shape), jnp.float32),
        "b": jnp.asarray(rng.normal(size=lead + b_shape), jnp.float32),
        "e": jnp.zeros(lead + e_shape, jnp.float32),  # zero-size, for the fuzz suite
        "n": None,
    }


@pytest.mark.parametrize("entry", [e for e in ALL if e.vmap], ids=[e.name for e in ALL if e.vmap])
def test_vmap_matches_unbatched(entry: Entry):
    tx = entry.make()
    params = _vmap_tree(entry, 0, 3)
    grads = _vmap_tree(entry, 1, 3)

    def two_steps(g, p):
        s = tx.init(p)
        u, s = tx.update(g, s, p, **_extra(entry, p, g))
        p = gx.apply_updates(p, u)
        u, s = tx.update(g, s, p, **_extra(entry, p, g))
        return gx.apply_updates(p, u)

    batched_fn, single_fn = jax.jit(jax.vmap(two_steps)), jax.jit(two_steps)
    batched = batched_fn(grads, params)
    first = single_fn(jax.tree.map(lambda x: x[1], grads), jax.tree.map(lambda x: x[1], params))
    for b, f in zip(jax.tree.leaves(batched), jax.tree.leaves(first)):
        np.testing.assert_allclose(np.asarray(b[1]), np.asarray(f), rtol=2e-5, atol=2e-6)
    check_vmap_values(batched_fn, single_fn, params, grads)


STRICT = [e for e in ALL if e.strict_promotion]


@pytest.mark.parametrize("entry", STRICT, ids=[e.name for e in STRICT])
def test_strict_dtype_promotion(entry: Entry):
    """Under jax_numpy_dtype_promotion="strict" no implicit promotion is hidden in a step.

    float32 params and gradients, two steps traced and run with strict promotion:
    a building block that mixes a float64 constant, an int count or a bfloat16
    moment with float32 arrays without an explicit cast fails here.
    """
    rng = np.random.default_rng(0)
    shape = (2, 3) if entry.min_ndim <= 2 else (2,) * entry.min_ndim
    params = {"w": jnp.asarray(rng.normal(size=shape), jnp.float32)}
    grads = {"w": jnp.asarray(rng.normal(size=shape), jnp.float32)}
    tx = entry.make()
    with jax.numpy_dtype_promotion("strict"):
        state = jax.jit(tx.init)(params)
        step = jax.jit(lambda g, s, p: tx.update(g, s, p, **_extra(entry, p, g)))
        for _ in range(2):
            updates, state = step(grads, state, params)
            params = gx.apply_updates(params, updates)
    assert updates["w"].dtype == jnp.float32
    assert bool(jnp.all(jnp.isfinite(updates["w"])))
