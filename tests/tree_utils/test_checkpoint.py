"""Checkpoints: every registered transformation's state round-trips bit-exactly, with
the same types (NamedTuples, int dict keys), through ``gradtx.tree_utils.save_npz`` /
``load_npz`` and through Orbax (when installed) given the abstract state as target;
training interrupted and resumed from a checkpoint continues bit-for-bit, for
first-order optimizers and for L-BFGS with its zoom line search."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gradtx as gx
from tests.messages import (
    MSG_DICT_KEYS_MUST_BE_STR_OR_INT,
    MSG_DIFFER_AT_PATH_0_MU_V_MISSING,
    MSG_LOAD_NPZ_AT_PATH_0_MU_W,
    MSG_REFILL_MISMATCH,
    MSG_WAS_NOT_WRITTEN_BY_SAVE_NPZ,
)
from tests.registry import ALL

try:
    import orbax.checkpoint as ocp
except ImportError:  # pragma: no cover - the test extra installs it
    ocp = None


needs_orbax = pytest.mark.skipif(
    ocp is None, reason="orbax-checkpoint is not installed (pip install gradtx[test])"
)


def _randomized(tree, seed):
    """Replace every numeric leaf by random values of its dtype (keys stay), so that a
    round trip that loses or rounds anything shows."""
    rng = np.random.default_rng(seed)

    def f(x):
        if jax.dtypes.issubdtype(x.dtype, jax.dtypes.extended):
            return x
        if jnp.issubdtype(x.dtype, jnp.integer):
            return jnp.asarray(rng.integers(0, 100, size=x.shape), x.dtype)
        if jnp.issubdtype(x.dtype, jnp.bool_):
            return jnp.asarray(rng.integers(0, 2, size=x.shape).astype(bool))
        if jnp.issubdtype(x.dtype, jnp.complexfloating):
            return jnp.asarray(rng.normal(size=x.shape) + 1j * rng.normal(size=x.shape), x.dtype)
        return jnp.asarray(rng.normal(size=x.shape), x.dtype)

    return jax.tree.map(f, tree)


def _all_states():
    rng = np.random.default_rng(0)
    states = {}
    for e in ALL:
        shapes = {"w": (3, 4), "b": (4,), "s": ()}
        p = {k: jnp.asarray(rng.normal(size=s), jnp.float32) for k, s in shapes.items()}
        p = {k: v for k, v in p.items() if v.ndim >= e.min_ndim}
        states[e.name] = e.make().init(p)
    # int dict keys and None leaves, as partition-style states hold them
    states["int_keys"] = {0: gx.adam(1e-3).init({"a": jnp.ones(2)}), 7: [None, jnp.ones(3)]}
    return _randomized(states, 1)


STATES = _all_states()


def _bits(x):
    if jax.dtypes.issubdtype(x.dtype, jax.dtypes.extended):
        x = jax.random.key_data(x)
    a = np.asarray(x)
    return a.view(f"uint{8 * a.dtype.itemsize}") if a.dtype.itemsize in (1, 2, 4, 8) else a


def assert_same(restored, original):
    assert jax.tree.structure(restored) == jax.tree.structure(original)  # types, keys
    for a, b in zip(jax.tree.leaves(restored), jax.tree.leaves(original)):
        assert isinstance(a, jax.Array), type(a)
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(_bits(a), _bits(b))


def test_every_state_round_trips_through_npz(tmp_path):
    path = tmp_path / "states.npz"
    gx.tree_utils.save_npz(path, STATES)
    target = jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype), STATES)
    assert_same(gx.tree_utils.load_npz(path, target), STATES)
    # Without a target the recorded structure is rebuilt: NamedTuples, int keys, None.
    assert_same(gx.tree_utils.load_npz(path), STATES)
    assert list(gx.tree_utils.load_npz(path)["int_keys"]) == [0, 7]


def _has_zero_size_leaf(state) -> bool:
    return any(np.size(x) == 0 for x in jax.tree.leaves(state))


@needs_orbax
def test_every_state_round_trips_through_orbax(tmp_path):
    # Orbax refuses zero-size arrays ("Cannot save arrays with zero size"); galore's
    # (0, 0) projector placeholders go through tree_drop_empty / tree_refill_empty.
    empty = [k for k, v in STATES.items() if _has_zero_size_leaf(v)]
    assert any("galore" in k for k in empty), empty
    ckptr = ocp.StandardCheckpointer()
    ckptr.save(tmp_path / "states", gx.tree_utils.tree_drop_empty(STATES))
    ckptr.wait_until_finished()
    target = jax.tree.map(ocp.utils.to_shape_dtype_struct, STATES)
    restored = ckptr.restore(tmp_path / "states", gx.tree_utils.tree_drop_empty(target))
    assert_same(gx.tree_utils.tree_refill_empty(restored, target), STATES)


def test_refill_empty_errors_and_shardings():
    target = {"p": jax.ShapeDtypeStruct((0, 0), jnp.float32), "w": None}
    with pytest.raises(ValueError, match=MSG_REFILL_MISMATCH):
        gx.tree_utils.tree_refill_empty({"p": jnp.ones(3), "w": None}, target)
    device = jax.devices()[0]
    sharded = jax.ShapeDtypeStruct(
        (2, 0), jnp.bfloat16, sharding=jax.sharding.SingleDeviceSharding(device)
    )
    out = gx.tree_utils.tree_refill_empty([None], [sharded])[0]
    assert out.shape == (2, 0) and out.dtype == jnp.bfloat16 and out.devices() == {device}


def test_npz_errors(tmp_path):
    state = gx.adam(1e-3).init({"w": jnp.ones(3)})
    path = tmp_path / "s.npz"
    gx.tree_utils.save_npz(path, state)
    other = jax.eval_shape(gx.adam(1e-3).init, {"w": jnp.ones(4)})
    with pytest.raises(
        ValueError,
        match=MSG_LOAD_NPZ_AT_PATH_0_MU_W,
    ):
        gx.tree_utils.load_npz(path, other)
    renamed = jax.eval_shape(gx.adam(1e-3).init, {"v": jnp.ones(3)})
    with pytest.raises(ValueError, match=MSG_DIFFER_AT_PATH_0_MU_V_MISSING):
        gx.tree_utils.load_npz(path, renamed)
    np.savez(tmp_path / "plain.npz", a=np.ones(2))
    with pytest.raises(ValueError, match=MSG_WAS_NOT_WRITTEN_BY_SAVE_NPZ):
        gx.tree_utils.load_npz(tmp_path / "plain.npz")
    with pytest.raises(TypeError, match=MSG_DICT_KEYS_MUST_BE_STR_OR_INT):
        gx.tree_utils.save_npz(path, {(1, 2): jnp.ones(1)})


# Resume: interrupted at step 3 and restored from a checkpoint vs straight through.
def _problem():
    rng = np.random.default_rng(3)
    params = {"w": jnp.asarray(rng.normal(size=(4, 3)), jnp.float32), "b": jnp.zeros(3)}
    x = jnp.asarray(rng.normal(size=(8, 4)), jnp.float32)
    return params, x


def _loss(p, x):
    return jnp.mean(jnp.tanh(x @ p["w"] + p["b"][None, :]) ** 2) + 0.1


def _lbfgs_step(opt):
    """A step that takes the value and gradient from the line search's state."""
    value_and_grad = gx.value_and_grad_from_state(_loss)

    def step(p, s, x):
        value, g = value_and_grad(p, x, state=s)
        u, s = opt.update(g, s, p, value=value, grad=g, value_fn=lambda q: _loss(q, x))
        return gx.apply_updates(p, u), s

    return step


