"""Nesterov's accelerated gradient: NumPy transcription, the O(1/k^2) bound, linear rate with restart."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gradtx as gx
from tests.messages import (
    MSG_ACCELERATED_GRADIENT_UPDATE_NEEDS_PARAMS,
    MSG_MUST_BE_A_NUMBER_NOT_A_SCHEDULE,
    MSG_NEEDS_VALUE_FN,
    MSG_RESTART_MUST_BE_ONE_OF,
    MSG_STRONG_CONVEXITY_MUST_BE_IN,
)

D = 50
H_CONVEX = (np.arange(1, D + 1) / D) ** 2  # L = 1, smallest curvature 4e-4 (almost flat)
H_STRONG = np.geomspace(1e-3, 1.0, D)  # L = 1, mu = 1e-3
X0 = np.ones(D)


def _run(tx, h, steps, value_fn=False):
    """f = 0.5 sum h x^2 from X0; returns f at the main iterate x_k, k = 1..steps."""
    h = jnp.asarray(h)
    f = lambda x: 0.5 * jnp.sum(h * x * x)  # noqa: E731

    @jax.jit
    def go(y0):
        def step(carry, _):
            y, s = carry
            extra = {"value_fn": f} if value_fn else {}
            u, s = tx.update(h * y, s, y, **extra)
            return (gx.apply_updates(y, u), s), f(gx.accelerated_gradient_params(s))

        return jax.lax.scan(step, (y0, tx.init(y0)), None, length=steps)[1]

    return np.asarray(go(jnp.asarray(X0)))


def test_matches_numpy_transcription():
    h, s = H_STRONG[:5], 0.9
    tx = gx.accelerated_gradient(s)
    y, state = jnp.asarray(X0[:5]), None
    state = tx.init(y)
    x_prev, yn, t = X0[:5].copy(), X0[:5].copy(), 1.0
    for _ in range(10):
        u, state = tx.update(jnp.asarray(h) * y, state, y)
        y = gx.apply_updates(y, u)
        x = yn - s * h * yn
        t_new = (1 + np.sqrt(1 + 4 * t * t)) / 2
        yn = x + (t - 1) / t_new * (x - x_prev)
        x_prev, t = x, t_new
        np.testing.assert_allclose(y, yn, rtol=1e-12)
        np.testing.assert_allclose(gx.accelerated_gradient_params(state), x, rtol=1e-12)


def test_one_over_k_squared_on_a_smooth_convex_quadratic():
    k = np.arange(1, 401)
    f_nag = _run(gx.accelerated_gradient(1.0), H_CONVEX, 400)
    bound = 2 * 1.0 * np.sum(X0**2) / (k + 1) ** 2  # Beck and Teboulle, Theorem 4.4
    assert np.all(f_nag <= bound)
    f_gd = _run(gx.proximal.proximal_gradient(1.0), H_CONVEX, 400)
    assert np.all(f_gd <= np.sum(X0**2) / (2 * k))  # gradient descent's O(1/k) bound
    assert f_gd[-1] > 20 * f_nag[-1]  # and acceleration shows
    # the rate: k^2 (f_k - f*) stays bounded over the last half
    assert np.max(k[200:] ** 2 * f_nag[200:]) < 2 * np.sum(X0**2)


@pytest.fixture(scope="module")
def f_plain():
    """Without restart: O(1/k^2) with ripples, far from linear."""
    return _run(gx.accelerated_gradient(1.0), H_STRONG, 1500)


@pytest.mark.parametrize(
    "tx, value_fn",
    [
        (gx.accelerated_gradient(1.0, restart="gradient"), False),
        (gx.accelerated_gradient(1.0, restart="function"), True),
        (gx.accelerated_gradient(1.0, strong_convexity=1e-3), False),
    ],
    ids=["gradient_restart", "function_restart", "known_mu"],
)
def test_linear_convergence_on_a_strongly_convex_quadratic(tx, value_fn, f_plain):
    f = _run(tx, H_STRONG, 1500, value_fn)
    assert f[-1] < 1e-20 and f_plain[-1] > 1e3 * max(f[-1], 1e-300)
    above = f > 1e-20
    slope = np.polyfit(np.arange(1, 1501)[above], np.log10(f[above]), 1)[0]
    assert -0.2 < slope < -0.01, slope  # linear: a constant factor per step


def test_backtracking_finds_a_step():
    f = _run(
        gx.accelerated_gradient(50.0, backtracking=True, restart="gradient"), H_STRONG, 1500, True
    )
    assert f[-1] < 1e-18
    tx = gx.accelerated_gradient(50.0, backtracking=True)
    y = jnp.asarray(X0)
    h = jnp.asarray(H_STRONG)
    _, state = tx.update(h * y, tx.init(y), y, value_fn=lambda x: 0.5 * jnp.sum(h * x * x))
    assert 0.5 / 1.0 <= float(state.stepsize) <= 50.0 * 0.5**6


def test_errors():
    with pytest.raises(ValueError, match=MSG_RESTART_MUST_BE_ONE_OF):
        gx.accelerated_gradient(1.0, restart="sometimes")
    with pytest.raises(ValueError, match=MSG_STRONG_CONVEXITY_MUST_BE_IN):
        gx.accelerated_gradient(1.0, strong_convexity=-1.0)
    with pytest.raises(ValueError, match=MSG_MUST_BE_A_NUMBER_NOT_A_SCHEDULE):
        gx.accelerated_gradient(lambda t: 1.0, backtracking=True)
    tx = gx.accelerated_gradient(1.0, restart="function")
    with pytest.raises(ValueError, match=MSG_NEEDS_VALUE_FN):
        tx.update(jnp.ones(2), tx.init(jnp.ones(2)), jnp.ones(2))
    with pytest.raises(ValueError, match=MSG_ACCELERATED_GRADIENT_UPDATE_NEEDS_PARAMS):
        gx.accelerated_gradient(1.0).update(jnp.ones(2), tx.init(jnp.ones(2)))


# f = 0.5 sum h (x - c)^2 + ALPHA |x|_1 with h = H_STRONG: the flat coordinates (h ~ mu)
# stay in the support, so the problem keeps its condition number 1e3; every tenth is zero.
C_LASSO = np.where(np.arange(D) % 10 == 5, 0.0, -np.linspace(1.5, 0.5, D))
ALPHA = 1e-3


def _run_lasso(tx, steps):
    """F(x_k) - F* for FISTA on a separable lasso with curvatures H_STRONG (F* in closed form)."""
    h, c = jnp.asarray(H_STRONG), jnp.asarray(C_LASSO)
    smooth = lambda x: 0.5 * jnp.sum(h * (x - c) ** 2)  # noqa: E731
    big_f = lambda x: smooth(x) + ALPHA * jnp.sum(jnp.abs(x))  # noqa: E731
    x_star = jnp.sign(c) * jnp.maximum(jnp.abs(c) - ALPHA / h, 0.0)  # soft-threshold per coordinate

    @jax.jit
    def go(y0):
        def step(carry, _):
            y, s = carry
            u, s = tx.update(h * (y - c), s, y, value_fn=smooth)
            return (gx.apply_updates(y, u), s), big_f(gx.accelerated_gradient_params(s))

        return jax.lax.scan(step, (y0, tx.init(y0)), None, length=steps)[1] - big_f(x_star)

    return np.asarray(go(jnp.asarray(X0)))


def test_fista_function_restart_is_linear_where_plain_fista_ripples():
    l1 = lambda x: ALPHA * jnp.sum(jnp.abs(x))  # noqa: E731
    prox = gx.proximal.prox_lasso
    plain = _run_lasso(gx.proximal.fista(1.0, prox, ALPHA), 1500)
    restarted = _run_lasso(
        gx.proximal.fista(1.0, prox, ALPHA, restart="function", nonsmooth_fn=l1), 1500
    )
    assert np.sum(np.diff(plain) > 0) > 100  # plain FISTA is not monotone: it ripples
    assert restarted[-1] < 1e-15 and plain[-1] > 1e-9
    k = np.arange(1, 1501)
    above = restarted > 1e-12  # before the rounding floor of F*
    slope = np.polyfit(k[above], np.log10(restarted[above]), 1)[0]
    # linear: a constant factor per step (fitted 10**slope ~ 0.95; 1 - sqrt(mu / L) = 0.97)
    assert -0.05 < slope < -0.012, slope
    n = int(np.sum(above))
    assert plain[n] > 1e4 * 1e-12  # when restart is at 1e-12 plain FISTA is still above 1e-8
