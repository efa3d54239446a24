"""Schedules: parity with optax, torch.optim.lr_scheduler formulas, huge counts, errors.

Every schedule is evaluated vectorised over an array of counts under one jit.
torch's schedulers are transcribed from their documented closed forms as float64
NumPy (torch itself is not needed).
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradtx as gx
from tests.messages import (
    MSG_AT_LEAST_ONE_CYCLE,
    MSG_BOUNDARIES_MUST_BE_NON_DECREASING_GOT_10,
    MSG_CYCLE_0_HAS_NO_DECAY_STEPS,
    MSG_DECAY_STEPS_MUST_BE_FINITE_AND_0,
    MSG_DECAY_STEPS_MUST_BE_WARMUP_STEPS_GOT,
    MSG_DIV_FACTOR_MUST_BE_IN_0,
    MSG_EXPONENTIAL_DECAY_DECAY_RATE_0_5_DECAY,
    MSG_GAMMA_MUST_BE_IN_0,
    MSG_INTERPOLATE_TYPE_MUST_BE_LINEAR_OR_COSINE,
    MSG_LINEAR_SCHEDULE_TRANSITION_STEPS_5_TRANSITION_STEPS,
    MSG_MODE_MUST_BE_ONE_OF,
    MSG_MUST_BE_FINITE_AND_0,
    MSG_ONE_BOUNDARY_FEWER_THAN_SCHEDULES_GOT_3,
    MSG_PCT_FINAL_MUST_BE_IN_0_5,
    MSG_SCALES_MUST_BE_0_GOT_SCALE_0,
    MSG_STEP_SIZE_UP_MUST_BE_FINITE_AND,
    MSG_TRANSITION_BEGIN_MUST_BE_FINITE_AND_0,
    MSG_TRANSITION_STEPS_MUST_BE_A_CONCRETE_NUMBER,
    MSG_TRANSITION_STEPS_MUST_BE_FINITE_AND_0,
    MSG_WARMUP_EXPONENTIAL_DECAY_SCHEDULE_DECAY_RATE_0,
)

T = np.arange(0, 400)


def ev(schedule, counts=T):
    """The schedule on a vector of counts, one jit, as float64 NumPy."""
    return np.asarray(jax.jit(schedule)(jnp.asarray(counts)), np.float64)


# ---------------------------------------------------------------------------
# Parity with optax over 400 steps (optax evaluated per step with vmap).

WCD = dict(init_value=0.1, peak_value=1.0, warmup_steps=5, decay_steps=60, end_value=0.05)
PARITY = {
    "constant": ((0.3,), {}),
    "linear": ((1.0, 0.1, 100, 20), {}),
    "linear_zero_steps": ((1.0, 0.1, 0), {}),
    "polynomial": ((1.0, 0.1, 2.5, 100, 20), {}),
    "piecewise_constant": ((1.0, {50: 0.5, 100: 0.1, 300: 2.0}), {}),
    "piecewise_interpolate_linear": (("linear", 1.0, {0: 2.0, 50: 0.5, 120: 0.1}), {}),
    "piecewise_interpolate_cosine": (("cosine", 1.0, {40: 0.5, 41: 3.0, 200: 0.1}), {}),
    "exponential": ((1.0, 7, 0.5, 10), {}),
    "exponential_staircase_end": ((1.0, 7, 0.5, 10, True, 0.05), {}),
    "exponential_growth_end": ((1.0, 9, 1.5, 3, False, 4.0), {}),
    "cosine_decay": ((1.0, 100, 0.1, 2.0), {}),
    "warmup_constant": ((0.0, 1.0, 30), {}),
    "warmup_cosine_decay": ((0.0, 1.0, 10, 200, 0.1, 1.5), {}),
    "warmup_cosine_decay_no_warmup": ((0.5, 1.0, 0, 200), {}),
    "warmup_exponential_decay": ((0.0, 1.0, 10, 20, 0.8, 5, True, 0.2), {}),
    "linear_onecycle": ((250, 1.0), {}),
    "linear_onecycle_args": ((300, 2.0, 0.1, 0.5, 10.0, 100.0), {}),
    "cosine_onecycle": ((250, 1.0), {}),
    "cosine_onecycle_args": ((123, 2.0, 0.45, 5.0, 50.0), {}),
    "sgdr": (([WCD, {**WCD, "decay_steps": 100}, {**WCD, "warmup_steps": 0}],), {}),
}


FACTORIES = {
    "constant": "constant_schedule",
    "linear": "linear_schedule",
    "polynomial": "polynomial_schedule",
    "piecewise_constant": "piecewise_constant_schedule",
    "piecewise_interpolate": "piecewise_interpolate_schedule",
    "exponential": "exponential_decay",
    "cosine_decay": "cosine_decay_schedule",
    "warmup_constant": "warmup_constant_schedule",
    "warmup_cosine_decay": "warmup_cosine_decay_schedule",
    "warmup_exponential_decay": "warmup_exponential_decay_schedule",
    "linear_onecycle": "linear_onecycle_schedule",
    "cosine_onecycle": "cosine_onecycle_schedule",
    "sgdr": "sgdr_schedule",
}


def _factory(name):
    prefix = max((p for p in FACTORIES if name.startswith(p)), key=len)
    return getattr(gx, FACTORIES[prefix]), getattr(optax, FACTORIES[prefix])


@functools.cache
def parity_values():
    """All PARITY schedules of both libraries, in one jit per library."""
    names = sorted(PARITY)
    ours, theirs = [], []
    for name in names:
        args, kwargs = PARITY[name]
        g, o = _factory(name)
        ours.append(g(*args, **kwargs))
        theirs.append(o(*args, **kwargs))
    got = jax.jit(lambda t: [s(t) for s in ours])(jnp.asarray(T))
    want = jax.jit(jax.vmap(lambda c: [jnp.asarray(s(c), jnp.float64) for s in theirs]))(T)
    return {
        n: (np.asarray(a, np.float64), np.asarray(b))
        for n, a, b in zip(names, got, want, strict=True)
    }


@pytest.mark.parametrize("name", sorted(PARITY))
def test_parity_with_optax(name):
    got, want = parity_values()[name]
    assert got.shape == T.shape and np.all(np.isfinite(got))
    # optax's polynomial_schedule gives NaN under jit once the transition is over
    # (1 - T * (1/T) < 0 raised to a fractional power); compare elsewhere.
    ok = np.isfinite(want)
    assert ok.all() or name == "polynomial"
    # gradtx returns float32 values; optax computes these in float64 under x64.
    np.testing.assert_allclose(got[ok], want[ok], rtol=2e-6, atol=1e-7)


def test_polynomial_past_end_is_end_value_under_jit():
    s = gx.polynomial_schedule(1.0, 0.1, 2.5, 100, 20)
    np.testing.assert_allclose(
        ev(s, [119, 120, 130, 10**6]), [0.1 + 0.9 * 0.01**2.5, 0.1, 0.1, 0.1], rtol=1e-6
    )


# ---------------------------------------------------------------------------
# torch.optim.lr_scheduler closed forms (float64 NumPy transcriptions).

LR = 0.5


def test_step_lr_and_multistep_lr():
    t = T.astype(np.float64)
    step_lr = LR * 0.3 ** np.floor(t / 30)  # StepLR(step_size=30, gamma=0.3)
    np.testing.assert_allclose(
        ev(gx.exponential_decay(LR, 30, 0.3, staircase=True)), step_lr, rtol=1e-6
    )
    bounds = {k: 0.3 for k in range(30, 400, 30)}
    np.testing.assert_allclose(ev(gx.piecewise_constant_schedule(LR, bounds)), step_lr, rtol=1e-6)
    milestones = [50, 120, 121]  # MultiStepLR(milestones, gamma=0.1)
    multi = LR * 0.1 ** np.array([sum(m <= s for m in milestones) for s in T])
    got = ev(gx.piecewise_constant_schedule(LR, {m: 0.1 for m in milestones}))
    np.testing.assert_allclose(got, multi, rtol=1e-6)


def test_exponential_lr():
    want = LR * 0.99 ** T.astype(np.float64)  # ExponentialLR(gamma=0.99)
    np.testing.assert_allclose(ev(gx.exponential_decay(LR, 1, 0.99)), want, rtol=1e-5)


def test_cosine_annealing_lr():
    t_max, eta_min = 150, 0.01
    t = np.arange(0, t_max + 1, dtype=np.float64)
    want = eta_min + (LR - eta_min) * (1 + np.cos(np.pi * t / t_max)) / 2
    got = ev(gx.cosine_decay_schedule(LR, t_max, alpha=eta_min / LR), t.astype(np.int64))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    # and it holds eta_min after T_max
    np.testing.assert_allclose(
        ev(gx.cosine_decay_schedule(LR, t_max, eta_min / LR), [400]), eta_min, rtol=1e-6
    )


def test_linear_lr_and_polynomial_lr():
    t = T.astype(np.float64)
    start, end, total = 0.25, 1.0, 80  # LinearLR(start_factor, end_factor, total_iters)
    want = LR * (start + (end - start) * np.minimum(t, total) / total)
    np.testing.assert_allclose(ev(gx.linear_schedule(LR * start, LR * end, total)), want, rtol=1e-6)
    power = 1.7  # PolynomialLR(total_iters, power)
    want = LR * (1 - np.minimum(t, total) / total) ** power
    got = ev(gx.polynomial_schedule(LR, 0.0, power, total))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-8)


def torch_one_cycle(step, max_lr, total_steps, pct_start, div_factor, final_div_factor):
    """OneCycleLR, anneal_strategy='cos', three_phase=False, as documented by torch."""
    (initial,) = (max_lr / div_factor,)
    min_lr = initial / final_div_factor
    phases = [
        (float(pct_start * total_steps) - 1, initial, max_lr),
        (float(total_steps) - 1, max_lr, min_lr),
    ]
    start = 0.0
    for i, (end_step, lo, hi) in enumerate(phases):
        if step <= end_step or i == len(phases) - 1:
            pct = (step - start) / (end_step - start)
            return hi + (lo - hi) / 2.0 * (math.cos(math.pi * pct) + 1)
        start = end_step


def test_one_cycle_lr():
    # torch ends its phases at pct_start * total - 1 and total - 1; with
    # transition_steps = total - 1 and pct_start * total an integer k with
    # int(pct_start * (total - 1)) == k - 1, both put the peak at the same step.
    total, pct = 101, 30 / 101
    want = [torch_one_cycle(s, 2.0, total, pct, 25.0, 1e4) for s in range(total)]
    sched = gx.cosine_onecycle_schedule(total - 1, 2.0, pct_start=pct)
    got = ev(sched, np.arange(total))
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-9)
    assert np.argmax(got) == 29


def torch_cyclic(step, base, mx, up, down, mode, gamma):
    """CyclicLR.get_lr as documented by torch (scale_fn from ``mode``)."""
    total = up + down
    ratio = up / total
    cycle = math.floor(1 + step / total)
    x = 1.0 + step / total - cycle
    scale = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
    height = (mx - base) * scale
    if mode == "triangular":
        return base + height
    if mode == "triangular2":
        return base + height / (2.0 ** (cycle - 1))
    return base + height * gamma**step


@pytest.mark.parametrize(
    "up,down,mode,gamma",
    [(7, 5, "triangular", 1.0), (4, None, "triangular2", 1.0), (6, 9, "exp_range", 0.995)],
)
def test_cyclic_lr(up, down, mode, gamma):
    want = [torch_cyclic(s, 0.1, 1.0, up, down if down is not None else up, mode, gamma) for s in T]
    got = ev(gx.cyclic_schedule(0.1, 1.0, up, down, mode=mode, gamma=gamma))
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-7)


def test_cyclic_custom_scale_fn():
    got = ev(gx.cyclic_schedule(0.0, 1.0, 5, 5, scale_fn=lambda c: 1.0 / c, scale_mode="cycle"))
    want = [torch_cyclic(s, 0.0, 1.0, 5, 5, "triangular", 1.0) / (s // 10 + 1) for s in T]
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-7)
    it = ev(gx.cyclic_schedule(0.0, 1.0, 5, scale_fn=lambda t: 0.99**t, scale_mode="iterations"))
    np.testing.assert_allclose(
        it, [torch_cyclic(s, 0.0, 1.0, 5, 5, "exp_range", 0.99) for s in T], rtol=2e-5
    )


@pytest.mark.parametrize("t_mult", [1, 2])
def test_cosine_annealing_warm_restarts(t_mult):
    t0, eta_min = 20, 0.02  # CosineAnnealingWarmRestarts(T_0, T_mult, eta_min)
    want = []
    for s in T:
        t_i, t_cur = t0, s
        while t_cur >= t_i:
            t_cur -= t_i
            t_i *= t_mult
        want.append(eta_min + (LR - eta_min) * (1 + math.cos(math.pi * t_cur / t_i)) / 2)
    cycles = [
        dict(
            init_value=LR,
            peak_value=LR,
            warmup_steps=0,
            decay_steps=t0 * t_mult**i,
            end_value=eta_min,
        )
        for i in range(len(T) // t0 + 1)
    ]
    got = ev(gx.sgdr_schedule(cycles))
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-7)


# ---------------------------------------------------------------------------
# Boundary steps and hand-worked values.


def test_boundary_steps():
    lin = ev(gx.linear_schedule(1.0, 0.0, 10, transition_begin=5), [0, 4, 5, 6, 14, 15, 16])
    np.testing.assert_allclose(lin, [1, 1, 1, 0.9, 0.1, 0, 0], atol=1e-7)
    pc = ev(gx.piecewise_constant_schedule(2.0, {10: 0.5, 20: 0.5}), [9, 10, 11, 19, 20])
    np.testing.assert_allclose(pc, [2, 1, 1, 1, 0.5])
    st = ev(gx.exponential_decay(1.0, 4, 0.5, 2, staircase=True), [0, 2, 5, 6, 9, 10])
    np.testing.assert_allclose(st, [1, 1, 1, 0.5, 0.5, 0.25])
    joined = gx.join_schedules([gx.constant_schedule(1.0), gx.linear_schedule(3.0, 1.0, 4)], [10])
    np.testing.assert_allclose(ev(joined, [9, 10, 11, 14, 99]), [1, 3, 2.5, 1, 1])
    wcd = ev(gx.warmup_cosine_decay_schedule(0.0, 1.0, 10, 30, 0.2), [0, 5, 10, 20, 30, 40])
    np.testing.assert_allclose(wcd, [0, 0.5, 1, 0.6, 0.2, 0.2], atol=1e-6)
    # piecewise_interpolate scales accumulate: 1 -> 0.1 -> 0.001.
    pi = ev(
        gx.piecewise_interpolate_schedule("linear", 1.0, {4: 0.1, 8: 0.01}), [0, 2, 4, 6, 8, 10]
    )
    np.testing.assert_allclose(pi, [1, 0.55, 0.1, 0.0505, 0.001, 0.001], rtol=1e-6)


def test_counts_of_any_dtype_and_shape():
    s = gx.warmup_cosine_decay_schedule(0.0, 1.0, 10, 110)
    dtypes = (jnp.int32, jnp.int64, jnp.uint32, jnp.float32, jnp.float64, jnp.int16)
    outs = jax.jit(lambda: [s(jnp.arange(12, dtype=dt)) for dt in dtypes])()
    for out in outs:
        assert out.dtype == jnp.float32
        np.testing.assert_allclose(out, outs[0], rtol=1e-6)
    np.testing.assert_allclose(outs[0][:11], np.arange(11) / 10, rtol=1e-6)
    one = gx.linear_schedule(0.0, 1.0, 4)
    assert one(3).dtype == jnp.float32 and one(3).shape == ()
    assert jax.jit(one)(jnp.zeros((2, 3), jnp.int32)).shape == (2, 3)
    wide = gx.linear_schedule(jnp.float64(1.0), jnp.float64(0.0), 3)
    assert wide(1).dtype == jnp.float64


# ---------------------------------------------------------------------------
# Counts past 2**31 under jit.

BIG = 2**31


def test_huge_counts_exact_boundaries():
    counts = np.array([BIG - 1, BIG, BIG + 5, 2**40, 2**53], np.int64)
    pc = ev(gx.piecewise_constant_schedule(1.0, {BIG + 3: 0.1, 2**40: 0.5}), counts)
    np.testing.assert_allclose(pc, [1, 1, 0.1, 0.05, 0.05], rtol=1e-6)
    # uint32 counts hold 2**31 + 5 without x64 too.
    pc32 = ev(
        gx.piecewise_constant_schedule(1.0, {BIG + 3: 0.1}), np.array([BIG + 2, BIG + 3], np.uint32)
    )
    np.testing.assert_allclose(pc32, [1, 0.1], rtol=1e-6)
    # float64 values keep the resolution of a 2**32-step transition.
    lin = gx.linear_schedule(jnp.float64(1.0), jnp.float64(0.0), 2**32, transition_begin=BIG)
    np.testing.assert_allclose(
        ev(lin, counts),
        [1, 1, 1 - 5 / 2**32, 1 - (2**40 - BIG) / 2**32 if 2**40 - BIG < 2**32 else 0, 0],
    )
    ed = gx.exponential_decay(1.0, BIG, 0.99, staircase=True)
    got = ev(ed, np.array([2 * BIG - 1, 2 * BIG, 2**40], np.int64))
    np.testing.assert_allclose(got, [0.99, 0.99**2, 0.99**512], rtol=1e-5)
    cy = ev(
        gx.cyclic_schedule(0.0, 1.0, BIG), np.array([BIG, BIG + BIG // 2, 2 * BIG + 5], np.int64)
    )
    np.testing.assert_allclose(cy, [1, 0.5, 5 / BIG], rtol=1e-6, atol=1e-9)


def test_huge_counts_smooth_schedules():
    counts = np.array([BIG + 5, 2**39, 2**40], np.int64)
    cos = ev(gx.cosine_decay_schedule(1.0, 2**40), counts)
    want = 0.5 * (1 + np.cos(np.pi * np.minimum(counts / 2**40, 1)))
    np.testing.assert_allclose(cos, want, rtol=1e-6, atol=1e-7)
    assert cos[0] < 1.0  # 2**31 + 5 steps are not mistaken for step 0
    w, d = BIG + 10, 2**41
    f64 = jnp.float64
    wcd = ev(gx.warmup_cosine_decay_schedule(f64(0.0), f64(1.0), w, d, f64(0.1)), counts)
    c = 0.5 * (1 + np.cos(np.pi * (counts[1:] - w) / (d - w)))
    np.testing.assert_allclose(wcd, [(BIG + 5) / w, *(0.1 + 0.9 * c)], rtol=1e-12)
    # A Python int count past int32 and a float count work under jit as well.
    s = gx.sgdr_schedule(
        [dict(init_value=1.0, peak_value=1.0, warmup_steps=0, decay_steps=2**40)] * 2
    )
    np.testing.assert_allclose(float(jax.jit(s)(2**40 + 2**39)), 0.5, atol=1e-6)
    np.testing.assert_allclose(float(s(float(2**39))), 0.5, atol=1e-6)
    # An int32 count never reaches a boundary past 2**31: no overflow, no error.
    j = gx.join_schedules([gx.constant_schedule(1.0), gx.constant_schedule(2.0)], [2**35])
    np.testing.assert_allclose(ev(j, np.array([0, BIG - 1], np.int32)), [1, 1])


# ---------------------------------------------------------------------------
# Errors.


@pytest.mark.parametrize(
    "make,match",
    [
        (
            lambda: gx.linear_schedule(1.0, 0.0, -5),
            MSG_LINEAR_SCHEDULE_TRANSITION_STEPS_5_TRANSITION_STEPS,
        ),
        (
            lambda: gx.polynomial_schedule(1.0, 0.0, 2, 10, -1),
            MSG_TRANSITION_BEGIN_MUST_BE_FINITE_AND_0,
        ),
        (
            lambda: gx.exponential_decay(1.0, 10, -0.5),
            MSG_EXPONENTIAL_DECAY_DECAY_RATE_0_5_DECAY,
        ),
        (lambda: gx.cosine_decay_schedule(1.0, 0), MSG_DECAY_STEPS_MUST_BE_FINITE_AND_0),
        (
            lambda: gx.piecewise_constant_schedule(1.0, {10: -0.1}),
            MSG_SCALES_MUST_BE_0_GOT_SCALE_0,
        ),
        (lambda: gx.piecewise_constant_schedule(1.0, {-10: 0.1}), MSG_MUST_BE_FINITE_AND_0),
        (
            lambda: gx.piecewise_interpolate_schedule("cubic", 1.0),
            MSG_INTERPOLATE_TYPE_MUST_BE_LINEAR_OR_COSINE,
        ),
        (
            lambda: gx.join_schedules([gx.constant_schedule(1.0)] * 3, [10, 5]),
            MSG_BOUNDARIES_MUST_BE_NON_DECREASING_GOT_10,
        ),
        (
            lambda: gx.join_schedules([gx.constant_schedule(1.0)] * 3, [10]),
            MSG_ONE_BOUNDARY_FEWER_THAN_SCHEDULES_GOT_3,
        ),
        (
            lambda: gx.warmup_cosine_decay_schedule(0.0, 1.0, 100, 100),
            MSG_DECAY_STEPS_MUST_BE_WARMUP_STEPS_GOT,
        ),
        (
            lambda: gx.warmup_exponential_decay_schedule(0.0, 1.0, 10, 10, 0.0),
            MSG_WARMUP_EXPONENTIAL_DECAY_SCHEDULE_DECAY_RATE_0,
        ),
        (lambda: gx.linear_onecycle_schedule(0, 1.0), MSG_TRANSITION_STEPS_MUST_BE_FINITE_AND_0),
        (
            lambda: gx.linear_onecycle_schedule(100, 1.0, pct_start=0.5, pct_final=0.4),
            MSG_PCT_FINAL_MUST_BE_IN_0_5,
        ),
        (
            lambda: gx.cosine_onecycle_schedule(100, 1.0, div_factor=0.0),
            MSG_DIV_FACTOR_MUST_BE_IN_0,
        ),
        (
            lambda: gx.sgdr_schedule([dict(init_value=1.0, peak_value=1.0, warmup_steps=0)]),
            MSG_CYCLE_0_HAS_NO_DECAY_STEPS,
        ),
        (lambda: gx.sgdr_schedule([]), MSG_AT_LEAST_ONE_CYCLE),
        (lambda: gx.cyclic_schedule(0.1, 1.0, 10, mode="sine"), MSG_MODE_MUST_BE_ONE_OF),
        (lambda: gx.cyclic_schedule(0.1, 1.0, 0), MSG_STEP_SIZE_UP_MUST_BE_FINITE_AND),
        (
            lambda: gx.cyclic_schedule(0.1, 1.0, 10, mode="exp_range", gamma=0.0),
            MSG_GAMMA_MUST_BE_IN_0,
        ),
    ],
)
def test_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_traced_step_arguments_are_rejected():
    with pytest.raises(TypeError, match=MSG_TRANSITION_STEPS_MUST_BE_A_CONCRETE_NUMBER):
        jax.jit(lambda n: gx.linear_schedule(1.0, 0.0, n)(0))(10)
    # Traced *values* are fine.
    out = jax.jit(lambda v: gx.cosine_decay_schedule(v, 10)(5))(2.0)
    np.testing.assert_allclose(out, 1.0, rtol=1e-6)


def test_without_x64_big_step_arguments_and_counts():
    """Without x64 counts are int32/uint32/float32: step arguments past 2**31 must
    still not overflow, and a Python int count past 2**31 still works."""
    with jax.enable_x64(False):
        scheds = [
            gx.linear_schedule(1.0, 0.0, 2**33, 2**32),
            gx.exponential_decay(1.0, 2**33, 0.5),
            gx.cyclic_schedule(0.0, 1.0, 2**32),
            gx.warmup_cosine_decay_schedule(0.0, 1.0, 2**32, 2**34),
            gx.piecewise_constant_schedule(1.0, {2**31 + 3: 0.1}),
            gx.join_schedules([gx.constant_schedule(1.0), gx.constant_schedule(2.0)], [2**33]),
        ]
        counts = jnp.asarray([2**31 + 2, 2**31 + 3, 2**32 - 1], jnp.uint32)
        got = np.asarray(jax.jit(lambda c: jnp.stack([s(c) for s in scheds]))(counts))
        big = [float(s(2**35)) for s in scheds]
    half = (2**31 + 2) / 2**32
    np.testing.assert_allclose(got[0], 1.0)
    np.testing.assert_allclose(got[1], 0.5 ** (counts / 2**33), rtol=1e-6)
    np.testing.assert_allclose(got[2], [half, half, 1.0], rtol=1e-6)
    np.testing.assert_allclose(got[3], [half, half, 1.0], rtol=1e-6)
    np.testing.assert_allclose(got[4], [1.0, 0.1, 0.1], rtol=1e-6)
    np.testing.assert_allclose(got[5], 1.0)
    np.testing.assert_allclose(big, [0.0, 0.0625, 0.0, 0.0, 0.1, 2.0], rtol=1e-6, atol=1e-7)


def test_negative_counts_clamp_to_zero():
    s = gx.warmup_cosine_decay_schedule(0.25, 1.0, 10, 20)
    np.testing.assert_allclose(ev(s, [-5, 0]), [0.25, 0.25])
