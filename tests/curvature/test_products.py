"""Curvature products against dense matrices built with jax.hessian / jax.jacfwd (float64)."""

import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np
import pytest

from gradtx import curvature
from tests.messages import MSG_GRADTX_CURVATURE_HVP_FUN_3_FUN_MUST

KEY = jax.random.PRNGKey(0)
W0 = {"a": jax.random.normal(KEY, (3, 2), jnp.float64), "b": jnp.array([0.3, -0.2])}
X = jax.random.normal(jax.random.PRNGKey(1), (5, 3), jnp.float64)
V = {
    "a": jax.random.normal(jax.random.PRNGKey(2), (3, 2), jnp.float64),
    "b": jnp.array([1.0, -2.0]),
}


def model(p, x):
    return jnp.tanh(x @ p["a"] + p["b"][None, :])


def flat(t):
    return jax.flatten_util.ravel_pytree(t)[0]


def dense(f):
    """Dense matrix of a function of the flat params."""
    return jax.hessian(f)(flat(W0))


_, UNRAVEL = jax.flatten_util.ravel_pytree(W0)


def test_hvp_equals_dense_hessian_times_v():
    loss = lambda p, x: jnp.sum(model(p, x) ** 3)
    h = dense(lambda w: loss(UNRAVEL(w), X))
    got = flat(curvature.hvp(loss, W0, V, X))
    np.testing.assert_allclose(got, h @ flat(V), rtol=1e-12)


def test_hvp_has_aux_ignores_aux():
    loss = lambda p, x: (jnp.sum(model(p, x) ** 2), "aux")
    ref = curvature.hvp(lambda p, x: loss(p, x)[0], W0, V, X)
    got = curvature.hvp(loss, W0, V, X, has_aux=True)
    np.testing.assert_allclose(flat(got), flat(ref), rtol=1e-14)


def test_gnvp_least_squares_is_jtj():
    j = jax.jacfwd(lambda w: model(UNRAVEL(w), X).ravel())(flat(W0))
    got = flat(curvature.gnvp(model, W0, V, X))
    np.testing.assert_allclose(got, j.T @ j @ flat(V), rtol=1e-12)


def test_gnvp_with_loss_is_jt_hl_j():
    loss_fn = lambda out: jnp.sum(jnp.cosh(out))
    j = jax.jacfwd(lambda w: model(UNRAVEL(w), X).ravel())(flat(W0))
    out = model(W0, X).ravel()
    hl = np.diag(np.cosh(np.asarray(out)))
    got = flat(curvature.gnvp(model, W0, V, X, loss_fn=loss_fn))
    np.testing.assert_allclose(got, j.T @ hl @ j @ flat(V), rtol=1e-12)


def test_fisher_vp_equals_hessian_of_mean_cross_entropy_gauss_newton():
    labels = jnp.array([0, 1, 1, 0, 1])
    logits_fn = lambda p, x: x @ p["a"] + p["b"][None, :]  # linear model: GN == Hessian of CE
    ce = lambda p, x: (
        -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits_fn(p, x)), labels[:, None], 1))
    )
    h = dense(lambda w: ce(UNRAVEL(w), X))
    got = flat(curvature.fisher_vp(logits_fn, W0, V, X))
    np.testing.assert_allclose(got, h @ flat(V), rtol=1e-10, atol=1e-14)


def test_empirical_fisher_vp_is_mean_outer_product_of_gradients():
    y = jnp.arange(5.0)
    per_ex = lambda p, x: jnp.sum((model(p, x) - y[:, None]) ** 2, axis=1)
    g = jax.jacrev(lambda w: per_ex(UNRAVEL(w), X))(flat(W0))  # (N, P)
    got = flat(curvature.empirical_fisher_vp(per_ex, W0, V, X))
    np.testing.assert_allclose(got, g.T @ (g @ flat(V)) / 5, rtol=1e-12)


def test_products_jit_and_vmap_over_vectors():
    loss = lambda p, x: jnp.sum(model(p, x) ** 2)
    vs = jax.tree.map(lambda a: jnp.stack([a, 2 * a]), V)
    batched = jax.jit(jax.vmap(lambda v: curvature.hvp(loss, W0, v, X)))(vs)
    single = curvature.hvp(loss, W0, V, X)
    np.testing.assert_allclose(
        flat(jax.tree.map(lambda a: a[1], batched)), 2 * flat(single), rtol=1e-12
    )


def test_non_callable_is_rejected_with_a_clear_error():
    with pytest.raises(TypeError, match=MSG_GRADTX_CURVATURE_HVP_FUN_3_FUN_MUST):
        curvature.hvp(3, W0, V)
