"""The grouped layout: group_leaves / ungroup_leaves / GroupedLeaves."""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gradtx as gx
from tests.helpers import run_updates
from tests.messages import (
    MSG_EXPECTED_A_GROUPEDLEAVES,
    MSG_GRADTX_APPLY_UPDATES,
    MSG_GRADTX_GROUP_LEAVES_MAX_LEAF_SIZE_GOT,
    MSG_MAX_LEAF_SIZE_MUST_BE_A_NON,
)


def mixed_tree(seed: int):
    rng = np.random.default_rng(seed)

    def a(shape, dtype):
        return jnp.asarray(rng.normal(size=shape), dtype)

    return {
        "layer": [a((3, 4), jnp.float32), None, a((4,), jnp.float32)],
        "big": a((20, 10), jnp.float32),
        "scale": a((), jnp.float32),
        "half": (a((5,), jnp.bfloat16), a((2, 2), jnp.bfloat16)),
        "f64": a((3,), jnp.float64),
    }


def assert_trees_close(a, b, rtol=0.0, atol=0.0):
    assert jax.tree.structure(a) == jax.tree.structure(b)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_allclose(
            np.asarray(x, np.float64), np.asarray(y, np.float64), rtol=rtol, atol=atol
        )


def test_round_trip_groups_by_dtype_and_keeps_large_leaves_loose():
    t = mixed_tree(0)
    g = gx.group_leaves(t, max_leaf_size=100)
    # Groups in flattening order (dict keys sorted): float64: 3; bfloat16: 5 + 4;
    # float32: 12 + 4 + 1 packed, the 200-element leaf loose.
    assert [b.shape for b in g.buffers] == [(3,), (9,), (17,)]
    assert [b.dtype for b in g.buffers] == [jnp.float64, jnp.bfloat16, jnp.float32]
    assert len(g.loose) == 1 and g.loose[0].shape == (20, 10)
    assert g.num_leaves == 7
    assert_trees_close(g.ungroup(), t)
    assert_trees_close(gx.ungroup_leaves(g), t)
    assert g.ungroup()["layer"][1] is None
    everything = gx.group_leaves(t, max_leaf_size=None)
    assert [b.shape for b in everything.buffers] == [(217,), (3,), (9,)] and not everything.loose
    assert (
        "GroupedLeaves(7 leaves; packed: float64[3], bfloat16[9], float32[17]; loose: 1)" == repr(g)
    )


def test_grouped_layout_is_a_pytree_with_few_leaves():
    t = mixed_tree(0)
    g = gx.group_leaves(t)
    assert len(jax.tree.leaves(g)) == 3
    doubled = jax.tree.map(lambda x: 2 * x, g)
    assert isinstance(doubled, gx.GroupedLeaves) and doubled.layout == g.layout
    assert_trees_close(doubled.ungroup(), jax.tree.map(lambda x: 2 * x, t))
    # Same structure, shapes and dtypes -> equal layouts (so jit caches hit).
    assert gx.group_leaves(mixed_tree(1)).layout == g.layout
    assert jax.tree.structure(gx.group_leaves(mixed_tree(1))) == jax.tree.structure(g)


@pytest.mark.parametrize(
    "make",
    [
        lambda: gx.adam(0.1),
        lambda: gx.chain(gx.clip_by_global_norm(1.0), gx.sgd(0.1, momentum=0.9, nesterov=True)),
        lambda: gx.adamw(0.1, weight_decay=0.1),
    ],
    ids=["adam", "clip+sgd_nesterov", "adamw"],
)
def test_elementwise_optimizers_match_ungrouped(make):
    rng = np.random.default_rng(0)
    p0 = {
        "w": jnp.asarray(rng.normal(size=(3, 4))),
        "b": jnp.asarray(rng.normal(size=(4,))),
        "s": jnp.asarray(rng.normal()),
    }
    grads = [jax.tree.map(lambda x: jnp.asarray(rng.normal(size=x.shape)), p0) for _ in range(6)]
    flat = run_updates(make(), grads, p0)
    grouped = run_updates(make(), [gx.group_leaves(g) for g in grads], gx.group_leaves(p0))
    assert isinstance(grouped, gx.GroupedLeaves)
    for t in range(6):  # run_updates stacks the params after each step
        # float64 (x64 is on in the tests): the same arithmetic leaf by leaf.
        assert_trees_close(
            jax.tree.map(lambda x, t=t: x[t], grouped).ungroup(),
            jax.tree.map(lambda x, t=t: x[t], flat),
            rtol=1e-13,
            atol=1e-13,
        )
    # The params moved: 6 steps of lr 0.1.
    assert float(jnp.max(jnp.abs(flat["w"] - p0["w"][None]))) > 0.1


