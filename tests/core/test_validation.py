"""Input checking.

Bad hyperparameters raise at construction, naming function, argument, range and
value; wrong types (strings, None, lists, vectors, complex numbers, bools, stray
callables) raise TypeError; arrays, tracers and schedules are accepted so jit and
vmap keep working. Params dtypes are checked at ``init``: every full optimizer
rejects integer params, stateless combinators keep integer leaves. Errors raised
by a building block while an optimizer builds it name the optimizer called.
"""

from __future__ import annotations

import importlib
import inspect
import re
import types

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gradtx as gx
from tests.messages import (
    MSG_ANY_LR_TYPE,
    MSG_CAST_HINT,
    MSG_GRADTX_ADAM_MU_DTYPE_NONSENSE_MU_DTYPE,
    MSG_GRADTX_SCALE_BY_SCHEDULE_STEP_SIZE_FN,
    MSG_INIT_NEEDS_FLOAT,
    MSG_INIT_NEEDS_REAL,
    MSG_INIT_NO_COMPLEX,
    MSG_LR_TYPE,
    MSG_SCALAR_TYPE,
)
from tests.registry import ALL

INT_PARAMS = {"w": jnp.arange(3)}


# (factory, kwargs, argument name, range text, value text)
BAD = [
    (gx.sgd, dict(learning_rate=-0.1), "learning_rate", "[0, inf)", "-0.1"),
    (gx.sgd, dict(learning_rate=0.1, momentum=1.0), "momentum", "[0, 1)", "1.0"),
    (gx.sgd, dict(learning_rate=float("nan")), "learning_rate", "[0, inf)", "nan"),
    (gx.adam, dict(learning_rate=0.1, b1=1.2), "b1", "[0, 1)", "1.2"),
    (gx.adam, dict(learning_rate=0.1, b2=-0.5), "b2", "[0, 1)", "-0.5"),
    (gx.adam, dict(learning_rate=0.1, eps=-1e-8), "eps", "[0, inf)", "-1e-08"),
    (gx.adam, dict(learning_rate=0.1, eps_root=-1.0), "eps_root", "[0, inf)", "-1.0"),
    (gx.adamw, dict(learning_rate=0.1, weight_decay=-1e-4), "weight_decay", "[0, inf)", "-0.0001"),
    (gx.nadam, dict(learning_rate=0.1, b1=1.0), "b1", "[0, 1)", "1.0"),
    (gx.nadamw, dict(learning_rate=-1.0), "learning_rate", "[0, inf)", "-1.0"),
    (gx.amsgrad, dict(learning_rate=0.1, b2=1.5), "b2", "[0, 1)", "1.5"),
    (gx.adamax, dict(learning_rate=0.1, b1=-0.1), "b1", "[0, 1)", "-0.1"),
    (gx.adamaxw, dict(learning_rate=0.1, weight_decay=-1.0), "weight_decay", "[0, inf)", "-1.0"),
    (
        gx.adagrad,
        dict(learning_rate=0.1, initial_accumulator_value=-1.0),
        "initial_accumulator_value",
        "[0, inf)",
        "-1.0",
    ),
    (gx.adagrad, dict(learning_rate=0.1, eps=-1.0), "eps", "[0, inf)", "-1.0"),
    (gx.rmsprop, dict(learning_rate=0.1, decay=1.0), "decay", "[0, 1)", "1.0"),
    (gx.rmsprop, dict(learning_rate=0.1, momentum=2.0), "momentum", "[0, 1)", "2.0"),
    (gx.rmsprop, dict(learning_rate=0.1, initial_scale=-1.0), "initial_scale", "[0, inf)", "-1.0"),
    (gx.adadelta, dict(learning_rate=-1.0), "learning_rate", "[0, inf)", "-1.0"),
    (gx.adadelta, dict(rho=1.0), "rho", "[0, 1)", "1.0"),
    (gx.adadelta, dict(weight_decay=-0.1), "weight_decay", "[0, inf)", "-0.1"),
    (gx.scale_by_adam, dict(b1=1.0), "b1", "[0, 1)", "1.0"),
    (gx.scale_by_amsgrad, dict(eps=-1.0), "eps", "[0, inf)", "-1.0"),
    (gx.scale_by_adamax, dict(b2=1.0), "b2", "[0, 1)", "1.0"),
    (
        gx.scale_by_rss,
        dict(initial_accumulator_value=-0.1),
        "initial_accumulator_value",
        "[0, inf)",
        "-0.1",
    ),
    (gx.scale_by_rms, dict(decay=-0.1), "decay", "[0, 1)", "-0.1"),
    (gx.scale_by_stddev, dict(eps=-0.1), "eps", "[0, inf)", "-0.1"),
    (gx.scale_by_adadelta, dict(rho=2.0), "rho", "[0, 1)", "2.0"),
    (gx.trace, dict(decay=1.5), "decay", "[0, 1]", "1.5"),
    (gx.ema, dict(decay=-0.5), "decay", "[0, 1)", "-0.5"),
    (gx.clip, dict(max_delta=-1.0), "max_delta", "[0, inf]", "-1.0"),
    (gx.clip_by_global_norm, dict(max_norm=-1.0), "max_norm", "[0, inf]", "-1.0"),
    (gx.add_decayed_weights, dict(weight_decay=-1.0), "weight_decay", "[0, inf)", "-1.0"),
    (gx.scale_by_learning_rate, dict(learning_rate=-2.0), "learning_rate", "[0, inf)", "-2.0"),
]


