"""Escaping a strict saddle: plain descent stays, each escape method reaches a minimum."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gradtx
from tests.messages import (
    MSG_DAMPING_0_1_DAMPING_MUST_BE_IN,
    MSG_NEEDS_THE_EXTRA_ARGUMENT_OBJ_FN,
    MSG_SADDLE_PERTURBATION_RADIUS_1_0_RADIUS_MUST,
    MSG_UPDATE_NEEDS_PARAMS,
    MSG_WAIT_STEPS_MUST_BE_AN_INT,
)


def f(p):
    """A strict saddle at 0 (Hessian diag(1, -1)) and minima at (0, +-1) with value -1/4."""
    return 0.5 * p[0] ** 2 - 0.5 * p[1] ** 2 + 0.25 * p[1] ** 4


def run(opt, p0, steps):
    """Losses and final params of ``steps`` steps of ``opt`` on ``f`` (obj_fn passed to all)."""

    def step(carry, _):
        p, s = carry
        u, s = opt.update(jax.grad(f)(p), s, p, obj_fn=f)
        return (gradtx.apply_updates(p, u), s), f(p)

    @jax.jit
    def go(p):
        (p, s), losses = jax.lax.scan(step, (p, opt.init(p)), None, length=steps)
        return p, s, losses

    return go(p0)


def steps_to_minimum(losses, tol=1e-6):
    hit = np.nonzero(np.asarray(losses) < -0.25 + tol)[0]
    return int(hit[0]) if hit.size else None


ORIGIN = jnp.zeros(2)


def test_gradient_descent_stays_at_the_saddle():
    p, _, losses = run(gradtx.sgd(0.1), ORIGIN, 200)
    np.testing.assert_array_equal(p, 0.0)
    assert float(losses[-1]) == 0.0


def test_perturbed_gd_leaves_and_reaches_the_minimum():
    opt = gradtx.perturbed_gd(0.1, radius=0.01, grad_threshold=1e-3, wait_steps=10, key=3)
    p, state, losses = run(opt, ORIGIN, 300)
    n = steps_to_minimum(losses, 1e-5)
    assert n is not None and n < 200, n
    # Near the minimum the gradient is small too, so a kick of radius 0.01 comes
    # every wait_steps steps, and descent pulls the point back.
    np.testing.assert_allclose(np.abs(p), [0.0, 1.0], atol=0.01)
    assert int(state.perturbations) >= 1


def test_negative_curvature_step_leaves_and_reaches_the_minimum():
    opt = gradtx.negative_curvature_step(gradtx.sgd(0.1), step_size=0.1, grad_threshold=1e-3)
    p, state, losses = run(opt, ORIGIN, 150)
    n = steps_to_minimum(losses)
    assert n is not None and n < 120, n
    np.testing.assert_allclose(np.abs(p), [0.0, 1.0], atol=1e-4)
    assert int(state.curvature_steps) >= 1
    # The first move is along the eigenvector (0, +-1) of lambda_min = -1, of length 0.1.
    u, s = opt.update(jnp.zeros(2), opt.init(ORIGIN), ORIGIN, obj_fn=f)
    np.testing.assert_allclose(np.abs(u), [0.0, 0.1], atol=1e-12)
    np.testing.assert_allclose(s.min_eigenvalue, -1.0, rtol=1e-6)
    # Sign: never uphill to first order. At (0, 1e-4) the gradient is (0, -1e-4).
    p = jnp.array([0.0, 1e-4])
    u, _ = opt.update(jax.grad(f)(p), opt.init(p), p, obj_fn=f)
    assert float(u[1]) > 0


def test_saddle_free_newton_finds_the_minimum_where_newton_finds_the_saddle():
    p0 = np.array([0.5, 0.1])
    p = p0.copy()
    for _ in range(30):  # Newton's method, dense, in NumPy
        g = np.array([p[0], -p[1] + p[1] ** 3])
        h = np.diag([1.0, -1.0 + 3 * p[1] ** 2])
        p = p - np.linalg.solve(h, g)
    np.testing.assert_allclose(p, [0.0, 0.0], atol=1e-12)  # attracted to the saddle
    p, _, losses = run(gradtx.saddle_free_newton(1.0, damping=0.0, order=2), jnp.asarray(p0), 30)
    np.testing.assert_allclose(p, [0.0, 1.0], atol=1e-10)
    n = steps_to_minimum(losses, 1e-12)
    assert n is not None and n <= 10, n
    # From the saddle itself the step is zero; a perturbation wrapper makes it leave.
    kicked = gradtx.saddle_perturbation(
        gradtx.saddle_free_newton(1.0, damping=0.1, order=2), radius=0.01, key=1
    )
    p, _, losses = run(kicked, ORIGIN, 40)
    assert steps_to_minimum(losses, 1e-5) is not None
    np.testing.assert_allclose(np.abs(p), [0.0, 1.0], atol=0.01)


def test_saddle_free_newton_step_is_abs_hessian_inverse_times_gradient():
    b = jax.random.normal(jax.random.PRNGKey(0), (6, 6), jnp.float64)
    a = (b + b.T) / 2
    quad = lambda p: 0.5 * p["x"] @ a @ p["x"]
    p = {"x": jax.random.normal(jax.random.PRNGKey(1), (6,), jnp.float64)}
    g = {"x": a @ p["x"]}
    vals, vecs = np.linalg.eigh(np.asarray(a))

    @jax.jit
    def steps(g, p):
        out = []
        for damping in (0.0, 0.3):
            tx = gradtx.scale_by_saddle_free_newton(damping, order=6)
            out.append(tx.update(g, tx.init(p), p, obj_fn=quad)[0]["x"])
        return out

    for damping, d in zip((0.0, 0.3), steps(g, p)):
        want = vecs @ ((vecs.T @ np.asarray(g["x"])) / (np.abs(vals) + damping))
        np.testing.assert_allclose(d, want, rtol=1e-9)


def test_perturbation_rule_transcribed():
    r, thr, wait, lr = 0.05, 0.2, 4, 0.5
    opt = gradtx.saddle_perturbation(gradtx.sgd(lr), radius=r, grad_threshold=thr, wait_steps=wait)
    bowl = lambda p: 0.5 * jnp.sum(p**2)

    def step(carry, _):
        p, s = carry
        g = jax.grad(bowl)(p)
        u, s2 = opt.update(g, s, p)
        kick = s2.perturbations - s.perturbations
        return (p + u, s2), (jnp.linalg.norm(g), jnp.linalg.norm(u + lr * g), kick)

    _, (gnorm, extra, kick) = jax.jit(
        lambda p: jax.lax.scan(step, (p, opt.init(p)), None, length=30)
    )(jnp.array([3.0, -2.0, 1.0]))
    last = -wait
    for t in range(30):
        want = bool(gnorm[t] <= thr and t - last >= wait)
        assert bool(kick[t]) == want, t
        if want:
            last = t
            assert 0 < float(extra[t]) <= r + 1e-12
        else:
            assert float(extra[t]) < 1e-12
    assert int(np.sum(kick)) >= 3


def test_bad_input():
    with pytest.raises(ValueError, match=MSG_SADDLE_PERTURBATION_RADIUS_1_0_RADIUS_MUST):
        gradtx.saddle_perturbation(gradtx.sgd(0.1), radius=-1.0)
    with pytest.raises(TypeError, match=MSG_WAIT_STEPS_MUST_BE_AN_INT):
        gradtx.perturbed_gd(0.1, wait_steps=2.5)
    with pytest.raises(ValueError, match=MSG_DAMPING_0_1_DAMPING_MUST_BE_IN):
        gradtx.saddle_free_newton(1.0, damping=-0.1)
    for opt in (
        gradtx.negative_curvature_step(gradtx.sgd(0.1)),
        gradtx.scale_by_saddle_free_newton(),
        gradtx.track_sharpness(gradtx.sgd(0.1)),
    ):
        with pytest.raises(ValueError, match=MSG_NEEDS_THE_EXTRA_ARGUMENT_OBJ_FN):
            opt.update(ORIGIN, opt.init(ORIGIN), ORIGIN)
        with pytest.raises(ValueError, match=MSG_UPDATE_NEEDS_PARAMS):
            opt.update(ORIGIN, opt.init(ORIGIN), obj_fn=f)
