"""L-BFGS and the line searches: float64 trajectory parity with optax 0.2.8, a dense
NumPy transcription of the inverse-Hessian update, strong Wolfe conditions at every
accepted zoom step, the Armijo condition for backtracking, and validation."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradtx as gx
from tests.messages import (
    MSG_CURV_RTOL_MUST_BE_IN_0_INF,
    MSG_DECREASE_FACTOR_MUST_BE_IN_0_1,
    MSG_HOLDS_NO_VALUE,
    MSG_INITIAL_GUESS_STRATEGY_MUST_BE_ONE_OR,
    MSG_SCALE_BY_LBFGS_MEMORY_SIZE_0_MEMORY,
    MSG_UPDATE_NEEDS_PARAMS_VALUE_AND_GRAD,
)
from tests.solvers.problems import PROBLEMS, rosenbrock

X0 = jnp.array([-1.2, 1.0, -1.2, 1.0, 0.5])


def optax_style_run(mod, opt, f, x, steps):
    """The loop of optax's documentation, scanned: params after every step."""
    value_and_grad = mod.value_and_grad_from_state(f)

    def step(carry, _):
        x, s = carry
        v, g = value_and_grad(x, state=s)
        u, s = opt.update(g, s, x, value=v, grad=g, value_fn=f)
        x = mod.apply_updates(x, u)
        return (x, s), x

    return jax.jit(lambda x: jax.lax.scan(step, (x, opt.init(x)), None, steps)[1])(x)


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.lbfgs(),
        lambda m: m.lbfgs(
            memory_size=3,
            linesearch=m.scale_by_zoom_linesearch(
                30, max_learning_rate=2.0, initial_guess_strategy="keep"
            ),
        ),
        lambda m: m.chain(m.sgd(1e-3), m.scale_by_backtracking_linesearch(20, store_grad=True)),
    ],
    ids=["lbfgs", "lbfgs_m3_zoom_keep_maxlr", "sgd_backtracking"],
)
def test_trajectory_matches_optax_in_float64(make):
    ours = optax_style_run(gx, make(gx), rosenbrock, X0, 30)
    theirs = optax_style_run(optax, make(optax), rosenbrock, X0, 30)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_scale_by_lbfgs_matches_dense_bfgs_recursion():
    """A NumPy transcription: H built from the stored pairs on gamma I, output H g."""
    rng = np.random.default_rng(0)
    m, n = 3, 4
    params = [rng.normal(size=n) for _ in range(7)]
    grads = [rng.normal(size=n) for _ in range(7)]
    tx = gx.scale_by_lbfgs(memory_size=m)
    state = tx.init(jnp.zeros(n))
    pairs = []
    for k, (w, g) in enumerate(zip(params, grads)):
        out, state = tx.update(jnp.asarray(g), state, jnp.asarray(w))
        if k == 0:
            want = g * min(1.0, 1.0 / np.linalg.norm(g))
        else:
            s, y = w - params[k - 1], g - grads[k - 1]
            pairs = (pairs + [(s, y)])[-m:]
            h = (s @ y) / (y @ y) * np.eye(n)
            for s_i, y_i in pairs:
                rho = 1.0 / (y_i @ s_i)
                v = np.eye(n) - rho * np.outer(y_i, s_i)
                h = v.T @ h @ v + rho * np.outer(s_i, s_i)
            want = h @ g
        np.testing.assert_allclose(out, want, rtol=1e-10)


def strong_wolfe_steps(f, x0, steps, c1=1e-4, c2=0.9):
    """Run L-BFGS with the zoom search; per step: f(0), f'(0), t, f(t), f'(t)."""
    opt = gx.lbfgs()
    value_and_grad = jax.value_and_grad(f)

    def step(carry, _):
        x, s = carry
        v, g = value_and_grad(x)
        u, s = opt.update(g, s, x, value=v, grad=g, value_fn=f)
        t = s[2].learning_rate
        direction = u / jnp.where(t > 0, t, 1.0)
        x_new = x + u
        v_new, g_new = value_and_grad(x_new)
        rec = (v, g @ direction, t, v_new, g_new @ direction, jnp.linalg.norm(g))
        return (x_new, s), rec

    run = jax.jit(lambda x: jax.lax.scan(step, (x, opt.init(x)), None, steps)[1])
    return [np.asarray(r) for r in run(x0)]


