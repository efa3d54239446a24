"""partition, labels_by_regex / mask_by_regex, masked, freeze, flatten, conditional
wrappers and reduce_on_plateau: routing, reference values, parity with optax, errors."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradtx as gx
from tests.helpers import run_updates
from tests.messages import (
    MSG_AT_LEAST_ONE_OF_RTOL_AND_ATOL,
    MSG_DIFFER_AT_PATH_DENSE_KERNEL_MASK_HAS,
    MSG_GRADTX_MASKED_MASK_AND_PARAMS_DIFFER_AT,
    MSG_LEAF_AT_PATH_OUT_1_MATCHES_NO,
    MSG_MASK_LEAVES_MUST_BE_PYTHON_BOOLS,
    MSG_PARAM_LABELS_AND_PARAMS_DIFFER_AT_PATH,
    MSG_PARAMS_AT_PATH_OUT_1_HAVE_LABEL,
    MSG_PATIENCE_MUST_BE_IN_1_INF,
    MSG_REDUCE_ON_PLATEAU_FACTOR_1_0_FACTOR,
    MSG_RTOL_MUST_BE_IN_0_1,
    MSG_RULE_0_HAS_AN_INVALID_PATTERN,
    MSG_SHOULD_TRANSFORM_FN_MUST_RETURN_A_BOOLEAN,
    MSG_TRANSFORMS_MUST_BE_A_MAPPING,
    MSG_UPDATE_NEEDS_THE_MONITORED_VALUE,
)

RNG = np.random.default_rng(0)


def tree(seed=0, dtype=jnp.float64):
    r = np.random.default_rng(seed)
    return {
        "dense": {
            "kernel": jnp.asarray(r.normal(size=(3, 2)), dtype),
            "bias": jnp.asarray(r.normal(size=(2,)), dtype),
        },
        "norm": {"scale": jnp.asarray(r.normal(size=(2,)), dtype)},
        "out": [jnp.asarray(r.normal(size=(2, 2)), dtype), jnp.asarray(r.normal(size=()), dtype)],
    }


PARAMS = tree(0)
GRADS = [tree(s) for s in range(1, 11)]


def leaves_equal(a, b, **tol):
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), **tol)


# ---------------------------------------------------------------------------
# masked


def test_masked_leaves_untouched_and_stateless():
    mask = {"dense": {"kernel": True, "bias": False}, "norm": False, "out": [True, False]}
    tx = gx.masked(gx.trace(0.9), mask)
    state = tx.init(PARAMS)
    assert isinstance(state.inner_state.trace["dense"]["bias"], gx.MaskedNode)
    assert isinstance(state.inner_state.trace["norm"], gx.MaskedNode)
    u, state1 = tx.update(GRADS[0], state, PARAMS)
    ref = GRADS[0]  # trace's first step is the gradient itself
    np.testing.assert_array_equal(
        u["dense"]["bias"], GRADS[0]["dense"]["bias"]
    )  # untouched, bit for bit
    np.testing.assert_array_equal(
        u["norm"]["scale"], GRADS[0]["norm"]["scale"]
    )  # untouched, bit for bit
    leaves_equal(u["dense"]["kernel"], ref["dense"]["kernel"])
    leaves_equal(u["out"][0], ref["out"][0])
    u2, _ = jax.jit(tx.update)(GRADS[1], state1, PARAMS)
    leaves_equal(u2["out"][0], 0.9 * GRADS[0]["out"][0] + GRADS[1]["out"][0], rtol=1e-12)
    assert u2["out"][1] is not None and np.array_equal(u2["out"][1], GRADS[1]["out"][1])


def test_masked_compatible_extra_args():
    def add_tags():  # an inner transformation that reads a params-shaped extra arg
        def update(updates, state, params=None, *, tags, **extra):
            return jax.tree.map(lambda u, t: u + t, updates, tags), state

        return gx.GradientTransformation(lambda p: gx.EmptyState(), update)

    mask = {"dense": True, "norm": False, "out": False}
    tags = jax.tree.map(lambda x: jnp.full_like(x, 100.0), PARAMS)
    tx = gx.masked(add_tags(), mask, mask_compatible_extra_args=True)
    u, _ = tx.update(GRADS[0], tx.init(PARAMS), PARAMS, tags=tags, other=3)
    leaves_equal(u["dense"], jax.tree.map(lambda g: g + 100.0, GRADS[0]["dense"]))
    leaves_equal(u["norm"], GRADS[0]["norm"])


def test_masked_errors_name_the_path():
    bad = {"dense": {"kernel": True, "bias": False}, "norm": False, "outs": False}
    with pytest.raises(
        ValueError,
        match=MSG_GRADTX_MASKED_MASK_AND_PARAMS_DIFFER_AT,
    ):
        gx.masked(gx.scale_by_adam(), bad).init(PARAMS)
    bad = {"dense": {"kernel": [True], "bias": False}, "norm": False, "out": False}
    with pytest.raises(ValueError, match=MSG_DIFFER_AT_PATH_DENSE_KERNEL_MASK_HAS):
        gx.masked(gx.scale_by_adam(), bad).init(PARAMS)
    with pytest.raises(TypeError, match=MSG_MASK_LEAVES_MUST_BE_PYTHON_BOOLS):
        gx.masked(
            gx.scale_by_adam(), lambda p: jax.tree.map(lambda x: x.ndim > 1, p) | {"norm": 1}
        ).init(PARAMS)


# ---------------------------------------------------------------------------
# partition and regex labels

REGEX_LABELS = gx.labels_by_regex([(r"bias|scale|norm", "no_decay")], default="decay")


def test_labels_by_regex():
    params = {"enc": [{"w": 1.0, "b_bias": 2.0}, None], "norm": {"scale": 3.0}, "head": 4.0}
    labels = gx.labels_by_regex([(r"^enc/0/w$", "a"), (r"enc", "b"), (r"scale", "c")], default="d")(
        params
    )
    assert labels == {"enc": [{"w": "a", "b_bias": "b"}, None], "norm": {"scale": "c"}, "head": "d"}
    assert REGEX_LABELS(PARAMS) == {
        "dense": {"kernel": "decay", "bias": "no_decay"},
        "norm": {"scale": "no_decay"},
        "out": ["decay", "decay"],
    }
    with pytest.raises(ValueError, match=MSG_LEAF_AT_PATH_OUT_1_MATCHES_NO):
        gx.labels_by_regex([(r"dense|norm|out/0", "x")])(PARAMS)
    with pytest.raises(ValueError, match=MSG_RULE_0_HAS_AN_INVALID_PATTERN):
        gx.labels_by_regex([("(", "x")])
    mask = gx.mask_by_regex([r"bias", r"norm"], invert=True)(PARAMS)
    assert mask == {
        "dense": {"kernel": True, "bias": False},
        "norm": {"scale": False},
        "out": [True, True],
    }


def test_partition_routes_labels():
    labels = {"dense": "adam", "norm": "zero", "out": ["sgd", "adam"]}
    tx = gx.partition({"adam": gx.adam(0.1), "sgd": gx.sgd(0.5), "zero": gx.set_to_zero()}, labels)
    state = tx.init(PARAMS)
    assert isinstance(state, gx.PartitionState) and set(state.inner_states) == {
        "adam",
        "sgd",
        "zero",
    }
    u, _ = jax.jit(tx.update)(GRADS[0], state, PARAMS)
    # adam's first step in float64: -lr * g / (|g| + eps), to rounding.
    adam_u = jax.tree.map(lambda g: -0.1 * g / (jnp.abs(g) + 1e-8), GRADS[0])
    leaves_equal(u["dense"], adam_u["dense"], rtol=1e-14)
    leaves_equal(u["out"][1], adam_u["out"][1], rtol=1e-14)
    leaves_equal(u["out"][0], -0.5 * GRADS[0]["out"][0])
    leaves_equal(u["norm"], jax.tree.map(jnp.zeros_like, GRADS[0]["norm"]))
    assert gx.multi_transform is gx.partition and gx.MultiTransformState is gx.PartitionState


def test_partition_matches_optax_partition():
    labels = lambda p: jax.tree.map(lambda x: "a" if x.ndim == 2 else "b", p)  # noqa: E731
    inner = {"a": gx.adam(0.05), "b": gx.sgd(0.1, momentum=0.9)}
    ours = run_updates(gx.partition(inner, labels), GRADS, PARAMS)
    # The routing itself, with the same inner transformations: exact.
    leaves_equal(ours, run_updates(optax.partition(inner, labels), GRADS, PARAMS), rtol=1e-12)
    # Against optax's own optimizers: the same float64 arithmetic, bitwise.
    theirs = optax.partition({"a": optax.adam(0.05), "b": optax.sgd(0.1, momentum=0.9)}, labels)
    leaves_equal(ours, run_updates(theirs, GRADS, PARAMS), rtol=0, atol=0)


def test_regex_partition_equals_masked_weight_decay():
    part = gx.partition(
        {"decay": gx.adamw(0.05, weight_decay=0.1), "no_decay": gx.adam(0.05)}, REGEX_LABELS
    )
    masked = gx.adamw(
        0.05, weight_decay=0.1, mask=gx.mask_by_regex(r"bias|scale|norm", invert=True)
    )
    a, b = run_updates(part, GRADS, PARAMS), run_updates(masked, GRADS, PARAMS)
    leaves_equal(a, b, rtol=1e-12)
    # and the two groups really differ: weight decay moved the kernel, not the bias
    no_wd = gx.adamw(0.05, weight_decay=0.0)
    plain = run_updates(
        gx.partition({"decay": no_wd, "no_decay": no_wd}, REGEX_LABELS), GRADS, PARAMS
    )
    leaves_equal(a["dense"]["bias"], plain["dense"]["bias"], rtol=1e-12)
    assert not np.allclose(a["dense"]["kernel"], plain["dense"]["kernel"])


def test_partition_errors_name_the_path():
    with pytest.raises(
        ValueError,
        match=MSG_PARAMS_AT_PATH_OUT_1_HAVE_LABEL,
    ):
        gx.partition(
            {"a": gx.sgd(1.0), "b": gx.sgd(1.0)}, {"dense": "a", "norm": "b", "out": ["a", "c"]}
        ).init(PARAMS)
    with pytest.raises(
        ValueError,
        match=MSG_PARAM_LABELS_AND_PARAMS_DIFFER_AT_PATH,
    ):
        gx.partition({"a": gx.sgd(1.0)}, {"dense": "a", "norm": {"bias": "a"}, "out": "a"}).init(
            PARAMS
        )
    with pytest.raises(TypeError, match=MSG_TRANSFORMS_MUST_BE_A_MAPPING):
        gx.partition([gx.sgd(1.0)], "a")


# ---------------------------------------------------------------------------
# freeze, selective_transform, flatten


def test_freeze_and_selective_transform():
    mask = {"dense": {"kernel": False, "bias": True}, "norm": True, "out": False}
    u, _ = gx.freeze(mask).update(GRADS[0], gx.freeze(mask).init(PARAMS))
    assert (
        float(jnp.abs(u["dense"]["bias"]).sum()) == 0
        and float(jnp.abs(u["norm"]["scale"]).sum()) == 0
    )
    np.testing.assert_array_equal(
        u["dense"]["kernel"], GRADS[0]["dense"]["kernel"]
    )  # untouched, bit for bit
    leaves_equal(
        gx.freeze(True).update(GRADS[0], gx.freeze(True).init(PARAMS))[0],
        jax.tree.map(jnp.zeros_like, GRADS[0]),
    )
    tx = gx.selective_transform(gx.adamw(0.05, weight_decay=0.1), freeze_mask=mask)
    state = tx.init(PARAMS)
    adam_state = state.inner_states["train"].inner_state[0]
    assert isinstance(adam_state.mu["norm"], gx.MaskedNode)  # frozen leaves hold no state
    ps = run_updates(tx, GRADS, PARAMS)
    np.testing.assert_array_equal(ps["norm"]["scale"][-1], PARAMS["norm"]["scale"])
    np.testing.assert_array_equal(ps["dense"]["bias"][-1], PARAMS["dense"]["bias"])
    assert not np.allclose(ps["dense"]["kernel"][-1], PARAMS["dense"]["kernel"])


def test_flatten_equals_inner_for_elementwise_inner():
    inner = gx.adam(0.05)
    flat = gx.flatten(inner)
    assert flat.init(PARAMS)[0].nu.shape == (3 * 2 + 2 + 2 + 4 + 1,)
    leaves_equal(run_updates(flat, GRADS, PARAMS), run_updates(inner, GRADS, PARAMS), rtol=1e-12)
    mixed = {"a": jnp.ones(3, jnp.bfloat16), "b": None, "c": jnp.ones((2, 2), jnp.float32)}
    u, _ = gx.flatten(gx.scale(2.0)).update(mixed, gx.flatten(gx.scale(2.0)).init(mixed))
    assert u["a"].dtype == jnp.bfloat16 and u["b"] is None and u["c"].dtype == jnp.float32
    leaves_equal(u, jax.tree.map(lambda x: 2 * x, mixed))


# ---------------------------------------------------------------------------
# conditionally_transform / conditionally_mask


def _trace_reference(grads, apply_at, zero_skipped):
    """trace(0.9) applied only at the steps in ``apply_at``, in float64 NumPy."""
    m = np.zeros(3)
    out = []
    for k, g in enumerate(grads):
        if k in apply_at:
            m = 0.9 * m + g
            out.append(m.copy())
        else:
            out.append(np.zeros(3) if zero_skipped else g)
    return out


@pytest.mark.parametrize("zero", [False, True])
def test_conditionally_transform_and_mask(zero):
    wrap = gx.conditionally_mask if zero else gx.conditionally_transform
    tx = wrap(gx.trace(0.9), lambda step: step % 3 == 0)
    grads = [RNG.normal(size=3) for _ in range(10)]

    @jax.jit
    def go(gs):
        def step(s, g):
            u, s = tx.update(g, s)
            return s, u

        return jax.lax.scan(step, tx.init(jnp.zeros(3)), gs)

    state, us = go(jnp.asarray(np.stack(grads)))
    want = _trace_reference(grads, {0, 3, 6, 9}, zero)
    np.testing.assert_allclose(us, np.stack(want), rtol=1e-12)
    assert int(state.count) == 10 and int(state.step) == 10


def test_conditionally_transform_forward_extra_args():
    tx = gx.conditionally_transform(
        gx.scale(0.0), lambda step, value: value > 1.0, forward_extra_args=True
    )
    g = jnp.ones(2)
    s = tx.init(g)
    np.testing.assert_array_equal(tx.update(g, s, value=0.5)[0], g)
    np.testing.assert_array_equal(tx.update(g, s, value=2.0)[0], jnp.zeros(2))
    with pytest.raises(ValueError, match=MSG_SHOULD_TRANSFORM_FN_MUST_RETURN_A_BOOLEAN):
        gx.conditionally_transform(gx.scale(0.0), lambda step: jnp.ones(2, bool)).update(g, s)


# ---------------------------------------------------------------------------
# reduce_on_plateau


def test_reduce_on_plateau_hand_values():
    for cooldown, want in [(0, [1, 1, 0.5, 0.5, 0.25, 0.25]), (1, [1, 1, 0.5, 0.5, 0.5, 0.25])]:
        tx = gx.reduce_on_plateau(factor=0.5, patience=2, cooldown=cooldown)
        s = tx.init(jnp.zeros(1))
        got = []
        for _ in range(6):
            u, s = tx.update(jnp.ones(1), s, value=1.0)
            got.append(float(u[0]))
        assert got == want, (cooldown, got)


def _loss_sequence(n=240):
    t = np.arange(n)
    base = np.where(t < 60, 1.0 - t / 100, 0.4) + 0.02 * np.sin(t)
    base[150:] = 0.3 + 0.05 * RNG.random(n - 150)
    return base


def test_reduce_on_plateau_matches_optax():
    values = _loss_sequence()
    kw = dict(
        factor=0.5,
        patience=4,
        rtol=1e-3,
        atol=1e-3,
        cooldown=3,
        accumulation_size=3,
        min_scale=0.02,
    )
    ours, theirs = gx.reduce_on_plateau(**kw), optax.contrib.reduce_on_plateau(**kw)
    params = jnp.ones(3, jnp.float32)

    def scan(tx):
        def step(s, v):
            u, s = tx.update(params, s, params, value=v)
            return s, (u, s.scale, s.best_value, s.plateau_count, s.cooldown_count)

        return jax.jit(lambda vs: jax.lax.scan(step, tx.init(params), vs)[1])(
            jnp.asarray(values, jnp.float32)
        )

    a, b = scan(ours), scan(theirs)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-6)
    scales = np.asarray(a[1])
    assert scales[0] == 1 and scales[-1] < 0.2 and np.all(np.diff(scales) <= 0)  # it did reduce


def test_reduce_on_plateau_errors():
    with pytest.raises(ValueError, match=MSG_REDUCE_ON_PLATEAU_FACTOR_1_0_FACTOR):
        gx.reduce_on_plateau(factor=1.0)
    with pytest.raises(ValueError, match=MSG_AT_LEAST_ONE_OF_RTOL_AND_ATOL):
        gx.reduce_on_plateau(rtol=0.0, atol=0.0)
    with pytest.raises(ValueError, match=MSG_PATIENCE_MUST_BE_IN_1_INF):
        gx.reduce_on_plateau(patience=0)
    with pytest.raises(ValueError, match=MSG_RTOL_MUST_BE_IN_0_1):
        gx.reduce_on_plateau(rtol=1.5)
    tx = gx.reduce_on_plateau()
    with pytest.raises(ValueError, match=MSG_UPDATE_NEEDS_THE_MONITORED_VALUE):
        tx.update(jnp.ones(1), tx.init(jnp.ones(1)))
