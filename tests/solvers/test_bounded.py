"""minimize(..., bounds=(lower, upper)): projected L-BFGS against
scipy.optimize.minimize(method="L-BFGS-B", bounds=...) on a bounded Rosenbrock and a
bounded quadratic with active bounds; pytree and one-sided bounds; validation."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize

import gradtx as gx
from gradtx.solvers import minimize
from tests.messages import (
    MSG_BOUNDS_CROSSED,
    MSG_BOUNDS_OPTIMIZER,
    MSG_BOUNDS_PAIR,
)
from tests.solvers.problems import rosenbrock

_A = jax.random.normal(jax.random.PRNGKey(0), (8, 6), jnp.float64)
_Q = _A.T @ _A + 0.1 * jnp.eye(6)
_B = jnp.array([3.0, -2.0, 1.0, 0.5, -4.0, 2.0])

CASES = {  # name -> (f, x0, lower, upper)
    "rosenbrock6 in [-1.5, 0.8]": (rosenbrock, np.tile([-1.2, 1.0], 3), -1.5, 0.8),
    "quadratic in [0, 1]": (lambda x: 0.5 * x @ _Q @ x - _B @ x, np.full(6, 0.5), 0.0, 1.0),
}


@pytest.mark.parametrize("name", list(CASES))
def test_projected_lbfgs_matches_scipy_lbfgsb(name):
    f, x0, lo, hi = CASES[name]
    sol = jax.jit(lambda x: minimize(f, x, bounds=(lo, hi), tol=1e-9))(jnp.asarray(x0))
    vg = jax.jit(jax.value_and_grad(f))
    ref = scipy.optimize.minimize(
        lambda x: tuple(np.asarray(v) for v in vg(jnp.asarray(x))),
        x0,
        jac=True,
        method="L-BFGS-B",
        bounds=[(lo, hi)] * len(x0),
    )
    assert sol.reason_name == "CONVERGED", sol.reason_name
    assert float(sol.value) <= ref.fun + 1e-8 * abs(ref.fun), (float(sol.value), ref.fun)
    x = np.asarray(sol.params)
    assert np.all((x >= lo) & (x <= hi))
    active = lambda z: [
        (i, "lower" if z[i] == lo else "upper") for i in range(z.size) if z[i] in (lo, hi)
    ]
    assert active(x) == active(ref.x) and active(x), (active(x), active(ref.x))
    np.testing.assert_allclose(x, ref.x, atol=1e-5)
    # the projected gradient vanishes: free coordinates have g = 0, bound ones push out
    g = np.asarray(jax.grad(f)(sol.params))
    free = (x > lo) & (x < hi)
    assert np.max(np.abs(g[free])) <= 1e-8
    assert np.all(g[x == lo] > 0) and np.all(g[x == hi] < 0)
    assert int(sol.num_fun_evals) == int(sol.num_grad_evals) >= int(sol.num_steps) + 1
    print(f"\n{name}: ours {int(sol.num_steps)} steps {int(sol.num_fun_evals)} evals; "
          f"scipy L-BFGS-B {ref.nit} / {ref.nfev}")  # fmt: skip


def test_pytree_and_one_sided_bounds_history_and_aux():
    def f(p):
        value = jnp.sum((p["w"] - 2.0) ** 2) + (p["b"] + 1.0) ** 2
        return value, p["b"]

    p0 = {"b": jnp.array(0.0), "w": jnp.array([0.0, 3.0, 1.0])}
    upper = {"b": jnp.inf, "w": jnp.array([1.0, 2.5, jnp.inf])}
    sol = minimize(f, p0, bounds=(None, upper), has_aux=True, history=True, tol=1e-10)
    assert sol.reason_name == "CONVERGED"
    np.testing.assert_allclose(sol.params["w"], [1.0, 2.0, 2.0], atol=1e-9)
    np.testing.assert_allclose(sol.params["b"], -1.0, atol=1e-9)  # no lower bound
    np.testing.assert_allclose(sol.value, 1.0, rtol=1e-12)
    np.testing.assert_allclose(sol.aux, sol.params["b"])
    values = np.asarray(sol.history["value"])[: int(sol.num_steps) + 1]
    assert np.all(np.diff(values) <= 0.0)  # Armijo steps never increase f


def test_bounds_validation():
    f = lambda x: jnp.sum(x**2)
    with pytest.raises(ValueError, match=MSG_BOUNDS_PAIR):
        minimize(f, jnp.ones(2), bounds=0.0)
    with pytest.raises(ValueError, match=MSG_BOUNDS_OPTIMIZER):
        minimize(f, jnp.ones(2), gx.lbfgs(), bounds=(0.0, 1.0))
    with pytest.raises(ValueError, match="each bound must be a scalar, None or a pytree like"):
        minimize(f, jnp.ones(2), bounds=(jnp.zeros(3), None))
    with pytest.raises(ValueError, match=MSG_BOUNDS_CROSSED):
        minimize(f, jnp.ones(2), bounds=(jnp.array([0.0, 2.0]), 1.0))
