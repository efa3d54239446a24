"""Property-based tests (hypothesis) over random pytrees and hyperparameters."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gradtx as gx

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

shapes = st.sampled_from([(), (2,), (3,), (2, 2)])
leaf_specs = st.tuples(shapes, st.integers(0, 2**31 - 1))


def _leaf(spec):
    shape, seed = spec
    return np.random.default_rng(seed).normal(size=shape)


trees = st.recursive(
    leaf_specs.map(_leaf),
    lambda children: st.one_of(
        st.dictionaries(st.sampled_from("abcd"), children, min_size=1, max_size=3),
        st.lists(children, min_size=1, max_size=3),
        st.lists(children, min_size=1, max_size=2).map(tuple),
    ),
    max_leaves=5,
)
unit = st.floats(0.0, 0.999)


@SETTINGS
@given(tree=trees, b1=unit, b2=unit, lr=st.floats(1e-4, 1.0), eps=st.floats(1e-8, 1e-2))
def test_adam_two_steps_match_the_update_rule(tree, b1, b2, lr, eps):
    params = jax.tree.map(lambda x: jnp.asarray(x, jnp.float64), tree)
    grads = jax.tree.map(lambda x: jnp.asarray(np.cos(x) + 0.1, jnp.float64), tree)
    opt = gx.adam(lr, b1, b2, eps)
    state = opt.init(params)
    for _ in range(2):
        updates, state = opt.update(grads, state, params)
    assert jax.tree.structure(updates) == jax.tree.structure(params)
    for u, g in zip(jax.tree.leaves(updates), jax.tree.leaves(grads)):
        g = np.asarray(g)
        m = (1 - b1) * g * (1 + b1)  # two steps of the same gradient
        v = (1 - b2) * g * g * (1 + b2)
        expected = -lr * (m / (1 - b1**2)) / (np.sqrt(v / (1 - b2**2)) + eps)
        np.testing.assert_allclose(np.asarray(u), expected, rtol=1e-9, atol=1e-12)


@SETTINGS
@given(tree=trees, max_norm=st.floats(1e-3, 10.0))
def test_clip_by_global_norm_bounds_the_norm_and_keeps_direction(tree, max_norm):
    grads = jax.tree.map(lambda x: jnp.asarray(x, jnp.float64), tree)
    clipped, _ = gx.clip_by_global_norm(max_norm).update(grads, gx.EmptyState())
    n_in, n_out = float(gx.global_norm(grads)), float(gx.global_norm(clipped))
    assert n_out <= max_norm * (1 + 1e-12) or n_out <= n_in * (1 + 1e-12)
    if n_in > 0:
        np.testing.assert_allclose(n_out, min(n_in, max_norm), rtol=1e-9)
        ratio = n_out / n_in
        for a, b in zip(jax.tree.leaves(clipped), jax.tree.leaves(grads)):
            np.testing.assert_allclose(np.asarray(a), ratio * np.asarray(b), rtol=1e-9, atol=1e-15)


@SETTINGS
@given(tree=trees, momentum=unit, nesterov=st.booleans())
def test_sgd_momentum_keeps_structure_and_matches_rule(tree, momentum, nesterov):
    params = jax.tree.map(lambda x: jnp.asarray(x, jnp.float64), tree)
    opt = gx.sgd(0.1, momentum, nesterov)
    state = opt.init(params)
    u1, state = opt.update(params, state, params)
    u2, state = opt.update(params, state, params)
    for p, a in zip(jax.tree.leaves(params), jax.tree.leaves(u2)):
        buf = np.asarray(p) * (1 + momentum)
        d = np.asarray(p) + momentum * buf if nesterov else buf
        np.testing.assert_allclose(np.asarray(a), -0.1 * d, rtol=1e-12, atol=1e-15)


@SETTINGS
@given(tree=trees, dtype=st.sampled_from([jnp.bfloat16, jnp.float32, jnp.float64]))
def test_apply_updates_preserves_structure_and_dtype(tree, dtype):
    params = jax.tree.map(lambda x: jnp.asarray(x, dtype), tree)
    updates = jax.tree.map(lambda x: jnp.asarray(x, jnp.float32), tree)
    new = gx.apply_updates(params, updates)
    assert jax.tree.structure(new) == jax.tree.structure(params)
    assert all(x.dtype == dtype for x in jax.tree.leaves(new))
