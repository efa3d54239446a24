"""``update`` given a state its own ``init`` did not build raises ``gradtx.StateMismatchError``.

The check compares the state's structure and leaf shapes with
``jax.eval_shape(init, params)`` when the outermost update is traced; these
tests cover the mistakes it names (another optimizer's state, a state for other
params, lists for tuples, dicts for NamedTuples, swapped chain entries), the
states it must keep accepting (dtype casts, Python floats in
``inject_hyperparams``, None and MaskedNode leaves, vmap, MultiSteps, optax
transformations inside a gradtx chain), and that a compiled step holds no trace
of it.
"""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradtx as gx
from gradtx._core import _state_check
from tests.messages import (
    MSG_DICT_FOR_NAMEDTUPLE,
    MSG_FIX,
    MSG_INJECT,
    MSG_LIST_FOR_TUPLE,
    MSG_MISMATCH,
    MSG_MISSING_PATH,
    MSG_OTHER_OPTIMIZER,
    MSG_RESTORE,
    MSG_SHAPE,
    MSG_UPDATES_AND_MU_DIFFER,
)
from tests.registry import ALL, Entry

F32 = jnp.float32


def params_tree():
    return {"a": jnp.arange(3, dtype=F32), "b": jnp.ones((2, 2), F32)}


def raises(*fragments):
    return pytest.raises(gx.StateMismatchError, match=".*".join(re.escape(f) for f in fragments))


def trace(tx, updates, state, params=None):
    """Trace ``tx.update`` abstractly (the check runs when update is traced; nothing compiles)."""
    return jax.eval_shape(tx.update, updates, state, params)


def abstract_init(tx, params):
    return jax.eval_shape(tx.init, params)


def test_the_issue_example_names_both_state_types_and_the_fix():
    p = jnp.zeros(2)
    sgd_state = gx.sgd(0.1, 0.9).init(p)
    # Eager (compiled: raised while tracing), under the user's jit, and op by op.
    with raises(MSG_MISMATCH, MSG_OTHER_OPTIMIZER, MSG_FIX, MSG_RESTORE):
        gx.adam(1e-3).update(p, sgd_state, p)
    with raises(MSG_OTHER_OPTIMIZER):
        jax.jit(gx.adam(1e-3).update)(p, sgd_state, p)
    with gx.eager_jit_disabled(), raises(MSG_OTHER_OPTIMIZER):
        gx.adam(1e-3).update(p, sgd_state, p)
    assert issubclass(gx.StateMismatchError, ValueError)


def test_wrong_params_tree_lists_and_dicts_are_named():
    tx = gx.adam(0.1)
    p = params_tree()
    state = abstract_init(tx, p)
    with raises(MSG_MISSING_PATH):
        trace(tx, p, abstract_init(tx, {"a": p["a"]}), p)
    with raises(MSG_SHAPE):
        trace(tx, p, abstract_init(tx, {"a": jnp.ones(4, F32), "b": p["b"]}), p)
    # A checkpoint restored with lists for tuples, or dicts for NamedTuples.
    with raises(MSG_LIST_FOR_TUPLE, "[ScaleByAdamState, EmptyState]"):
        trace(tx, p, list(state), p)
    with raises(MSG_DICT_FOR_NAMEDTUPLE, "{'count': ..., 'mu': ..., 'nu': ...}"):
        trace(tx, p, (state[0]._asdict(), state[1]), p)
    # With no params, the state's structure is compared with init(updates); shapes are
    # not (updates may carry a batch axis), so a shape mismatch is the building block's
    # own error.
    with raises("init(updates) and the state differ at path [0].mu['b']", "the updates may"):
        trace(tx, {"a": p["a"]}, state)
    with pytest.raises(ValueError, match=MSG_UPDATES_AND_MU_DIFFER):
        trace(tx, {"a": jnp.ones(4, F32), "b": p["b"]}, state)


def test_swapped_chain_entries_and_inject_hyperparams():
    p = params_tree()
    tx = gx.chain(gx.scale_by_adam(), gx.trace(0.9))
    s = abstract_init(tx, p)
    with raises(MSG_OTHER_OPTIMIZER, "(TraceState, ScaleByAdamState)"):
        trace(tx, p, (s[1], s[0]), p)
    inject = gx.inject_hyperparams(gx.adam)(learning_rate=0.1)
    with raises(MSG_INJECT):
        trace(inject, p, abstract_init(gx.adam(0.1), p), p)
    # Its own state with a hyperparameter set to a Python float (a legitimate dtype
    # change, as after editing a restored state) is accepted.
    state = abstract_init(inject, p)
    state.hyperparams["learning_rate"] = 0.5
    u, _ = trace(inject, p, state, p)
    assert u["b"].shape == (2, 2)


