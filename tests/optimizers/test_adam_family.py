"""Numerical tests for the Adam variants: AdaBelief, Yogi, ADOPT, NovoGrad, Adan, AdEMAMix.

Per optimizer: a float64 NumPy transcription of the documented update rule matched
over 12 steps of varied gradients; convergence on the quadratic and on Rosenbrock;
100-step trajectory parity with optax (optax.contrib for adopt and ademamix);
the validation messages.
"""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import optax
import optax.contrib
import pytest

import gradtx as gx
from tests.helpers import QUAD_H, QUAD_X0, ROSEN_X0, quadratic, rosenbrock, run, run_updates
from tests.messages import (
    MSG_DIFFER_AT_PATH_V,
    MSG_GRADTX_ADABELIEF_B1_1_0_B1_MUST,
    MSG_GRADTX_ADABELIEF_EPS_ROOT_1_0_EPS,
    MSG_GRADTX_ADABELIEF_LEARNING_RATE_0_1_LEARNING,
    MSG_GRADTX_ADAN_B3_1_0_B3_MUST,
    MSG_GRADTX_ADAN_LEARNING_RATE_0_1,
    MSG_GRADTX_ADAN_WEIGHT_DECAY_0_1,
    MSG_GRADTX_ADEMAMIX_B3_1_0_B3_MUST,
    MSG_GRADTX_ADEMAMIX_EPS_1_0,
    MSG_GRADTX_ADEMAMIX_LEARNING_RATE_0_1,
    MSG_GRADTX_ADEMAMIX_WEIGHT_DECAY_1_0,
    MSG_GRADTX_ADOPT_B2_1_0_B2_MUST,
    MSG_GRADTX_ADOPT_CLIP_VALUE_FN_2_0,
    MSG_GRADTX_ADOPT_LEARNING_RATE_1_0,
    MSG_GRADTX_NOVOGRAD_B2_1_0_B2_MUST,
    MSG_GRADTX_NOVOGRAD_LEARNING_RATE_0_1,
    MSG_GRADTX_NOVOGRAD_WEIGHT_DECAY_1_0_WEIGHT,
    MSG_GRADTX_SCALE_BY_ADAN_B1_0_5,
    MSG_GRADTX_SCALE_BY_ADEMAMIX_ALPHA_1_0,
    MSG_GRADTX_SCALE_BY_ADOPT_EPS_1_0,
    MSG_GRADTX_SCALE_BY_ADOPT_MU_DTYPE_NOPE,
    MSG_GRADTX_SCALE_BY_BELIEF_B2_0_1,
    MSG_GRADTX_SCALE_BY_NOVOGRAD_EPS_ROOT_1,
    MSG_GRADTX_SCALE_BY_NOVOGRAD_UPDATE_NEEDS_PARAMS,
    MSG_GRADTX_SCALE_BY_YOGI_B1_1_5,
    MSG_GRADTX_SCALE_BY_YOGI_INITIAL_ACCUMULATOR_VALUE,
    MSG_GRADTX_YOGI_EPS_0_001_EPS_MUST,
    MSG_GRADTX_YOGI_LEARNING_RATE_NAN,
)

# ----------------------------------------------------------------------------- references

STEPS = 12
_rng = np.random.default_rng(0)
P0 = {"a": _rng.normal(size=(3,)), "b": _rng.normal(size=(2, 2))}
# Gradient scales jump by orders of magnitude between steps, so that Yogi's sign
# flips and ADOPT's clip bound is reached.
_SCALES = np.exp(2.0 * _rng.normal(size=STEPS))
GRADS = [{k: s * _rng.normal(size=np.shape(v)) for k, v in P0.items()} for s in _SCALES]


def _bc(decay, t):
    return 1.0 - decay**t


def ref_belief(gs, p, lr, b1, b2, eps, eps_root, nesterov=False):
    m = np.zeros_like(p)
    n = np.zeros_like(p)
    out = []
    for t, g in enumerate(gs, 1):
        m = b1 * m + (1 - b1) * g
        n = b2 * n + (1 - b2) * (g - m) ** 2 + eps_root
        if nesterov:
            m_hat = b1 * m / _bc(b1, t + 1) + (1 - b1) * g / _bc(b1, t)
        else:
            m_hat = m / _bc(b1, t)
        p = p - lr * m_hat / (np.sqrt(n / _bc(b2, t)) + eps)
        out.append(p)
    return np.stack(out)


