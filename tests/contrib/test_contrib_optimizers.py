"""Schedule-free, Prodigy and Sophia: NumPy references, convergence, optax parity, errors."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradtx as gx
from tests.helpers import QUAD_X0, ROSEN_X0, quadratic, rosenbrock, run_updates
from tests.messages import (
    MSG_B1_MUST_BE_IN_0_1,
    MSG_BASE_OPTIMIZER_MUST_BE_A_GRADIENTTRANSFORMATION,
    MSG_BETAS_1_MUST_BE_IN_0_1,
    MSG_GRADTX_SCHEDULE_FREE_B1_0_0_B1,
    MSG_HESSIAN_UPDATE_NEEDS_THE_PARAMS,
    MSG_HOLDS_2_SCHEDULEFREESTATES,
    MSG_HOLDS_NO_SCHEDULEFREESTATE,
    MSG_MU_DTYPE_MUST_BE_A_DTYPE,
    MSG_NEEDS_THE_EXTRA_ARGUMENT_OBJ_FN,
    MSG_PRODIGY_BETA3_1_0,
    MSG_PRODIGY_BETAS_0_1_0_BETAS_0,
    MSG_PRODIGY_BETAS_0_9_BETAS_MUST_BE,
    MSG_PRODIGY_EPS_1_0,
    MSG_PRODIGY_ESTIM_LR0_0_0_ESTIM_LR0,
    MSG_PRODIGY_ESTIM_LR_COEF_0_0,
    MSG_PRODIGY_LEARNING_RATE_1_0,
    MSG_PRODIGY_UPDATE_NEEDS_THE_PARAMS,
    MSG_PRODIGY_WEIGHT_DECAY_1_0,
    MSG_SCALE_BY_SOPHIA_B1_0_1,
    MSG_SCALE_BY_SOPHIA_UPDATE_NEEDS_THE_PARAMS,
    MSG_SCHEDULE_FREE_ADAMW_B2_1_0_B2,
    MSG_SCHEDULE_FREE_ADAMW_EPS_1E_08,
    MSG_SCHEDULE_FREE_ADAMW_LEARNING_RATE_1_0,
    MSG_SCHEDULE_FREE_ADAMW_WARMUP_STEPS_0_WARMUP,
    MSG_SCHEDULE_FREE_ADAMW_WEIGHT_DECAY,
    MSG_SCHEDULE_FREE_LEARNING_RATE_0_1_LEARNING,
    MSG_SCHEDULE_FREE_SGD_B1_0_0,
    MSG_SCHEDULE_FREE_SGD_WARMUP_STEPS_0_WARMUP,
    MSG_SCHEDULE_FREE_SGD_WARMUP_STEPS_2_5,
    MSG_SCHEDULE_FREE_SGD_WEIGHT_DECAY_1_0,
    MSG_SCHEDULE_FREE_UPDATE_NEEDS_THE_PARAMS,
    MSG_SCHEDULE_FREE_WEIGHT_LR_POWER_1_0,
    MSG_SOPHIA_B1_1_0_B1_MUST_BE,
    MSG_SOPHIA_B2_0_5,
    MSG_SOPHIA_CLIP_THRESHOLD_0_0_CLIP_THRESHOLD,
    MSG_SOPHIA_EPS_1_0,
    MSG_SOPHIA_GAMMA_1_0,
    MSG_SOPHIA_LEARNING_RATE_0_1,
    MSG_SOPHIA_PRINT_WIN_RATE_EVERY_N_STEPS,
    MSG_SOPHIA_UPDATE_INTERVAL_0_UPDATE_INTERVAL_MUST,
    MSG_SOPHIA_WEIGHT_DECAY_1_0,
    MSG_STATE_DTYPE_MUST_BE_A_DTYPE,
)

RNG = np.random.default_rng(0)
GRADS = [RNG.normal(size=3) for _ in range(12)]
Y0 = np.array([0.5, -1.0, 2.0])


def params_after(tx, grads=GRADS, y0=Y0):
    """float64 params after each step, for a fixed gradient sequence."""
    ps = run_updates(tx, [{"x": jnp.asarray(g)} for g in grads], {"x": jnp.asarray(y0)})
    return np.asarray(ps["x"])


def trajectory(tx, loss, x0, steps, dtype=jnp.float64, obj=False):
    """Params after each of ``steps`` gradient steps on ``loss`` (one lax.scan), and the
    final state. ``obj=True`` passes ``obj_fn=loss`` (Sophia's Hessian estimator)."""
    extra = {"obj_fn": loss} if obj else {}

    @jax.jit
    def go(p):
        def step(carry, _):
            p, s = carry
            u, s = tx.update(jax.grad(loss)(p), s, p, **extra)
            p = gx.apply_updates(p, u)
            return (p, s), p["x"]

        (_, s), xs = jax.lax.scan(step, (p, tx.init(p)), None, length=steps)
        return xs, s

    xs, s = go({"x": jnp.asarray(x0, dtype)})
    return np.asarray(xs), s


# ----------------------------------------------------------------- references


def warmup(peak, steps):
    """The linear warmup of schedule_free_sgd/adamw: optax's
    warmup_constant_schedule(0, peak, steps), float32 (the int32 count over an int),
    evaluated under jit as the optimizer does. Compiled, XLA rounds
    ``peak - peak * frac`` differently from NumPy float32 or eager jax (at 1/5 of a
    warmup to 0.05: 0.0099999998 vs 0.0099999979)."""
    if steps is None:
        return lambda c: peak
    sched = jax.jit(optax.warmup_constant_schedule(0.0, peak, steps))
    return lambda c: float(sched(jnp.asarray(c, jnp.int32)))


def ref_schedule_free(base_step, lr_fn, b1, power, grads=GRADS, y0=Y0):
    """The update rule of gradtx.schedule_free, with ``base_step(g, y, k)`` the base
    optimizer's update at its 0-based count k. Returns (ys, zs)."""
    y, z = y0.copy(), y0.copy()
    max_lr = weight_sum = 0.0
    ys, zs = [], []
    for k, g in enumerate(grads):
        max_lr = max(max_lr, lr_fn(k + 1))
        w = max_lr**power
        weight_sum += w
        c = w / weight_sum if weight_sum > 0 else 0.0
        z_new = z + base_step(g, y, k)
        x = (1 - c) * (y - (1 - b1) * z) / b1 + c * z_new
        y, z = b1 * x + (1 - b1) * z_new, z_new
        ys.append(y)
        zs.append(z)
    return np.array(ys), np.array(zs)


def sgd_base(lr_fn, wd):
    return lambda g, y, k: -lr_fn(k) * (g + wd * y)


def adamw_base(lr_fn, b2, eps, wd):
    nu = [np.zeros(3)]

    def step(g, y, k):
        nu[0] = b2 * nu[0] + (1 - b2) * g * g
        n_hat = nu[0] / (1 - b2 ** (k + 1))
        return -lr_fn(k) * (g / (np.sqrt(n_hat) + eps) + wd * y)

    return step


@pytest.mark.parametrize(
    "warmup_steps, wd, b1, power", [(None, None, 0.9, 2.0), (4, 0.1, 0.8, 1.0)]
)
def test_schedule_free_sgd_matches_reference(warmup_steps, wd, b1, power):
    lr_fn = warmup(0.3, warmup_steps)
    want, _ = ref_schedule_free(sgd_base(lr_fn, wd or 0.0), lr_fn, b1, power)
    tx = gx.schedule_free_sgd(0.3, warmup_steps, b1, wd, power)
    np.testing.assert_allclose(params_after(tx), want, rtol=1e-12, atol=1e-12)


def test_schedule_free_adamw_matches_reference():
    lr_fn = warmup(0.05, 5)
    want, zs = ref_schedule_free(adamw_base(lr_fn, 0.99, 1e-3, 0.1), lr_fn, 0.95, 2.0)
    tx = gx.schedule_free_adamw(0.05, 5, b1=0.95, b2=0.99, eps=1e-3, weight_decay=0.1)
    np.testing.assert_allclose(params_after(tx), want, rtol=1e-12, atol=1e-12)


def ref_prodigy(lr_fn, b1, b2, b3, eps, d0, coef, wd, safeguard, grads=GRADS, x=Y0):
    x0, x = x.copy(), x.copy()
    m, v, s = np.zeros(3), np.zeros(3), np.zeros(3)
    r, d = 0.0, d0
    xs, ds = [], []
    for k, g in enumerate(grads):
        dlr = d * lr_fn(k) * np.sqrt(1 - b2 ** (k + 1)) / (1 - b1 ** (k + 1))
        m = b1 * m + (1 - b1) * d * g
        v = b2 * v + (1 - b2) * d * d * g * g
        s = b3 * s + (d if safeguard else dlr) * d * g / d0
        r = b3 * r + (d / d0) * dlr * np.dot(g, x0 - x)
        d_new = max(d, coef * r / np.sum(np.abs(s)))
        x = x - dlr * (m / (np.sqrt(v) + d_new * eps) + wd * x)
        d = d_new
        xs.append(x)
        ds.append(d)
    return np.array(xs), np.array(ds)


# With random gradients <g, x0 - x> is often negative and d would stay at d0;
# gradients that point towards the minimum of |x|^2 / 2 make d grow.
GRADS_DESCENT = [Y0 * (1 + 0.2 * RNG.normal(size=3)) for _ in range(15)]


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {
            "learning_rate": 0.8,
            "betas": (0.8, 0.95),
            "beta3": 0.7,
            "eps": 1e-2,
            "estim_lr0": 1e-3,
            "estim_lr_coef": 0.5,
            "weight_decay": 0.1,
            "safeguard_warmup": True,
        },
    ],
    ids=["default", "all_options"],
)
def test_prodigy_matches_reference(kwargs):
    k = {
        "learning_rate": 1.0, "betas": (0.9, 0.999), "beta3": None, "eps": 1e-8,
        "estim_lr0": 1e-6, "estim_lr_coef": 1.0, "weight_decay": 0.0, "safeguard_warmup": False,
    } | kwargs  # fmt: skip
    b1, b2 = k["betas"]
    b3 = np.sqrt(b2) if k["beta3"] is None else k["beta3"]
    lr = k["learning_rate"]
    want, ds = ref_prodigy(
        lambda c: lr, b1, b2, b3, k["eps"], k["estim_lr0"], k["estim_lr_coef"],
        k["weight_decay"], k["safeguard_warmup"], grads=GRADS_DESCENT,
    )  # fmt: skip
    assert ds[-1] > 4 * k["estim_lr0"]  # d actually adapted
    got = params_after(gx.prodigy(**kwargs), grads=GRADS_DESCENT)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)


