"""monitor, snapshot, measure_with_ema; per-example and unit-wise clipping: against optax."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradtx as gx
from tests.messages import (
    MSG_GRADTX_MONITOR_MEASURES_MEASURES_MUST_BE_A,
    MSG_GRADTX_MONITOR_MEASURES_N,
    MSG_GRADTX_NORMALIZE_BY_UPDATE_NORM_EPS_1,
    MSG_GRADTX_PER_EXAMPLE_GLOBAL_NORM_CLIP_EVERY,
    MSG_GRADTX_SNAPSHOT_MEASURE_NAME_1,
    MSG_GRADTX_UNITWISE_CLIP_G_NORM_MAX_NORM,
    MSG_GRADTX_UNITWISE_NORM_CANNOT_INFER_THE_UNIT,
)


def _loss(x):
    return jnp.sum((x - jnp.array([1.0, -2.0, 0.5])) ** 2)


def _run(mod, measures_key, steps=5):
    solver = mod.chain(
        mod.sgd(learning_rate=0.1, momentum=0.9),
        mod.monitor(
            {
                "norm": mod.tree.norm,
                "clipped_ema": mod.measure_with_ema(lambda u: mod.tree.norm(u) > 1.0, decay=0.9),
            }
        ),
        mod.snapshot("before_clip", mod.tree.norm),
        mod.clip_by_global_norm(1.0),
    )
    params = jnp.array([3.0, 2.0, 1.0])
    state = solver.init(params)
    out = []
    for _ in range(steps):
        u, state = solver.update(jax.grad(_loss)(params), state, params)
        params = mod.apply_updates(params, u)
        out.append([float(mod.tree_utils.tree_get(state, k)) for k in measures_key])
    return np.asarray(out), params


def test_monitor_snapshot_and_ema_match_optax():
    keys = ("norm", "clipped_ema", "before_clip")
    ours, p_ours = _run(gx, keys)
    theirs, p_theirs = _run(optax, keys)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    np.testing.assert_allclose(p_ours, p_theirs, rtol=1e-12)


def test_monitor_state_structure_is_fixed_from_init():
    tx = gx.monitor({"n": gx.tree.norm, "e": gx.measure_with_ema(gx.tree.norm, 0.5)})
    s0 = tx.init(jnp.zeros(3))
    _, s1 = jax.jit(tx.update)(jnp.ones(3), s0)
    assert jax.tree.structure(s0) == jax.tree.structure(s1)
    assert jax.tree.map(lambda x: x.dtype, s0) == jax.tree.map(lambda x: x.dtype, s1)
    np.testing.assert_allclose(s1.measurements["e"], np.sqrt(3.0), rtol=1e-12)  # debiased


def test_monitor_and_snapshot_reject_bad_arguments():
    with pytest.raises(TypeError, match=MSG_GRADTX_MONITOR_MEASURES_MEASURES_MUST_BE_A):
        gx.monitor([gx.tree.norm])
    with pytest.raises(TypeError, match=MSG_GRADTX_MONITOR_MEASURES_N):
        gx.monitor({"n": 3})
    with pytest.raises(TypeError, match=MSG_GRADTX_SNAPSHOT_MEASURE_NAME_1):
        gx.snapshot(1, gx.tree.norm)


@pytest.mark.parametrize("clip", [0.0, 0.7, 2.0, np.inf])
def test_per_example_global_norm_clip_matches_optax(clip):
    rng = np.random.default_rng(0)
    grads = {
        "w": jnp.asarray(rng.normal(size=(5, 3, 2))),
        "b": jnp.asarray(rng.normal(size=(5, 2))),
    }
    ours = gx.per_example_global_norm_clip(grads, clip)
    theirs = optax.per_example_global_norm_clip(grads, clip)
    for a, b in zip(jax.tree.leaves(ours), jax.tree.leaves(theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    # float64 NumPy transcription of the rule
    flat = np.concatenate(
        [np.asarray(grads["b"]).reshape(5, -1), np.asarray(grads["w"]).reshape(5, -1)], 1
    )
    norms = np.linalg.norm(flat, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.nan_to_num(np.minimum(clip / norms, 1.0), nan=1.0)
    np.testing.assert_allclose(ours[0]["w"], np.tensordot(s, np.asarray(grads["w"]), 1), rtol=1e-12)
    assert int(ours[1]) == int(np.sum(s < 1))


@pytest.mark.parametrize("uniform", [True, False])
def test_per_example_layer_norm_clip_matches_optax(uniform):
    rng = np.random.default_rng(1)
    grads = [jnp.asarray(rng.normal(size=(4, 3))), jnp.asarray(rng.normal(size=(4, 2, 2)))]
    ours = gx.per_example_layer_norm_clip(grads, 1.5, uniform)
    theirs = optax.per_example_layer_norm_clip(grads, 1.5, uniform)
    for a, b in zip(jax.tree.leaves(ours), jax.tree.leaves(theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_per_example_clip_needs_a_common_batch_axis():
    with pytest.raises(ValueError, match=MSG_GRADTX_PER_EXAMPLE_GLOBAL_NORM_CLIP_EVERY):
        gx.per_example_global_norm_clip([jnp.ones((3, 2)), jnp.ones((4,))], 1.0)


@pytest.mark.parametrize("shape", [(), (4,), (3, 4), (2, 3, 4), (2, 2, 3, 4), (2, 2, 2, 3, 4)])
def test_unitwise_norm_and_clip_match_optax(shape):
    x = jnp.asarray(np.random.default_rng(2).normal(size=shape))
    np.testing.assert_allclose(
        gx.transforms.unitwise_norm(x), optax.transforms.unitwise_norm(x), rtol=1e-12
    )
    n = gx.transforms.unitwise_norm(x)
    m = jnp.full(shape, 0.8)
    np.testing.assert_allclose(
        gx.transforms.unitwise_clip(n, m, x), optax.transforms.unitwise_clip(n, m, x), rtol=1e-12
    )


def test_unitwise_errors():
    with pytest.raises(ValueError, match=MSG_GRADTX_UNITWISE_NORM_CANNOT_INFER_THE_UNIT):
        gx.transforms.unitwise_norm(jnp.ones((1, 2, 2, 2, 2, 2)))
    with pytest.raises(ValueError, match=MSG_GRADTX_UNITWISE_CLIP_G_NORM_MAX_NORM):
        gx.transforms.unitwise_clip(jnp.ones(2), jnp.ones(3), jnp.ones(2))


def test_normalize_by_update_norm_matches_optax():
    g = {"a": jnp.array([3.0, -4.0]), "b": jnp.array([[1.0, 2.0]])}
    ours = gx.normalize_by_update_norm(2.0, 1e-3)
    theirs = optax.normalize_by_update_norm(2.0, 1e-3)
    a = ours.update(g, ours.init(g))[0]
    b = theirs.update(g, theirs.init(g))[0]
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
        np.testing.assert_allclose(x, y, rtol=1e-12)
    with pytest.raises(ValueError, match=MSG_GRADTX_NORMALIZE_BY_UPDATE_NORM_EPS_1):
        gx.normalize_by_update_norm(eps=-1.0)