def ref_yogi(gs, p, lr, b1, b2, eps, eps_root=0.0, init=1e-6):
    m = np.full_like(p, init)
    n = np.full_like(p, init)
    out = []
    for t, g in enumerate(gs, 1):
        m = b1 * m + (1 - b1) * g
        n = n - (1 - b2) * np.sign(n - g * g) * g * g
        p = p - lr * (m / _bc(b1, t)) / (np.sqrt(n / _bc(b2, t) + eps_root) + eps)
        out.append(p)
    return np.stack(out)


def ref_adopt(gs, p, lr, b1, b2, eps, nesterov=False, clip=True):
    m = np.zeros_like(p)
    n = np.zeros_like(p)
    out = []
    for t, g in enumerate(gs):
        if t == 0:
            n = g * g
            out.append(p)
            continue
        x = g / np.maximum(np.sqrt(n), eps)
        if clip:
            x = np.clip(x, -(t**0.25), t**0.25)
        m = b1 * m + (1 - b1) * x
        n = b2 * n + (1 - b2) * g * g
        u = b1 * m + (1 - b1) * x if nesterov else m
        p = p - lr * u
        out.append(p)
    return np.stack(out)


def ref_novograd(gs, p, lr, b1, b2, eps, eps_root, wd):
    m = np.zeros_like(p)
    n = 0.0
    out = []
    for t, g in enumerate(gs, 1):
        sq = np.sum(g * g)
        n = sq if t == 1 else b2 * n + (1 - b2) * sq
        x = g / (np.sqrt(n + eps_root) + eps) + wd * p
        m = x if t == 1 else b1 * m + x
        p = p - lr * m
        out.append(p)
    return np.stack(out)


def ref_adan(gs, p, lr, b1, b2, b3, eps, eps_root, wd):
    m, v, n, g_prev = (np.zeros_like(p) for _ in range(4))
    out = []
    for t, g in enumerate(gs, 1):
        d = np.zeros_like(g) if t == 1 else g - g_prev
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * d
        n = b3 * n + (1 - b3) * (g + (1 - b2) * d) ** 2
        u = (m / _bc(b1, t) + (1 - b2) * v / _bc(b2, t)) / (
            np.sqrt(n / _bc(b3, t) + eps_root) + eps
        )
        p = p - lr * (u + wd * p)
        g_prev = g
        out.append(p)
    return np.stack(out)


def ref_ademamix(gs, p, lr, b1, b2, b3_fn, alpha_fn, eps, eps_root, wd):
    m, m_slow, n = (np.zeros_like(p) for _ in range(3))
    out = []
    for t, g in enumerate(gs, 1):
        b3, alpha = float(b3_fn(t - 1)), float(alpha_fn(t - 1))
        m = b1 * m + (1 - b1) * g
        m_slow = b3 * m_slow + (1 - b3) * g
        n = b2 * n + (1 - b2) * g * g
        u = (m / _bc(b1, t) + alpha * m_slow) / (np.sqrt(n / _bc(b2, t) + eps_root) + eps)
        p = p - lr * (u + wd * p)
        out.append(p)
    return np.stack(out)


def _b3_sched(c):
    return 0.9 + 0.09 * jnp.minimum(c / 5.0, 1.0)


def _alpha_sched(c):
    return 4.0 * jnp.minimum(c / 5.0, 1.0)


