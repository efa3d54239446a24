"""least_squares (Levenberg-Marquardt, Gauss-Newton) against
scipy.optimize.least_squares(method="lm") on the Moré-Garbow-Hillstrom problems."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize

from gradtx.solvers import least_squares
from tests.messages import (
    MSG_DAMPING_MUST_BE_IN_0_INF_GOT,
    MSG_LINEAR_SOLVER_MUST_BE_ONE_OF,
    MSG_METHOD_MUST_BE_LM_OR_GN_GOT,
)
from tests.solvers.problems import LEAST_SQUARES

COUNTS = {}


@functools.cache
def scipy_lm(name):
    r, x0 = LEAST_SQUARES[name]
    jac = jax.jit(jax.jacfwd(r))
    res = jax.jit(r)
    return scipy.optimize.least_squares(
        lambda x: np.asarray(res(jnp.asarray(x))),
        x0,
        jac=lambda x: np.asarray(jac(jnp.asarray(x))),
        method="lm",
    )


def check_matches_scipy(name, sol):
    ref = scipy_lm(name)
    assert sol.reason_name == "CONVERGED", sol.reason_name
    # scipy's cost is 0.5 * ||r||^2 too; match to 1e-8 relative, or be lower
    # (an absolute 1e-20 for the zero-residual problems, both at rounding level).
    assert float(sol.value) <= ref.cost * (1 + 1e-8) + 1e-20, (float(sol.value), ref.cost)
    COUNTS[name] = (int(sol.num_steps), int(sol.num_fun_evals), ref.nfev, ref.njev)


@pytest.mark.parametrize("name", list(LEAST_SQUARES))
def test_levenberg_marquardt_matches_scipy_lm(name):
    r, x0 = LEAST_SQUARES[name]
    sol = jax.jit(lambda x: least_squares(r, x, "lm", max_steps=500))(jnp.asarray(x0))
    check_matches_scipy(name, sol)
    assert int(sol.num_grad_evals) <= int(sol.num_fun_evals) <= int(sol.num_steps) + 1


def test_cg_linear_solver_and_gauss_newton():
    r, x0 = LEAST_SQUARES["bard"]
    for kw in ({"linear_solver": "cg"}, {"method": "gn"}):
        sol = least_squares(r, jnp.asarray(x0), **kw)
        check_matches_scipy("bard", sol)


def test_gauss_newton_without_damping_is_newton_on_a_linear_problem():
    a = jnp.array([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]])
    b = jnp.array([1.0, 0.0, 2.0])
    sol = least_squares(lambda x: a @ x - b, jnp.zeros(2), "gn", linear_solver="qr")  # QR path
    np.testing.assert_allclose(sol.params, np.linalg.lstsq(a, b, rcond=None)[0], rtol=1e-10)
    assert int(sol.num_steps) == 1 and sol.reason_name == "CONVERGED"


def test_pytree_params_and_vmap_over_data():
    t = jnp.linspace(0.0, 1.0, 8)

    def residuals(p, y):
        return p["a"] * jnp.exp(-p["b"] * t) - y

    p0 = {"a": jnp.array(1.0), "b": jnp.array(1.0)}
    ys = jnp.stack([2.0 * jnp.exp(-3.0 * t), 0.5 * jnp.exp(-1.0 * t)])
    solve = lambda y: least_squares(residuals, p0, args=(y,))
    batch = jax.jit(jax.vmap(solve))(ys)
    np.testing.assert_allclose(batch.params["a"], [2.0, 0.5], rtol=1e-8)
    np.testing.assert_allclose(batch.params["b"], [3.0, 1.0], rtol=1e-8)
    one = jax.jit(solve)(ys[1])
    np.testing.assert_array_equal(batch.params["b"][1], one.params["b"])
    assert int(batch.num_steps[1]) == int(one.num_steps)


def test_nonfinite_start_and_validation():
    sol = least_squares(lambda x: jnp.log(x), jnp.array([-1.0]))
    assert sol.reason_name == "NONFINITE" and int(sol.num_steps) == 0
    with pytest.raises(ValueError, match=MSG_METHOD_MUST_BE_LM_OR_GN_GOT):
        least_squares(jnp.sin, jnp.ones(2), "trf")
    with pytest.raises(ValueError, match=MSG_LINEAR_SOLVER_MUST_BE_ONE_OF):
        least_squares(jnp.sin, jnp.ones(2), linear_solver="svd")
    with pytest.raises(ValueError, match=MSG_DAMPING_MUST_BE_IN_0_INF_GOT):
        least_squares(jnp.sin, jnp.ones(2), damping=0.0)


def test_implicit_gradient_of_the_solution_closed_form_and_finite_differences():
    # linear least squares: x*(A, b) = (A^T A)^{-1} A^T b, differentiable in A and b
    a = jax.random.normal(jax.random.PRNGKey(1), (6, 3), jnp.float64)
    b = jnp.arange(6.0)
    closed = lambda a, b: jnp.linalg.solve(a.T @ a, a.T @ b)
    solved = lambda a, b: (
        least_squares(lambda x, a, b: a @ x - b, jnp.zeros(3), "gn", args=(a, b)).params
    )
    both = jax.jit(lambda a, b: (solved(a, b), jax.jacobian(solved, argnums=(0, 1))(a, b)))
    x, jac = both(a, b)
    np.testing.assert_allclose(x, closed(a, b), rtol=1e-10)
    for got, want in zip(jac, jax.jacobian(closed, argnums=(0, 1))(a, b)):
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-10)

    # a nonlinear fit with non-zero residuals: the gradient of <w, x*(y)> against
    # central differences of the solves along a direction d
    t = jnp.linspace(0.0, 2.0, 9)
    residuals = lambda p, y: p[0] * jnp.exp(-p[1] * t) - y
    y = 2.0 * jnp.exp(-1.5 * t) + 0.05 * jnp.sin(7.0 * t)
    w, d = jnp.array([1.0, -2.0]), jnp.cos(3.0 * t)
    fit = jax.jit(
        jax.value_and_grad(
            lambda y: (
                w @ least_squares(residuals, jnp.array([1.0, 1.0]), args=(y,), tol=1e-14).params
            )
        )
    )
    _, grad = fit(y)
    h = 1e-5
    fd = (fit(y + h * d)[0] - fit(y - h * d)[0]) / (2 * h)
    np.testing.assert_allclose(grad @ d, fd, rtol=1e-6)


def test_geodesic_acceleration_on_box3d():
    r, x0 = LEAST_SQUARES["box3d"]
    x0 = jnp.asarray(x0)
    run = lambda geo: jax.jit(
        lambda x: least_squares(r, x, "lm", max_steps=500, geodesic_acceleration=geo)
    )(x0)
    plain, geo = run(False), run(True)
    ref = scipy_lm("box3d")
    assert geo.reason_name == "CONVERGED"
    assert int(geo.num_steps) <= int(plain.num_steps)  # 10 vs 11
    # two residual evaluations per step (the residuals and their second derivative)
    assert int(geo.num_fun_evals) == 2 * int(geo.num_steps) + 1
    np.testing.assert_allclose(geo.params, ref.x, atol=1e-8)  # the minimizer (1, 10, 1)
    assert float(geo.value) <= 1e-18
    COUNTS["box3d geodesic"] = (int(geo.num_steps), int(geo.num_fun_evals), ref.nfev, ref.njev)
    with pytest.raises(ValueError, match="geodesic acceleration needs method='lm'"):
        least_squares(r, x0, "gn", geodesic_acceleration=True)


def test_zz_report_counts(capsys):
    with capsys.disabled():
        print("\nleast_squares (LM) vs scipy lm: steps, residual evals | nfev, njev")
        for name, (s, f, nfev, njev) in COUNTS.items():
            print(f"  {name:20s} {s:5d} {f:5d} | {nfev:5d} {njev:5d}")