def test_grad_through_ungroup_is_grouped_and_uses_one_concatenate():
    rng = np.random.default_rng(0)
    params = {f"w{i}": jnp.asarray(rng.normal(size=(2, 3))) for i in range(6)}
    x = jnp.asarray(rng.normal(size=(3,)))

    def loss(tree):
        return sum(jnp.sum(jnp.tanh(w @ x)) * (i + 1) for i, w in enumerate(tree.values()))

    g_tree = jax.grad(loss)(params)
    flat = gx.group_leaves(params)
    g_flat = jax.grad(lambda f: loss(f.ungroup()))(flat)
    assert isinstance(g_flat, gx.GroupedLeaves) and g_flat.layout == flat.layout
    assert_trees_close(g_flat.ungroup(), g_tree, rtol=1e-13)
    jaxpr = str(jax.make_jaxpr(jax.grad(lambda f: loss(f.ungroup())))(flat))
    assert "pad" not in jaxpr and jaxpr.count("concatenate") == 1


def _entry_kernels(fn, *args):
    text = jax.jit(fn).lower(*args).compile().as_text()
    body = text[text.index("\nENTRY") :].split("\n", 2)[2].split("\n}", 1)[0]
    skip = re.compile(r"= \S+ (parameter|tuple|get-tuple-element|constant|bitcast)\(")
    return sum(1 for line in body.splitlines() if " = " in line and not skip.search(line))


def test_kernels_per_step_do_not_grow_with_leaves():
    tx = gx.adam(0.1)

    def step(p, s, g):
        u, s = tx.update(g, s, p)
        return gx.apply_updates(p, u), s

    counts = {}
    for n in (3, 30):
        p = {f"p{i}": jnp.ones((4,), jnp.float32) for i in range(n)}
        flat = gx.group_leaves(p)
        counts[n] = (
            _entry_kernels(step, p, tx.init(p), p),
            _entry_kernels(step, flat, tx.init(flat), flat),
        )
    assert counts[3][1] == counts[30][1] <= 8
    assert counts[30][0] > 10 * counts[30][1] / 2


def test_errors():
    with pytest.raises(ValueError, match=MSG_GRADTX_GROUP_LEAVES_MAX_LEAF_SIZE_GOT):
        gx.group_leaves({"a": jnp.ones(2)}, max_leaf_size=-1)
    with pytest.raises(ValueError, match=MSG_MAX_LEAF_SIZE_MUST_BE_A_NON):
        gx.group_leaves({"a": jnp.ones(2)}, max_leaf_size=2.5)
    with pytest.raises(TypeError, match=MSG_EXPECTED_A_GROUPEDLEAVES):
        gx.ungroup_leaves({"a": jnp.ones(2)})
    a = gx.group_leaves({"a": jnp.ones(2), "b": jnp.ones(3)})
    b = gx.group_leaves({"a": jnp.ones(3), "b": jnp.ones(2)})
    with pytest.raises(ValueError, match=MSG_GRADTX_APPLY_UPDATES):
        gx.apply_updates(a, b)


def test_vmap_and_empty_tree():
    g = gx.group_leaves({})
    assert g.buffers == () and g.ungroup() == {}
    batch = {"a": jnp.ones((3, 2)), "b": jnp.zeros((3, 4, 2))}
    out = jax.vmap(lambda t: gx.group_leaves(t).buffers[0])(batch)
    assert out.shape == (3, 10)
    back = jax.vmap(lambda t: gx.group_leaves(t).ungroup())(batch)
    assert_trees_close(back, batch)