def test_prodigy_schedule_is_read_at_zero_based_count():
    sched = lambda c: 1.0 / (1.0 + c)  # noqa: E731
    want, _ = ref_prodigy(
        lambda c: 1.0 / (1.0 + c), 0.9, 0.999, np.sqrt(0.999), 1e-8, 1e-6, 1.0, 0.0, False,
        grads=GRADS_DESCENT,
    )  # fmt: skip
    got = params_after(gx.prodigy(sched), grads=GRADS_DESCENT)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)


# A separable loss: its Hessian is diagonal, so one Hutchinson probe is exact and
# the Sophia reference can use the true diagonal 3 a x^2 + h.
SEP_A = np.array([0.5, 1.0, 2.0, 0.1])
SEP_H = np.array([1.0, 0.2, 3.0, 0.5])


def separable(params):
    x = params["x"]
    return jnp.sum(SEP_A * x**4 / 4 + SEP_H * x**2 / 2)


def ref_sophia(lr, b1, b2, eps, wd, gamma, clip, k, x, steps):
    m, nu = np.zeros_like(x), np.zeros_like(x)
    xs = []
    for t in range(1, steps + 1):
        g = SEP_A * x**3 + SEP_H * x
        m = b1 * m + (1 - b1) * g
        u = (m / (1 - b1**t)) / np.maximum(gamma * nu, eps)
        if clip is not None:
            u = np.clip(u, -clip, clip)
        if (t - 1) % k == 0:
            nu = b2 * nu + (1 - b2) * (3 * SEP_A * x**2 + SEP_H)
        x = x - lr * (u + wd * x)
        xs.append(x)
    return np.array(xs)