@pytest.mark.parametrize(
    "factory,kwargs,arg,rng,val",
    BAD,
    ids=[f"{f.__name__}-{a}-{i}" for i, (f, _, a, _, _) in enumerate(BAD)],
)
def test_bad_hyperparameter_message(factory, kwargs, arg, rng, val):
    expected = f"gradtx.{factory.__name__}({arg}={val}): {arg} must be in {rng}; got {val}."
    with pytest.raises(ValueError, match=re.escape(expected)):
        factory(**kwargs)


def test_bad_dtype_argument():
    with pytest.raises(TypeError, match=MSG_GRADTX_ADAM_MU_DTYPE_NONSENSE_MU_DTYPE):
        gx.adam(0.1, mu_dtype="nonsense")


def test_scale_by_schedule_needs_a_callable():
    with pytest.raises(
        TypeError,
        match=MSG_GRADTX_SCALE_BY_SCHEDULE_STEP_SIZE_FN,
    ):
        gx.scale_by_schedule(0.1)


def test_arrays_tracers_and_schedules_are_accepted():
    gx.adam(jnp.asarray(0.1), b1=jnp.asarray(0.9))
    gx.adam(lambda c: 0.1 * 0.9**c)

    @jax.jit
    def step(lr, b1, g):
        opt = gx.adam(lr, b1=b1)  # traced hyperparameters: validated nowhere, used as is
        u, _ = opt.update(g, opt.init(g))
        return u

    u = jax.vmap(step, in_axes=(0, None, None))(jnp.array([0.1, 0.2]), 0.9, jnp.ones(2))
    np.testing.assert_allclose(np.asarray(u), [[-0.1, -0.1], [-0.2, -0.2]], rtol=1e-5)


# ---------------------------------------------------------------------------
# The three user mistakes.


def test_adam_none_learning_rate():
    with pytest.raises(TypeError) as err:
        gx.adam(None)
    assert str(err.value) == (f"gradtx.adam(learning_rate=None): {MSG_LR_TYPE} None.")


def test_adam_string_learning_rate():
    with pytest.raises(TypeError) as err:
        gx.adam("0.1")
    assert str(err.value) == (f"gradtx.adam(learning_rate='0.1'): {MSG_LR_TYPE} str '0.1'.")


def test_adam_integer_params():
    opt = gx.adam(1e-3)
    with pytest.raises(TypeError) as err:
        opt.init({"b": jnp.ones(2), "w": jnp.arange(3)})
    msg = str(err.value)
    assert msg.startswith(f"gradtx.adam: {MSG_INIT_NEEDS_FLOAT} int")
    assert "at ['w']" in msg and MSG_CAST_HINT in msg


# ---------------------------------------------------------------------------
# Types at construction.

BAD_TYPES = [
    ("str", "0.1", "str '0.1'"),
    ("none", None, "None"),
    ("list", [0.1], "list [0.1]"),
    ("vector", np.array([0.1, 0.2]), "float64 array of shape (2,)"),
    ("complex", 0.1 + 0.0j, "complex (0.1+0j)"),
    ("bool", True, "bool True"),
    ("bytes", b"0.1", "bytes b'0.1'"),
]