def test_states_that_must_still_be_accepted():
    p = {"w": jnp.ones((2, 3), F32), "none": None, "m": jnp.ones(2, F32)}
    # A bfloat16 copy of the state: dtypes are not compared.
    tx = gx.sgd(0.1, momentum=0.9)
    s = jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, jnp.bfloat16), abstract_init(tx, p))
    assert trace(tx, p, s, p)[0]["none"] is None
    # masked (MaskedNode leaves inside), MultiSteps, an optax transformation in a gradtx chain.
    for tx in (
        gx.masked(gx.adam(0.1), {"w": True, "none": False, "m": False}),
        gx.MultiSteps(gx.adam(0.1), every_k_schedule=2).gradient_transformation(),
        gx.chain(optax.scale_by_adam(), gx.scale(-0.1)),
    ):
        trace(tx, p, abstract_init(tx, p), p)
    with raises("init(params) builds a ScaleByAdamState and the state has a TraceState"):
        trace(tx, p, (abstract_init(gx.trace(0.9), p), gx.EmptyState()), p)
    # A stateless transformation accepts () for its EmptyState.
    trace(gx.clip(0.1), p, ())
    # vmap: params and state are per example inside.
    tx = gx.adam(0.1)
    jax.eval_shape(jax.vmap(lambda q: tx.update(q, tx.init(q), q)[0]), {"w": jnp.ones((3, 2))})


def test_value_dependent_init_is_not_checked():
    def init(params):
        return {"n": jnp.zeros(int(params.sum()))}  # needs concrete values

    def update(updates, state, params=None, **extra):
        return updates, state

    tx = gx.GradientTransformation(init, update)
    p = jnp.ones(2)
    _, s = trace(tx, p, {"n": jnp.zeros(5)}, p)
    assert s["n"].shape == (5,)


def test_only_the_outermost_update_checks_and_the_compiled_step_is_unchanged(monkeypatch):
    calls = []
    check = _state_check.check_state

    def counting(init, args, kwargs, passed=None):
        calls.append(init)
        return check(init, args, kwargs, passed)

    monkeypatch.setattr(_state_check, "check_state", counting)
    tx = gx.chain(gx.clip_by_global_norm(1.0), gx.adam(0.1), gx.add_decayed_weights(1e-2))
    p = {"w": jnp.ones(3, F32)}
    s = abstract_init(tx, p)
    checked = jax.make_jaxpr(tx.update)(p, s, p)
    assert len(calls) == 1, "nested transformations re-checked the state"
    plain = jax.make_jaxpr(tx.update.__wrapped__)(p, s, p)
    assert str(checked) == str(plain), "the check left operations in the compiled step"


OPTIMIZERS = [e for e in ALL if e.optimizer]


def _tiny(entry: Entry, seed: int):
    shape = (2, 3) if entry.min_ndim <= 2 else (2,) * entry.min_ndim
    rng = np.random.default_rng(seed)
    return {"w": jnp.asarray(rng.normal(size=shape), F32)}


@pytest.mark.parametrize("entry", OPTIMIZERS, ids=[e.name for e in OPTIMIZERS])
def test_every_optimizer_rejects_sgd_momentum_state(entry: Entry):
    """Each registered optimizer given sgd-momentum's state raises StateMismatchError.

    Traced abstractly (``jax.eval_shape``): nothing compiles. An optimizer whose own state has the same
    structure as sgd-momentum's (sgd itself) must accept it.
    """
    params, grads = _tiny(entry, 0), _tiny(entry, 1)
    tx = entry.make()
    foreign = abstract_init(gx.sgd(0.1, momentum=0.9), params)

    def step(p, g, s):
        extra = dict(entry.extra_args)
        if entry.extra_args_fn is not None:
            extra.update(entry.extra_args_fn(p, g))
        return tx.update(g, s, p, **extra)

    if jax.tree.structure(abstract_init(tx, params)) == jax.tree.structure(foreign):
        jax.eval_shape(step, params, grads, foreign)
    else:
        with raises(MSG_MISMATCH, MSG_FIX):
            jax.eval_shape(step, params, grads, foreign)
