"""gradtx.solvers.minimize against scipy.optimize.minimize(method="L-BFGS-B") on the
classic test functions and on l2 logistic regression; the Solution record's
reasons, vmap, implicit differentiation, history and aux."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import scipy.optimize

import gradtx as gx
from gradtx.solvers import Reason, Solution, minimize
from tests.messages import (
    MSG_FUN_MUST_BE_A_CALLABLE,
    MSG_MINIMIZE_MAX_STEPS_1_MAX_STEPS_MUST,
    MSG_OPTIMIZER_MUST_BE_A_GRADIENTTRANSFORMATION,
    MSG_TOL_MUST_BE_IN_0_INF_GOT,
)
from tests.solvers.problems import PROBLEMS, breast_cancer_logreg, rosenbrock

COUNTS = {}  # problem -> (ours: steps, fun evals; scipy: nit, nfev), printed by the last test


def scipy_minimize(fun, x0, method, **options):
    """scipy.optimize.minimize with a jitted value-and-gradient."""
    vg = jax.jit(jax.value_and_grad(fun))

    def fun_and_grad(x):
        v, g = vg(jnp.asarray(x))
        return float(v), np.asarray(g)

    return scipy.optimize.minimize(
        fun_and_grad, np.asarray(x0), jac=True, method=method, options=options
    )


@functools.cache
def solved(name):
    if name == "logreg":
        fun, x0 = breast_cancer_logreg()
    else:
        fun, x0 = PROBLEMS[name]
    x0 = jnp.asarray(x0, jnp.float64)
    sol = jax.jit(lambda x: minimize(fun, x, tol=1e-9, max_steps=3000))(x0)
    ref = scipy_minimize(fun, x0, "L-BFGS-B", maxiter=15000, maxfun=15000)
    COUNTS[name] = (int(sol.num_steps), int(sol.num_fun_evals), ref.nit, ref.nfev)
    return sol, ref


NAMES = [*PROBLEMS, "logreg"]


@pytest.mark.parametrize("name", NAMES)
def test_final_value_matches_or_beats_scipy_lbfgsb(name):
    sol, ref = solved(name)
    assert sol.reason_name == "CONVERGED", (sol.reason_name, sol.grad_norm)
    assert bool(sol.converged)
    assert float(sol.value) <= ref.fun + 1e-8 * abs(ref.fun) + 1e-15, (float(sol.value), ref.fun)
    if name == "powell_singular":  # singular Hessian at 0: scipy stops ~5e-3 away
        assert float(jnp.max(jnp.abs(sol.params))) <= np.max(np.abs(ref.x))
    elif abs(float(sol.value) - ref.fun) < 1e-6:  # the same minimizer as scipy
        np.testing.assert_allclose(np.asarray(sol.params), ref.x, atol=2e-3)
    # Counts are consistent: one value-and-gradient per zoom trial, plus the initial one.
    assert int(sol.num_fun_evals) == int(sol.num_grad_evals) >= int(sol.num_steps) + 1
    # Going further than scipy (tol=1e-9 on ||g||) costs at most ~1.5x its evaluations
    # (when both reach the same minimum, and not on Powell's singular function, where
    # convergence is sublinear).
    if name != "powell_singular" and abs(float(sol.value) - ref.fun) < 1e-6:
        assert int(sol.num_fun_evals) <= 1.5 * ref.nfev + 10, COUNTS[name]


def test_evaluation_reuse_one_trial_per_step_on_a_quadratic():
    a = jnp.diag(jnp.arange(1.0, 6.0))
    f = lambda x: 0.5 * x @ a @ x - jnp.sum(x)
    sol = minimize(f, jnp.zeros(5), tol=1e-8)
    assert sol.reason_name == "CONVERGED"
    # the initial evaluation, then one accepted trial per step: the value and
    # gradient at the accepted point come from the line search's state.
    assert int(sol.num_fun_evals) == int(sol.num_steps) + 1
    np.testing.assert_allclose(sol.params, 1.0 / jnp.arange(1.0, 6.0), rtol=1e-8)


def test_optax_lbfgs_runs_in_the_loop_with_the_same_trajectory():
    ours, _ = solved("himmelblau")
    x0 = jnp.asarray(PROBLEMS["himmelblau"][1], jnp.float64)
    theirs = minimize(PROBLEMS["himmelblau"][0], x0, optax.lbfgs(), tol=1e-9, max_steps=3000)
    assert int(ours.num_steps) == int(theirs.num_steps)
    assert int(ours.num_fun_evals) == int(theirs.num_fun_evals)
    np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-12)


def test_first_order_optimizer_runs_to_the_step_limit():
    sol = minimize(lambda x: jnp.sum((x - 2.0) ** 2), jnp.zeros(3), gx.adam(0.1), max_steps=40)
    assert sol.reason_name == "MAX_STEPS" and int(sol.num_steps) == 40
    assert int(sol.num_fun_evals) == 41  # one value-and-gradient per step, no reuse
    sol = minimize(lambda x: jnp.sum((x - 2.0) ** 2), jnp.zeros(3), gx.sgd(0.5), max_steps=40)
    assert sol.reason_name == "CONVERGED" and int(sol.num_steps) == 1


def test_zero_steps_when_the_start_is_optimal():
    sol = minimize(lambda x: jnp.sum(x**2), jnp.zeros(2))
    assert sol.reason_name == "CONVERGED" and int(sol.num_steps) == 0


def test_nonfinite_objective_stops_with_last_finite_params():
    # finite up to the pole at x = 3, NaN beyond: sgd with a large step jumps past it.
    f = lambda x: jnp.sum(jnp.where(x < 3.0, -jnp.log(3.0 - x) + x**2, jnp.nan))
    run = jax.jit(lambda x: minimize(f, x, gx.sgd(4.0), max_steps=10))
    sol = run(jnp.array([0.0]))
    assert sol.reason_name == "NONFINITE" and not bool(sol.converged)
    assert bool(jnp.all(jnp.isfinite(sol.params))) and bool(jnp.isfinite(sol.value))
    assert float(sol.params[0]) < 3.0 and int(sol.num_steps) < 10
    start = run(jnp.array([5.0]))
    assert start.reason_name == "NONFINITE" and int(start.num_steps) == 0


def test_failed_linesearch_is_a_reason_not_an_error():
    # Unbounded below along a line where the zoom search may only take tiny steps.
    sol = minimize(
        lambda x: jnp.sum(x**2),
        jnp.ones(2),
        gx.chain(gx.scale(1.0), gx.scale_by_zoom_linesearch(5)),  # an ascent direction
        max_steps=10,
    )
    assert sol.reason_name == "LINESEARCH_FAILED"
    np.testing.assert_array_equal(sol.params, jnp.ones(2))


def test_vmap_over_starting_points_equals_separate_runs():
    starts = jnp.array([[-1.2, 1.0], [2.0, 2.0], [0.0, 0.0], [-0.5, 3.0]])
    run = lambda x: minimize(rosenbrock, x, tol=1e-9)
    batched = jax.jit(jax.vmap(run))(starts)
    single = jax.jit(run)
    assert isinstance(batched, Solution)
    for i in range(starts.shape[0]):
        s = single(starts[i])
        np.testing.assert_array_equal(batched.params[i], s.params)
        assert int(batched.num_steps[i]) == int(s.num_steps)
        assert int(batched.num_fun_evals[i]) == int(s.num_fun_evals)
    assert batched.reason_name == ["CONVERGED"] * 4
    assert len(set(np.asarray(batched.num_steps).tolist())) > 1  # really separate stops


def test_implicit_gradient_of_the_solution_matches_the_closed_form():
    a = jax.random.normal(jax.random.PRNGKey(0), (12, 4), jnp.float64)
    b = jnp.arange(12.0)

    def ridge(w, lam, target):
        return 0.5 * jnp.sum((a @ w - target) ** 2) + 0.5 * lam * jnp.sum(w**2)

    def solved_w(lam, target):
        return minimize(ridge, jnp.zeros(4), args=(lam, target), tol=1e-11).params

    def closed(lam, target):
        return jnp.linalg.solve(a.T @ a + lam * jnp.eye(4), a.T @ target)

    # one compiled function: the solution and its Jacobian in (lam, target)
    both = lambda lam, t: (solved_w(lam, t), jax.jacobian(solved_w, argnums=(0, 1))(lam, t))
    w, jac = jax.jit(both)(0.3, b)
    np.testing.assert_allclose(w, closed(0.3, b), rtol=1e-8)
    want = jax.jacobian(closed, argnums=(0, 1))(0.3, b)
    for j, expected in zip(jac, want):
        np.testing.assert_allclose(j, expected, rtol=1e-6, atol=1e-9)


def test_history_and_aux():
    f = lambda x: (rosenbrock(x), {"x0": x[0]})
    sol = minimize(f, jnp.array([-1.2, 1.0]), has_aux=True, max_steps=100, history=True)
    n = int(sol.num_steps)
    values = np.asarray(sol.history["value"])
    assert values.shape == (101,) and np.isnan(values[n + 1 :]).all()
    assert np.all(np.diff(values[: n + 1]) <= 0)  # line-searched steps never increase f
    np.testing.assert_allclose(values[n], sol.value)
    np.testing.assert_allclose(sol.history["grad_norm"][n], sol.grad_norm)
    np.testing.assert_allclose(sol.aux["x0"], sol.params[0])


def test_reason_names_and_validation():
    assert [r.name for r in Reason] == ["CONVERGED", "MAX_STEPS", "LINESEARCH_FAILED", "NONFINITE"]
    with pytest.raises(ValueError, match=MSG_MINIMIZE_MAX_STEPS_1_MAX_STEPS_MUST):
        minimize(rosenbrock, jnp.zeros(2), max_steps=-1)
    with pytest.raises(ValueError, match=MSG_TOL_MUST_BE_IN_0_INF_GOT):
        minimize(rosenbrock, jnp.zeros(2), tol=-1.0)
    with pytest.raises(TypeError, match=MSG_OPTIMIZER_MUST_BE_A_GRADIENTTRANSFORMATION):
        minimize(rosenbrock, jnp.zeros(2), optimizer="lbfgs")
    with pytest.raises(TypeError, match=MSG_FUN_MUST_BE_A_CALLABLE):
        minimize(3.0, jnp.zeros(2))


@pytest.mark.parametrize("name", ["rosenbrock2", "beale"])
def test_bfgs_matches_or_beats_scipy_bfgs(name):
    fun, x0 = PROBLEMS[name]
    x0 = jnp.asarray(x0, jnp.float64)
    sol = jax.jit(lambda x: minimize(fun, x, gx.solvers.bfgs(), tol=1e-9))(x0)
    ref = scipy_minimize(fun, x0, "BFGS")
    assert sol.reason_name == "CONVERGED"
    assert float(sol.value) <= ref.fun + 1e-8 * abs(ref.fun) + 1e-15, (float(sol.value), ref.fun)
    np.testing.assert_allclose(sol.params, ref.x, atol=1e-4)
    COUNTS["bfgs " + name] = (int(sol.num_steps), int(sol.num_fun_evals), ref.nit, ref.nfev)
    if name == "rosenbrock2":  # after many 2-D steps the model is the inverse Hessian
        h = jax.hessian(fun)(sol.params)
        np.testing.assert_allclose(sol.state[0].inv_hessian @ h, np.eye(2), atol=0.2)


@pytest.mark.parametrize(
    "name,method",
    [
        ("rosenbrock2", "polak-ribiere"),
        ("himmelblau", "fletcher-reeves"),
        ("himmelblau", "hestenes-stiefel"),
        ("himmelblau", "dai-yuan"),
    ],
)
def test_nonlinear_cg_matches_or_beats_scipy_cg(name, method):
    fun, x0 = PROBLEMS[name]
    x0 = jnp.asarray(x0, jnp.float64)
    sol = jax.jit(lambda x: minimize(fun, x, gx.solvers.ncg(method), tol=1e-9, max_steps=3000))(x0)
    ref = scipy_minimize(fun, x0, "CG")
    assert sol.reason_name == "CONVERGED", sol.reason_name
    assert float(sol.value) <= ref.fun + 1e-8 * abs(ref.fun) + 1e-15, (float(sol.value), ref.fun)
    np.testing.assert_allclose(sol.params, ref.x, atol=1e-4)
    COUNTS[f"ncg-{method[:2]} {name}"] = (
        int(sol.num_steps),
        int(sol.num_fun_evals),
        ref.nit,
        ref.nfev,
    )


@pytest.mark.parametrize("name", ["rosenbrock2"])
def test_newton_cg_matches_or_beats_scipy_newton_cg(name):
    fun, x0 = PROBLEMS[name]
    x0 = jnp.asarray(x0, jnp.float64)
    sol = jax.jit(lambda x: minimize(fun, x, gx.solvers.newton_cg(), tol=1e-9))(x0)
    vg = jax.jit(jax.value_and_grad(fun))
    hessp = jax.jit(lambda x, v: jax.jvp(jax.grad(fun), (x,), (v,))[1])
    ref = scipy.optimize.minimize(
        lambda x: tuple(np.asarray(a) for a in vg(jnp.asarray(x))),
        np.asarray(x0),
        jac=True,
        hessp=lambda x, v: np.asarray(hessp(jnp.asarray(x), jnp.asarray(v))),
        method="Newton-CG",
    )
    assert sol.reason_name == "CONVERGED", sol.reason_name
    assert float(sol.value) <= ref.fun + 1e-8 * abs(ref.fun) + 1e-15, (float(sol.value), ref.fun)
    np.testing.assert_allclose(sol.params, ref.x, atol=1e-4)
    COUNTS[f"newton-cg {name}"] = (int(sol.num_steps), int(sol.num_fun_evals), ref.nit, ref.nfev)


def test_zz_report_counts(capsys):
    for name in NAMES:
        solved(name)
    with capsys.disabled():
        print(
            "\nminimize (L-BFGS; BFGS; NCG; Newton-CG) tol=1e-9 vs scipy L-BFGS-B (BFGS; CG; Newton-CG): steps, evals | nit, nfev"
        )
        for name, (s, f, nit, nfev) in COUNTS.items():
            print(f"  {name:16s} {s:5d} {f:5d} | {nit:5d} {nfev:5d}")