@pytest.mark.parametrize(
    "lr, b1, b2, eps, wd, gamma, clip, k",
    [(0.05, 0.965, 0.99, 1e-8, 1e-4, 0.01, 1.0, 10), (0.2, 0.9, 0.8, 0.5, 0.1, 0.5, None, 3)],
)
def test_sophia_matches_reference(lr, b1, b2, eps, wd, gamma, clip, k):
    x0 = np.array([1.5, -2.0, 0.3, 1.0])
    want = ref_sophia(lr, b1, b2, eps, wd, gamma, clip, k, x0, 25)
    tx = gx.sophia(lr, b1, b2, eps, wd, gamma=gamma, clip_threshold=clip, update_interval=k)
    got, _ = trajectory(tx, separable, x0, 25, obj=True)
    assert np.all(np.isfinite(want)) and np.abs(want[-1] - x0).max() > 0.1
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- convergence


def eval_point(state, xs):
    return np.asarray(gx.schedule_free_eval_params(state, {"x": jnp.asarray(xs[-1])})["x"])


def loss_at(loss, x):
    return float(loss({"x": jnp.asarray(x)}))


@pytest.mark.parametrize(
    "make, quad_tol, rosen_tol",
    [
        (lambda: gx.schedule_free_sgd(0.5, warmup_steps=10), 1e-8, None),
        (lambda: gx.schedule_free_sgd(2e-3, warmup_steps=10), None, 1e-2),
        (lambda: gx.schedule_free_adamw(0.1, warmup_steps=10), 1e-5, 1e-2),
    ],
    ids=["sgd_quad", "sgd_rosen", "adamw"],
)
def test_schedule_free_converges(make, quad_tol, rosen_tol):
    """Loss at the evaluation point x, float32, constant learning rate after warmup."""
    if quad_tol is not None:
        xs, s = trajectory(make(), quadratic, QUAD_X0, 500, jnp.float32)
        assert loss_at(quadratic, eval_point(s, xs)) < quad_tol
    if rosen_tol is not None:
        xs, s = trajectory(make(), rosenbrock, ROSEN_X0, 3000, jnp.float32)
        assert loss_at(rosenbrock, eval_point(s, xs)) < rosen_tol


