"""MultiSteps, apply_every, apply_if_finite, skip_spikes, lookahead and monitored_chain."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradtx as gx
from tests.helpers import QUAD_H, QUAD_X0, run_updates
from tests.messages import (
    MSG_AT_LEAST_ONE_TRANSFORMATION,
    MSG_DECAY_MUST_BE_IN_0_1,
    MSG_EVERY_K_SCHEDULE_MUST_BE_IN,
    MSG_GRADTX_APPLY_EVERY_K_0,
    MSG_MAX_CONSECUTIVE_ERRORS_MUST_BE_0,
    MSG_METRIC_MUST_BE_GRAD_NORM_OR_LOSS,
    MSG_MUST_RETURN_A_BOOL_SCALAR,
    MSG_SLOW_STEP_SIZE_MUST_BE_IN_0,
    MSG_THRESHOLD_MUST_BE_IN_0,
    MSG_UPDATE_NEEDS_PARAMS_LOOKAHEADPARAMS,
    MSG_UPDATE_NEEDS_THE_LOSS_CALL_UPDATE_GRADS,
)


def _grads(n, dtype=jnp.float32, seed=0, shape=(4,)):
    rng = np.random.default_rng(seed)
    return [{"w": jnp.asarray(rng.normal(size=shape), dtype)} for _ in range(n)]


def _p0(dtype=jnp.float32):
    return {"w": jnp.asarray([0.5, -1.0, 1.5, 2.0], dtype)}


def _equal(a, b):
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


# ---------------------------------------------------------------- MultiSteps


def test_multisteps_equals_big_batch_mean():
    k, groups = 3, 4
    grads = _grads(k * groups, jnp.float64)
    ms = gx.MultiSteps(gx.adam(0.05), every_k_schedule=k)
    ps = run_updates(ms.gradient_transformation(), grads, _p0(jnp.float64))
    means = [{"w": sum(g["w"] for g in grads[i * k : (i + 1) * k]) / k} for i in range(groups)]
    ref = run_updates(gx.adam(0.05), means, _p0(jnp.float64))
    for i in range(groups):
        np.testing.assert_allclose(ps["w"][k * i + k - 1], ref["w"][i], rtol=1e-12, atol=1e-14)
        prev = _p0(jnp.float64)["w"] if i == 0 else ref["w"][i - 1]
        for j in range(k - 1):  # no movement between emissions
            np.testing.assert_array_equal(ps["w"][k * i + j], prev)

    state = ms.init(_p0())
    step = jax.jit(ms.update)
    flags = []
    for g in _grads(6):
        _, state = step(g, state)
        flags.append(bool(ms.has_updated(state)))
    assert flags == [False, False, True, False, False, True]
    assert int(state.gradient_step) == 2 and state.acc_grads["w"].dtype == jnp.float32


def test_multisteps_sum_schedule_and_skip():
    grads = _grads(4)
    summed = gx.MultiSteps(gx.sgd(1.0), 2, use_grad_mean=False)
    ps = run_updates(summed.gradient_transformation(), grads, _p0())
    np.testing.assert_allclose(ps["w"][1], _p0()["w"] - grads[0]["w"] - grads[1]["w"], rtol=1e-6)
    # k = 1 for the first two updates, then 2 (a growing batch)
    grow = gx.MultiSteps(gx.sgd(1.0), lambda step: jnp.where(step < 2, 1, 2))
    ps = run_updates(grow.gradient_transformation(), grads, _p0())
    w = np.asarray(_p0()["w"]) - grads[0]["w"] - grads[1]["w"]
    np.testing.assert_allclose(ps["w"][1], w, rtol=1e-6)
    np.testing.assert_allclose(ps["w"][2], w, rtol=1e-6)
    np.testing.assert_allclose(ps["w"][3], w - (grads[2]["w"] + grads[3]["w"]) / 2, rtol=1e-6)
    # a NaN mini-step is dropped as if it never happened
    skip = gx.MultiSteps(gx.sgd(1.0), 2, should_skip_update_fn=gx.skip_not_finite)
    s = skip.init(_p0())
    step = jax.jit(skip.update)
    _, s = step(grads[0], s)
    before = s
    u, s = step({"w": jnp.asarray([1.0, jnp.nan, 0.0, 0.0])}, s)
    assert int(s.skip_state["num_not_finite"]) == 1 and bool(s.skip_state["should_skip"])
    np.testing.assert_array_equal(s.acc_grads["w"], before.acc_grads["w"])
    assert int(s.mini_step) == 1 and float(jnp.abs(u["w"]).sum()) == 0.0
    u, s = step(grads[1], s)
    np.testing.assert_allclose(u["w"], -(grads[0]["w"] + grads[1]["w"]) / 2, rtol=1e-6)
    with pytest.raises(ValueError, match=MSG_EVERY_K_SCHEDULE_MUST_BE_IN):
        gx.MultiSteps(gx.sgd(1.0), 0)
    bad = gx.MultiSteps(
        gx.sgd(1.0), 2, should_skip_update_fn=lambda u, s, p: (jnp.zeros(2, bool), ())
    )
    with pytest.raises(ValueError, match=MSG_MUST_RETURN_A_BOOL_SCALAR):
        jax.eval_shape(bad.update, grads[0], bad.init(_p0()))


@pytest.mark.parametrize(
    "inner", [lambda m: m.sgd(0.1, 0.9), lambda m: m.adam(0.1)], ids=["sgd", "adam"]
)
def test_multisteps_matches_optax(inner):
    grads = _grads(30)
    # Same float ops as optax; XLA fuses the two programs differently (gradtx runs the
    # inner optimizer under lax.cond), which may move a result by an ulp.
    ours = run_updates(gx.MultiSteps(inner(gx), 3).gradient_transformation(), grads, _p0())
    ref = run_updates(optax.MultiSteps(inner(optax), 3).gradient_transformation(), grads, _p0())
    ulps = np.abs(np.asarray(ours["w"]) - np.asarray(ref["w"])) / np.spacing(np.asarray(ref["w"]))
    assert ulps.max() <= 2


# ---------------------------------------------------------------- apply_every


def test_apply_every_reference_and_optax():
    grads = _grads(9)
    ps = run_updates(gx.apply_every(3), grads, _p0())
    w, acc = np.asarray(_p0()["w"], np.float64), np.zeros(4)
    for t, g in enumerate(grads):
        acc = (acc if t % 3 else 0.0) + np.asarray(g["w"], np.float64)
        if t % 3 == 2:
            w = w + acc
        np.testing.assert_allclose(ps["w"][t], w, rtol=1e-6)
    _equal(ps, run_updates(optax.apply_every(3), grads, _p0()))
    with pytest.raises(ValueError, match=MSG_GRADTX_APPLY_EVERY_K_0):
        gx.apply_every(0)


# ---------------------------------------------------------------- apply_if_finite


def test_apply_if_finite_skips_nan_steps():
    opt = gx.apply_if_finite(gx.adam(0.1), max_consecutive_errors=1)
    params = _p0()
    s = opt.init(params)
    step = jax.jit(opt.update)
    g = {"w": jnp.ones(4)}
    u, s = step(g, s, params)
    params = gx.apply_updates(params, u)
    before = s.inner_state
    nan = {"w": jnp.asarray([1.0, jnp.nan, 1.0, 1.0])}
    u, s = step(nan, s, params)
    assert float(jnp.abs(u["w"]).sum()) == 0.0
    for a, b in zip(jax.tree.leaves(before), jax.tree.leaves(s.inner_state), strict=True):
        np.testing.assert_array_equal(a, b)
    assert (int(s.notfinite_count), bool(s.last_finite), int(s.total_notfinite)) == (1, False, 1)
    u, s = step(
        nan, s, params
    )  # second in a row: more than max_consecutive_errors=1 -> let through
    assert bool(jnp.isnan(u["w"]).any()) and int(s.inner_state[0].count) == 2
    u, s = step(g, s, params)
    assert (int(s.notfinite_count), bool(s.last_finite), int(s.total_notfinite)) == (0, True, 2)
    with pytest.raises(ValueError, match=MSG_MAX_CONSECUTIVE_ERRORS_MUST_BE_0):
        gx.apply_if_finite(gx.sgd(0.1), -1)


@pytest.mark.parametrize(
    "inner", [lambda m: m.sgd(0.1, 0.9), lambda m: m.adam(0.1)], ids=["sgd", "adam"]
)
def test_apply_if_finite_matches_optax(inner):
    grads = _grads(20)
    for t in (3, 4, 11):
        grads[t] = {"w": grads[t]["w"].at[1].set(jnp.inf)}
    ours = run_updates(gx.apply_if_finite(inner(gx), 2), grads, _p0())
    ref = run_updates(optax.apply_if_finite(inner(optax), 2), grads, _p0())
    _equal(ours, ref)
    assert np.all(np.isfinite(np.asarray(ours["w"])))


# ---------------------------------------------------------------- skip_spikes


def _spike_reference(xs, threshold, decay, warmup):
    m = v = 0.0
    c, skipped = 0, []
    for x in xs:
        sd = max(np.sqrt(v), 1e-3 * abs(m))
        bound = m + threshold * sd
        finite = np.isfinite(x)
        skipped.append((not finite) or (c >= warmup and x > bound))
        if finite:
            xa = min(x, bound) if c >= warmup else x
            if c == 0:
                m, v = xa, 0.0
            else:
                d = xa - m
                m, v = m + (1 - decay) * d, decay * (v + (1 - decay) * d * d)
            c += 1
    return np.array(skipped), m, v


def test_skip_spikes_matches_reference_and_freezes_inner_state():
    rng = np.random.default_rng(1)
    losses = 2.0 + 0.1 * rng.normal(size=60)
    losses[30] = 50.0  # a spike
    losses[40] = np.nan
    losses[45:] += 3.0  # a lasting shift, followed after a few skips
    opt = gx.skip_spikes(gx.sgd(0.1, momentum=0.9), metric="loss", warmup=10, decay=0.95)
    params = _p0()
    s = opt.init(params)
    step = jax.jit(opt.update)
    g = {"w": jnp.ones(4)}
    skipped = []
    for loss in losses:
        prev_params, prev_inner = params, s.inner_state
        u, s = step(g, s, params, value=jnp.asarray(loss, jnp.float32))
        params = gx.apply_updates(params, u)
        skipped.append(bool(s.last_skipped))
        if skipped[-1]:
            np.testing.assert_array_equal(params["w"], prev_params["w"])
            for a, b in zip(
                jax.tree.leaves(s.inner_state), jax.tree.leaves(prev_inner), strict=True
            ):
                np.testing.assert_array_equal(a, b)
    ref_skipped, m, v = _spike_reference(losses, 6.0, 0.95, 10)
    assert skipped == list(ref_skipped)
    assert skipped[30] and skipped[40] and not skipped[-1] and sum(skipped) < 10
    assert int(s.total_skipped) == sum(skipped) and int(s.count) == 59
    np.testing.assert_allclose(float(s.metric_mean), m, rtol=1e-5)
    np.testing.assert_allclose(float(s.metric_var), v, rtol=1e-3)


def test_skip_spikes_on_grad_norm_and_errors():
    opt = gx.skip_spikes(gx.adam(0.01), warmup=5)
    params = _p0()
    s = opt.init(params)
    step = jax.jit(opt.update)
    for g in _grads(12, seed=3):
        _, s = step(g, s, params)
    assert int(s.total_skipped) == 0
    u, s2 = step({"w": 100.0 * jnp.ones(4)}, s, params)
    assert bool(s2.last_skipped) and float(jnp.abs(u["w"]).sum()) == 0.0
    for a, b in zip(jax.tree.leaves(s.inner_state), jax.tree.leaves(s2.inner_state), strict=True):
        np.testing.assert_array_equal(a, b)
    by_loss = gx.skip_spikes(gx.sgd(0.1), metric="loss")
    with pytest.raises(ValueError, match=MSG_UPDATE_NEEDS_THE_LOSS_CALL_UPDATE_GRADS):
        jax.eval_shape(by_loss.update, {"w": jnp.ones(4)}, by_loss.init(params))
    with pytest.raises(ValueError, match=MSG_METRIC_MUST_BE_GRAD_NORM_OR_LOSS):
        gx.skip_spikes(gx.sgd(0.1), metric="norm")
    with pytest.raises(ValueError, match=MSG_THRESHOLD_MUST_BE_IN_0):
        gx.skip_spikes(gx.sgd(0.1), threshold=0.0)
    with pytest.raises(ValueError, match=MSG_DECAY_MUST_BE_IN_0_1):
        gx.skip_spikes(gx.sgd(0.1), decay=1.0)


# ---------------------------------------------------------------- lookahead


def _quad_grad(x):
    return np.asarray(QUAD_H) * x


def test_lookahead_matches_numpy_reference():
    lr, k, alpha, steps = 0.1, 3, 0.5, 12
    opt = gx.lookahead(gx.sgd(lr), sync_period=k, slow_step_size=alpha)
    params = gx.LookaheadParams.init_synced({"x": jnp.asarray(QUAD_X0, jnp.float64)})
    s = opt.init(params)
    step = jax.jit(opt.update)
    fast = slow = np.asarray(QUAD_X0, np.float64)
    for t in range(steps):
        g = {"x": params.fast["x"] * jnp.asarray(QUAD_H)}
        u, s = step(g, s, params)
        params = gx.apply_updates(params, u)
        fast = fast - lr * _quad_grad(fast)
        if t % k == k - 1:  # paper: slow += alpha (fast - slow); fast <- slow
            slow = slow + alpha * (fast - slow)
            fast = slow
        np.testing.assert_allclose(params.fast["x"], fast, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(params.slow["x"], slow, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match=MSG_UPDATE_NEEDS_PARAMS_LOOKAHEADPARAMS):
        opt.update({"x": jnp.ones(4)}, s, {"x": jnp.ones(4)})
    with pytest.raises(ValueError, match=MSG_SLOW_STEP_SIZE_MUST_BE_IN_0):
        gx.lookahead(gx.sgd(0.1), 2, 1.5)


def test_lookahead_reset_state_and_optax_parity():
    opt = gx.lookahead(
        gx.sgd(0.1, momentum=0.9), sync_period=2, slow_step_size=0.5, reset_state=True
    )
    params = gx.LookaheadParams.init_synced({"w": jnp.ones(4)})
    s = opt.init(params)
    step = jax.jit(opt.update)
    u, s = step({"w": jnp.ones(4)}, s, params)
    assert float(jnp.abs(gx.tree_get(s.fast_state, "trace")["w"]).sum()) > 0
    u, s = step({"w": jnp.ones(4)}, s, gx.apply_updates(params, u))
    assert float(jnp.abs(gx.tree_get(s.fast_state, "trace")["w"]).sum()) == 0.0
    grads = _grads(30)
    p0 = gx.LookaheadParams.init_synced(_p0())
    for inner in (lambda m: m.sgd(0.05, 0.9), lambda m: m.adam(0.05)):
        ours = run_updates(gx.lookahead(inner(gx), 4, 0.5), grads, p0)
        ref = run_updates(optax.lookahead(inner(optax), 4, 0.5), grads, optax.LookaheadParams(*p0))
        _equal(ours, ref)


# ---------------------------------------------------------------- monitored_chain


def test_monitor_records_norms_lr_and_skips():
    lr = 0.05
    stages = (gx.clip_by_global_norm(1.0), gx.inject_hyperparams(gx.sgd)(learning_rate=lr))
    opt = gx.monitored_chain(*stages)
    params = {"w": jnp.zeros(2, jnp.bfloat16)}
    s = opt.init(params)
    g = {"w": jnp.asarray([3.0, 4.0], jnp.bfloat16)}
    u, s = jax.jit(opt.update)(g, s, params)
    chained = gx.chain(*stages)
    u_chain, _ = jax.jit(chained.update)(g, chained.init(params), params)
    np.testing.assert_array_equal(
        np.asarray(u["w"], np.float32), np.asarray(u_chain["w"], np.float32)
    )
    assert float(gx.tree_get(s, "grad_norm")) == 5.0
    assert float(gx.tree_get(s, "clipped_grad_norm")) == pytest.approx(1.0, rel=1e-2)
    assert float(gx.tree_get(s, "update_norm")) == pytest.approx(lr, rel=1e-2)
    assert float(gx.tree_get(s, "effective_lr")) == pytest.approx(lr, rel=1e-7)
    assert all(
        getattr(s, f).dtype == jnp.float32 for f in ("grad_norm", "update_norm", "effective_lr")
    )

    plain = gx.monitored_chain(gx.sgd(0.1, momentum=0.0))
    step = jax.jit(plain.update)
    u, s = step({"w": jnp.asarray([3.0, 4.0])}, plain.init({"w": jnp.zeros(2)}))
    assert float(s.effective_lr) == pytest.approx(0.1) and float(s.clipped_grad_norm) == 5.0
    _, s = step({"w": jnp.zeros(2)}, s)
    assert float(s.effective_lr) == 0.0

    guarded = gx.chain(gx.monitored_chain(gx.apply_if_finite(gx.sgd(0.1), 3)))  # nested in a chain
    s = guarded.init({"w": jnp.zeros(2)})
    step = jax.jit(guarded.update)
    _, s = step({"w": jnp.asarray([jnp.nan, 1.0])}, s)
    assert bool(gx.tree_get(s, "skipped"))
    _, s = step({"w": jnp.ones(2)}, s)
    assert not bool(gx.tree_get(s, "skipped"))
    spikes = gx.monitored_chain(gx.skip_spikes(gx.sgd(0.1), metric="loss"))
    s = spikes.init({"w": jnp.zeros(2)})
    _, s = jax.jit(spikes.update)({"w": jnp.ones(2)}, s, value=jnp.nan)
    assert bool(s.skipped) and int(s.count) == 1
    with pytest.raises(TypeError, match=MSG_AT_LEAST_ONE_TRANSFORMATION):
        gx.monitored_chain()
