"""scale_by_newton_cg(damping_adjustment="martens"): the damping follows Martens' rule
from the reduction ratio (checked against a float64 NumPy recomputation with the exact
Hessian), with CG warm starts, and Newton-CG converges on Rosenbrock with it."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gradtx as gx
from tests.messages import (
    MSG_ADJUSTMENT,
    MSG_MARTENS_DAMPING,
)
from tests.solvers.problems import rosenbrock


def test_martens_damping_follows_the_reduction_ratio_and_converges():
    f = rosenbrock  # far from the minimizer the quadratic model is poor
    opt = gx.solvers.newton_cg(1.0, cg_max_steps=5, warm_start=True, damping_adjustment="martens")

    @jax.jit
    def step(x, state):
        v, g = jax.value_and_grad(f)(x)
        u, state = opt.update(g, state, x, value=v, grad=g, value_fn=f)
        return x + u, state

    x = jnp.array([-1.2, 1.0])
    state = opt.init(x)
    lams, moves = [1.0], []
    for _ in range(60):
        x_old = np.asarray(x)
        x, state = step(x, state)
        cg = state[0]
        p, lam, rho = np.asarray(cg.solution), float(cg.damping), float(cg.reduction_ratio)
        # rho recomputed in float64 NumPy: actual / predicted with the exact Hessian
        g = np.asarray(jax.grad(f)(x_old))
        h = np.asarray(jax.hessian(f)(jnp.asarray(x_old)))
        predicted = -g @ p + 0.5 * p @ h @ p
        if np.linalg.norm(g) > 1e-10:
            actual = float(f(jnp.asarray(x_old - p))) - float(f(jnp.asarray(x_old)))
            np.testing.assert_allclose(rho, actual / predicted, rtol=1e-8, atol=1e-12)
            want = 1.5 if rho < 0.25 else (2.0 / 3.0 if rho > 0.75 else 1.0)
            if predicted > 0:  # the model predicts no decrease: grow, whatever rho says
                want = 1.5
            np.testing.assert_allclose(lam, lams[-1] * want, rtol=1e-12)
            moves.append(want)
        lams.append(lam)
    assert 1.5 in moves and 2.0 / 3.0 in moves  # the damping went both ways
    assert lams[-1] < 1e-2  # and fell by 100x near the minimizer, where the model is good
    np.testing.assert_allclose(x, [1.0, 1.0], atol=1e-8)


def test_fixed_damping_stays_and_validation():
    tx = gx.solvers.scale_by_newton_cg(0.5)
    x = jnp.array([-1.2, 1.0])
    _, s = tx.update(jax.grad(rosenbrock)(x), tx.init(x), x, value_fn=rosenbrock)
    assert float(s.damping) == 0.5 and float(s.reduction_ratio) == 0.0
    with pytest.raises(ValueError, match=MSG_ADJUSTMENT):
        gx.solvers.scale_by_newton_cg(damping_adjustment="nielsen")
    with pytest.raises(ValueError, match=MSG_MARTENS_DAMPING):
        gx.solvers.newton_cg(0.0, damping_adjustment="martens")
