"""scale_by_hager_zhang_linesearch: the (approximate) Wolfe conditions at every accepted
L-BFGS step on the classic test functions, steps worked by hand on quadratics, the
initial guesses I0-I2, failure handling, and counts against the zoom search."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gradtx as gx
from gradtx.solvers import minimize
from tests.messages import (
    MSG_DELTA,
    MSG_EXTRA_ARGS,
    MSG_STRATEGY,
)
from tests.solvers.problems import PROBLEMS

DELTA, SIGMA, EPSILON = 0.1, 0.9, 1e-6
NAMES = list(PROBLEMS)
DIM = max(len(x0) for _, x0 in PROBLEMS.values())
STEPS = 700  # more than any problem needs (Rosenbrock-100: about 560)


def padded(k, x):
    """Problem k of NAMES on the first n coordinates of a DIM-vector (the rest have
    zero gradient, so L-BFGS leaves them at 0): one compiled loop serves them all."""

    def on_leading(f, n):
        return lambda x: f(x[:n])

    branches = [on_leading(f, len(x0)) for f, x0 in PROBLEMS.values()]
    return jax.lax.switch(k, branches, x)


def start(name):
    x0 = PROBLEMS[name][1]
    return jnp.zeros(DIM, jnp.float64).at[: len(x0)].set(x0)


LINESEARCHES = {
    "hz": gx.scale_by_hager_zhang_linesearch(),
    "zoom": gx.scale_by_zoom_linesearch(20, initial_guess_strategy="one"),  # lbfgs' default
}


@functools.partial(jax.jit, static_argnames="linesearch")
def trajectory(x0, k, linesearch):
    """L-BFGS with a line search, stopped at ||g|| <= 1e-9; per step: f(x), f(x + s),
    <g, s>, <g', s>, the search's own errors, its trials, and whether the step ran."""
    f = lambda x: padded(k, x)
    opt = gx.lbfgs(linesearch=LINESEARCHES[linesearch])
    value_and_grad = jax.value_and_grad(f)

    def step(carry, _):
        x, s, v, g, done = carry

        def move(_):
            u, s2 = opt.update(g, s, x, value=v, grad=g, value_fn=f)
            x2 = x + u
            v2, g2 = value_and_grad(x2)
            info = s2[2].info
            rec = (v, v2, g @ u, g2 @ u, info.decrease_error, info.curvature_error)
            rec += (info.num_linesearch_steps, jnp.ones((), bool))
            return (x2, s2, v2, g2, jnp.linalg.norm(g2) <= 1e-9), rec

        def stay(_):
            zero = jnp.zeros((), x.dtype)
            n = jnp.zeros((), jnp.int32)
            return (x, s, v, g, done), (v, v, zero, zero, zero, zero, n, jnp.zeros((), bool))

        return jax.lax.cond(done, stay, move, None)

    v0, g0 = value_and_grad(x0)
    carry0 = (x0, opt.init(x0), v0, g0, jnp.zeros((), bool))
    (x, *_), recs = jax.lax.scan(step, carry0, None, STEPS)
    return f(x), recs


COUNTS = {}


@pytest.mark.parametrize("name", NAMES)
def test_every_accepted_step_meets_the_wolfe_or_approximate_wolfe_conditions(name):
    k = NAMES.index(name)
    value, recs = trajectory(start(name), k, "hz")
    f0, ft, d0, dt, dec_err, curv_err, trials, ran = (np.asarray(r) for r in recs)
    n = int(ran.sum())
    assert 5 <= n < STEPS and ran[:n].all()  # converged within the loop
    f0, ft, d0, dt = f0[:n], ft[:n], d0[:n], dt[:n]
    assert np.all(d0 < 0)  # descent directions; s = t u, so the conditions scale with t
    slack = 1e-10 * np.abs(d0)  # <g', t u> recomputed vs t <g', u> in the search
    wolfe = ft - f0 <= DELTA * d0 + slack
    approx = (dt <= (2 * DELTA - 1) * d0 + slack) & (ft <= f0 + EPSILON * np.abs(f0))
    curvature = dt >= SIGMA * d0 - slack
    assert np.all((wolfe | approx) & curvature), np.flatnonzero(~((wolfe | approx) & curvature))
    assert np.all(dec_err[:n] == 0.0) and np.all(curv_err[:n] == 0.0)  # as the search reports
    assert float(value) <= 1e-14

    # against the zoom search (strong Wolfe) in the same loop: evaluations = 1 + trials
    zoom_value, zoom = trajectory(start(name), k, "zoom")
    zoom_n, zoom_evals = int(np.asarray(zoom[-1]).sum()), 1 + int(np.asarray(zoom[-2]).sum())
    COUNTS[name] = (zoom_n, zoom_evals, n, 1 + int(trials.sum()))
    assert float(zoom_value) <= 1e-14
    # on these problems the two cost about the same (at most 25% more evaluations)
    assert COUNTS[name][3] <= 1.25 * zoom_evals + 2, COUNTS[name]


def test_zz_report_counts_against_zoom(capsys):
    with capsys.disabled():
        print("\nL-BFGS, tol=1e-9: zoom (steps, evals) | Hager-Zhang (steps, evals)")
        for name, (zs, zf, hs, hf) in COUNTS.items():
            print(f"  {name:16s} {zs:5d} {zf:5d} | {hs:5d} {hf:5d}")


CONFIGS = {
    "default": gx.scale_by_hager_zhang_linesearch(),
    "hz1": gx.scale_by_hager_zhang_linesearch(1, initial_guess_strategy="hager-zhang"),
}
A = jnp.array([1.0, 4.0])
FUNS = {  # small objectives on R^2, one compiled search per configuration
    "quadratic": lambda x: 0.5 * jnp.sum(A * x**2),
    "cosh": lambda x: jnp.sum(jnp.cosh(x)),
    "round": lambda x: 0.5 * jnp.sum(x**2),
    "cos": lambda x: -jnp.sum(jnp.cos(x)),
    "nan_beyond": lambda x: jnp.sum(jnp.where(x < 0.5, (x - 2.0) ** 2, jnp.nan)),
}


@functools.partial(jax.jit, static_argnames="config")
def run_search(config, k, x, u, state):
    f = lambda y: jax.lax.switch(k, list(FUNS.values()), y)
    v, g = jax.value_and_grad(f)(x)
    return CONFIGS[config].update(u, state, x, value=v, grad=g, value_fn=f)


def search(config, fun, x, u, state=None):
    state = CONFIGS[config].init(x) if state is None else state
    return run_search(config, list(FUNS).index(fun), x, u, state)


def test_secant_steps_on_a_quadratic_by_hand():
    x = jnp.array([1.0, 1.0])
    g = A * x
    exact = float(g @ g / (g @ (A * g)))  # minimizer along -g: 17 / 65
    # t = 1 overshoots (phi'(1) > 0): [0, 1] is a bracket and its secant point is exact,
    # since phi' is linear; it meets the approximate Wolfe conditions.
    u, s = search("default", "quadratic", x, -g)
    assert int(s.info.num_linesearch_steps) == 2
    np.testing.assert_allclose(s.learning_rate, exact, rtol=1e-12)
    np.testing.assert_allclose(u, -exact * g, rtol=1e-12)
    np.testing.assert_allclose(s.value, FUNS["quadratic"](x + u), rtol=1e-12)
    # a direction 1/40 as long (minimizer at t = 10.5): t = 1 fails the curvature
    # condition with phi low, so the bracketing grows it to t = 5, a Wolfe step (T1).
    _, s = search("default", "quadratic", x, -g / 40.0)
    assert int(s.info.num_linesearch_steps) == 2 and float(s.learning_rate) == 5.0
    # phi'(1) = 0 along -x from x = 1 for sum(cosh): the first trial is taken as is
    _, s = search("default", "cosh", x, -x)
    assert int(s.info.num_linesearch_steps) == 1 and float(s.learning_rate) == 1.0


def test_hager_zhang_initial_guesses():
    x = jnp.array([1.0, 2.0])
    # I0: psi0 * ||x||_inf / ||u||_inf = 0.01 with u = -x; one trial allowed, which
    # fails but is the lowest point seen, so it is the step taken.
    u, s = search("hz1", "round", x, -x)
    np.testing.assert_allclose(s.learning_rate, 0.01, rtol=1e-12)
    assert int(s.info.num_value_evals) == 0
    # I1: the quadratic through phi(0), phi'(0) and phi(0.1 * 0.01) is exact here: step 1
    # along -x (from any x) is the minimizer, found with one value-only evaluation.
    x2 = x + u
    _, s2 = search("hz1", "round", x2, -x2, state=s)
    np.testing.assert_allclose(s2.learning_rate, 1.0, rtol=1e-8)
    assert int(s2.info.num_linesearch_steps) == 1 and int(s2.info.num_value_evals) == 1
    # I2 (-sum(cos) is concave along -grad from x = 3): psi2 * t_prev
    x3 = jnp.full(2, 3.0)
    _, s3 = search("hz1", "cos", x3, -jnp.sin(x3), state=s)
    np.testing.assert_allclose(s3.learning_rate, 2.0 * 0.01, rtol=1e-12)


def test_no_descent_direction_gives_step_zero():
    x = jnp.ones(2)
    u, s = search("default", "round", x, x)  # an ascent direction
    assert int(s.info.num_linesearch_steps) == 0 and float(s.learning_rate) == 0.0
    np.testing.assert_array_equal(u, jnp.zeros(2))


def test_nonfinite_trials_shrink_to_a_finite_point():
    # NaN beyond x = 0.5: t = 1 lands at 4 (NaN), which shrinks the bracket (U3).
    f = FUNS["nan_beyond"]
    x = jnp.zeros(2)
    v, g = jax.value_and_grad(f)(x)
    u, s = search("default", "nan_beyond", x, -g)
    assert bool(jnp.all(jnp.isfinite(u))) and float(f(x + u)) < float(v)
    assert float(s.value) == float(f(x + u))


def test_nonlinear_cg_with_the_hager_zhang_guess():
    f, x0 = PROBLEMS["himmelblau"]
    ls = gx.scale_by_hager_zhang_linesearch(initial_guess_strategy="hager-zhang")
    opt = gx.chain(gx.solvers.scale_by_ncg(), gx.scale(-1.0), ls)
    sol = minimize(f, jnp.asarray(x0, jnp.float64), opt, tol=1e-9, max_steps=200)
    assert sol.reason_name == "CONVERGED" and float(sol.value) < 1e-16
    # one value-and-gradient per trial, one value per I1 probe after the first step
    assert int(sol.num_fun_evals) > int(sol.num_grad_evals) >= int(sol.num_steps) + 1


def test_validation_messages():
    with pytest.raises(ValueError, match=MSG_DELTA):
        gx.scale_by_hager_zhang_linesearch(delta=0.5)
    with pytest.raises(ValueError, match=r"max_linesearch_steps must be >= 1"):
        gx.scale_by_hager_zhang_linesearch(0)
    with pytest.raises(ValueError, match=r"rho must be in \(1, inf\); got 1.0"):
        gx.scale_by_hager_zhang_linesearch(rho=1.0)
    with pytest.raises(ValueError, match=MSG_STRATEGY):
        gx.scale_by_hager_zhang_linesearch(initial_guess_strategy="two")
    tx = gx.scale_by_hager_zhang_linesearch()
    with pytest.raises(ValueError, match=MSG_EXTRA_ARGS):
        tx.update(jnp.ones(2), tx.init(jnp.ones(2)), jnp.ones(2))