def test_prodigy_converges():
    """No learning rate to tune: the default finds the scale from d0 = 1e-6."""
    xs, _ = trajectory(gx.prodigy(), quadratic, QUAD_X0, 500, jnp.float32)
    assert loss_at(quadratic, xs[-1]) < 1e-12
    xs, _ = trajectory(gx.prodigy(), rosenbrock, ROSEN_X0, 3000, jnp.float32)
    assert loss_at(rosenbrock, xs[-1]) < 1e-2


def test_sophia_converges():
    tx = gx.sophia(0.05, weight_decay=0.0)
    xs, _ = trajectory(tx, quadratic, QUAD_X0, 1000, jnp.float32, obj=True)
    assert loss_at(quadratic, xs[-1]) < 1e-10
    xs, _ = trajectory(tx, rosenbrock, ROSEN_X0, 1000, jnp.float32, obj=True)
    assert loss_at(rosenbrock, xs[-1]) < 1e-8
    # Least squares with a non-diagonal Hessian A^T A: Hutchinson's estimate is noisy.
    a = np.random.default_rng(3).normal(size=(8, 4))
    b = a @ np.array([1.0, -2.0, 0.5, 3.0])

    def lsq(params):
        return 0.5 * jnp.sum((a @ params["x"] - b) ** 2)

    xs, _ = trajectory(tx, lsq, np.zeros(4), 1000, obj=True)
    np.testing.assert_allclose(xs[-1], [1.0, -2.0, 0.5, 3.0], atol=1e-4)


# ------------------------------------------------------------- optax parity


PARITY = [
    ("schedule_free_sgd", {"learning_rate": 1e-3, "warmup_steps": 10, "weight_decay": 1e-2}),
    ("schedule_free_adamw", {"learning_rate": 0.05, "warmup_steps": 10, "weight_decay": 0.1}),
    ("prodigy", {}),
    (
        "prodigy",
        {"learning_rate": 0.5, "beta3": 0.9, "weight_decay": 0.01, "safeguard_warmup": True},
    ),
    ("sophia", {"learning_rate": 0.01, "update_interval": 3}),
]


@pytest.mark.parametrize(
    "name, kwargs", PARITY, ids=[f"{n}-{i}" for i, (n, _) in enumerate(PARITY)]
)
def test_trajectory_matches_optax_contrib(name, kwargs):
    """100 steps on Rosenbrock in float64 against optax.contrib.<name>."""
    obj = name == "sophia"
    want, ws = trajectory(
        getattr(optax.contrib, name)(**kwargs), rosenbrock, ROSEN_X0, 100, obj=obj
    )
    got, gs = trajectory(getattr(gx, name)(**kwargs), rosenbrock, ROSEN_X0, 100, obj=obj)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert np.abs(want[-1] - want[0]).max() > 1e-3  # the run did move
    if name.startswith("schedule_free"):
        np.testing.assert_allclose(
            eval_point(gs, got), eval_point(ws, want), rtol=1e-12, atol=1e-12
        )
        assert int(gs.step_count) == int(ws.step_count) == 101


