"""Lanczos: exact on full order, breakdowns, Ritz vectors, and a loop that does not unroll."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gradtx import curvature
from tests.messages import MSG_LANCZOS_ORDER_31_ORDER_MUST_BE_IN, MSG_ORDER_MUST_BE_AN_INT

B = jax.random.normal(jax.random.PRNGKey(3), (30, 30), jnp.float64)
SYM = (B + B.T) / 2
V0 = jnp.ones(30)


def test_full_order_gives_the_spectrum_and_ritz_vectors():
    res = jax.jit(lambda v: curvature.lanczos(lambda x: SYM @ x, v, 30, ritz_vectors=True))(V0)
    vals = np.linalg.eigvalsh(np.asarray(SYM))
    np.testing.assert_allclose(res.ritz_values, vals, rtol=1e-10, atol=1e-12)
    y = np.asarray(res.ritz_vectors)
    np.testing.assert_allclose(y @ y.T, np.eye(30), atol=1e-10)  # orthonormal
    resid = np.asarray(SYM) @ y.T - y.T * np.asarray(res.ritz_values)[None, :]
    assert np.max(np.abs(resid)) < 1e-10
    np.testing.assert_allclose(res.alphas[0], V0 @ SYM @ V0 / 30, rtol=1e-12)
    t = jax.eval_shape(lambda v: curvature.lanczos(lambda x: SYM @ x, v, 30), V0)
    assert t.ritz_vectors is None and t.alphas.shape == (30,) and t.betas.shape == (29,)


def test_breakdown_on_repeated_eigenvalues_restarts_with_exact_spectrum():
    # The Krylov space of ones under diag(1, 1, 1, 2, 3) has dimension 3: the
    # recurrence breaks down and must restart orthogonally with beta = 0.
    d = jnp.array([1.0, 1.0, 1.0, 2.0, 3.0])
    res = curvature.lanczos(lambda x: d * x, jnp.ones(5), 5, ritz_vectors=True)
    np.testing.assert_allclose(res.ritz_values, [1, 1, 1, 2, 3], atol=1e-12)
    assert np.all(np.isfinite(res.ritz_vectors))
    assert np.min(np.abs(res.betas)) < 1e-12  # the restart shows as a zero coupling


def test_pytree_operator_and_without_reorthogonalisation():
    tree = {"a": jnp.ones((3, 2)), "b": jnp.ones(4)}
    scale = {"a": jnp.arange(1.0, 7.0).reshape(3, 2), "b": jnp.arange(7.0, 11.0)}
    op = lambda t: jax.tree.map(jnp.multiply, scale, t)
    res = curvature.lanczos(op, tree, 10, ritz_vectors=True)
    np.testing.assert_allclose(res.ritz_values, np.arange(1.0, 11.0), atol=1e-10)
    assert res.ritz_vectors["a"].shape == (10, 3, 2)
    plain = curvature.lanczos(lambda x: SYM @ x, V0, 20, reorthogonalize=False)
    vals = np.linalg.eigvalsh(np.asarray(SYM))
    np.testing.assert_allclose(np.asarray(plain.ritz_values)[[0, -1]], vals[[0, -1]], rtol=1e-6)


def test_program_size_does_not_grow_with_order():
    def size(m):
        jaxpr = jax.make_jaxpr(lambda v: curvature.lanczos(lambda x: SYM @ x, v, m))(V0)
        return len(jaxpr.jaxpr.eqns)

    assert size(5) == size(25)


def test_bad_order():
    with pytest.raises(ValueError, match=MSG_LANCZOS_ORDER_31_ORDER_MUST_BE_IN):
        curvature.lanczos(lambda x: x, V0, 31)
    with pytest.raises(TypeError, match=MSG_ORDER_MUST_BE_AN_INT):
        curvature.lanczos(lambda x: x, V0, 2.0)
