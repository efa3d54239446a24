"""coordinate_descent: Gauss-Seidel on quadratics, the block rules, the lasso coordinate update."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gradtx as gx
from tests.messages import (
    MSG_BLOCK_SIZE_MUST_BE_1_GOT_0,
    MSG_LEARNING_RATE_MUST_BE_IN_0_INF,
    MSG_PROX_MUST_BE_CALLABLE,
    MSG_RULE_MUST_BE_ONE_OF,
)

RNG = np.random.default_rng(0)
M = RNG.normal(size=(6, 4))
A = M.T @ M + 0.5 * np.eye(4)
B = RNG.normal(size=4)


def _steps(tx, x0, n, grad):
    x, s = jnp.asarray(x0), tx.init(jnp.asarray(x0))
    update = jax.jit(tx.update)
    blocks = []
    for _ in range(n):
        u, s = update(grad(x), s, x)
        x = gx.apply_updates(x, u)
        blocks.append(int(s.block))
    return np.asarray(x), blocks


def test_cyclic_exact_steps_are_gauss_seidel():
    grad = lambda x: jnp.asarray(A) @ x - jnp.asarray(B)  # noqa: E731
    x, blocks = _steps(gx.coordinate_descent(1.0 / jnp.asarray(np.diag(A))), np.zeros(4), 12, grad)
    assert blocks == [0, 1, 2, 3] * 3
    xs = np.zeros(4)
    for _ in range(3):  # three Gauss-Seidel sweeps
        for i in range(4):
            xs[i] = (B[i] - A[i] @ xs + A[i, i] * xs[i]) / A[i, i]
    np.testing.assert_allclose(x, xs, rtol=1e-12)


def test_gauss_southwell_and_random_rules():
    grad = lambda x: jnp.asarray(A) @ x - jnp.asarray(B)  # noqa: E731
    steps = 1.0 / np.diag(A)
    tx = gx.coordinate_descent(jnp.asarray(steps), rule="gauss_southwell")
    x, s = jnp.zeros(4), tx.init(jnp.zeros(4))
    for _ in range(5):
        g = np.asarray(grad(x))
        want = int(np.argmax(g**2 * steps))  # Gauss-Southwell-Lipschitz: g_i^2 / L_i
        u, s = tx.update(grad(x), s, x)
        assert int(s.block) == want
        assert np.count_nonzero(np.asarray(u)) == 1
        x = gx.apply_updates(x, u)
    x, blocks = _steps(gx.coordinate_descent(0.1, rule="random", seed=3), np.zeros(4), 40, grad)
    assert set(blocks) == {0, 1, 2, 3} and blocks != sorted(blocks)
    x, _ = _steps(
        gx.coordinate_descent(jnp.asarray(steps), rule="gauss_southwell"), np.zeros(4), 300, grad
    )
    np.testing.assert_allclose(x, np.linalg.solve(A, B), rtol=1e-9)


def test_blocks_within_leaves_and_whole_leaves():
    params = {"a": jnp.ones(5), "b": jnp.ones((2, 2))}
    grads = jax.tree.map(jnp.ones_like, params)
    tx = gx.coordinate_descent(0.5, block_size=2)  # a: blocks {0,1},{2,3},{4}; b: {0,1},{2,3}
    s = tx.init(params)
    changed = []
    for _ in range(5):
        u, s = tx.update(grads, s, params)
        changed.append((np.flatnonzero(u["a"]).tolist(), np.flatnonzero(u["b"]).tolist()))
    assert changed == [([0, 1], []), ([2, 3], []), ([4], []), ([], [0, 1]), ([], [2, 3])]
    tx = gx.coordinate_descent(0.5, block_size=None, rule="gauss_southwell")
    grads = {"a": jnp.full(5, 0.1), "b": jnp.ones((2, 2))}
    u, s = tx.update(grads, tx.init(params), params)
    assert int(s.block) == 1 and not np.any(u["a"]) and np.all(u["b"] == -0.5)


def test_lasso_coordinate_update_with_l1_prox():
    X = RNG.normal(size=(20, 4))
    y = X @ np.array([1.0, 0.0, -2.0, 0.0]) + 0.1 * RNG.normal(size=20)
    n, alpha = 20, 0.1
    grad = lambda w: jnp.asarray(X).T @ (jnp.asarray(X) @ w - jnp.asarray(y)) / n  # noqa: E731
    d = np.sum(X**2, axis=0) / n
    tx = gx.coordinate_descent(
        jnp.asarray(1 / d), prox=gx.proximal.prox_lasso, prox_hyperparams=alpha
    )
    w, _ = _steps(tx, np.zeros(4), 8, grad)
    ws = np.zeros(4)
    for _ in range(2):  # exact lasso coordinate minimisation, two sweeps
        for j in range(4):
            z = X[:, j] @ (y - X @ ws) / n + d[j] * ws[j]
            ws[j] = np.sign(z) * max(abs(z) - alpha, 0) / d[j]
    np.testing.assert_allclose(w, ws, rtol=1e-12, atol=1e-15)


def test_errors():
    with pytest.raises(ValueError, match=MSG_RULE_MUST_BE_ONE_OF):
        gx.coordinate_descent(0.1, rule="greedy")
    with pytest.raises(ValueError, match=MSG_BLOCK_SIZE_MUST_BE_1_GOT_0):
        gx.coordinate_descent(0.1, block_size=0)
    with pytest.raises(ValueError, match=MSG_LEARNING_RATE_MUST_BE_IN_0_INF):
        gx.coordinate_descent(-1.0)
    with pytest.raises(TypeError, match=MSG_PROX_MUST_BE_CALLABLE):
        gx.coordinate_descent(0.1, prox=3)
