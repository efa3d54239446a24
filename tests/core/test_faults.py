"""Faults, eager-vs-jit and determinism over the registry; a million-step soak.

For each checked registry entry, ``apply_if_finite(skip_spikes(tx, warmup=2), 3)``
takes a scripted sequence of gradients, one jitted step at a time (params
carried and updated by ``apply_updates``):

    0, 1   good gradients                      accepted
    2-4    a NaN in the float32 leaf, +inf in the bfloat16 leaf, -inf in the
           float64 leaf                        apply_if_finite skips
    5      a good gradient                     accepted
    6      the good gradient * 1e4             skip_spikes skips (a spike)
    7-9    NaN                                 apply_if_finite skips
    10-12  NaN, +inf, -inf                     apply_if_finite gives up (more than
                                               3 in a row); skip_spikes skips
    13     a good gradient                     accepted

On every skipped step the params and every state leaf below the guard that
skipped are bitwise what they were (raw bits: -0.0 and NaN payloads count; the
params hold a -0.0 that the good steps keep), the updates are -0.0, and the
guards' counters move as documented.

Steps 0 and 1 are also the jitted path (the wrapped update runs inside the
guards' ``lax.cond``, a computation of its own): they equal, bit for bit, two
eager ``tx.update`` calls (EagerJit's compiled path) of a freshly built
transformation. The compiled step run again from a fresh state, and the eager
steps run again, give the same bits (entries with randomness included: their
keys are fixed at construction). Comparing a whole jitted train step instead
would not be bitwise: XLA fuses ``p + (-lr * g)`` into one FMA there.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gradtx as gx
from gradtx._core._param_updates import null_updates
from tests.registry import ALL, Entry

MAX_ERRORS = 3  # apply_if_finite(..., MAX_ERRORS)
WARMUP = 2  # skip_spikes(..., warmup=WARMUP)
SPIKE = 1e4
# (what the gradient holds, apply_if_finite skips it, skip_spikes skips it);
# skip_spikes only sees what apply_if_finite lets through.
SCRIPT = (
    ("good", False, False),
    ("half", False, False),
    ("nan", True, False),
    ("+inf", True, False),
    ("-inf", True, False),
    ("good", False, False),
    ("spike", False, True),
    ("nan", True, False),
    ("nan", True, False),
    ("nan", True, False),
    ("nan", False, True),  # the fourth in a row: apply_if_finite gives up
    ("+inf", False, True),
    ("-inf", False, True),
    ("good", False, False),
)
# Op by op vs compiled: the largest difference in a leaf, over the leaf's largest
# magnitude, at most 32 float32 epsilons (muon's Newton-Schulz iterations reach
# ~1e-6). Not bitwise: inside a compiled function XLA fuses a multiply and an add
# into one FMA and may keep a bfloat16 or float32 intermediate in a wider type.
OP_BY_OP_RTOL = 4e-6


def _arr(rng, shape, dtype, min_ndim):
    if min_ndim > len(shape):
        shape = (2,) * (min_ndim - len(shape)) + shape
    return jnp.asarray(rng.normal(size=shape), dtype)


def fault_tree(entry: Entry, seed: int):
    """Three leaves, one per float dtype: float32 matrix, bfloat16 vector, float64 scalar."""
    rng = np.random.default_rng(seed)
    n = entry.min_ndim
    return {
        "w": _arr(rng, (2, 3), jnp.float32, n),
        "b": _arr(rng, (3,), jnp.bfloat16, n),
        "s": _arr(rng, (), jnp.float64, n),
    }


def _first(x):
    return (0,) * x.ndim


def _gradient(kind: str, g):
    if kind == "half":
        return jax.tree.map(lambda x: x * 0.5, g)
    if kind == "spike":
        return jax.tree.map(lambda x: x * SPIKE, g)
    bad = {"nan": ("w", jnp.nan), "+inf": ("b", jnp.inf), "-inf": ("s", -jnp.inf)}.get(kind)
    if bad is None:
        return g
    leaf, value = bad
    return {**g, leaf: g[leaf].at[_first(g[leaf])].set(value)}


def _problem(entry: Entry):
    """Params with a -0.0 whose gradient is 0 in every good step, and the gradients."""
    p, g = fault_tree(entry, 0), fault_tree(entry, 1)
    at = (0,) * (p["w"].ndim - 1) + (1,)
    p["w"] = p["w"].at[at].set(-0.0)
    g["w"] = g["w"].at[at].set(0.0)
    xs = [_gradient(kind, g) for kind, _, _ in SCRIPT]
    return p, g, jax.tree.map(lambda *leaves: jnp.stack(leaves), *xs)


def _at(tree, k):
    return jax.tree.map(lambda x: x[k], tree)


def _extra(entry: Entry, params, grads) -> dict:
    extra = dict(entry.extra_args)
    if entry.extra_args_fn is not None:
        extra.update(entry.extra_args_fn(params, grads))
    return extra


def guarded(entry: Entry):
    """``apply_if_finite(skip_spikes(tx))``: every fault is seen by one of the two."""
    return gx.apply_if_finite(gx.skip_spikes(entry.make(), warmup=WARMUP), MAX_ERRORS)


def scripted_run(entry: Entry, params, xs):
    """The script through the guards, one jitted step at a time: every step's outputs."""
    tx = guarded(entry)

    @jax.jit
    def step(g, state, p):
        u, state = tx.update(g, state, p, **_extra(entry, p, g))
        return state, gx.apply_updates(p, u), u

    runs = []
    for _ in range(2):  # the same compiled step, from a fresh state each time
        state, p, out = tx.init(params), params, []
        for k in range(len(SCRIPT)):
            state, p, u = step(_at(xs, k), state, p)
            out.append(host((state, p, u)))
        runs.append(out)
    # An entry that places its outputs on a mesh compiles once more for placed params.
    assert step._cache_size() == 1 + entry.places_on_mesh, "the guarded step recompiled"
    return runs