def _plain_step(opt):
    def step(p, s, x):
        value, g = jax.value_and_grad(_loss)(p, x)
        u, s = opt.update(g, s, p, value=value)
        return gx.apply_updates(p, u), s

    return step


RESUME = {
    "adam": lambda: gx.adam(1e-2),
    "inject_hyperparams": lambda: gx.inject_hyperparams(gx.adamw)(
        learning_rate=gx.cosine_decay_schedule(1e-2, 10), weight_decay=1e-2
    ),
    "MultiSteps": lambda: gx.MultiSteps(gx.adam(1e-2), every_k_schedule=3),
    "reduce_on_plateau": lambda: gx.chain(
        gx.sgd(0.5), gx.reduce_on_plateau(factor=0.5, patience=1, accumulation_size=1)
    ),
    # memory 2 < 3 steps: the ring buffer has wrapped when the run is interrupted
    "lbfgs": lambda: gx.lbfgs(memory_size=2),
}


@functools.cache
def _optimizer_and_step(name):
    """One optimizer and one jitted step per name, shared by the npz and Orbax cases."""
    opt = RESUME[name]()
    return opt, jax.jit((_lbfgs_step if name == "lbfgs" else _plain_step)(opt))


def _saver(kind, tmp_path):
    if kind == "npz":
        return (
            lambda tree: gx.tree_utils.save_npz(tmp_path / "ckpt.npz", tree),
            lambda target: gx.tree_utils.load_npz(tmp_path / "ckpt.npz", target),
        )
    ckptr = ocp.StandardCheckpointer()

    def save(tree):
        ckptr.save(tmp_path / "ckpt", tree)
        ckptr.wait_until_finished()

    return save, lambda target: ckptr.restore(tmp_path / "ckpt", target)


@pytest.mark.parametrize("kind", ["npz", pytest.param("orbax", marks=needs_orbax)])
@pytest.mark.parametrize("name", list(RESUME))
def test_resume_is_bit_for_bit(name, kind, tmp_path):
    opt, step = _optimizer_and_step(name)
    params, x = _problem()

    def run(p, s, n):
        for _ in range(n):
            p, s = step(p, s, x)
        return p, s

    straight = run(params, opt.init(params), 8)
    save, restore = _saver(kind, tmp_path)
    interrupted = run(params, opt.init(params), 3)
    save(interrupted)
    # The target is abstract: what a fresh process builds before it restores.
    target = (jax.eval_shape(lambda: params), jax.eval_shape(opt.init, params))
    restored = restore(target)
    # Same types (dtype, shape, weak type) as the live state: no retrace for new types.
    assert jax.tree.map(jax.typeof, restored) == jax.tree.map(jax.typeof, interrupted)
    assert_same(run(*restored, 5), straight)
    if name == "lbfgs":  # three accepted line-search steps, then five more, each descending
        assert int(gx.tree_utils.tree_get(restored[1], "count")) == 3
        losses = [float(_loss(p, x)) for p in (params, interrupted[0], straight[0])]
        assert losses[0] > losses[1] > losses[2], losses