@pytest.mark.parametrize("value,got", [b[1:] for b in BAD_TYPES], ids=[b[0] for b in BAD_TYPES])
def test_bad_types_are_type_errors(value, got):
    with pytest.raises(TypeError, match=re.escape(f"eps {MSG_SCALAR_TYPE} {got}")):
        gx.scale_by_adam(eps=value)
    with pytest.raises(TypeError, match=re.escape(f"{MSG_LR_TYPE} {got}")):
        gx.sgd(value)


def test_callables_only_where_a_schedule_is_documented():
    gx.adam(lambda c: 0.1)  # learning rates take schedules
    gx.add_decayed_weights(lambda c: 1e-4)  # so does weight decay
    with pytest.raises(TypeError, match=re.escape(f"b1 {MSG_SCALAR_TYPE} function")):
        gx.adam(0.1, b1=lambda c: 0.9)
    with pytest.raises(TypeError, match=re.escape(f"step_size {MSG_SCALAR_TYPE} function")):
        gx.scale(lambda c: 0.1)


def test_accepted_scalar_kinds():
    for lr in (1, 0.1, np.float32(0.1), np.array(0.1), jnp.asarray(0.1), jnp.bfloat16(0.1)):
        gx.adam(lr, b1=np.float64(0.9), eps=jnp.asarray(1e-8))
    with pytest.raises(TypeError, match=re.escape("got complex64 scalar")):
        gx.adam(jnp.asarray(0.1, jnp.complex64))


def test_none_where_documented():
    # optax's Optional learning rates; None means what optax documents (no lr factor).
    gx.adadelta(None)
    gx.adafactor(None)
    gx.lbfgs(None)
    gx.scale_by_learning_rate(None)
    gx.contrib.muon(0.1, adam_learning_rate=None)
    gx.sgd(0.1, momentum=None)
    with pytest.raises(
        TypeError, match=re.escape(f"gradtx.adamw(learning_rate=None): {MSG_LR_TYPE}")
    ):
        gx.adamw(None)


# Building blocks check shared arguments once, under the name of the optimizer called.
OUTER = [
    (gx.adam, dict(b1=1.5), "b1"),
    (gx.rmsprop, dict(decay=1.5), "decay"),
    (gx.adopt, dict(b2=1.5), "b2"),
    (gx.lion, dict(b2=1.5), "b2"),
    (gx.radam, dict(eps="x"), "eps"),
    (gx.novograd, dict(b1=-1.0), "b1"),
    (gx.adan, dict(b3=1.5), "b3"),
    (gx.ademamix, dict(alpha=-1.0), "alpha"),
    (gx.adagrad, dict(eps=-1.0), "eps"),
    (gx.optimistic_gradient_descent, dict(alpha="x"), "alpha"),
    (gx.adadelta, dict(rho=1.5), "rho"),
    (gx.lamb, dict(eps_root=-1.0), "eps_root"),
]


@pytest.mark.parametrize("factory,kwargs,arg", OUTER, ids=[f.__name__ for f, _, _ in OUTER])
def test_errors_name_the_outer_optimizer(factory, kwargs, arg):
    with pytest.raises((TypeError, ValueError), match=rf"^gradtx\.{factory.__name__}\({arg}="):
        factory(0.1, **kwargs)
    if factory is gx.adadelta:  # None documented (optax's Optional learning rate)
        return
    with pytest.raises(TypeError, match=rf"^gradtx\.{factory.__name__}\(learning_rate=None\)"):
        factory(None)


def _learning_rate_factories():
    out = {}
    for ns in ("gradtx", "gradtx.contrib", "gradtx.solvers", "gradtx.proximal"):
        mod = importlib.import_module(ns)
        for name in sorted(dir(mod)):
            obj = getattr(mod, name)
            if name.startswith("_") or not isinstance(obj, types.FunctionType):
                continue
            params = inspect.signature(obj).parameters
            if "learning_rate" in params:
                out.setdefault(inspect.unwrap(obj), f"{ns}.{name}")
    return sorted(out.items(), key=lambda kv: kv[1])


