"""FISTA, proximal gradient and coordinate descent on the lasso and elastic net against scikit-learn."""

from __future__ import annotations

import functools
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gradtx as gx
from tests.messages import (
    MSG_FUNCTION_RESTART_NEEDS_H,
    MSG_L1_RATIO_IS_1_FOR_THE_LASSO,
    MSG_L1_RATIO_MUST_BE_IN_0_1,
    MSG_NEEDS_EVERY_COORDINATE_S_GRADIENT,
    MSG_NONSMOOTH_FN_MUST_BE_CALLABLE,
    MSG_TOL_MUST_BE_IN,
    MSG_X_MUST_BE_N_SAMPLES_N_FEATURES,
)

sklearn_linear = pytest.importorskip("sklearn.linear_model")


P = gx.proximal
N, F = 50, 20
_rng = np.random.default_rng(0)
X = _rng.normal(size=(N, F))
W_TRUE = np.zeros(F)
W_TRUE[:4] = [2.0, -1.5, 1.0, 0.5]
Y = X @ W_TRUE + 0.3 * _rng.normal(size=N)
Xj, Yj = jnp.asarray(X), jnp.asarray(Y)
L = float(np.linalg.norm(X, 2) ** 2 / N)
PROBLEMS = [(0.1, 1.0), (0.05, 0.5)]  # (alpha, l1_ratio): a lasso and an elastic net


def objective(w, alpha, l1_ratio):
    w = np.asarray(w)
    return (
        np.sum((Y - X @ w) ** 2) / (2 * N)
        + alpha * l1_ratio * np.sum(np.abs(w))
        + alpha * (1 - l1_ratio) / 2 * np.sum(w**2)
    )


@functools.cache
def sklearn_solution(alpha, l1_ratio):
    model = sklearn_linear.ElasticNet(
        alpha=alpha, l1_ratio=l1_ratio, fit_intercept=False, tol=1e-14, max_iter=100_000
    )
    if l1_ratio == 1.0:
        model = sklearn_linear.Lasso(alpha=alpha, fit_intercept=False, tol=1e-14, max_iter=100_000)
    return model.fit(X, Y).coef_


def _assert_matches(w, alpha, l1_ratio):
    ref = sklearn_solution(alpha, l1_ratio)
    p_ref = objective(ref, alpha, l1_ratio)
    assert abs(objective(w, alpha, l1_ratio) - p_ref) <= 1e-8 * p_ref
    np.testing.assert_array_equal(np.asarray(w) != 0, ref != 0)  # the same support
    assert 3 <= np.count_nonzero(ref) < F


def _smooth(w):
    return jnp.sum((Yj - Xj @ w) ** 2) / (2 * N)


@jax.jit
def _fista_lasso(alpha):
    return P.fista_solve(
        _smooth, jnp.zeros(F), P.prox_lasso, alpha, stepsize=1 / L, maxiter=20_000, tol=1e-11
    )


@jax.jit
def _fista_enet(a, b):
    return P.fista_solve(
        _smooth, jnp.zeros(F), P.prox_elastic_net, (a, b), stepsize=1 / L, maxiter=20_000, tol=1e-11
    )


@pytest.mark.parametrize("alpha, l1_ratio", PROBLEMS)
def test_fista_matches_sklearn(alpha, l1_ratio):
    if l1_ratio == 1.0:
        res = _fista_lasso(alpha)
    else:  # sklearn's penalty as prox_elastic_net's (a, b)
        res = _fista_enet(alpha * l1_ratio, (1 - l1_ratio) / l1_ratio)
    assert bool(res.converged) and int(res.num_steps) < 20_000
    _assert_matches(res.params, alpha, l1_ratio)


def test_fista_backtracking_and_ista_reach_the_same_lasso():
    alpha = PROBLEMS[0][0]
    bt = P.fista_solve(_smooth, jnp.zeros(F), P.prox_lasso, alpha, maxiter=20_000, tol=1e-11)
    assert bool(bt.converged)
    assert 0.5 / L <= float(bt.state.stepsize) <= 1.0
    _assert_matches(bt.params, alpha, 1.0)
    ista = P.fista_solve(
        _smooth, jnp.zeros(F), P.prox_lasso, alpha, stepsize=1 / L, maxiter=20_000, tol=1e-11,
        acceleration=False,
    )  # fmt: skip
    _assert_matches(ista.params, alpha, 1.0)
    assert int(_fista_lasso(alpha).num_steps) < int(ista.num_steps)  # acceleration pays


def _minimize(tx):
    """``gradtx.solvers.minimize`` on the smooth part, ``tx`` carrying the L1 prox."""
    return jax.jit(
        lambda: gx.solvers.minimize(_smooth, jnp.zeros(F), tx, max_steps=20_000, tol=1e-11)
    )()