def test_schedule_free_wrapper_matches_optax_float32():
    """The wrapper around Adam(b1=0) and around SGD, with a warmup schedule, float32,
    100 steps; the eval params agree too."""
    sched = lambda c: 0.05 * jnp.minimum(c, 10) / 10  # noqa: E731

    kw = {"b1": 0.95, "weight_lr_power": 1.0}
    ref = optax.contrib.schedule_free(optax.adam(sched, b1=0.0), sched, **kw)
    want, _ = trajectory(ref, quadratic, QUAD_X0, 100, jnp.float32)
    got, _ = trajectory(
        gx.schedule_free(gx.adam(sched, b1=0.0), sched, **kw), quadratic, QUAD_X0, 100, jnp.float32
    )
    np.testing.assert_array_equal(got, want)
    ref = optax.contrib.schedule_free(optax.sgd(sched), sched, **kw)
    want, ws = trajectory(ref, quadratic, QUAD_X0, 100, jnp.float32)
    got, gs = trajectory(
        gx.schedule_free(gx.sgd(sched), sched, **kw), quadratic, QUAD_X0, 100, jnp.float32
    )
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(eval_point(gs, got), eval_point(ws, want))


def test_sophia_multi_leaf_signs_match_optax():
    """Probe signs are drawn leaf by leaf as in optax; a two-leaf least squares."""
    a = np.random.default_rng(4).normal(size=(6, 3))

    def loss(p):
        return 0.5 * jnp.sum((a @ p["w"] + p["b"] - 1.0) ** 2) + jnp.sum(p["w"] ** 4)

    p0 = {"w": jnp.array([0.3, -0.2, 0.5]), "b": jnp.array(0.1)}

    def go(tx):
        def step(carry, _):
            p, s = carry
            u, s = tx.update(jax.grad(loss)(p), s, p, obj_fn=loss)
            return (gx.apply_updates(p, u), s), None

        (p, s), _ = jax.lax.scan(step, (p0, tx.init(p0)), None, length=30)
        return p, s

    (pw, sw), (pg, sg) = (
        go(optax.contrib.sophia(0.05, update_interval=1)),
        go(gx.sophia(0.05, update_interval=1)),
    )
    for k in ("w", "b"):
        np.testing.assert_allclose(pg[k], pw[k], rtol=1e-12)
        np.testing.assert_allclose(sg[0].nu[k], sw[0].nu[k], rtol=1e-12)


# ----------------------------------------------------------------- Hutchinson


def test_hutchinson_is_unbiased_within_statistical_bound():
    """Mean of N probes vs the exact diagonal; per entry the estimator's variance is
    sum_{j != i} H_ij^2, so the mean is within 5 standard errors."""
    m = np.array([[2.0, 0.5, -0.3], [0.5, 1.0, 0.8], [-0.3, 0.8, 3.0]])
    x = jnp.array([0.4, -0.7, 1.1])

    def f(p):
        return 0.5 * p @ m @ p + jnp.sum(jnp.sin(p) * p**2)

    n = 4000
    est = gx.hutchinson_estimator_diag_hessian()

    @jax.jit
    def go(key):
        keys = jax.random.split(key, n)
        probe = lambda k: est.update(x, gx.HutchinsonState(k), x, obj_fn=f)[0]  # noqa: E731
        return jax.hessian(f)(x), jax.vmap(probe)(keys)

    h, probes = (np.asarray(a) for a in go(jax.random.PRNGKey(42)))
    exact = np.diag(h)
    sigma = np.sqrt(np.sum(h**2, axis=1) - exact**2)
    assert np.all(np.abs(probes.mean(0) - exact) < 5 * sigma / np.sqrt(n))
    # Not trivially exact: single probes do scatter with the predicted spread.
    np.testing.assert_allclose(probes.std(0), sigma, rtol=0.1)


