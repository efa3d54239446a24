"""inject_hyperparams and tree_get / tree_set: exact trajectories, dtypes, no recompiles, vmap sweeps."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradtx as gx
from tests.helpers import QUAD_X0, quadratic, run_updates
from tests.messages import (
    MSG_COUNT_NAMES_2_VALUES_IN_THE_STATE,
    MSG_DIFFERENT_STRUCTURE,
    MSG_GRADTX_ADAM_B1_1_2_B1_MUST,
    MSG_HYPERPARAM_DTYPE_MUST_BE_A_DTYPE,
    MSG_LEARNING_RATE_MUST_BE_IN,
    MSG_NO_FIELD_OR_KEY_NAMED_LEARNING_RAT,
    MSG_STATIC_ARGS_FOO_FOO_ARE_NOT_PARAMETERS,
    MSG_THAT_PASSES_THE_FILTERING_FUNCTION,
    MSG_TREE_SET_LEARNING_RATE_THE_NEW_VALUE,
)

HP = dict(learning_rate=0.01, b1=0.9, b2=0.999, eps=1e-8)


def _grads(dtype, n=20, seed=0):
    rng = np.random.default_rng(seed)
    return [{"w": jnp.asarray(rng.normal(size=(5,)), dtype)} for _ in range(n)]


def _p0(dtype):
    return {"w": jnp.asarray(np.linspace(-1.0, 1.0, 5), dtype)}


# ---------------------------------------------------------------- inject_hyperparams


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64], ids=["f32", "f64"])
def test_trajectory_is_bitwise_the_plain_optimizers(dtype):
    # Same hyperparameter values, same float ops: 0 ulp over 20 steps.
    grads, p0 = _grads(dtype), _p0(dtype)
    as_arrays = {k: jnp.asarray(v, dtype) for k, v in HP.items()}
    inj = run_updates(gx.inject_hyperparams(gx.adam)(**HP), grads, p0)
    plain = run_updates(gx.adam(**as_arrays), grads, p0)
    np.testing.assert_array_equal(np.asarray(inj["w"]), np.asarray(plain["w"]))
    sgd_hp = dict(learning_rate=0.1, momentum=0.9, nesterov=True)
    inj = run_updates(gx.inject_hyperparams(gx.sgd)(**sgd_hp), grads, p0)
    plain = run_updates(
        gx.sgd(jnp.asarray(0.1, dtype), jnp.asarray(0.9, dtype), nesterov=True), grads, p0
    )
    np.testing.assert_array_equal(np.asarray(inj["w"]), np.asarray(plain["w"]))


def test_float64_trajectory_equals_optax_adam_bitwise():
    # Float64 params keep float64 hyperparameters, so nothing is rounded to float32.
    grads, p0 = _grads(jnp.float64), _p0(jnp.float64)
    inj = run_updates(gx.inject_hyperparams(gx.adam)(**HP), grads, p0)
    ref = run_updates(optax.adam(**HP), grads, p0)
    np.testing.assert_array_equal(np.asarray(inj["w"]), np.asarray(ref["w"]))


def test_float32_matches_optax_inject_hyperparams_over_100_steps():
    grads, p0 = _grads(jnp.float32, n=100), _p0(jnp.float32)
    ours = run_updates(gx.inject_hyperparams(gx.adam)(**HP), grads, p0)
    ref = run_updates(optax.inject_hyperparams(optax.adam)(**HP), grads, p0)
    # Not bitwise: both store b1/b2 as float32 arrays here, and optax then takes
    # 1 - b**t in float32, gradtx in float64 (x64 is on). After 100 steps the params
    # (size ~1) differ by at most 1 float32 ulp of 1 (1.2e-7); allow 2.
    np.testing.assert_allclose(np.asarray(ours["w"]), np.asarray(ref["w"]), rtol=0, atol=2.5e-7)


def test_bfloat16_params_keep_float32_hyperparameters():
    opt = gx.inject_hyperparams(gx.adam)(**HP)
    params = {"w": jnp.ones(4, jnp.bfloat16)}
    state = opt.init(params)
    step = jax.jit(opt.update)
    for _ in range(3):
        updates, state = step({"w": jnp.full(4, 0.5, jnp.bfloat16)}, state, params)
        params = gx.apply_updates(params, updates)
    hp = state.hyperparams
    assert all(hp[k].dtype == jnp.float32 for k in HP)
    assert hp["b2"] == np.float32(0.999) and hp["b2"] != 1.0
    assert updates["w"].dtype == jnp.bfloat16 and params["w"].dtype == jnp.bfloat16
    # One step's nu with b2 in float32: (1 - 0.999) * 0.25 = 2.5e-4 (bfloat16 b2 rounds
    # to 1.0 and nu would stay 0, which is what optax's inject_hyperparams stores).
    s1 = step({"w": jnp.full(4, 0.5, jnp.bfloat16)}, opt.init(params), params)[1]
    nu = np.asarray(s1.inner_state[0].nu["w"], np.float32)
    np.testing.assert_allclose(nu, 2.5e-4, rtol=1e-2)
    o_state = optax.inject_hyperparams(optax.adam)(**HP).init(params)
    assert (
        o_state.hyperparams["b2"].dtype == jnp.bfloat16 and float(o_state.hyperparams["b2"]) == 1.0
    )


def test_changing_learning_rate_with_tree_set_does_not_recompile():
    opt = gx.inject_hyperparams(gx.sgd)(learning_rate=0.1)
    params = {"w": jnp.ones(3, jnp.float32)}
    state = opt.init(params)
    step = jax.jit(opt.update)
    g = {"w": jnp.asarray([1.0, 2.0, 4.0], jnp.float32)}
    seen = []
    for lr in (0.1, 0.5, jnp.asarray(0.25, jnp.float64), np.float16(2.0)):
        state = gx.tree_set(state, learning_rate=lr)
        updates, state = step(g, state, params)
        seen.append(np.asarray(updates["w"]))
    assert step._cache_size() == 1
    np.testing.assert_array_equal(seen[1], -np.float32(0.5) * np.array([1, 2, 4], np.float32))
    np.testing.assert_array_equal(seen[3], -2.0 * np.array([1, 2, 4], np.float32))
    assert gx.tree_get(state, "learning_rate").dtype == jnp.float32


def _train_fn(opt, steps=15):
    def train(lr):
        params = {"x": jnp.asarray(QUAD_X0, jnp.float32)}
        state = gx.tree_set(opt.init(params), learning_rate=lr)

        def step(carry, _):
            p, s = carry
            u, s = opt.update(jax.grad(quadratic)(p), s, p)
            return (gx.apply_updates(p, u), s), quadratic(p)

        (p, s), losses = jax.lax.scan(step, (params, state), None, length=steps)
        return p["x"], losses

    return train


def test_vmap_over_learning_rates_equals_separate_runs():
    opt = gx.inject_hyperparams(gx.adam)(learning_rate=1e-3)
    train = _train_fn(opt)
    lrs = jnp.asarray([1e-3, 1e-2, 3e-2, 1e-1], jnp.float32)
    xs, losses = jax.jit(jax.vmap(train))(lrs)
    single = jax.jit(train)
    for i, lr in enumerate(lrs):
        x_i, l_i = single(lr)
        np.testing.assert_allclose(np.asarray(xs[i]), np.asarray(x_i), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(np.asarray(losses[i]), np.asarray(l_i), rtol=1e-6)
    assert float(losses[-1, -1]) < float(losses[0, -1])  # the larger rate got further


def test_vmap_with_in_axes_on_the_hyperparams_only():
    opt = gx.inject_hyperparams(gx.sgd)(learning_rate=0.1, momentum=0.9)
    params = {"x": jnp.asarray(QUAD_X0, jnp.float32)}
    state = opt.init(params)
    lrs = jnp.asarray([0.05, 0.1, 0.2], jnp.float32)
    batched = state._replace(hyperparams={**state.hyperparams, "learning_rate": lrs})
    axes = jax.tree.map(lambda _: None, state)._replace(
        hyperparams={k: (0 if k == "learning_rate" else None) for k in state.hyperparams}
    )

    def step(p, s):
        u, s = opt.update(jax.grad(quadratic)(p), s, p)
        return gx.apply_updates(p, u), s

    first = jax.jit(jax.vmap(step, in_axes=(None, axes)))
    rest = jax.jit(jax.vmap(step))
    p, s = first(params, batched)
    for _ in range(5):
        p, s = rest(p, s)
    for i, lr in enumerate(np.asarray(lrs)):
        q, t = params, gx.tree_set(state, learning_rate=lr)
        for _ in range(6):
            q, t = jax.jit(step)(q, t)
        np.testing.assert_allclose(np.asarray(p["x"][i]), np.asarray(q["x"]), rtol=1e-6, atol=1e-7)


def test_schedule_is_evaluated_on_count_and_stored():
    sched = lambda c: 0.1 * 0.5**c  # noqa: E731
    opt = gx.inject_hyperparams(gx.sgd)(learning_rate=sched)
    params = {"w": jnp.ones(2, jnp.float32)}
    state = opt.init(params)
    assert float(state.hyperparams["learning_rate"]) == pytest.approx(0.1)
    step = jax.jit(opt.update)
    g = {"w": jnp.ones(2, jnp.float32)}
    for t in range(4):
        u, state = step(g, state, params)
        assert float(state.hyperparams["learning_rate"]) == pytest.approx(0.1 * 0.5**t, rel=1e-6)
        np.testing.assert_allclose(np.asarray(u["w"]), -0.1 * 0.5**t, rtol=1e-6)
    # a hand-set scheduled value is overridden by the schedule at the next step
    state = gx.tree_set(state, learning_rate=7.0)
    u, state = step(g, state, params)
    np.testing.assert_allclose(np.asarray(u["w"]), -0.1 * 0.5**4, rtol=1e-6)
    assert step._cache_size() == 1
    grads, p0 = _grads(jnp.float32, n=10), _p0(jnp.float32)
    a = run_updates(opt, grads, p0)["w"]
    b = run_updates(gx.sgd(sched), grads, p0)["w"]
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


class _HalveOnRise:
    """A stateful schedule: the learning rate halves whenever the loss rises."""

    def init(self):
        return {"lr": jnp.asarray(0.1, jnp.float32), "last": jnp.asarray(jnp.inf, jnp.float32)}

    def update(self, state, value=None, **extra):
        rose = value > state["last"]
        return {
            "lr": jnp.where(rose, state["lr"] / 2, state["lr"]),
            "last": jnp.asarray(value, jnp.float32),
        }

    def __call__(self, state, **extra):
        return state["lr"]


def test_stateful_schedule_reads_extra_args():
    opt = gx.inject_hyperparams(gx.sgd)(learning_rate=_HalveOnRise())
    params = {"w": jnp.ones(2, jnp.float32)}
    state = opt.init(params)
    assert isinstance(state, gx.InjectStatefulHyperparamsState)
    g = {"w": jnp.ones(2, jnp.float32)}
    step = jax.jit(opt.update)
    lrs = []
    for loss in (5.0, 4.0, 4.5, 3.0, 3.5):
        u, state = step(g, state, params, value=jnp.asarray(loss, jnp.float32))
        lrs.append(-float(u["w"][0]))
    np.testing.assert_allclose(lrs, [0.1, 0.1, 0.1, 0.05, 0.05], rtol=1e-6)
    wrapped = gx.inject_stateful_hyperparams(gx.sgd)(learning_rate=0.1)
    assert isinstance(wrapped.init(params), gx.InjectStatefulHyperparamsState)


def test_argument_kinds_static_ints_and_forced_dtype():
    mask = lambda p: jax.tree.map(lambda x: x.ndim > 0, p)  # noqa: E731
    opt = gx.inject_hyperparams(gx.adamw, static_args="mask")(learning_rate=0.01, mask=mask)
    state = opt.init({"w": jnp.ones(2), "b": jnp.ones(())})
    assert "mask" not in state.hyperparams and "weight_decay" in state.hyperparams
    every = gx.inject_hyperparams(gx.apply_every)(k=2)
    s = every.init({"w": jnp.ones(2)})
    assert s.hyperparams["k"].dtype == jnp.int32
    u, s = jax.jit(every.update)({"w": jnp.ones(2)}, s)
    u, s = jax.jit(every.update)({"w": jnp.ones(2)}, s)
    np.testing.assert_array_equal(np.asarray(u["w"]), [2.0, 2.0])
    low = gx.inject_hyperparams(gx.adam, hyperparam_dtype=jnp.bfloat16)(learning_rate=0.01)
    assert low.init({"w": jnp.ones(2)}).hyperparams["b1"].dtype == jnp.bfloat16
    nu = gx.inject_hyperparams(gx.adam)(learning_rate=0.01, nu_dtype=jnp.bfloat16)
    assert nu.init({"w": jnp.ones(2)}).inner_state[0].nu["w"].dtype == jnp.bfloat16


def test_inject_errors():
    with pytest.raises(ValueError, match=MSG_GRADTX_ADAM_B1_1_2_B1_MUST):
        gx.inject_hyperparams(gx.adam)(learning_rate=0.1, b1=1.2)
    with pytest.raises(ValueError, match=MSG_STATIC_ARGS_FOO_FOO_ARE_NOT_PARAMETERS):
        gx.inject_hyperparams(gx.adam, static_args="foo")
    with pytest.raises(TypeError, match=MSG_HYPERPARAM_DTYPE_MUST_BE_A_DTYPE):
        gx.inject_hyperparams(gx.adam, hyperparam_dtype="nope")
    with pytest.raises(ValueError, match=MSG_LEARNING_RATE_MUST_BE_IN):
        gx.inject_hyperparams(gx.sgd)(learning_rate=lambda c: -0.1 + 0.0 * c)


# ---------------------------------------------------------------- tree_get / tree_set


def _nested_state():
    opt = gx.chain(
        gx.clip_by_global_norm(1.0),
        gx.MultiSteps(
            gx.apply_if_finite(gx.inject_hyperparams(gx.adam)(learning_rate=1e-3), 3), 2
        ).gradient_transformation(),
        gx.named_chain(("decay", gx.add_decayed_weights(1e-4))),
    )
    return opt, opt.init({"w": jnp.ones(3, jnp.float32), "b": jnp.zeros((), jnp.float32)})


def test_tree_get_finds_names_in_nested_chains():
    opt, state = _nested_state()
    assert float(gx.tree_get(state, "learning_rate")) == pytest.approx(1e-3)
    assert float(gx.tree_get(state, "b2")) == pytest.approx(0.999)
    assert gx.tree_get(state, "missing", default=-1) == -1
    assert isinstance(gx.tree_get(state, "ApplyIfFiniteState"), gx.ApplyIfFiniteState)
    assert gx.tree_get(state, "mini_step").dtype == jnp.int32
    with pytest.raises(KeyError, match=MSG_COUNT_NAMES_2_VALUES_IN_THE_STATE):
        gx.tree_get(state, "count")
    adam_count = gx.tree_get(
        state, "count", filtering=lambda path, v: path[-1].tuple_name == "ScaleByAdamState"
    )
    assert adam_count.dtype == jnp.int32
    paths = [jax.tree_util.keystr(p) for p, _ in gx.tree_get_all_with_path(state, "count")]
    ref = [
        jax.tree_util.keystr(p) for p, _ in optax.tree_utils.tree_get_all_with_path(state, "count")
    ]
    assert sorted(paths) == sorted(ref)
    # works inside jit: the lookup is structural
    assert float(jax.jit(lambda s: gx.tree_get(s, "learning_rate"))(state)) == pytest.approx(1e-3)


def test_tree_set_casts_and_keeps_structure():
    opt, state = _nested_state()
    new = gx.tree_set(state, learning_rate=0.5, b1=np.float64(0.8), mini_step=1.0)
    assert jax.tree.structure(new) == jax.tree.structure(state)
    old_leaves, new_leaves = jax.tree.leaves(state), jax.tree.leaves(new)
    assert [x.dtype for x in old_leaves] == [x.dtype for x in new_leaves]
    assert not any(getattr(x, "weak_type", False) for x in new_leaves)
    assert float(gx.tree_get(new, "learning_rate")) == 0.5
    assert int(gx.tree_get(new, "mini_step")) == 1
    zeroed = gx.tree_set(new, nu=1.0)  # one number fills a whole subtree
    assert all(float(jnp.min(x)) == 1.0 for x in jax.tree.leaves(gx.tree_get(zeroed, "nu")))
    # filtering: set only the Adam count
    adam_only = lambda path, v: path[-1].tuple_name == "ScaleByAdamState"  # noqa: E731
    s2 = gx.tree_set(state, adam_only, count=5)
    assert int(gx.tree_get(s2, "count", filtering=adam_only)) == 5
    assert int(gx.tree_get(s2, "mini_step")) == 0
    # under vmap and jit with traced values
    lrs = jnp.asarray([0.1, 0.2], jnp.float32)
    batched = jax.jit(jax.vmap(lambda lr: gx.tree_set(state, learning_rate=lr)))(lrs)
    np.testing.assert_allclose(np.asarray(gx.tree_get(batched, "learning_rate")), [0.1, 0.2])


def test_tree_set_errors():
    _, state = _nested_state()
    with pytest.raises(KeyError, match=MSG_NO_FIELD_OR_KEY_NAMED_LEARNING_RAT):
        gx.tree_set(state, learning_rat=0.1)
    with pytest.raises(KeyError, match=MSG_THAT_PASSES_THE_FILTERING_FUNCTION):
        gx.tree_set(state, lambda p, v: False, learning_rate=0.1)
    with pytest.raises(ValueError, match=MSG_TREE_SET_LEARNING_RATE_THE_NEW_VALUE):
        gx.tree_set(state, learning_rate=jnp.ones(3))
    with pytest.raises(ValueError, match=MSG_DIFFERENT_STRUCTURE):
        gx.tree_set(state, nu={"zzz": 1.0})
