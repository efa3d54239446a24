"""Numerical tests for gradtx/_sign.py and gradtx/_trust.py.

Per optimizer: a float64 NumPy transcription of the documented update rule
matched over 12 steps; convergence on the quadratic and on Rosenbrock; 100-step
trajectory parity with optax's function of the same name; error messages.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradtx as gx
from tests.helpers import QUAD_X0, ROSEN_X0, quadratic, rosenbrock, run, run_updates
from tests.messages import (
    MSG_DIFFER_AT_PATH_B,
    MSG_GRADTX_ADAPTIVE_GRAD_CLIP_AXIS_X_AXIS,
    MSG_GRADTX_ADAPTIVE_GRAD_CLIP_CLIPPING_0_1,
    MSG_GRADTX_ADAPTIVE_GRAD_CLIP_EPS_1_0,
    MSG_GRADTX_CLIP_BY_BLOCK_RMS_THRESHOLD_0,
    MSG_GRADTX_FROMAGE_LEARNING_RATE_0_1,
    MSG_GRADTX_FROMAGE_MIN_NORM_1_0,
    MSG_GRADTX_LAMB_B1_1_0_B1_MUST,
    MSG_GRADTX_LAMB_EPS_ROOT_1_0,
    MSG_GRADTX_LAMB_WEIGHT_DECAY_1_0,
    MSG_GRADTX_LARS_LEARNING_RATE_0_1,
    MSG_GRADTX_LARS_MOMENTUM_1_0_MOMENTUM_MUST,
    MSG_GRADTX_LARS_TRUST_COEFFICIENT_1_0,
    MSG_GRADTX_LION_B2_1_0,
    MSG_GRADTX_LION_LEARNING_RATE_0_001_LEARNING,
    MSG_GRADTX_LION_WEIGHT_DECAY_0_1_WEIGHT,
    MSG_GRADTX_SCALE_BY_LION_B1_1_5,
    MSG_GRADTX_SIGN_SGD_LEARNING_RATE_0_1,
    MSG_GRADTX_SIGN_SGD_LEARNING_RATE_INF_LEARNING,
    MSG_GRADTX_SIGNUM_ACCUMULATOR_DTYPE_NOPE,
    MSG_GRADTX_SIGNUM_BETA_1_0_BETA_MUST,
    MSG_SCALE_BY_LION_B2_1_0_B2,
    MSG_SCALE_BY_LION_MODE_SOFT_MODE_MUST,
    MSG_SCALE_BY_PARAM_BLOCK_NORM_MIN_SCALE,
    MSG_SCALE_BY_PARAM_BLOCK_RMS_MIN_SCALE,
    MSG_SCALE_BY_TRUST_RATIO_EPS_0_001,
    MSG_SCALE_BY_TRUST_RATIO_MIN_NORM_1,
    MSG_SHAPE_2_2_2_2_2_2,
    MSG_SMOOTH_BETA_MUST_BE_IN_0_INF,
    MSG_TRUST_COEFFICIENT_MUST_BE_IN_0_INF,
)

# ---------------------------------------------------------------------------
# A tree that exercises every block rule: a matrix, a zero-initialised bias
# (trust ratio 1, norm floors), an HWIO kernel and a padded vector (1, 5).

SHAPES = {"w": (3, 4), "b": (4,), "k": (2, 2, 3, 2), "v": (1, 5)}
GRAD_SCALE = {"w": 1.0, "b": 0.01, "k": 3.0, "v": 0.3}
N_STEPS = 12


def _params0():
    rng = np.random.default_rng(0)
    p = {k: rng.normal(size=s) for k, s in SHAPES.items()}
    p["b"] = np.zeros(SHAPES["b"])
    return p


def _grads():
    rng = np.random.default_rng(1)
    return [
        {k: GRAD_SCALE[k] * rng.normal(size=s) for k, s in SHAPES.items()} for _ in range(N_STEPS)
    ]


def _check_reference(tx, step_fn, init_fn=lambda p: None, rtol=1e-10, atol=1e-12):
    """Run ``tx`` in float64 on the fixed gradient sequence and compare every step
    with the NumPy transcription ``step_fn(params, grads, state, t) -> (params, state)``."""
    p0 = _params0()
    grads = _grads()
    got = run_updates(
        tx,
        [jax.tree.map(jnp.asarray, g) for g in grads],
        jax.tree.map(jnp.asarray, p0),
    )
    p = {k: v.copy() for k, v in p0.items()}
    s = init_fn(p)
    for t, g in enumerate(grads, start=1):
        p, s = step_fn(p, g, s, t)
        for k in SHAPES:
            np.testing.assert_allclose(
                np.asarray(got[k][t - 1]), p[k], rtol=rtol, atol=atol, err_msg=f"step {t}, {k}"
            )
    return p


def _norm(x):
    return float(np.sqrt(np.sum(x * x)))


def _trust(p, d, tc=1.0, eps=0.0, min_norm=0.0):
    pn, dn = max(_norm(p), min_norm), max(_norm(d), min_norm)
    return 1.0 if pn == 0 or dn == 0 else tc * pn / (dn + eps)


def _unit_axes(shape):
    if sum(d != 1 for d in shape) <= 1:
        return None
    return {2: (0,), 3: (0,), 4: (0, 1, 2), 5: (0, 1, 2, 3)}[len(shape)]


# ---------------------------------------------------------------------------
# float64 references, 12 steps


def test_sign_sgd_reference():
    lr = 0.03
    _check_reference(
        gx.sign_sgd(lr), lambda p, g, s, t: ({k: p[k] - lr * np.sign(g[k]) for k in p}, s)
    )


def test_signum_reference():
    lr, beta = 0.03, 0.8

    def step(p, g, m, t):
        m = {k: beta * m[k] + (1 - beta) * g[k] for k in p}
        return {k: p[k] - lr * np.sign(m[k]) for k in p}, m

    _check_reference(gx.signum(lr, beta), step, lambda p: {k: 0 * v for k, v in p.items()})


def test_lion_reference():
    lr, b1, b2, wd = 0.02, 0.7, 0.95, 0.1

    def step(p, g, m, t):
        c = {k: b1 * m[k] + (1 - b1) * g[k] for k in p}
        new_p = {k: p[k] - lr * (np.sign(c[k]) + wd * p[k]) for k in p}
        m = {k: b2 * m[k] + (1 - b2) * g[k] for k in p}
        return new_p, m

    _check_reference(
        gx.lion(lr, b1, b2, weight_decay=wd), step, lambda p: {k: 0 * v for k, v in p.items()}
    )


@pytest.mark.parametrize(
    "mode, direction",
    [
        ("smooth", lambda c: np.tanh(2.5 * c)),
        ("refined", lambda c: np.where(np.abs(c) < 1.0, c, np.sign(c))),
    ],
)
def test_scale_by_lion_modes_reference(mode, direction):
    lr, b1, b2 = 0.1, 0.5, 0.9
    tx = gx.chain(gx.scale_by_lion(b1, b2, mode=mode, smooth_beta=2.5), gx.scale(-lr))

    def step(p, g, m, t):
        new_p = {k: p[k] - lr * direction(b1 * m[k] + (1 - b1) * g[k]) for k in p}
        return new_p, {k: b2 * m[k] + (1 - b2) * g[k] for k in p}

    _check_reference(tx, step, lambda p: {k: 0 * v for k, v in p.items()})


def test_lamb_reference():
    lr, b1, b2, eps, wd = 0.05, 0.8, 0.95, 1e-6, 0.01

    def step(p, g, s, t):
        m, v = s
        m = {k: b1 * m[k] + (1 - b1) * g[k] for k in p}
        v = {k: b2 * v[k] + (1 - b2) * g[k] ** 2 for k in p}
        new_p = {}
        for k in p:
            d = (m[k] / (1 - b1**t)) / (np.sqrt(v[k] / (1 - b2**t)) + eps) + wd * p[k]
            new_p[k] = p[k] - lr * _trust(p[k], d) * d
        return new_p, (m, v)

    zeros = lambda p: ({k: 0 * x for k, x in p.items()}, {k: 0 * x for k, x in p.items()})
    _check_reference(gx.lamb(lr, b1, b2, eps, weight_decay=wd), step, zeros, rtol=1e-10)


@pytest.mark.parametrize("nesterov", [False, True])
def test_lars_reference(nesterov):
    lr, wd, tc, eps, mom = 0.5, 0.01, 0.02, 1e-3, 0.8
    wd_mask = {"w": True, "b": False, "k": True, "v": False}
    tr_mask = {"w": True, "b": True, "k": False, "v": True}
    tx = gx.lars(lr, wd, wd_mask, tc, eps, tr_mask, mom, nesterov)

    def step(p, g, mu, t):
        new_p, new_mu = {}, {}
        for k in p:
            d = g[k] + wd * p[k] if wd_mask[k] else g[k]
            if tr_mask[k]:
                d = _trust(p[k], d, tc, eps) * d
            s = -lr * d
            new_mu[k] = s + mom * mu[k]
            new_p[k] = p[k] + (s + mom * new_mu[k] if nesterov else new_mu[k])
        return new_p, new_mu

    _check_reference(tx, step, lambda p: {k: 0 * v for k, v in p.items()})


def test_fromage_reference():
    lr, min_norm = 0.1, 0.05  # the floor bites on the small bias gradients

    def step(p, g, s, t):
        new_p = {}
        for k in p:
            r = _trust(p[k], g[k], min_norm=min_norm)
            new_p[k] = (p[k] - lr * r * g[k]) / np.sqrt(1 + lr**2)
        return new_p, s

    _check_reference(gx.fromage(lr, min_norm), step)


def test_fromage_schedule_reference():
    sched = lambda c: 0.2 / (1.0 + c)

    def step(p, g, s, t):
        lr = 0.2 / t
        return {
            k: (p[k] - lr * _trust(p[k], g[k], min_norm=1e-6) * g[k]) / np.sqrt(1 + lr**2)
            for k in p
        }, s

    _check_reference(gx.fromage(sched), step)


def _stateless_case(name):
    """(transformation, NumPy u(g, p) for one leaf) for each stateless block."""
    if name == "scale_by_trust_ratio":
        return gx.scale_by_trust_ratio(
            0.05, 0.3, 1e-3
        ), lambda g, p: _trust(p, g, 0.3, 1e-3, 0.05) * g
    if name == "scale_by_param_block_norm":
        return gx.scale_by_param_block_norm(0.1), lambda g, p: max(_norm(p), 0.1) * g
    if name == "scale_by_param_block_rms":
        return gx.scale_by_param_block_rms(0.1), lambda g, p: max(np.sqrt(np.mean(p * p)), 0.1) * g
    if name == "centralize":
        return (
            gx.centralize(),
            lambda g, p: (
                g - g.mean(axis=tuple(range(1, g.ndim)), keepdims=True) if g.ndim > 1 else g
            ),
        )
    if name == "clip_by_block_rms":
        return gx.clip_by_block_rms(0.5), lambda g, p: g / max(1.0, np.sqrt(np.mean(g * g)) / 0.5)
    if name == "adaptive_grad_clip":

        def agc(g, p):
            ax = _unit_axes(g.shape)
            gn = np.sqrt(np.sum(g * g, axis=ax, keepdims=True))
            pn = np.sqrt(np.sum(p * p, axis=ax, keepdims=True))
            mx = 1.0 * np.maximum(pn, 1e-3)
            return np.where(gn < mx, g, g * mx / np.maximum(gn, 1e-6))

        return gx.adaptive_grad_clip(1.0), agc
    raise KeyError(name)


STATELESS = [
    "scale_by_trust_ratio",
    "scale_by_param_block_norm",
    "scale_by_param_block_rms",
    "centralize",
    "clip_by_block_rms",
    "adaptive_grad_clip",
]


@pytest.mark.parametrize("name", STATELESS)
def test_stateless_block_reference(name):
    lr = 0.1
    block, u = _stateless_case(name)
    _check_reference(
        gx.chain(block, gx.scale(-lr)),
        lambda p, g, s, t: ({k: p[k] - lr * u(g[k], p[k]) for k in p}, s),
    )


def test_clipping_actually_clips():
    # The reference tests above would pass for an identity if nothing were clipped.
    g = _grads()[0]
    p = _params0()
    _, agc = _stateless_case("adaptive_grad_clip")
    same = np.concatenate([np.ravel(agc(g[k], p[k]) == g[k]) for k in g])
    assert 0.1 < same.mean() < 0.9  # some units clipped, others not
    _, cbr = _stateless_case("clip_by_block_rms")
    assert any(not np.allclose(cbr(g[k], p[k]), g[k]) for k in g)
    assert any(np.allclose(cbr(g[k], p[k]), g[k]) for k in g)


# ---------------------------------------------------------------------------
# Convergence (float64)


def _decay(lr, n0, rate):
    """Constant ``lr`` for ``n0`` steps, then exponential decay."""
    return lambda c: lr * jnp.where(c < n0, 1.0, rate ** (c - n0))


# Sign methods keep moving by learning_rate per coordinate: on the quadratic,
# assert that every coordinate ends within a few learning rates of 0.
@pytest.mark.parametrize(
    "name, tx, steps, radius",
    [
        ("sign_sgd", gx.sign_sgd(0.01), 400, 0.01),
        ("signum", gx.signum(0.01), 400, 0.03),
        ("lion", gx.lion(0.01, weight_decay=0.0), 800, 0.03),
    ],
)
def test_sign_methods_reach_a_neighbourhood_of_the_quadratic_minimum(name, tx, steps, radius):
    p, losses = run(tx, quadratic, QUAD_X0, steps, dtype=jnp.float64)
    assert np.max(np.abs(np.asarray(p["x"]))) <= radius * (1 + 1e-9), name
    assert float(losses[0]) > 5.0


@pytest.mark.parametrize(
    "name, tx, steps",
    [
        ("lamb", gx.lamb(0.05), 500),
        ("lars", gx.lars(1.0, trust_coefficient=0.02), 500),
        ("fromage", gx.fromage(0.05), 500),
    ],
)
def test_trust_methods_converge_on_quadratic(name, tx, steps):
    p, _ = run(tx, quadratic, QUAD_X0, steps, dtype=jnp.float64)
    assert float(quadratic(p)) < 1e-12, name


@pytest.mark.parametrize(
    "name, tx, steps, loss_bound, dist_bound",
    [
        ("signum", gx.signum(lambda c: 0.01 / jnp.sqrt(1.0 + c / 10)), 3000, 1e-3, 0.05),
        ("lion", gx.lion(_decay(2e-3, 2000, 0.998), weight_decay=0.0), 3000, 1e-6, 1e-3),
        ("lamb", gx.lamb(_decay(0.02, 1000, 0.997)), 3000, 1e-5, 1e-3),
        ("lars", gx.lars(_decay(1.0, 1000, 0.997), trust_coefficient=0.01), 3000, 1e-5, 1e-2),
        ("fromage", gx.fromage(_decay(0.03, 1500, 0.997)), 3000, 1e-6, 1e-3),
        # signSGD has no momentum and zig-zags slowly along the curved valley:
        # a neighbourhood bound only (the start has loss 24.2).
        ("sign_sgd", gx.sign_sgd(lambda c: 0.01 / jnp.sqrt(1.0 + c / 10)), 4000, 0.06, 0.4),
    ],
)
def test_converges_on_rosenbrock(name, tx, steps, loss_bound, dist_bound):
    p, losses = run(tx, rosenbrock, ROSEN_X0, steps, dtype=jnp.float64)
    x = np.asarray(p["x"])
    assert float(rosenbrock(p)) < loss_bound, (name, x)
    assert np.max(np.abs(x - 1.0)) < dist_bound, (name, x)
    assert float(losses[0]) > 24.0


# ---------------------------------------------------------------------------
# 100-step trajectory parity with optax (float32)


def _parity_loss(params):
    total = 0.0
    for i, k in enumerate(sorted(params)):
        d = params[k] - 0.5 * (i + 1)
        total = total + 0.5 * (i + 1) * jnp.sum(d * d) + 0.05 * jnp.sum(d**4)
    return total


def _trajectories(tx_a, tx_b, steps=100):
    with jax.enable_x64(False):  # as users run them
        return _trajectories_x32(tx_a, tx_b, steps)


def _trajectories_x32(tx_a, tx_b, steps):
    params = jax.tree.map(lambda x: jnp.asarray(x, jnp.float32), _params0())
    params["b"] = params["b"] + 0.1  # nonzero so that trust ratios differ from 1

    def traj(tx):
        def step(carry, _):
            p, s = carry
            g = jax.grad(_parity_loss)(p)
            u, s = tx.update(g, s, p)
            p = jax.tree.map(lambda a, b: a + b, p, u)
            return (p, s), p

        return jax.lax.scan(step, (params, tx.init(params)), None, length=steps)[1]

    return jax.jit(lambda: (traj(tx_a), traj(tx_b)))()


def _chain_sgd(mod, name, *args, **kw):
    return mod.chain(getattr(mod, name)(*args, **kw), mod.scale(-0.05))


PARITY = {
    "sign_sgd": lambda m: m.sign_sgd(0.01),  # scale_by_sign
    "signum": lambda m: m.signum(0.01, 0.8),
    "lion": lambda m: m.lion(0.01, 0.8, 0.95, weight_decay=0.05),  # scale_by_lion
    "scale_by_lion_smooth": lambda m: m.chain(
        m.scale_by_lion(0.8, 0.95, mode="smooth", smooth_beta=3.0), m.scale(-0.02)
    ),
    "lamb": lambda m: m.lamb(0.02, weight_decay=0.01),
    "lars": lambda m: m.lars(0.5, 0.01, trust_coefficient=0.02, nesterov=True),
    "fromage": lambda m: m.fromage(0.02),
    "fromage_schedule": lambda m: m.fromage(lambda c: 0.02 / (1 + c)),
    # The stateless blocks, two chains in which every block changes the updates.
    "trust_ratio_block_rms": lambda m: m.chain(
        m.scale_by_trust_ratio(0.01, 0.5, 1e-3), m.scale_by_param_block_rms(), m.scale(-0.05)
    ),
    "centralize_agc_block_rms_block_norm": lambda m: m.chain(
        m.centralize(),
        m.adaptive_grad_clip(0.1),
        m.clip_by_block_rms(0.05),
        m.scale_by_param_block_norm(),
        m.scale(-0.1),
    ),
}


# Parity tolerance per entry: bitwise unless listed. This chain's float32 results
# differ from optax's by a few ulp (4e-7 absolute on params of size ~1 after 100 steps).
PARITY_TOL = {"centralize_agc_block_rms_block_norm": 1e-6}


@pytest.mark.parametrize("name", list(PARITY))
def test_trajectory_matches_optax(name):
    ours, theirs = _trajectories(PARITY[name](gx), PARITY[name](optax))
    tol = PARITY_TOL.get(name, 0.0)
    for k in SHAPES:
        np.testing.assert_allclose(
            np.asarray(ours[k]), np.asarray(theirs[k]), rtol=tol, atol=tol, err_msg=k
        )
    moved = max(float(jnp.max(jnp.abs(ours[k][-1] - ours[k][0]))) for k in SHAPES)
    assert moved > 1e-2, "the trajectory barely moved; the parity check would be vacuous"


def test_lamb_trajectory_matches_optax_with_x64_enabled():
    # float32 params with x64 on: both libraries take Adam's bias correction
    # 1 - b**t in float64 and cast it, so the trajectories are still bitwise equal.
    ours, theirs = _trajectories_x32(PARITY["lamb"](gx), PARITY["lamb"](optax), 100)
    for k in SHAPES:
        assert ours[k].dtype == jnp.float32
        np.testing.assert_array_equal(np.asarray(ours[k]), np.asarray(theirs[k]), err_msg=k)


# ---------------------------------------------------------------------------
# Traced hyperparameters: vmap over the learning rate equals separate runs.


def test_traced_learning_rate_fromage():
    # fromage derives its shrink factor from the learning rate: a traced value
    # takes the jnp branch, a Python float the Python one; both must agree.
    lrs = np.array([0.01, 0.03])
    grads = [jax.tree.map(jnp.asarray, g) for g in _grads()[:5]]
    batched = jax.vmap(lambda lr: run_updates(gx.fromage(lr), grads, _params0()))(jnp.asarray(lrs))
    single = run_updates(gx.fromage(float(lrs[1])), grads, _params0())
    for k in SHAPES:
        np.testing.assert_allclose(np.asarray(batched[k][1]), np.asarray(single[k]), rtol=1e-12)


# ---------------------------------------------------------------------------
# Errors


ERRORS = [
    (
        lambda: gx.scale_by_lion(b1=1.5),
        MSG_GRADTX_SCALE_BY_LION_B1_1_5,
    ),
    (lambda: gx.scale_by_lion(b2=1.0), MSG_SCALE_BY_LION_B2_1_0_B2),
    (
        lambda: gx.scale_by_lion(mode="soft"),
        MSG_SCALE_BY_LION_MODE_SOFT_MODE_MUST,
    ),
    (lambda: gx.scale_by_lion(smooth_beta=0.0), MSG_SMOOTH_BETA_MUST_BE_IN_0_INF),
    (
        lambda: gx.lion(-1e-3),
        MSG_GRADTX_LION_LEARNING_RATE_0_001_LEARNING,
    ),
    (lambda: gx.lion(1e-3, b2=1.0), MSG_GRADTX_LION_B2_1_0),
    (
        lambda: gx.lion(1e-3, weight_decay=-0.1),
        MSG_GRADTX_LION_WEIGHT_DECAY_0_1_WEIGHT,
    ),
    (lambda: gx.sign_sgd(-0.1), MSG_GRADTX_SIGN_SGD_LEARNING_RATE_0_1),
    (
        lambda: gx.sign_sgd(float("inf")),
        MSG_GRADTX_SIGN_SGD_LEARNING_RATE_INF_LEARNING,
    ),
    (lambda: gx.signum(0.1, beta=1.0), MSG_GRADTX_SIGNUM_BETA_1_0_BETA_MUST),
    (
        lambda: gx.scale_by_trust_ratio(min_norm=-1.0),
        MSG_SCALE_BY_TRUST_RATIO_MIN_NORM_1,
    ),
    (
        lambda: gx.scale_by_trust_ratio(trust_coefficient=0.0),
        MSG_TRUST_COEFFICIENT_MUST_BE_IN_0_INF,
    ),
    (lambda: gx.scale_by_trust_ratio(eps=-1e-3), MSG_SCALE_BY_TRUST_RATIO_EPS_0_001),
    (lambda: gx.lamb(0.1, b1=1.0), MSG_GRADTX_LAMB_B1_1_0_B1_MUST),
    (lambda: gx.lamb(0.1, eps_root=-1.0), MSG_GRADTX_LAMB_EPS_ROOT_1_0),
    (lambda: gx.lamb(0.1, weight_decay=-1.0), MSG_GRADTX_LAMB_WEIGHT_DECAY_1_0),
    (
        lambda: gx.lars(0.1, momentum=1.0),
        MSG_GRADTX_LARS_MOMENTUM_1_0_MOMENTUM_MUST,
    ),
    (lambda: gx.lars(0.1, trust_coefficient=-1.0), MSG_GRADTX_LARS_TRUST_COEFFICIENT_1_0),
    (lambda: gx.lars(-0.1), MSG_GRADTX_LARS_LEARNING_RATE_0_1),
    (lambda: gx.fromage(-0.1), MSG_GRADTX_FROMAGE_LEARNING_RATE_0_1),
    (lambda: gx.fromage(0.1, min_norm=-1.0), MSG_GRADTX_FROMAGE_MIN_NORM_1_0),
    (lambda: gx.scale_by_param_block_norm(-1.0), MSG_SCALE_BY_PARAM_BLOCK_NORM_MIN_SCALE),
    (lambda: gx.scale_by_param_block_rms(-1.0), MSG_SCALE_BY_PARAM_BLOCK_RMS_MIN_SCALE),
    (
        lambda: gx.clip_by_block_rms(0.0),
        MSG_GRADTX_CLIP_BY_BLOCK_RMS_THRESHOLD_0,
    ),
    (lambda: gx.adaptive_grad_clip(-0.1), MSG_GRADTX_ADAPTIVE_GRAD_CLIP_CLIPPING_0_1),
    (lambda: gx.adaptive_grad_clip(0.1, eps=-1.0), MSG_GRADTX_ADAPTIVE_GRAD_CLIP_EPS_1_0),
]


@pytest.mark.parametrize("make, match", ERRORS)
def test_construction_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_type_errors():
    with pytest.raises(TypeError, match=MSG_GRADTX_SIGNUM_ACCUMULATOR_DTYPE_NOPE):
        gx.signum(0.1, accumulator_dtype="nope")
    with pytest.raises(TypeError, match=MSG_GRADTX_ADAPTIVE_GRAD_CLIP_AXIS_X_AXIS):
        gx.adaptive_grad_clip(0.1, axis="x")


@pytest.mark.parametrize(
    "tx, name",
    [
        (gx.scale_by_trust_ratio(), "scale_by_trust_ratio"),
        (gx.lamb(0.1), "add_decayed_weights"),
        (gx.fromage(0.1), "scale_by_trust_ratio"),
        (gx.scale_by_param_block_norm(), "scale_by_param_block_norm"),
        (gx.scale_by_param_block_rms(), "scale_by_param_block_rms"),
        (gx.adaptive_grad_clip(0.1), "adaptive_grad_clip"),
    ],
)
def test_update_needs_params(tx, name):
    x = jnp.ones(3)
    with pytest.raises(ValueError, match=rf"gradtx\.{name}: update needs params"):
        tx.update(x, tx.init(x))


def test_adaptive_grad_clip_rank_six_needs_axis():
    x = jnp.ones((2,) * 6)
    tx = gx.adaptive_grad_clip(0.1)
    with pytest.raises(ValueError, match=MSG_SHAPE_2_2_2_2_2_2):
        tx.update(x, tx.init(x), x)
    tx = gx.adaptive_grad_clip(0.1, axis=(0, 1))
    assert tx.update(x, tx.init(x), x)[0].shape == x.shape


def test_mismatched_trees_name_the_path():
    tx = gx.scale_by_trust_ratio()
    p = {"a": jnp.ones(3), "b": jnp.ones(2)}
    g = {"a": jnp.ones(3), "b": jnp.ones(4)}
    with pytest.raises(ValueError, match=MSG_DIFFER_AT_PATH_B):
        tx.update(g, tx.init(p), p)


def test_gradients_through_norm_floors_are_finite():
    # Meta-gradients through the update must stay finite where a block is zero.
    p = {"w": jnp.zeros(3), "b": jnp.array([0.5, -1.0])}
    g = {"w": jnp.zeros(3), "b": jnp.array([0.1, 0.2])}
    for tx in (
        gx.scale_by_trust_ratio(),
        gx.scale_by_trust_ratio(min_norm=1e-3),
        gx.scale_by_param_block_norm(),
        gx.scale_by_param_block_rms(),
    ):

        def f(p, tx=tx):
            u, _ = tx.update(g, tx.init(p), p)
            return sum(jnp.sum(x) for x in jax.tree.leaves(u))

        grads = jax.grad(f)(p)
        assert all(bool(jnp.all(jnp.isfinite(x))) for x in jax.tree.leaves(grads))
