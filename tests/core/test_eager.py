"""Eager calls: ``tx.update`` and ``apply_updates`` outside jit compile once and match jit."""

from __future__ import annotations

import inspect
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradtx as gx
import gradtx._core._contract as _base
from tests.messages import (
    MSG_GRADTX_APPLY_UPDATES_X,
    MSG_GRADTX_SET_EAGER_JIT_ENABLED_1_ENABLED,
    MSG_MY_OWN_BUG,
)
from tests.registry import ALL

F32 = jnp.float32


def tree(seed: int):
    rng = np.random.default_rng(seed)
    return {
        "w": jnp.asarray(rng.normal(size=(3, 4)), F32),
        "b": jnp.asarray(rng.normal(size=(4,)), F32),
        "none": None,
    }


def scaled_by_value():
    """A transformation that multiplies the updates by the extra arg ``value``."""

    def init(params):
        del params
        return gx.EmptyState()

    def update(updates, state, params=None, *, value=1.0, mode="mul", **extra_args):
        del params, extra_args
        f = (lambda g: g * value) if mode == "mul" else (lambda g: g + value)
        return jax.tree.map(f, updates), state

    return gx.GradientTransformation(init, update)


def eager_steps(tx, n, params, grads, **extra):
    state = tx.init(params)
    for _ in range(n):
        updates, state = tx.update(grads, state, params, **extra)
        params = gx.apply_updates(params, updates)
    return params, state


def test_eager_equals_jitted_and_compiles_once():
    tx = gx.adam(0.1)
    params, grads = tree(0), tree(1)
    apply_traces = _base._apply_updates_eager.trace_count
    p_eager, s_eager = eager_steps(tx, 5, params, grads)
    assert tx.update.trace_count == 1, "5 eager steps recompiled the update"
    assert _base._apply_updates_eager.trace_count - apply_traces <= 1

    @jax.jit
    def step(p, s):
        u, s = tx.update(grads, s, p)
        return gx.apply_updates(p, u), s

    p_jit, s_jit = params, tx.init(params)
    for _ in range(5):
        p_jit, s_jit = step(p_jit, s_jit)
    assert tx.update.trace_count == 1, "a call inside jit went through the eager cache"
    for a, b in zip(
        jax.tree.leaves((p_eager, s_eager)), jax.tree.leaves((p_jit, s_jit)), strict=True
    ):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=0)
    assert p_eager["none"] is None
    # Five Adam steps of lr 0.1 moved every param by about 0.5.
    moved = np.abs(np.asarray(p_eager["w"]) - np.asarray(params["w"]))
    assert np.all((moved > 0.3) & (moved < 0.55))


def test_python_number_extra_arg_does_not_recompile():
    tx = scaled_by_value()
    g = {"a": jnp.ones(3, F32)}
    s = tx.init(g)
    for v in (1.0, 2.5, -3.0, 4):
        u, _ = tx.update(g, s, value=v)
        np.testing.assert_allclose(np.asarray(u["a"]), v * np.ones(3))
    # One trace for floats; an int is a different (weak int) type: at most one more.
    assert tx.update.trace_count <= 2
    for v in (jnp.asarray(2.0, F32), np.float32(3.0)):
        u, _ = tx.update(g, s, value=v)
        np.testing.assert_allclose(np.asarray(u["a"]), float(v) * np.ones(3))


def test_static_extra_args_key_the_cache():
    tx = scaled_by_value()
    g = {"a": jnp.ones(2, F32)}
    s = tx.init(g)
    u1, _ = tx.update(g, s, value=2.0, mode="mul")
    u2, _ = tx.update(g, s, value=2.0, mode="add")
    u3, _ = tx.update(g, s, value=5.0, mode="add")
    np.testing.assert_allclose(np.asarray(u1["a"]), [2.0, 2.0])
    np.testing.assert_allclose(np.asarray(u2["a"]), [3.0, 3.0])
    np.testing.assert_allclose(np.asarray(u3["a"]), [6.0, 6.0])
    assert tx.update.trace_count == 2  # one per value of the static ``mode``


def test_inside_transformations_the_plain_function_runs():
    tx = gx.sgd(0.1, momentum=0.9)
    params = tree(0)
    state = tx.init(params)

    def loss(p):
        u, _ = tx.update(p, state, p)
        return sum(jnp.sum(x**2) for x in jax.tree.leaves(gx.apply_updates(p, u)))

    g = jax.grad(loss)(params)
    jax.vmap(lambda w: tx.update({"w": w}, tx.init({"w": w}))[0])(jnp.ones((2, 3)))
    assert tx.update.trace_count == 0
    # d/dp sum((p - 0.1 p)^2) = 2 * 0.9^2 p
    np.testing.assert_allclose(np.asarray(g["w"]), 2 * 0.81 * np.asarray(params["w"]), rtol=1e-5)