def test_hutchinson_exact_on_diagonal_hessian_mixed_dtypes_and_key_advances():
    def f(p):
        return jnp.sum(p["a"].astype(jnp.float32) ** 3) + jnp.sum(jnp.exp(p["b"]))

    p = {"a": jnp.array([1.0, -2.0], jnp.bfloat16), "b": jnp.array([0.0, 1.0], jnp.float32)}
    est = gx.hutchinson_estimator_diag_hessian(jax.random.PRNGKey(7))
    s0 = est.init(p)
    h, s1 = jax.jit(lambda s, q: est.update(None, s, q, obj_fn=f))(s0, p)
    assert h["a"].dtype == jnp.bfloat16 and h["b"].dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(h["a"], np.float32), [6.0, -12.0])
    np.testing.assert_allclose(h["b"], np.exp([0.0, 1.0]), rtol=1e-6)
    assert not np.array_equal(s0.key, s1.key)
    np.testing.assert_array_equal(s0.key, jax.random.PRNGKey(7))


def test_sophia_refreshes_curvature_every_update_interval_steps():
    tx = gx.scale_by_sophia(b2=0.5, update_interval=3)
    p = {"x": jnp.array([1.0, 2.0])}
    f = lambda q: jnp.sum(q["x"] ** 2)  # noqa: E731  Hessian diagonal 2
    update = jax.jit(lambda s: tx.update(p, s, p, obj_fn=f))
    s = tx.init(p)
    nus, us = [], []
    for _ in range(7):
        u, s = update(s)
        nus.append(float(s.nu["x"][0]))
        us.append(np.asarray(u["x"]))
    # refreshed at steps 1, 4, 7: 1, 1.5, 1.75
    np.testing.assert_allclose(nus, [1, 1, 1, 1.5, 1.5, 1.5, 1.75])
    # first step: nu was 0, so the step is clipped sign descent
    np.testing.assert_allclose(us[0], [1.0, 1.0])
    # second step: mu_hat = g = p, nu = 1, gamma = 0.01: clipped again
    np.testing.assert_allclose(us[1], [1.0, 1.0])


def test_sophia_verbose_prints_win_rate(capfd):
    tx = gx.sophia(0.1, verbose=True, print_win_rate_every_n_steps=1)
    p = jnp.array([1.0, 2.0])
    u, _ = jax.jit(lambda q: tx.update(q, tx.init(q), q, obj_fn=lambda r: jnp.sum(r**2)))(p)
    jax.block_until_ready(u)
    jax.effects_barrier()
    assert "win rate: 0.0" in capfd.readouterr().out


# ------------------------------------------------------- schedule_free_eval_params


def test_eval_params_recovers_average_and_finds_nested_state():
    lr_fn = warmup(0.3, None)
    ys, zs = ref_schedule_free(sgd_base(lr_fn, 0.0), lr_fn, 0.9, 2.0)
    tx = gx.chain(gx.clip_by_global_norm(1e6), gx.schedule_free_sgd(0.3))
    grads = [{"x": jnp.asarray(g)} for g in GRADS]

    p = {"x": jnp.asarray(Y0)}
    s = tx.init(p)
    update = jax.jit(tx.update)
    for g in grads:
        u, s = update(g, s, p)
        p = gx.apply_updates(p, u)
    x = gx.schedule_free_eval_params(s, p)["x"]
    np.testing.assert_allclose(x, (ys[-1] - 0.1 * zs[-1]) / 0.9, rtol=1e-12)
    np.testing.assert_allclose(s[1].z["x"], zs[-1], rtol=1e-12)
    assert s[1].base_optimizer_state is s[1].inner_state
    assert int(s[1].count) == 12 and int(s[1].step_count) == 13


def test_eval_params_with_b1_one_is_params_and_keeps_dtype():
    tx = gx.schedule_free_sgd(0.1, b1=1.0, state_dtype=jnp.float32)
    p = {"x": jnp.array([1.0, 2.0], jnp.bfloat16)}
    s = tx.init(p)
    assert s.z["x"].dtype == jnp.float32
    u, s = jax.jit(tx.update)(p, s, p)
    p = gx.apply_updates(p, u)
    x = gx.schedule_free_eval_params(s, p)["x"]
    assert x.dtype == jnp.bfloat16
    np.testing.assert_array_equal(x, p["x"])