REFERENCE_CASES = {
    "adabelief": (
        lambda: gx.adabelief(0.1, b1=0.8, b2=0.9, eps=1e-8, eps_root=1e-10),
        lambda gs, p: ref_belief(gs, p, 0.1, 0.8, 0.9, 1e-8, 1e-10),
    ),
    "adabelief_nesterov": (
        lambda: gx.adabelief(0.1, nesterov=True),
        lambda gs, p: ref_belief(gs, p, 0.1, 0.9, 0.999, 1e-16, 1e-16, nesterov=True),
    ),
    "yogi": (
        lambda: gx.yogi(0.1, b1=0.8, b2=0.95, eps=1e-2),
        lambda gs, p: ref_yogi(gs, p, 0.1, 0.8, 0.95, 1e-2),
    ),
    "scale_by_yogi": (
        lambda: gx.chain(
            gx.scale_by_yogi(eps_root=1e-4, initial_accumulator_value=0.5), gx.scale(-0.1)
        ),
        lambda gs, p: ref_yogi(gs, p, 0.1, 0.9, 0.999, 1e-3, 1e-4, 0.5),
    ),
    "adopt": (
        lambda: gx.adopt(0.1, b1=0.8, b2=0.9),
        lambda gs, p: ref_adopt(gs, p, 0.1, 0.8, 0.9, 1e-6),
    ),
    "adopt_nesterov_noclip": (
        lambda: gx.adopt(0.1, b2=0.9, eps=1e-3, nesterov=True, use_clipping=False),
        lambda gs, p: ref_adopt(gs, p, 0.1, 0.9, 0.9, 1e-3, nesterov=True, clip=False),
    ),
    "novograd": (
        lambda: gx.novograd(0.1, b1=0.8, b2=0.5, eps=1e-3, eps_root=1e-4, weight_decay=0.1),
        lambda gs, p: ref_novograd(gs, p, 0.1, 0.8, 0.5, 1e-3, 1e-4, 0.1),
    ),
    "adan": (
        lambda: gx.adan(0.1, b1=0.9, b2=0.8, b3=0.95, eps=1e-6, weight_decay=0.1),
        lambda gs, p: ref_adan(gs, p, 0.1, 0.9, 0.8, 0.95, 1e-6, 1e-8, 0.1),
    ),
    "ademamix": (
        lambda: gx.ademamix(
            0.1,
            b1=0.8,
            b2=0.9,
            b3=_b3_sched,
            alpha=_alpha_sched,
            eps=1e-6,
            eps_root=1e-8,
            weight_decay=0.1,
        ),
        lambda gs, p: ref_ademamix(gs, p, 0.1, 0.8, 0.9, _b3_sched, _alpha_sched, 1e-6, 1e-8, 0.1),
    ),
}


@pytest.mark.parametrize("name", list(REFERENCE_CASES))
def test_matches_float64_reference(name):
    make, ref = REFERENCE_CASES[name]
    got = run_updates(make(), GRADS, jax.tree.map(jnp.asarray, P0))
    for k, p0 in P0.items():
        want = ref([g[k] for g in GRADS], p0)
        assert got[k].dtype == jnp.float64
        np.testing.assert_allclose(np.asarray(got[k]), want, rtol=1e-10, atol=1e-12)


def test_reference_exercises_clipping_and_sign_flips():
    """The gradient sequence reaches ADOPT's clip bound and flips Yogi's sign, so the
    references above test those branches (and would fail without them)."""
    gs = [g["a"] for g in GRADS]
    clipped = ref_adopt(gs, P0["a"], 0.1, 0.8, 0.9, 1e-6)
    unclipped = ref_adopt(gs, P0["a"], 0.1, 0.8, 0.9, 1e-6, clip=False)
    assert np.max(np.abs(clipped - unclipped)) > 1e-2
    n, signs = np.full(3, 1e-6), set()
    for g in gs:
        signs |= set(np.sign(n - g * g).tolist())
        n = n - 0.05 * np.sign(n - g * g) * g * g
    assert signs == {-1.0, 1.0}


# ----------------------------------------------------------------------------- convergence

CONVERGENCE_CASES = {
    # name: (optimizer on the quadratic, steps, bound), (on Rosenbrock, steps, bound)
    "adabelief": ((gx.adabelief(0.1), 500, 1e-8), (gx.adabelief(0.02), 2000, 1e-3)),
    "yogi": ((gx.yogi(0.1), 500, 1e-8), (gx.yogi(0.1), 2000, 1e-6)),
    # ADOPT's nu_{t-1} remembers Rosenbrock's steep start for ~1 / (1 - b2) steps, and
    # its normalised steps need a decaying learning rate to settle in the valley.
    "adopt": (
        (gx.adopt(0.1), 500, 1e-8),
        (gx.adopt(lambda c: 0.05 * 0.999**c, b2=0.99), 3000, 1e-5),
    ),
    # normalised steps of length ~learning_rate / (1 - b1): converges to within that.
    "novograd": ((gx.novograd(0.01), 500, 1e-3), (gx.novograd(0.005), 2000, 1e-2)),
    "adan": ((gx.adan(0.1), 500, 1e-3), (gx.adan(0.02), 2000, 1e-6)),
    # the paper's advice for short runs: a smaller b3.
    "ademamix": ((gx.ademamix(0.1, b3=0.99), 500, 1e-8), (gx.ademamix(0.01, b3=0.99), 2000, 1e-6)),
}