@pytest.mark.parametrize("name", ["rosenbrock2", "himmelblau", "powell_singular"])
def test_zoom_steps_satisfy_strong_wolfe(name):
    f, x0 = PROBLEMS[name]
    f0, d0, t, ft, dt, gnorm = strong_wolfe_steps(f, jnp.asarray(x0), 40)
    active = gnorm > 1e-6  # steps taken before convergence
    assert active.sum() >= 10 and np.all(t[active] > 0)
    assert np.all(d0[active] < 0)  # L-BFGS directions are descent directions
    armijo = ft <= f0 + 1e-4 * t * d0
    # the documented fallback near a minimizer: approximate Wolfe (Hager-Zhang)
    approx = (dt <= (2 * 1e-4 - 1) * d0) & (ft <= f0 + 1e-6 * np.abs(f0))
    assert np.all((armijo | approx)[active])
    assert np.all((np.abs(dt) <= 0.9 * np.abs(d0))[active])


def test_backtracking_accepts_the_first_armijo_step():
    f = lambda x: jnp.sum(x**4) + jnp.sum(x**2)
    x = jnp.array([1.0, -2.0])
    tx = gx.scale_by_backtracking_linesearch(30, decrease_factor=0.5, max_learning_rate=1.0)
    v, g = jax.value_and_grad(f)(x)
    u, s = tx.update(-g, tx.init(x), x, value=v, grad=g, value_fn=f)
    # by hand: the largest 0.5^k (start min(1.5 * 1, 1) = 1) meeting Armijo with c = 1e-4
    lr = next(0.5**k for k in range(30) if f(x - 0.5**k * g) <= v - 1e-4 * 0.5**k * jnp.sum(g**2))
    np.testing.assert_allclose(s.learning_rate, lr)
    np.testing.assert_allclose(u, -lr * g)
    assert int(s.info.num_linesearch_steps) == 1 + round(-np.log2(lr))
    assert float(s.info.decrease_error) == 0.0 and s.grad is None


def test_zoom_falls_back_to_a_finite_point():
    # NaN beyond x = 0.5 along the direction: the search must not return a NaN step.
    f = lambda x: jnp.sum(jnp.where(x < 0.5, (x - 2.0) ** 2, jnp.nan))
    x = jnp.zeros(1)
    v, g = jax.value_and_grad(f)(x)
    tx = gx.scale_by_zoom_linesearch(10, initial_guess_strategy="one")
    u, s = tx.update(-g, tx.init(x), x, value=v, grad=g, value_fn=f)
    assert bool(jnp.all(jnp.isfinite(u))) and float(f(x + u)) < float(v)


def test_extra_args_reach_value_fn_and_unknown_ones_are_ignored():
    f = lambda w, x, y: jnp.sum((x @ w - y) ** 2)
    x, y = jnp.eye(2) * 2.0, jnp.array([1.0, 1.0])
    w = jnp.zeros(2)
    opt = gx.lbfgs()
    v, g = jax.value_and_grad(f)(w, x, y)
    u, s = opt.update(g, opt.init(w), w, value=v, grad=g, value_fn=f, x=x, y=y, other=3)
    # the first L-BFGS step is -g / ||g|| with t = 1 (a strong Wolfe step here)
    np.testing.assert_allclose(u, -g / jnp.linalg.norm(g), rtol=1e-12)
    np.testing.assert_allclose(s[2].value, f(w + u, x, y), rtol=1e-12)


def test_validation_messages():
    with pytest.raises(ValueError, match=MSG_SCALE_BY_LBFGS_MEMORY_SIZE_0_MEMORY):
        gx.scale_by_lbfgs(0)
    with pytest.raises(ValueError, match=MSG_CURV_RTOL_MUST_BE_IN_0_INF):
        gx.scale_by_zoom_linesearch(10, curv_rtol=-1.0)
    with pytest.raises(ValueError, match=MSG_INITIAL_GUESS_STRATEGY_MUST_BE_ONE_OR):
        gx.scale_by_zoom_linesearch(10, initial_guess_strategy="two")
    with pytest.raises(ValueError, match=MSG_DECREASE_FACTOR_MUST_BE_IN_0_1):
        gx.scale_by_backtracking_linesearch(10, decrease_factor=1.5)
    tx = gx.scale_by_zoom_linesearch(5)
    with pytest.raises(ValueError, match=MSG_UPDATE_NEEDS_PARAMS_VALUE_AND_GRAD):
        tx.update(jnp.ones(2), tx.init(jnp.ones(2)), jnp.ones(2))
    with pytest.raises(ValueError, match=MSG_HOLDS_NO_VALUE):
        gx.value_and_grad_from_state(jnp.sum)(jnp.ones(2), state=gx.adam(0.1).init(jnp.ones(2)))