def test_eval_params_errors():
    p = {"x": jnp.ones(2)}
    with pytest.raises(ValueError, match=MSG_HOLDS_NO_SCHEDULEFREESTATE):
        gx.schedule_free_eval_params(gx.adam(0.1).init(p), p)
    two = gx.chain(gx.schedule_free_sgd(), gx.schedule_free_sgd())
    with pytest.raises(ValueError, match=MSG_HOLDS_2_SCHEDULEFREESTATES):
        gx.schedule_free_eval_params(two.init(p), p)


# ----------------------------------------------------------------- robustness


def test_prodigy_zero_gradient_stays_finite():
    """optax.contrib.prodigy turns d into NaN (0/0) on an all-zero first gradient."""
    tx = gx.prodigy()
    p = jnp.array([1.0, 2.0])
    u, s = jax.jit(tx.update)(jnp.zeros(2), tx.init(p), p)
    assert np.all(np.asarray(u) == 0) and float(s.estim_lr) == 1e-6
    assert s.exp_avg is s.mu and s.exp_avg_sq is s.nu


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: gx.schedule_free(gx.sgd(0.1), 0.1), MSG_SCHEDULE_FREE_UPDATE_NEEDS_THE_PARAMS),
        (lambda: gx.prodigy(), MSG_PRODIGY_UPDATE_NEEDS_THE_PARAMS),
        (lambda: gx.sophia(0.1), MSG_SCALE_BY_SOPHIA_UPDATE_NEEDS_THE_PARAMS),
        (lambda: gx.hutchinson_estimator_diag_hessian(), MSG_HESSIAN_UPDATE_NEEDS_THE_PARAMS),
    ],
)
def test_update_without_params_raises(make, match):
    tx = make()
    p = jnp.ones(2)
    with pytest.raises(ValueError, match=match):
        tx.update(p, tx.init(p), None, obj_fn=jnp.sum)


def test_sophia_without_obj_fn_raises():
    tx = gx.sophia(0.1)
    p = jnp.ones(2)
    with pytest.raises(ValueError, match=MSG_NEEDS_THE_EXTRA_ARGUMENT_OBJ_FN):
        tx.update(p, tx.init(p), p)