@pytest.mark.parametrize("name", list(CONVERGENCE_CASES))
def test_converges(name):
    (tx_q, n_q, bound_q), (tx_r, n_r, bound_r) = CONVERGENCE_CASES[name]
    p, losses = run(tx_q, quadratic, QUAD_X0, n_q)
    assert float(quadratic(p)) < bound_q, float(quadratic(p))
    assert float(losses[0]) > 9.0
    p, _ = run(tx_r, rosenbrock, ROSEN_X0, n_r)
    assert float(rosenbrock(p)) < bound_r, float(rosenbrock(p))


# ----------------------------------------------------------------------------- optax parity

PARITY_STEPS = 100


def _parity_loss(params):
    # Rosenbrock on one leaf and the quadratic on another, coupled, so that
    # NovoGrad's per-leaf norms see two different leaves.
    x, y = params["x"], params["y"]
    return (
        rosenbrock({"x": x})
        + quadratic({"x": y})
        + 0.1 * jnp.sum(x) * jnp.sum(jnp.asarray(QUAD_H, y.dtype) * y)
    )


def _trajectory(tx):
    @jax.jit
    def go(params):
        def step(carry, _):
            p, s = carry
            g = jax.grad(_parity_loss)(p)
            u, s = tx.update(g, s, p)
            p = jax.tree.map(lambda a, b: a + b, p, u)
            return (p, s), p

        return jax.lax.scan(step, (params, tx.init(params)), None, length=PARITY_STEPS)[1]

    return go({"x": jnp.asarray(ROSEN_X0, jnp.float32), "y": jnp.asarray(QUAD_X0, jnp.float32)})


def _warm(peak):
    return lambda c: peak * jnp.minimum(c / 20.0, 1.0)


PARITY_CASES = {
    "adabelief": (lambda m: m.adabelief(0.01), gx),
    "adabelief_nesterov": (lambda m: m.adabelief(0.01, b1=0.8, nesterov=True), gx),
    "yogi": (lambda m: m.yogi(0.01), gx),
    "scale_by_yogi": (
        lambda m: m.chain(
            m.scale_by_yogi(b2=0.99, eps_root=1e-8, initial_accumulator_value=1e-3),
            m.scale(-0.01),
        ),
        gx,
    ),
    "novograd": (lambda m: m.novograd(0.01, weight_decay=1e-3), gx),
    "adan": (lambda m: m.adan(0.01, weight_decay=1e-3), gx),
    "adopt": (lambda m: m.adopt(0.01), optax.contrib),
    "adopt_nesterov_noclip": (
        lambda m: m.adopt(0.01, b2=0.999, nesterov=True, use_clipping=False),
        optax.contrib,
    ),
    "ademamix": (lambda m: m.ademamix(0.01), optax.contrib),
    "ademamix_schedules": (
        lambda m: m.ademamix(
            0.01,
            b3=lambda c: 0.9 + 0.09 * jnp.minimum(c / 20.0, 1.0),
            alpha=_warm(5.0),
            weight_decay=1e-3,
        ),
        optax.contrib,
    ),
}
# Bound on the largest |gradtx - optax| over the 100 float32 steps, relative to
# max(|optax|, 1). Measured (jax 0.10.2, optax 0.2.8, CPU): bitwise equal for all
# cases but novograd, 1.9e-6 there (gradtx sums |g|^2 where optax squares the norm).
PARITY_RTOL = {"novograd": 2e-5}


@pytest.mark.parametrize("name", list(PARITY_CASES))
def test_trajectory_matches_optax(name):
    build, optax_module = PARITY_CASES[name]
    ours = _trajectory(build(gx))
    theirs = _trajectory(build(optax if optax_module is gx else optax_module))
    for k in ("x", "y"):
        a, b = np.asarray(ours[k], np.float64), np.asarray(theirs[k], np.float64)
        assert np.all(np.isfinite(a))
        err = np.max(np.abs(a - b) / np.maximum(np.abs(b), 1.0))
        assert err <= PARITY_RTOL.get(name, 1e-6), f"{name}[{k}]: max relative deviation {err:.2e}"
    # the run moved: parity of two trajectories that stand still would prove nothing
    assert np.max(np.abs(np.asarray(ours["x"][-1]) - ROSEN_X0)) > 1e-2