def test_fista_and_proximal_gradient_through_minimize_match_sklearn():
    alpha = PROBLEMS[0][0]
    l1 = lambda w: alpha * jnp.sum(jnp.abs(w))  # noqa: E731
    runs = {
        "fista": P.fista(1 / L, P.prox_lasso, alpha),
        "fista_function_restart": P.fista(
            1 / L, P.prox_lasso, alpha, restart="function", nonsmooth_fn=l1
        ),
        "proximal_gradient": P.proximal_gradient(1 / L, P.prox_lasso, alpha),
    }
    steps = {}
    for name, tx in runs.items():
        sol = _minimize(tx)
        # minimize stops on the gradient mapping (grad f is not zero at a lasso solution)
        assert sol.reason_name == "CONVERGED", name
        assert float(sol.grad_norm) > 1e-3, name
        _assert_matches(gx.accelerated_gradient_params(sol.state), alpha, 1.0)
        _assert_matches(sol.params, alpha, 1.0)  # the extrapolated point has the same support
        steps[name] = int(sol.num_steps)
    assert steps["fista_function_restart"] < steps["fista"] < steps["proximal_gradient"] * 2
    # started where grad f = 0 (the minimiser of f, not of f + h), it still steps
    sol = gx.solvers.minimize(
        lambda w: 0.5 * jnp.sum((w - 1.0) ** 2), jnp.ones(2), P.fista(1.0, P.prox_lasso, 0.5)
    )
    assert sol.reason_name == "CONVERGED" and int(sol.num_steps) >= 1
    np.testing.assert_allclose(gx.accelerated_gradient_params(sol.state), [0.5, 0.5])


_cd = jax.jit(
    functools.partial(P.enet_coordinate_descent, tol=1e-12, max_epochs=10_000),
    static_argnames=("selection", "precompute"),
)  # alpha and l1_ratio traced: one compilation per rule


@pytest.mark.parametrize(
    "selection, precompute", [("cyclic", False), ("random", False), ("greedy", True)]
)
@pytest.mark.parametrize("alpha, l1_ratio", PROBLEMS)
def test_coordinate_descent_matches_sklearn(alpha, l1_ratio, selection, precompute):
    res = _cd(Xj, Yj, alpha, l1_ratio, selection=selection, precompute=precompute)
    assert bool(res.converged) and float(res.dual_gap) >= -1e-15
    assert float(res.dual_gap) < 1e-12 * float(Yj @ Yj) / N
    _assert_matches(res.params, alpha, l1_ratio)


def test_paths_match_sklearn():
    alphas, coefs = P.enet_path(Xj, Yj, l1_ratio=0.5, n_alphas=8, eps=1e-2, tol=1e-12)
    alpha_max = np.max(np.abs(X.T @ Y)) / (N * 0.5)  # scikit-learn's default grid
    np.testing.assert_allclose(alphas, alpha_max * np.geomspace(1, 1e-2, 8), rtol=1e-12)
    _, ref_coefs, _ = sklearn_linear.enet_path(
        X, Y, l1_ratio=0.5, alphas=np.asarray(alphas), tol=1e-12, max_iter=100_000
    )
    np.testing.assert_allclose(coefs, ref_coefs, rtol=1e-6, atol=1e-9)
    assert np.all(coefs[:, 0] == 0)  # alpha_max zeroes everything
    _, lasso = P.lasso_path(Xj, Yj, alphas=alphas, tol=1e-12)
    _, ref = sklearn_linear.lasso_path(
        X, Y, alphas=np.asarray(alphas), tol=1e-12, max_iter=100_000
    )[:2]
    np.testing.assert_allclose(lasso, ref, rtol=1e-6, atol=1e-9)


def test_errors():
    with pytest.raises(ValueError, match=MSG_L1_RATIO_MUST_BE_IN_0_1):
        P.enet_coordinate_descent(Xj, Yj, 0.1, 1.5)
    with pytest.raises(ValueError, match=MSG_NEEDS_EVERY_COORDINATE_S_GRADIENT):
        P.enet_coordinate_descent(Xj, Yj, 0.1, selection="greedy")
    with pytest.raises(ValueError, match=MSG_X_MUST_BE_N_SAMPLES_N_FEATURES):
        P.enet_coordinate_descent(Xj, Yj[:-1], 0.1)
    with pytest.raises(TypeError, match=MSG_L1_RATIO_IS_1_FOR_THE_LASSO):
        P.lasso_path(Xj, Yj, l1_ratio=0.5)
    with pytest.raises(ValueError, match=MSG_TOL_MUST_BE_IN):
        P.fista_solve(_smooth, jnp.zeros(F), tol=0.0)
    with pytest.raises(ValueError, match=re.escape(MSG_FUNCTION_RESTART_NEEDS_H)):
        P.fista(1.0, P.prox_lasso, 0.1, restart="function")
    with pytest.raises(TypeError, match=MSG_NONSMOOTH_FN_MUST_BE_CALLABLE):
        P.fista(1.0, P.prox_lasso, 0.1, restart="function", nonsmooth_fn=0.1)
