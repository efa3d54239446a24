"""Proximal operators: each minimises |y - x|^2 / 2 + scaling * h(y); parity with jaxopt.prox."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gradtx as gx
from tests.messages import MSG_PROJECTION_MUST_BE_CALLABLE

P = gx.proximal
RNG = np.random.default_rng(0)
X = RNG.normal(size=7) * 2
S = 0.7

# (prox, hyperparams, h, constraint) with h the penalty the docstring names.
CASES = {
    "lasso": (P.prox_lasso, 0.6, lambda y: 0.6 * np.sum(np.abs(y)), None),
    "non_negative_lasso": (P.prox_non_negative_lasso, 0.6, lambda y: 0.6 * np.sum(np.abs(y)), "nonneg"),
    "elastic_net": (
        P.prox_elastic_net, (0.5, 2.0), lambda y: 0.5 * (np.sum(np.abs(y)) + 1.0 * np.sum(y**2)), None
    ),
    "ridge": (P.prox_ridge, 0.8, lambda y: 0.4 * np.sum(y**2), None),
    "non_negative_ridge": (P.prox_non_negative_ridge, 0.8, lambda y: 0.4 * np.sum(y**2), "nonneg"),
    "group_lasso": (P.prox_group_lasso, 1.5, lambda y: 1.5 * np.linalg.norm(y), None),
    "box": (P.prox_box, (-0.5, 1.0), lambda y: 0.0, "box"),
    "non_negative": (P.prox_non_negative, None, lambda y: 0.0, "nonneg"),
}  # fmt: skip


def _feasible(y, constraint):
    if constraint == "nonneg":
        return np.maximum(y, 0)
    if constraint == "box":
        return np.clip(y, -0.5, 1.0)
    return y


@pytest.mark.parametrize("name", list(CASES))
def test_prox_is_the_minimiser(name):
    prox, hyper, h, constraint = CASES[name]
    y = np.asarray(prox(jnp.asarray(X), hyper, S))
    np.testing.assert_array_equal(y, _feasible(y, constraint))
    obj = lambda z: 0.5 * np.sum((z - X) ** 2) + S * h(z)  # noqa: E731
    for _ in range(200):
        z = _feasible(y + RNG.normal(size=X.shape) * RNG.choice([1e-4, 1e-2, 1.0]), constraint)
        assert obj(y) <= obj(z) + 1e-12


@pytest.mark.parametrize("name", [n for n in CASES if n not in ("box", "non_negative")])
def test_matches_jaxopt(name):
    jaxopt_prox = pytest.importorskip("jaxopt.prox")
    prox, hyper, _, _ = CASES[name]
    tree = {"a": jnp.asarray(X[:3]), "b": jnp.asarray(X[3:])}
    got = prox(tree, hyper, S)
    want = getattr(jaxopt_prox, f"prox_{name}")(tree, hyper, S)
    for k in tree:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-12)


def test_trees_dtypes_and_projection_wrapper():
    tree = {"w": jnp.asarray([2.0, -0.1], jnp.bfloat16), "none": None, "b": jnp.asarray(-3.0)}
    out = P.prox_lasso(tree, {"w": 0.5, "none": None, "b": 1.0})
    assert out["none"] is None and out["w"].dtype == jnp.bfloat16
    np.testing.assert_allclose(np.asarray(out["w"], np.float32), [1.5, 0.0])
    assert float(out["b"]) == -2.0
    ball = P.make_prox_from_projection(lambda x, r: x * jnp.minimum(1.0, r / jnp.linalg.norm(x)))
    np.testing.assert_allclose(ball(jnp.asarray([3.0, 4.0]), 2.0, 123.0), [1.2, 1.6])
    assert P.prox_none(tree) is tree
    with pytest.raises(TypeError, match=MSG_PROJECTION_MUST_BE_CALLABLE):
        P.make_prox_from_projection(3)
    jax.jit(P.prox_group_lasso)(jnp.zeros(3), 1.0, 1.0)  # zero group: no division by zero
    assert np.all(np.isfinite(P.prox_group_lasso(jnp.zeros(3), 1.0)))


def test_namespace_reexports_are_the_defining_objects():
    from gradtx._optimizers import _accelerated

    assert P.fista is _accelerated.fista and P.proximal_gradient is _accelerated.proximal_gradient
    assert gx.accelerated_gradient is _accelerated.accelerated_gradient