# ----------------------------------------------------------------------------- API details

SIGNATURE_CASES = [
    ("scale_by_belief", optax.scale_by_belief),
    ("adabelief", optax.adabelief),
    ("scale_by_yogi", optax.scale_by_yogi),
    ("yogi", optax.yogi),
    ("scale_by_novograd", optax.scale_by_novograd),
    ("novograd", optax.novograd),
    ("scale_by_adan", optax.scale_by_adan),
    ("adan", optax.adan),
    ("scale_by_adopt", optax.contrib.scale_by_adopt),
    ("adopt", optax.contrib.adopt),
    ("scale_by_ademamix", optax.contrib.scale_by_ademamix),
    ("ademamix", optax.contrib.ademamix),
]


@pytest.mark.parametrize("name,theirs", SIGNATURE_CASES, ids=[n for n, _ in SIGNATURE_CASES])
def test_signature_matches_optax(name, theirs):
    ours = inspect.signature(getattr(gx, name)).parameters
    theirs = inspect.signature(theirs).parameters
    assert list(ours) == list(theirs)
    for arg, p in ours.items():
        q = theirs[arg]
        assert p.kind == q.kind, arg
        if q.default is not inspect.Parameter.empty and callable(
            q.default
        ):  # ADOPT's clip schedule: compare values
            assert float(p.default(jnp.int32(16))) == float(q.default(jnp.int32(16))) == 2.0
        else:
            assert p.default == q.default, arg


def test_state_types():
    p = {"w": jnp.ones((2, 3))}
    assert isinstance(gx.adabelief(0.1).init(p)[0], gx.ScaleByBeliefState)
    assert isinstance(gx.yogi(0.1).init(p)[0], gx.ScaleByYogiState)
    assert isinstance(gx.adopt(0.1).init(p)[0], gx.ScaleByAdoptState)
    assert isinstance(gx.adan(0.1).init(p)[0], gx.ScaleByAdanState)
    assert isinstance(gx.ademamix(0.1).init(p)[0], gx.ScaleByAdemamixState)
    s = gx.novograd(0.1).init(p)[0]
    assert isinstance(s, gx.ScaleByNovogradState)
    assert s.nu["w"].shape == ()  # one scalar per leaf


def test_adopt_first_step_is_zero_even_with_eps_zero():
    tx = gx.adopt(0.1, eps=0.0, use_clipping=False)
    g = jnp.array([1.0, 0.0, -3.0])
    u, s = jax.jit(tx.update)(g, tx.init(g))
    np.testing.assert_array_equal(np.asarray(u), 0.0)
    np.testing.assert_array_equal(np.asarray(s[0].nu), [1.0, 0.0, 9.0])


def test_novograd_params_needed_only_with_weight_decay():
    g = {"w": jnp.array([3.0, 4.0])}
    tx = gx.scale_by_novograd()
    u, _ = jax.jit(tx.update)(g, tx.init(g))
    np.testing.assert_allclose(np.asarray(u["w"]), [0.6, 0.8], rtol=1e-6)
    tx = gx.scale_by_novograd(weight_decay=0.1)
    with pytest.raises(ValueError, match=MSG_GRADTX_SCALE_BY_NOVOGRAD_UPDATE_NEEDS_PARAMS):
        tx.update(g, tx.init(g))


def test_novograd_structure_mismatch_names_path():
    tx = gx.novograd(0.1)
    state = tx.init({"w": jnp.zeros(2)})
    with pytest.raises(gx.StateMismatchError, match=MSG_DIFFER_AT_PATH_V):
        tx.update({"v": jnp.zeros(2)}, state, {"v": jnp.zeros(2)})