def test_untraceable_update_falls_back_to_op_by_op():
    def init(params):
        del params
        return gx.EmptyState()

    def update(updates, state, params=None, **extra_args):
        # Python control flow on a value: cannot be traced.
        if float(jnp.sum(updates["a"])) > 0:
            return updates, state
        return jax.tree.map(jnp.zeros_like, updates), state

    tx = gx.GradientTransformation(init, update)
    with pytest.warns(
        RuntimeWarning, match=r"could not be compiled for eager calls \(Concretization"
    ):
        u, _ = tx.update({"a": jnp.ones(2)}, tx.init(None))
    np.testing.assert_allclose(np.asarray(u["a"]), [1.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once only
        u, _ = tx.update({"a": -jnp.ones(2)}, tx.init(None))
    np.testing.assert_allclose(np.asarray(u["a"]), [0.0, 0.0])

    # A state that holds a non-array value cannot be a jit output: op by op too.
    tagged = gx.GradientTransformation(lambda p: {"tag": "t"}, lambda u, s, p=None: (u, s))
    assert tagged.update({"a": jnp.ones(1)}, tagged.init(None))[1] == {"tag": "t"}
    # A genuine error is raised as is, and does not switch the fast path off.
    broken = gx.GradientTransformation(lambda p: (), lambda u, s, p=None: (u + "x", s))
    with pytest.raises(TypeError):
        broken.update(jnp.ones(2), ())
    assert not broken.update._untraceable


def test_non_array_outputs_fall_back_with_a_warning():
    tagged = gx.GradientTransformation(lambda p: (), lambda u, s, p=None: ({"n": 3}, s))
    with pytest.warns(RuntimeWarning, match="not arrays"):
        assert tagged.update(jnp.ones(2), ())[0] == {"n": 3}
    assert tagged.update._untraceable


def test_genuine_type_errors_are_raised_and_keep_the_fast_path():
    def update(u, s, p=None):
        raise TypeError("my own bug")

    tx = gx.GradientTransformation(lambda p: (), update)
    with pytest.raises(TypeError, match=MSG_MY_OWN_BUG):
        tx.update(jnp.ones(2), ())
    assert not tx.update._untraceable


def test_eager_jit_disabled_is_a_block_scoped_switch():
    tx = gx.sgd(0.1)
    params = tree(0)
    with gx.eager_jit_disabled():
        eager_steps(tx, 2, params, params)
        assert tx.update.trace_count == 0
    eager_steps(tx, 2, params, params)
    assert tx.update.trace_count == 1
    with pytest.raises(TypeError, match=MSG_GRADTX_SET_EAGER_JIT_ENABLED_1_ENABLED):
        gx.set_eager_jit(1)


def test_switch_off_and_disable_jit():
    tx = gx.sgd(0.1)
    params = tree(0)
    old = gx.set_eager_jit(False)
    try:
        eager_steps(tx, 2, params, params)
        assert tx.update.trace_count == 0
    finally:
        gx.set_eager_jit(old)
    with jax.disable_jit():
        eager_steps(tx, 2, params, params)
    eager_steps(tx, 2, params, params)
    assert tx.update.trace_count == 1


def test_contract_of_the_pair_is_kept():
    def init(params):
        return {"n": jnp.zeros((), jnp.int32)}

    def update(updates, state, params=None):  # no **extra_args: an optax-style update
        return updates, {"n": state["n"] + 1}

    tx = gx.GradientTransformation(init, update)
    assert isinstance(tx, tuple) and len(tx) == 2
    assert tx.init.__wrapped__ is init and tx.update.__wrapped__ is update
    assert gx.GradientTransformation(*tx).update is tx.update  # never wrapped twice
    assert tx._replace(init=init).update is tx.update
    init2, update2 = tx
    assert update2 is tx.update
    assert "params" in inspect.signature(tx.update).parameters
    # A chain wraps it so that extra args are ignored, and still runs it eagerly.
    chained = gx.chain(tx, gx.scale(2.0))
    u, s = chained.update({"a": jnp.ones(2)}, chained.init(None), value=1.0)
    np.testing.assert_allclose(np.asarray(u["a"]), [2.0, 2.0])
    assert int(s[0]["n"]) == 1


def test_optax_interop_eager_and_jitted():
    params, grads = tree(0), tree(1)
    for mixed, ref in [
        (gx.chain(optax.clip(0.5), gx.adam(0.1)), optax.chain(optax.clip(0.5), optax.adam(0.1))),
        (optax.chain(gx.clip(0.5), gx.adam(0.1)), optax.chain(optax.clip(0.5), optax.adam(0.1))),
    ]:
        p_mixed, _ = eager_steps(mixed, 3, params, grads)
        p_ref, _ = eager_steps(ref, 3, params, grads)
        p_jit = jax.jit(lambda p, tx=mixed: eager_steps(tx, 3, p, grads)[0])(params)
        for a, b, c in zip(
            jax.tree.leaves(p_mixed), jax.tree.leaves(p_ref), jax.tree.leaves(p_jit), strict=True
        ):
            # float32, and XLA fuses the three programs differently: a few ulps.
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)
            np.testing.assert_allclose(np.asarray(a), np.asarray(c), rtol=1e-5, atol=1e-5)


def test_apply_updates_eager_compiles_once_and_checks_structure():
    cache = _base._apply_updates_eager
    p = {"x": jnp.ones(7, F32), "y": jnp.ones((), jnp.bfloat16)}
    u = {"x": jnp.full(7, 0.5, F32), "y": jnp.asarray(0.25, F32)}
    before = cache.trace_count
    for _ in range(4):
        p = gx.apply_updates(p, u)
    assert cache.trace_count - before == 1
    np.testing.assert_allclose(np.asarray(p["x"]), 3.0)
    assert p["y"].dtype == jnp.bfloat16
    with pytest.raises(ValueError, match=MSG_GRADTX_APPLY_UPDATES_X):
        gx.apply_updates(p, {"x": jnp.ones(3), "y": jnp.ones(())})


# A few entries that cover the mechanisms (chains, masks, schedules, global norms).
EAGER_CHECKED = ("named_chain", "masked", "clip_by_global_norm", "scale_by_schedule", "adamw")


@pytest.mark.parametrize("entry", [e for e in ALL if e.name in EAGER_CHECKED], ids=lambda e: e.name)
def test_registry_eager_matches_op_by_op(entry):
    """Eager (compiled) steps equal the plain function run op by op."""
    params, grads = tree(2), tree(3)
    del params["none"], grads["none"]
    tx = entry.make()
    s_fast = s_slow = tx.init(params)
    for _ in range(2):
        u_fast, s_fast = tx.update(grads, s_fast, params, **entry.extra_args)
        u_slow, s_slow = tx.update.__wrapped__(grads, s_slow, params, **entry.extra_args)
    assert tx.update.trace_count == 1
    for a, b in zip(
        jax.tree.leaves((u_fast, s_fast)), jax.tree.leaves((u_slow, s_slow)), strict=True
    ):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=2e-6, atol=1e-7)