def eager_steps(tx, entry: Entry, params, grads_seq):
    """Eager ``tx.update`` and ``apply_updates`` steps: (updates, state, params) after each."""
    state = tx.init(params)
    out = []
    for g in grads_seq:
        u, state = tx.update(g, state, params, **_extra(entry, params, g))
        params = gx.apply_updates(params, u)
        out.append((u, state, params))
    return out


def host(tree):
    """The tree on the host as NumPy arrays (PRNG keys as their key data)."""

    def get(x):
        if jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key):
            x = jax.random.key_data(x)
        return np.asarray(x)

    return jax.tree.map(get, tree)


def _raw(x: np.ndarray) -> np.ndarray:
    """An array's raw bits: floats viewed as unsigned ints of their width."""
    if x.dtype.kind == "c":
        return x.view(f"u{x.dtype.itemsize // 2}")
    if x.dtype.kind == "f" or x.dtype.name == "bfloat16":
        return x.view(f"u{x.dtype.itemsize}")
    return x


def assert_bitwise(a, b, what: str):
    """Same structure, dtypes, shapes and raw bits (so -0.0 != 0.0, NaN payloads count)."""
    assert jax.tree.structure(a) == jax.tree.structure(b), f"{what}: tree structures differ"
    flat = jax.tree_util.tree_flatten_with_path(a)[0]
    for (path, x), y in zip(flat, jax.tree.leaves(b)):
        where = f"{what} at {jax.tree_util.keystr(path)}"
        assert x.dtype == y.dtype, f"{where}: dtype {x.dtype} != {y.dtype}"
        assert x.shape == y.shape, f"{where}: shape {x.shape} != {y.shape}"
        assert np.array_equal(_raw(x), _raw(y)), f"{where}: bits differ\n{x}\n{y}"


def relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max |a| over the finite elements (0 where bitwise equal)."""
    if np.array_equal(_raw(a), _raw(b)):
        return 0.0
    if not (a.dtype.kind in "fc" or a.dtype.name == "bfloat16"):
        return np.inf
    a, b = a.astype(np.complex128), b.astype(np.complex128)
    if not np.array_equal(np.isfinite(a), np.isfinite(b)):
        return np.inf
    m = np.isfinite(a)
    scale = np.max(np.abs(a[m]), initial=0.0)
    diff = np.max(np.abs(a[m] - b[m]), initial=0.0)
    return float(diff / scale) if scale > 0 else float(diff > 0) * np.inf


def check_script(entry: Entry, steps, params, grads):
    """Each step of the script against what the guards document."""
    null = host(null_updates(grads))
    prev_state, prev_p = None, params
    for k, ((kind, af_skips, ss_skips), (state, p, u)) in enumerate(zip(SCRIPT, steps)):
        what = f"{entry.name}, step {k} ({kind})"
        finite = kind not in ("nan", "+inf", "-inf")
        if af_skips or ss_skips:
            # The params keep every bit (updates of -0.0), and so does the state
            # below the guard that skipped.
            assert_bitwise(u, null, f"{what}: updates of a skipped step")
            assert_bitwise(p, prev_p, f"{what}: params of a skipped step")
            below = prev_state.inner_state if af_skips else prev_state.inner_state.inner_state
            now = state.inner_state if af_skips else state.inner_state.inner_state
            assert_bitwise(now, below, f"{what}: state of a skipped step")
        # apply_if_finite: run of non-finite steps, last_finite, total
        run = 0 if finite else (int(prev_state.notfinite_count) + 1 if k else 1)
        total = (int(prev_state.total_notfinite) if k else 0) + (not finite)
        assert (int(state.notfinite_count), bool(state.last_finite)) == (run, finite), what
        assert int(state.total_notfinite) == total, what
        # skip_spikes: counts the finite values it absorbs (spikes clipped),
        # leaves its statistics untouched by a non-finite one
        ss, ss0 = state.inner_state, None if not k else prev_state.inner_state
        seen = not af_skips
        assert bool(ss.last_skipped) == (ss_skips if seen else bool(ss0.last_skipped)), what
        if k:
            assert int(ss.total_skipped) == int(ss0.total_skipped) + ss_skips, what
            assert int(ss.count) == int(ss0.count) + (seen and finite), what
            if seen and not finite:
                stats = (ss.metric_mean, ss.metric_var)
                assert_bitwise(stats, (ss0.metric_mean, ss0.metric_var), f"{what}: statistics")
        prev_state, prev_p = state, p
    assert int(steps[-1][0].inner_state.total_skipped) == 4


# Entries with randomness (a key or seed fixed at construction) that no optimizer
# entry below covers (noisy_sgd covers add_noise, perturbed_gd the perturbations).
RANDOM = ("coordinate_descent_random_blocks", "dynamic_sampling")
EXTRA = (*RANDOM, "lbfgs_no_linesearch")


def _canonical(entry: Entry) -> bool:
    """An optimizer entry named after its public factory (``adam``, not ``adamw_mask``)."""
    *ns, name = entry.name.split(".")
    if ns:
        return hasattr(getattr(gx, ns[0]), name)
    return hasattr(gx, name) or hasattr(gx.contrib, name)


# Each entry costs two compilations (the guarded step, the eager update), ~0.7 s of
# CPU (a few seconds for the line-search and second-order solvers); the test-time
# budget holds one entry per optimizer factory (the registry entry named after it)
# plus the entries with randomness, not every variant.
CHECKED = [e for e in ALL if (e.optimizer and _canonical(e)) or e.name in EXTRA]


@pytest.mark.parametrize("entry", CHECKED, ids=[e.name for e in CHECKED])
def test_faults_eager_jit_and_determinism(entry: Entry):
    params, grads, xs = _problem(entry)
    steps, again = scripted_run(entry, params, xs)
    assert_bitwise(steps, again, f"{entry.name}: the compiled step run twice")
    check_script(entry, steps, host(params), host(grads))

    # Eager (compiled by EagerJit) == inside jit (steps 0 and 1 above, inside the
    # guards' lax.cond), bitwise, on a fresh build; eager again from a fresh state.
    good = [_at(xs, k) for k in range(2)]
    tx = entry.make()
    eager = host(eager_steps(tx, entry, params, good))
    assert_bitwise(eager, host(eager_steps(tx, entry, params, good)), "eager twice")
    for k in range(2):
        state, p, u = steps[k]
        jitted = (u, state.inner_state.inner_state, p)
        assert_bitwise(eager[k], jitted, f"{entry.name}: eager vs jit, step {k}")


# Op by op vs compiled, on entries that cover the ways they can differ: fused
# multiply-adds (adam), Newton-Schulz iterations (muon), a norm over a bfloat16
# leaf (polyak_sgd), a float64 state fed by a float32 schedule
# (schedule_free_sgd_warmup_wd). One step: run op by op, a loop or a cond
# recompiles its body at every call.
OP_BY_OP = ("adam", "muon", "polyak_sgd", "schedule_free_sgd_warmup_wd")


@pytest.mark.parametrize("entry", [e for e in ALL if e.name in OP_BY_OP], ids=lambda e: e.name)
def test_op_by_op_close_to_compiled(entry: Entry):
    params, _, xs = _problem(entry)
    good = [_at(xs, 0)]
    eager = host(eager_steps(entry.make(), entry, params, good))
    with gx.eager_jit_disabled():
        slow = host(eager_steps(entry.make(), entry, params, good))
    assert jax.tree.structure(slow) == jax.tree.structure(eager)
    for x, y in zip(jax.tree.leaves(eager), jax.tree.leaves(slow)):
        assert x.dtype == y.dtype
        assert relative_difference(x, y) <= OP_BY_OP_RTOL, "op by op differs from compiled"


def test_skipped_step_keeps_negative_zero_and_nan_payload_params():
    """A -0.0 param stays -0.0 and a NaN param keeps its payload over a skipped step
    (the skipped updates are -0.0; +0.0 would turn -0.0 into +0.0)."""
    payload_nan = np.array([0x7FC01234], np.uint32).view(np.float32)[0]
    params = jnp.asarray([-0.0, payload_nan, 1.5], jnp.float32)
    bad = jnp.asarray([1.0, 1.0, jnp.nan], jnp.float32)
    for tx in (gx.apply_if_finite(gx.sgd(0.1), 1), gx.skip_spikes(gx.sgd(0.1))):
        u, _ = tx.update(bad, tx.init(params), params)
        assert_bitwise(host(u), host(null_updates(bad)), "skipped updates")
        assert_bitwise(host(gx.apply_updates(params, u)), host(params), "params")
    assert bool(jnp.all(jnp.signbit(null_updates(params))))


def test_multi_steps_skips_leave_accumulator_and_inner_state_bitwise():
    """MultiSteps with skip_large_updates: a NaN, an inf or a large mini-step changes
    nothing (params, accumulator, inner state, counters) but ``skip_state``."""
    skip = functools.partial(gx.skip_large_updates, max_squared_norm=100.0)
    tx = gx.MultiSteps(gx.adam(0.1), 2, should_skip_update_fn=skip)
    params = {"w": jnp.asarray([-0.0, 1.0], jnp.float32), "b": jnp.ones((), jnp.bfloat16)}
    g = {"w": jnp.asarray([0.0, 0.5], jnp.float32), "b": jnp.asarray(0.25, jnp.bfloat16)}
    script = [  # (gradient, skipped, emits)
        (g, False, False),
        ({**g, "w": g["w"].at[1].set(jnp.nan)}, True, False),
        ({**g, "b": jnp.asarray(jnp.inf, jnp.bfloat16)}, True, False),
        (g, False, True),
        (jax.tree.map(lambda x: x * 100, g), True, False),
        ({**g, "w": g["w"].at[0].set(-jnp.inf)}, True, False),
        (g, False, False),
        (g, False, True),
    ]

    @jax.jit
    def step(g, s, p):
        u, s = tx.update(g, s, p)
        return u, s, gx.apply_updates(p, u)

    state, p = tx.init(params), params
    for k, (grad, skipped, emits) in enumerate(script):
        u, new, new_p = step(grad, state, p)
        assert bool(new.skip_state["should_skip"]) == skipped, k
        if not skipped:  # (a skipped mini-step repeats the previous has_updated)
            assert bool(tx.has_updated(new)) == emits, k
        if skipped:
            keep = (new.mini_step, new.gradient_step, new.inner_opt_state, new.acc_grads, new_p)
            was = (state.mini_step, state.gradient_step, state.inner_opt_state, state.acc_grads, p)
            assert_bitwise(host(keep), host(was), f"step {k}")
        if not emits:
            assert_bitwise(host(u), host(null_updates(grad)), f"step {k}: updates")
        state, p = new, new_p
    assert int(state.gradient_step) == 2
    assert bool(jnp.signbit(p["w"][0])), "-0.0 param with zero gradient stays -0.0"


SOAK_STEPS = 1_000_000
SOAK = {
    "sgd_momentum": lambda: gx.sgd(0.01, momentum=0.9),
    "adam": lambda: gx.adam(1e-3),
    "adamw_schedule": lambda: gx.adamw(
        gx.warmup_cosine_decay_schedule(0.0, 1e-3, 1_000, 100_000, 1e-5), weight_decay=1e-4
    ),
    "adafactor": lambda: gx.adafactor(1e-3),
    "lion": lambda: gx.lion(1e-4),
    "inject_hyperparams_adam": lambda: gx.inject_hyperparams(gx.adam)(learning_rate=1e-3),
}


def test_million_step_soak():
    """10**6 steps of six optimizers on a noisy quadratic, in one lax.scan: state
    structure and dtypes fixed, everything finite, every step count at 10**6."""
    txs = {name: make() for name, make in SOAK.items()}
    target = jnp.asarray([1.0, -2.0], jnp.float32)
    curvature = jnp.asarray([1.0, 10.0], jnp.float32)
    p0 = jnp.zeros(2, jnp.float32)
    inits = {name: (p0, tx.init(p0)) for name, tx in txs.items()}

    @jax.jit
    def soak(key):
        def body(carry, i):
            noise = jax.random.normal(jax.random.fold_in(key, i), (2,), jnp.float32)
            out = {}
            for name, tx in txs.items():
                p, s = carry[name]
                u, s = tx.update(curvature * (p - target) + noise, s, p)
                out[name] = (gx.apply_updates(p, u), s)
            return out, None

        steps = jnp.arange(SOAK_STEPS, dtype=jnp.int32)
        return jax.lax.scan(body, inits, steps)[0]

    final = soak(jax.random.key(0))
    for name in SOAK:
        p, s = final[name]
        s0 = inits[name][1]
        assert jax.tree.structure(s) == jax.tree.structure(s0), name
        for (path, x), x0 in zip(jax.tree_util.tree_flatten_with_path(s)[0], jax.tree.leaves(s0)):
            where = f"{name} {jax.tree_util.keystr(path)}"
            assert (x.dtype, x.shape, x.weak_type) == (x0.dtype, x0.shape, x0.weak_type), where
            assert bool(jnp.all(jnp.isfinite(x))), where
            if jax.tree_util.keystr(path).endswith(".count"):
                assert int(x) == SOAK_STEPS, where
        assert p.dtype == jnp.float32 and float(jnp.max(jnp.abs(p - target))) < 0.5, (name, p)
    counts = [k for k, _ in jax.tree_util.tree_flatten_with_path(final)[0] if "count" in str(k)]
    assert len(counts) >= 6