ERROR_CASES = [
    (
        lambda: gx.adabelief(0.1, b1=1.0),
        MSG_GRADTX_ADABELIEF_B1_1_0_B1_MUST,
    ),
    (
        lambda: gx.scale_by_belief(b2=-0.1),
        MSG_GRADTX_SCALE_BY_BELIEF_B2_0_1,
    ),
    (
        lambda: gx.adabelief(0.1, eps_root=-1.0),
        MSG_GRADTX_ADABELIEF_EPS_ROOT_1_0_EPS,
    ),
    (
        lambda: gx.adabelief(-0.1),
        MSG_GRADTX_ADABELIEF_LEARNING_RATE_0_1_LEARNING,
    ),
    (lambda: gx.yogi(0.1, eps=-1e-3), MSG_GRADTX_YOGI_EPS_0_001_EPS_MUST),
    (lambda: gx.yogi(float("nan")), MSG_GRADTX_YOGI_LEARNING_RATE_NAN),
    (
        lambda: gx.scale_by_yogi(initial_accumulator_value=-1.0),
        MSG_GRADTX_SCALE_BY_YOGI_INITIAL_ACCUMULATOR_VALUE,
    ),
    (lambda: gx.scale_by_yogi(b1=1.5), MSG_GRADTX_SCALE_BY_YOGI_B1_1_5),
    (lambda: gx.adopt(0.1, b2=1.0), MSG_GRADTX_ADOPT_B2_1_0_B2_MUST),
    (lambda: gx.scale_by_adopt(eps=-1.0), MSG_GRADTX_SCALE_BY_ADOPT_EPS_1_0),
    (lambda: gx.adopt(-1.0), MSG_GRADTX_ADOPT_LEARNING_RATE_1_0),
    (lambda: gx.novograd(0.1, b2=1.0), MSG_GRADTX_NOVOGRAD_B2_1_0_B2_MUST),
    (
        lambda: gx.novograd(0.1, weight_decay=-1.0),
        MSG_GRADTX_NOVOGRAD_WEIGHT_DECAY_1_0_WEIGHT,
    ),
    (lambda: gx.scale_by_novograd(eps_root=-1.0), MSG_GRADTX_SCALE_BY_NOVOGRAD_EPS_ROOT_1),
    (lambda: gx.novograd(-0.1), MSG_GRADTX_NOVOGRAD_LEARNING_RATE_0_1),
    (lambda: gx.adan(0.1, b3=1.0), MSG_GRADTX_ADAN_B3_1_0_B3_MUST),
    (lambda: gx.scale_by_adan(b1=-0.5), MSG_GRADTX_SCALE_BY_ADAN_B1_0_5),
    (lambda: gx.adan(0.1, weight_decay=-0.1), MSG_GRADTX_ADAN_WEIGHT_DECAY_0_1),
    (lambda: gx.adan(-0.1), MSG_GRADTX_ADAN_LEARNING_RATE_0_1),
    (lambda: gx.ademamix(0.1, b3=1.0), MSG_GRADTX_ADEMAMIX_B3_1_0_B3_MUST),
    (
        lambda: gx.scale_by_ademamix(alpha=-1.0),
        MSG_GRADTX_SCALE_BY_ADEMAMIX_ALPHA_1_0,
    ),
    (lambda: gx.ademamix(0.1, eps=-1.0), MSG_GRADTX_ADEMAMIX_EPS_1_0),
    (lambda: gx.ademamix(0.1, weight_decay=-1.0), MSG_GRADTX_ADEMAMIX_WEIGHT_DECAY_1_0),
    (lambda: gx.ademamix(-0.1), MSG_GRADTX_ADEMAMIX_LEARNING_RATE_0_1),
]


@pytest.mark.parametrize("make,match", ERROR_CASES)
def test_validation_messages(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_validation_type_errors():
    with pytest.raises(TypeError, match=MSG_GRADTX_ADOPT_CLIP_VALUE_FN_2_0):
        gx.adopt(0.1, clip_value_fn=2.0)
    with pytest.raises(TypeError, match=MSG_GRADTX_SCALE_BY_ADOPT_MU_DTYPE_NOPE):
        gx.scale_by_adopt(mu_dtype="nope")


def test_schedules_and_arrays_are_not_validated_away():
    # schedules and traced values pass construction-time validation
    gx.ademamix(lambda c: 0.1, b3=lambda c: 0.99, alpha=lambda c: 5.0)
    gx.novograd(0.1, weight_decay=lambda c: 0.01)
    gx.yogi(jnp.asarray(0.1), b1=jnp.asarray(0.9))