LR_FACTORIES = _learning_rate_factories()
FILL = {
    "base_optimizer": gx.sgd(0.1),
    "l2_norm_clip": 1.0,
    "noise_multiplier": 0.1,
    "seed": 0,
    "num_examples": 4,
    "update_frequency": 2,
}


@pytest.mark.parametrize("factory,name", LR_FACTORIES, ids=[n for _, n in LR_FACTORIES])
def test_every_factory_rejects_a_string_learning_rate(factory, name):
    params = inspect.signature(factory).parameters
    kwargs = {k: v for k, v in FILL.items() if k in params}
    pattern = rf"learning_rate='0.1'\): {MSG_ANY_LR_TYPE}.*; got str '0.1'\.$"
    with pytest.raises(TypeError, match=pattern):
        getattr(importlib.import_module(name.rsplit(".", 1)[0]), name.rsplit(".", 1)[1])(
            learning_rate="0.1", **kwargs
        )


def test_enough_learning_rate_factories_found():
    assert len(LR_FACTORIES) >= 60


# ---------------------------------------------------------------------------
# Params dtypes at init.

OPTIMIZERS = [e for e in ALL if e.optimizer]


@pytest.mark.parametrize("entry", OPTIMIZERS, ids=[e.name for e in OPTIMIZERS])
def test_every_optimizer_rejects_integer_params_at_init(entry):
    # two leaves, so that wrappers which freeze or route every other leaf still
    # hand one to the optimizer
    shape = (3,) if entry.min_ndim <= 1 else (3, 2)
    for dtype in (jnp.int32, bool):
        params = {"a": jnp.zeros(shape, dtype), "b": jnp.zeros(shape, dtype)}
        with pytest.raises(TypeError, match=r"^gradtx\.[a-z_.0-9]+: init needs .*params; got "):
            entry.make().init(params)


@pytest.mark.parametrize(
    "block", [gx.scale_by_adam(), gx.scale_by_rms(), gx.trace(0.9), gx.ema(0.9), gx.scale_by_rss()]
)
def test_stateful_building_blocks_reject_integer_params(block):
    with pytest.raises(TypeError, match=re.escape(MSG_INIT_NEEDS_FLOAT)):
        block.init(INT_PARAMS)


def test_stateless_combinators_keep_integer_leaves():
    params = {"w": jnp.ones(2), "step": jnp.arange(2)}
    grads = {"w": jnp.ones(2), "step": jnp.zeros(2, jnp.int32)}
    labels = {"w": "train", "step": "frozen"}
    txs = [
        gx.identity(),
        gx.set_to_zero(),
        gx.chain(gx.identity(), gx.set_to_zero()),
        gx.partition({"train": gx.adam(0.1), "frozen": gx.set_to_zero()}, labels),
        gx.multi_transform({"train": gx.sgd(0.1), "frozen": gx.set_to_zero()}, labels),
        gx.masked(gx.adam(0.1), {"w": True, "step": False}),
    ]
    for tx in txs:
        u, _ = tx.update(grads, tx.init(params), params)
        assert u["step"].dtype == jnp.int32
        new = gx.apply_updates(params, u)
        np.testing.assert_array_equal(np.asarray(new["step"]), [0, 1])


def test_complex_params_supported_or_rejected_at_init():
    z = {"z": jnp.array([1.0 + 1.0j, -2.0j])}
    gx.adam(0.1).init(z)  # supported: second moments of |g|^2
    gx.sgd(0.1, momentum=0.9).init(z)
    for opt, name in [(gx.rprop(0.1), "rprop"), (gx.adopt(0.1), "adopt"), (gx.lars(0.1), "lars")]:
        with pytest.raises(TypeError, match=re.escape(f"gradtx.{name}: {MSG_INIT_NO_COMPLEX}")):
            opt.init(z)
        with pytest.raises(TypeError, match=re.escape(f"gradtx.{name}: {MSG_INIT_NEEDS_REAL}")):
            opt.init(INT_PARAMS)


def test_abstract_and_traced_params_are_checked_too():
    opt = gx.adam(0.1)
    jax.eval_shape(opt.init, {"w": jax.ShapeDtypeStruct((3,), jnp.float32)})
    with pytest.raises(TypeError, match=re.escape(MSG_INIT_NEEDS_FLOAT)):
        jax.eval_shape(opt.init, {"w": jax.ShapeDtypeStruct((3,), jnp.int32)})