# --------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: gx.schedule_free(gx.sgd(0.1), 0.1, b1=0.0), ValueError,
         MSG_GRADTX_SCHEDULE_FREE_B1_0_0_B1),
        (lambda: gx.schedule_free(gx.sgd(0.1), 0.1, b1=1.5), ValueError, MSG_B1_MUST_BE_IN_0_1),
        (lambda: gx.schedule_free(gx.sgd(0.1), -0.1), ValueError,
         MSG_SCHEDULE_FREE_LEARNING_RATE_0_1_LEARNING),
        (lambda: gx.schedule_free(gx.sgd(0.1), 0.1, weight_lr_power=-1.0), ValueError,
         MSG_SCHEDULE_FREE_WEIGHT_LR_POWER_1_0),
        (lambda: gx.schedule_free("sgd", 0.1), TypeError, MSG_BASE_OPTIMIZER_MUST_BE_A_GRADIENTTRANSFORMATION),
        (lambda: gx.schedule_free(gx.sgd(0.1), 0.1, state_dtype="nope"), TypeError, MSG_STATE_DTYPE_MUST_BE_A_DTYPE),
        (lambda: gx.schedule_free_sgd(warmup_steps=0), ValueError,
         MSG_SCHEDULE_FREE_SGD_WARMUP_STEPS_0_WARMUP),
        (lambda: gx.schedule_free_sgd(warmup_steps=2.5), TypeError,
         MSG_SCHEDULE_FREE_SGD_WARMUP_STEPS_2_5),
        (lambda: gx.schedule_free_adamw(warmup_steps=jnp.asarray(0)), ValueError,
         MSG_SCHEDULE_FREE_ADAMW_WARMUP_STEPS_0_WARMUP),
        (lambda: gx.schedule_free_sgd(weight_decay=-1.0), ValueError, MSG_SCHEDULE_FREE_SGD_WEIGHT_DECAY_1_0),
        (lambda: gx.schedule_free_sgd(b1=0.0), ValueError, MSG_SCHEDULE_FREE_SGD_B1_0_0),
        (lambda: gx.schedule_free_adamw(b2=1.0), ValueError,
         MSG_SCHEDULE_FREE_ADAMW_B2_1_0_B2),
        (lambda: gx.schedule_free_adamw(eps=-1e-8), ValueError, MSG_SCHEDULE_FREE_ADAMW_EPS_1E_08),
        (lambda: gx.schedule_free_adamw(weight_decay=-0.1), ValueError, MSG_SCHEDULE_FREE_ADAMW_WEIGHT_DECAY),
        (lambda: gx.schedule_free_adamw(-1.0), ValueError, MSG_SCHEDULE_FREE_ADAMW_LEARNING_RATE_1_0),
        (lambda: gx.prodigy(-1.0), ValueError, MSG_PRODIGY_LEARNING_RATE_1_0),
        (lambda: gx.prodigy(betas=0.9), TypeError, MSG_PRODIGY_BETAS_0_9_BETAS_MUST_BE),
        (lambda: gx.prodigy(betas=(1.0, 0.999)), ValueError, MSG_PRODIGY_BETAS_0_1_0_BETAS_0),
        (lambda: gx.prodigy(betas=(0.9, -0.1)), ValueError, MSG_BETAS_1_MUST_BE_IN_0_1),
        (lambda: gx.prodigy(beta3=1.0), ValueError, MSG_PRODIGY_BETA3_1_0),
        (lambda: gx.prodigy(eps=-1.0), ValueError, MSG_PRODIGY_EPS_1_0),
        (lambda: gx.prodigy(estim_lr0=0.0), ValueError, MSG_PRODIGY_ESTIM_LR0_0_0_ESTIM_LR0),
        (lambda: gx.prodigy(estim_lr_coef=0.0), ValueError, MSG_PRODIGY_ESTIM_LR_COEF_0_0),
        (lambda: gx.prodigy(weight_decay=-1.0), ValueError, MSG_PRODIGY_WEIGHT_DECAY_1_0),
        (lambda: gx.sophia(-0.1), ValueError, MSG_SOPHIA_LEARNING_RATE_0_1),
        (lambda: gx.sophia(0.1, b1=1.0), ValueError, MSG_SOPHIA_B1_1_0_B1_MUST_BE),
        (lambda: gx.sophia(0.1, b2=-0.5), ValueError, MSG_SOPHIA_B2_0_5),
        (lambda: gx.sophia(0.1, eps=-1.0), ValueError, MSG_SOPHIA_EPS_1_0),
        (lambda: gx.sophia(0.1, weight_decay=-1.0), ValueError, MSG_SOPHIA_WEIGHT_DECAY_1_0),
        (lambda: gx.sophia(0.1, gamma=-1.0), ValueError, MSG_SOPHIA_GAMMA_1_0),
        (lambda: gx.sophia(0.1, clip_threshold=0.0), ValueError,
         MSG_SOPHIA_CLIP_THRESHOLD_0_0_CLIP_THRESHOLD),
        (lambda: gx.sophia(0.1, update_interval=0), ValueError,
         MSG_SOPHIA_UPDATE_INTERVAL_0_UPDATE_INTERVAL_MUST),
        (lambda: gx.sophia(0.1, mu_dtype="nope"), TypeError, MSG_MU_DTYPE_MUST_BE_A_DTYPE),
        (lambda: gx.sophia(0.1, verbose=True), ValueError,
         MSG_SOPHIA_PRINT_WIN_RATE_EVERY_N_STEPS),
        (lambda: gx.scale_by_sophia(b1=-0.1), ValueError, MSG_SCALE_BY_SOPHIA_B1_0_1),
    ],
)  # fmt: skip
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_traced_hyperparameters_are_accepted():
    """Array hyperparameters pass validation and work under jit."""

    @jax.jit
    def f(lr, b1):
        tx = gx.schedule_free_sgd(lr, b1=b1)
        p = jnp.array([1.0, 2.0])
        u, _ = tx.update(p, tx.init(p), p)
        return u

    u = f(jnp.asarray(0.5), jnp.asarray(0.9))
    np.testing.assert_allclose(u, [-0.5, -1.0], rtol=1e-6)

    @jax.jit
    def g(warmup_steps):
        tx = gx.schedule_free_adamw(0.1, warmup_steps)
        p = jnp.array([1.0, 2.0])
        s = tx.init(p)
        _, s = tx.update(p, s, p)
        return s.max_lr

    # the averaging weights read the warmup at the 1-based count: 0.1 * 1 / 4
    np.testing.assert_allclose(g(jnp.asarray(4)), 0.025, rtol=1e-6)
