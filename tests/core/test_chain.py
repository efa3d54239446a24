"""The core contract: chain, named_chain, apply_updates, errors, optax interop."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradtx as gx
from tests.messages import (
    MSG_AT_PATH_LAYER1_BIAS_PRESENT_IN_PARAMS,
    MSG_GRADTX_ADD_DECAYED_WEIGHTS_UPDATE_NEEDS_PARAMS,
    MSG_GRADTX_APPLY_UPDATES_PARAMS_AND_UPDATES_DIFFER,
    MSG_GRADTX_CHAIN_ARGUMENT_1_MUST_BE_A,
    MSG_GRADTX_MASKED_MASK_MASK_LEAVES_MUST_BE,
    MSG_GRADTX_NAMED_CHAIN_NAMES_MUST_BE_UNIQUE,
    MSG_GRADTX_SCALE_BY_ADAM_UPDATES_AND_MU,
    MSG_GRADTX_SCALE_BY_ADAM_UPDATES_AND_MU_2,
    MSG_STATE_HAS_1_ENTRIES_BUT_THE_CHAIN,
)


def test_chain_applies_in_order_and_keeps_a_tuple_state():
    tx = gx.chain(gx.scale(2.0), gx.clip(1.5), gx.scale(-1.0))
    state = tx.init(jnp.zeros(3))
    assert isinstance(state, tuple) and len(state) == 3
    u, _ = tx.update(jnp.array([0.5, 1.0, -2.0]), state)
    np.testing.assert_allclose(np.asarray(u), [-1.0, -1.5, 1.5])


def test_named_chain_state_is_keyed_by_name():
    tx = gx.named_chain(("mom", gx.trace(0.5)), ("lr", gx.scale(-0.1)))
    state = tx.init({"w": jnp.ones(2)})
    assert set(state) == {"mom", "lr"}
    u, state = tx.update({"w": jnp.ones(2)}, state)
    u, state = tx.update({"w": jnp.ones(2)}, state)
    np.testing.assert_allclose(np.asarray(u["w"]), [-0.15, -0.15], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(state["mom"].trace["w"]), [1.5, 1.5])
    with pytest.raises(ValueError, match=MSG_GRADTX_NAMED_CHAIN_NAMES_MUST_BE_UNIQUE):
        gx.named_chain(("a", gx.identity()), ("a", gx.identity()))


def test_chain_rejects_non_transformations():
    with pytest.raises(TypeError, match=MSG_GRADTX_CHAIN_ARGUMENT_1_MUST_BE_A):
        gx.chain(gx.identity(), 0.1)


def test_chain_with_wrong_state_length():
    tx = gx.chain(gx.identity(), gx.identity())
    with pytest.raises(ValueError, match=MSG_STATE_HAS_1_ENTRIES_BUT_THE_CHAIN):
        tx.update(jnp.ones(1), (gx.EmptyState(),))


def test_extra_args_reach_transforms_and_unknown_ones_are_ignored():
    seen = {}

    def init(params):
        return gx.EmptyState()

    def update(updates, state, params=None, **extra):
        seen.update(extra)
        return updates, state

    tx = gx.chain(gx.adam(0.1), gx.GradientTransformation(init, update))
    tx.update(jnp.ones(2), tx.init(jnp.ones(2)), jnp.ones(2), value=3.0, whatever="x")
    assert set(seen) == {"value", "whatever"} and seen["whatever"] == "x"
    with jax.disable_jit():  # op by op, the recorded value is the concrete number
        tx.update(jnp.ones(2), tx.init(jnp.ones(2)), jnp.ones(2), value=3.0)
    assert float(seen["value"]) == 3.0


def test_optax_transforms_work_inside_gradtx_chains_and_vice_versa():
    params = {"w": jnp.array([1.0, -2.0])}
    grads = {"w": jnp.array([0.3, 0.4])}
    mixed = gx.chain(optax.clip_by_global_norm(0.1), gx.adam(0.1))
    theirs = optax.chain(gx.clip_by_global_norm(0.1), optax.adam(0.1))
    u1, _ = mixed.update(grads, mixed.init(params), params, value=1.0)
    u2, _ = theirs.update(grads, theirs.init(params), params)
    np.testing.assert_allclose(np.asarray(u1["w"]), np.asarray(u2["w"]), rtol=1e-6)


def test_legacy_update_without_extra_args_is_wrapped():
    tx = gx.GradientTransformation(lambda p: (), lambda u, s, p=None: (u, s))
    chained = gx.chain(tx)
    u, _ = chained.update(jnp.ones(1), chained.init(jnp.ones(1)), value=1.0)
    assert float(u[0]) == 1.0


def test_apply_updates_keeps_param_dtypes_and_passes_none():
    params = {"a": jnp.ones(2, jnp.bfloat16), "b": None, "c": jnp.ones(2, jnp.float32)}
    updates = {"a": jnp.full(2, 0.5, jnp.float32), "b": None, "c": jnp.full(2, 0.25, jnp.float64)}
    new = gx.apply_updates(params, updates)
    assert new["a"].dtype == jnp.bfloat16 and new["c"].dtype == jnp.float32
    assert new["b"] is None
    np.testing.assert_allclose(np.asarray(new["c"]), [1.25, 1.25])
    # A None update leaves its param unchanged.
    new = gx.apply_updates({"x": jnp.ones(2)}, {"x": None})
    np.testing.assert_allclose(np.asarray(new["x"]), [1.0, 1.0])


def test_apply_updates_names_the_first_differing_path():
    params = {"layer1": {"bias": jnp.ones(4), "w": jnp.ones((4, 2))}}
    bad_shape = {"layer1": {"bias": jnp.ones(3), "w": jnp.ones((4, 2))}}
    with pytest.raises(
        ValueError,
        match=MSG_GRADTX_APPLY_UPDATES_PARAMS_AND_UPDATES_DIFFER,
    ):
        gx.apply_updates(params, bad_shape)
    missing = {"layer1": {"w": jnp.ones((4, 2))}}
    with pytest.raises(ValueError, match=MSG_AT_PATH_LAYER1_BIAS_PRESENT_IN_PARAMS):
        gx.apply_updates(params, missing)


def test_update_with_mismatched_state_names_the_path():
    opt = gx.adam(0.1)
    state = opt.init({"a": jnp.ones(2), "b": jnp.ones(3)})
    # No params: a shape mismatch is scale_by_adam's own error; a missing key is a
    # structure mismatch against init(updates) (gradtx.StateMismatchError).
    with pytest.raises(
        ValueError,
        match=MSG_GRADTX_SCALE_BY_ADAM_UPDATES_AND_MU,
    ):
        opt.update({"a": jnp.ones(2), "b": jnp.ones(4)}, state)
    with pytest.raises(ValueError, match=MSG_GRADTX_SCALE_BY_ADAM_UPDATES_AND_MU_2):
        opt.update({"a": jnp.ones(2), "c": jnp.ones(3)}, state)


def test_add_decayed_weights_needs_params():
    tx = gx.add_decayed_weights(0.1)
    with pytest.raises(ValueError, match=MSG_GRADTX_ADD_DECAYED_WEIGHTS_UPDATE_NEEDS_PARAMS):
        tx.update(jnp.ones(2), tx.init(jnp.ones(2)))


def test_masked_leaves_pass_through_untouched():
    params = {"w": jnp.ones(3), "b": jnp.ones(2)}
    tx = gx.masked(gx.scale(10.0), {"w": True, "b": False})
    state = tx.init(params)
    u, _ = tx.update({"w": jnp.ones(3), "b": jnp.full(2, 7.0)}, state, params)
    np.testing.assert_allclose(np.asarray(u["w"]), [10.0] * 3)
    np.testing.assert_allclose(np.asarray(u["b"]), [7.0, 7.0])
    with pytest.raises(TypeError, match=MSG_GRADTX_MASKED_MASK_MASK_LEAVES_MUST_BE):
        gx.masked(gx.identity(), {"w": 1, "b": 0}).init(params)


def test_adamw_mask_skips_decay_on_masked_out_leaves():
    params = {"w": jnp.ones(2), "b": jnp.ones(2)}
    zero = {"w": jnp.zeros(2), "b": jnp.zeros(2)}
    opt = gx.adamw(1.0, weight_decay=0.5, mask={"w": True, "b": False})
    u, _ = opt.update(zero, opt.init(params), params)
    np.testing.assert_allclose(np.asarray(u["w"]), [-0.5, -0.5])
    np.testing.assert_allclose(np.asarray(u["b"]), [0.0, 0.0])


def test_schedules_are_evaluated_on_the_step_count():
    tx = gx.scale_by_learning_rate(lambda c: 1.0 / (1.0 + c))
    state = tx.init(jnp.zeros(1))
    outs = []
    for _ in range(3):
        u, state = tx.update(jnp.ones(1), state)
        outs.append(float(u[0]))
    np.testing.assert_allclose(outs, [-1.0, -0.5, -1 / 3], rtol=1e-6)


def test_safe_increment_saturates():
    big = jnp.asarray(jnp.iinfo(jnp.int32).max, jnp.int32)
    assert int(gx.safe_increment(big)) == jnp.iinfo(jnp.int32).max
    assert gx.safe_increment(jnp.asarray(3, jnp.int32)).dtype == jnp.int32


def test_global_norm_and_clipping_closed_forms():
    tree = {"a": jnp.array([3.0]), "b": jnp.array([[4.0]])}
    assert float(gx.global_norm(tree)) == 5.0
    tx = gx.clip_by_global_norm(1.0)
    u, _ = tx.update(tree, tx.init(tree))
    np.testing.assert_allclose(float(u["a"][0]), 0.6, rtol=1e-6)
    np.testing.assert_allclose(float(u["b"][0, 0]), 0.8, rtol=1e-6)
    u, _ = gx.clip(3.5).update(tree, ())
    assert float(u["b"][0, 0]) == 3.5


def test_state_structure_does_not_depend_on_flags():
    p = jnp.ones(3)
    a = gx.scale_by_rms(bias_correction=False).init(p)
    b = gx.scale_by_rms(bias_correction=True).init(p)
    assert jax.tree.structure(a) == jax.tree.structure(b)
    a = gx.scale_by_adam().init(p)
    b = gx.scale_by_adam(nesterov=True).init(p)
    assert jax.tree.structure(a) == jax.tree.structure(b)


def test_state_works_in_lax_cond_and_scan():
    opt = gx.adam(0.1, mu_dtype=jnp.bfloat16)
    params = jnp.ones(3, jnp.bfloat16)

    @jax.jit
    def go(params):
        def step(carry, i):
            p, s = carry
            u, s2 = opt.update(p, s, p)
            s = jax.lax.cond(i % 2 == 0, lambda: s2, lambda: s)
            return (gx.apply_updates(p, u), s), None

        return jax.lax.scan(step, (params, opt.init(params)), jnp.arange(4))[0]

    p, s = go(params)
    assert p.dtype == jnp.bfloat16 and s[0].mu.dtype == jnp.bfloat16


def test_moment_dtypes_are_chosen_by_mu_and_nu_dtype():
    s = gx.adam(0.1, mu_dtype=jnp.bfloat16, nu_dtype=jnp.float32).init(jnp.ones(2, jnp.float16))
    assert s[0].mu.dtype == jnp.bfloat16 and s[0].nu.dtype == jnp.float32
    assert s[0].count.dtype == jnp.int32


def test_gradtx_transformations_inside_optax_chain_receive_extra_args():
    import optax

    value = jnp.asarray(2.0)
    params = {"x": jnp.array([1.0, -2.0, 0.5])}
    grads = {"x": jnp.array([0.3, -0.1, 0.2])}
    mine = gx.polyak_sgd()
    assert isinstance(mine, optax.GradientTransformationExtraArgs)
    ours = optax.chain(optax.clip_by_global_norm(1.0), mine)
    theirs = optax.chain(optax.clip_by_global_norm(1.0), optax.polyak_sgd())
    got, _ = ours.update(grads, ours.init(params), params, value=value)
    want, _ = theirs.update(grads, theirs.init(params), params, value=value)
    np.testing.assert_allclose(np.asarray(got["x"]), np.asarray(want["x"]), rtol=1e-12)


def test_optax_transformations_inside_gradtx_chain_receive_extra_args():
    import optax

    value = jnp.asarray(2.0)
    params = {"x": jnp.array([1.0, -2.0, 0.5])}
    grads = {"x": jnp.array([0.3, -0.1, 0.2])}
    ours = gx.chain(gx.clip_by_global_norm(1.0), optax.polyak_sgd())
    theirs = optax.chain(optax.clip_by_global_norm(1.0), optax.polyak_sgd())
    got, _ = ours.update(grads, ours.init(params), params, value=value)
    want, _ = theirs.update(grads, theirs.init(params), params, value=value)
    np.testing.assert_allclose(np.asarray(got["x"]), np.asarray(want["x"]), rtol=1e-12)
