"""Projections: closed forms, KKT conditions, feasibility, idempotence, and optax parity."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from scipy.optimize import minimize

import gradtx
from gradtx import projections as P

R = np.random.default_rng(7)
X = R.normal(size=8) * 2
TREE = {"w": R.normal(size=(2, 3)) * 2, "b": R.normal(size=2)}


def _flat(tree):
    return np.concatenate([np.ravel(x) for x in jax.tree.leaves(tree)])


def _simplex_np(v, s=1.0):
    """Sorting-based float64 reference (Held et al.)."""
    u = np.sort(v)[::-1]
    css = np.cumsum(u)
    k = np.arange(1, len(v) + 1)
    rho = k[u * k > css - s][-1]
    return np.maximum(v - (css[rho - 1] - s) / rho, 0)


FEASIBLE = {
    "projection_non_negative": (lambda y: np.all(y >= 0), {}),
    "projection_box": (lambda y: np.all((y >= -0.5) & (y <= 0.7)), {"lower": -0.5, "upper": 0.7}),
    "projection_hypercube": (lambda y: np.all((y >= 0) & (y <= 2)), {"scale": 2.0}),
    "projection_linf_ball": (lambda y: np.max(np.abs(y)) <= 0.3, {"scale": 0.3}),
    "projection_simplex": (lambda y: np.all(y >= 0) and np.isclose(y.sum(), 2.0), {"scale": 2.0}),
    "projection_l1_sphere": (lambda y: np.isclose(np.abs(y).sum(), 1.5), {"scale": 1.5}),
    "projection_l1_ball": (lambda y: np.abs(y).sum() <= 1.5 + 1e-12, {"scale": 1.5}),
    "projection_l2_sphere": (lambda y: np.isclose(np.linalg.norm(y), 1.5), {"scale": 1.5}),
    "projection_l2_ball": (lambda y: np.linalg.norm(y) <= 1.5 + 1e-12, {"scale": 1.5}),
}


@pytest.mark.parametrize("name", sorted(FEASIBLE))
def test_feasible_idempotent_and_optax_parity(name):
    feasible, kwargs = FEASIBLE[name]
    f = getattr(P, name)
    for x in (X, TREE):
        y = f(x, **kwargs)
        assert jax.tree.structure(y) == jax.tree.structure(x)
        assert feasible(_flat(y)), name
        np.testing.assert_allclose(_flat(f(y, **kwargs)), _flat(y), rtol=1e-12, atol=1e-12)
    theirs = getattr(optax.projections, name)(X, **kwargs)
    np.testing.assert_allclose(f(X, **kwargs), theirs, rtol=1e-12, atol=1e-12)


def test_simplex_against_sorting_reference_and_a_qp_solver():
    for s in (1.0, 3.0):
        np.testing.assert_allclose(
            P.projection_simplex(X, s), _simplex_np(X, s), rtol=1e-12, atol=1e-14
        )
    np.testing.assert_allclose(
        _flat(P.projection_simplex(TREE)), _simplex_np(_flat(TREE)), atol=1e-14
    )
    res = minimize(
        lambda p: np.sum((p - X) ** 2), np.full(8, 1 / 8), method="SLSQP",
        bounds=[(0, None)] * 8, constraints=[{"type": "eq", "fun": lambda p: p.sum() - 1}], tol=1e-12,
    )  # fmt: skip
    np.testing.assert_allclose(P.projection_simplex(X), res.x, atol=1e-6)


def test_simplex_jacobian_and_minus_inf_entries():
    jac = jax.jacobian(P.projection_simplex)(X)
    support = _simplex_np(X) > 0
    k = support.sum()
    want = np.where(np.outer(support, support), np.eye(8) - 1.0 / k, 0.0)
    np.testing.assert_allclose(jac, want, atol=1e-12)
    x = X.copy()
    x[2] = -np.inf
    y = P.projection_simplex(x)
    assert y[2] == 0 and np.isclose(np.sum(y), 1.0)
    assert np.all(np.isfinite(jax.jacobian(P.projection_simplex)(x)))


def test_l1_ball_kkt():
    """y = sign(x) max(|x| - tau, 0) with tau >= 0, and tau > 0 only if |y|_1 = scale."""
    for scale in (0.5, 2.0, 100.0):
        y = np.asarray(P.projection_l1_ball(X, scale))
        active = y != 0
        taus = np.abs(X - y)[active]
        tau = taus[0]
        np.testing.assert_allclose(taus, tau, rtol=1e-10, atol=1e-12)
        assert np.all(np.sign(y[active]) == np.sign(X[active]))
        assert np.all(np.abs(X[~active]) <= tau + 1e-12)
        if tau > 1e-12:
            np.testing.assert_allclose(np.abs(y).sum(), scale, rtol=1e-12)
        else:
            np.testing.assert_allclose(y, X)


def test_l2_and_affine_closed_forms():
    norm = np.linalg.norm(X)
    np.testing.assert_allclose(P.projection_l2_sphere(X, 2.0), 2.0 * X / norm, rtol=1e-12)
    np.testing.assert_allclose(P.projection_l2_ball(X, 2.0), X * 2.0 / max(norm, 2.0), rtol=1e-12)
    np.testing.assert_allclose(P.projection_l2_ball(X, 2 * norm), X, rtol=1e-12)
    a = R.normal(size=8)
    np.testing.assert_allclose(P.projection_vector(X, a), (X @ a) / (a @ a) * a, rtol=1e-12)
    for b in (-1.0, 5.0, float(X @ a) + 1.0):
        h = np.asarray(P.projection_hyperplane(X, a, b))
        np.testing.assert_allclose(h @ a, b, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(h, X + (b - X @ a) / (a @ a) * a, rtol=1e-12)
        s = np.asarray(P.projection_halfspace(X, a, b))
        assert s @ a <= b + 1e-12
        np.testing.assert_allclose(s, X if X @ a <= b else h, rtol=1e-12)
        np.testing.assert_allclose(
            P.projection_halfspace(X, a, b), optax.projections.projection_halfspace(X, a, b)
        )
        np.testing.assert_allclose(
            P.projection_hyperplane(X, a, b), optax.projections.projection_hyperplane(X, a, b)
        )
    ta = jax.tree.map(lambda x: jnp.ones_like(x), TREE)
    y = P.projection_hyperplane(TREE, ta, 1.0)
    np.testing.assert_allclose(_flat(y).sum(), 1.0, rtol=1e-12)
    np.testing.assert_allclose(_flat(P.projection_vector(TREE, ta)), _flat(TREE).mean(), rtol=1e-12)


def test_box_with_tree_bounds_and_projected_gradient_loop():
    lower = {"w": np.full((2, 3), -0.1), "b": np.zeros(2)}
    upper = {"w": np.full((2, 3), 0.2), "b": np.ones(2)}
    y = P.projection_box(TREE, lower, upper)
    np.testing.assert_allclose(y["w"], np.clip(TREE["w"], -0.1, 0.2))
    # A projected-gradient loop onto the simplex converges to the projection of the target.
    target = jnp.asarray(X)
    p = jnp.full(8, 1 / 8)
    step = jax.jit(lambda p: P.projection_simplex(p - 0.5 * 2 * (p - target)))
    for _ in range(3):
        p = step(p)
    np.testing.assert_allclose(p, _simplex_np(X), atol=1e-12)
    assert gradtx.projections.projection_simplex is P.projection_simplex


def test_namespace_matches_optax():
    theirs = sorted(n for n in dir(optax.projections) if not n.startswith("_"))
    ours = sorted(n for n in dir(gradtx.projections) if not n.startswith("_"))
    assert ours == theirs and len(ours) == 12
    import inspect

    for n in theirs:
        assert list(inspect.signature(getattr(P, n)).parameters) == list(
            inspect.signature(getattr(optax.projections, n)).parameters
        )