def _eqn_counts(make, n_leaves):
    tx = make()
    p = {f"p{i}": jnp.ones(4, F32) for i in range(n_leaves)}
    jaxpr = jax.make_jaxpr(lambda g, s: tx.update(g, s, p))(p, tx.init(p))
    prims = [e.primitive.name for e in jaxpr.jaxpr.eqns]
    return len(prims), prims.count("pow")


def test_lean_tracing_adam():
    """Adam traces a fixed number of ops per leaf (no more than optax), and its
    bias corrections once per step whatever the number of leaves."""
    n10, pow10 = _eqn_counts(lambda: gx.adam(0.1), 10)
    n20, pow20 = _eqn_counts(lambda: gx.adam(0.1), 20)
    o10, _ = _eqn_counts(lambda: optax.adam(0.1), 10)
    o20, _ = _eqn_counts(lambda: optax.adam(0.1), 20)
    assert pow10 == pow20 == 2  # b1**t and b2**t
    assert (n20 - n10) % 10 == 0 and (o20 - o10) % 10 == 0
    assert (n20 - n10) / 10 <= (o20 - o10) / 10


def test_first_call_inside_a_trace_does_not_poison_the_fast_path():
    """The concrete-array type is looked up lazily; a first lookup made inside a trace
    must not mistake the tracer type for it (fresh process: the lookup is cached)."""
    import subprocess
    import sys

    code = (
        "import jax, jax.numpy as jnp, gradtx\n"
        "tx = gradtx.sgd(0.1)\n"
        "p = jnp.ones(3)\n"
        "eqns = jax.make_jaxpr(lambda p, s: tx.update(p, s, p))(p, tx.init(p)).jaxpr.eqns\n"
        "assert [e.primitive.name for e in eqns] == ['mul'], eqns\n"
        "tx.update(p, tx.init(p))\n"
        "assert tx.update.trace_count == 1\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
