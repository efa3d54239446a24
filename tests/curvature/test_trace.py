"""hessian_trace (Hutchinson, Hutch++, exact) and hessian_diagonal: closed forms and Monte Carlo rates."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gradtx import curvature
from tests.curvature.problems import (
    SMALL,
    XS,
    YS,
    flat,
    small_hessian,
    small_jacobian,
    small_loss,
    small_model,
)
from tests.messages import (
    MSG_HESSIAN_DIAGONAL_METHOD_HUTCH,
    MSG_HESSIAN_TRACE_METHOD_HUTCH_METHOD_MUST_BE,
    MSG_NUM_SAMPLES_2_NUM_SAMPLES_MUST_BE,
)

_B = jax.random.normal(jax.random.PRNGKey(7), (20, 20), jnp.float64)
A = (_B + _B.T) / 2  # indefinite
X0 = jnp.zeros(20)
quad = lambda x, a: 0.5 * x @ a @ x


def _hutchinson_variance(a, s):
    a = np.asarray(a)
    return 2 * (np.sum(a**2) - np.sum(np.diag(a) ** 2)) / s


def test_hutchinson_is_unbiased_at_the_monte_carlo_rate():
    keys = jax.random.split(jax.random.PRNGKey(0), 4096)
    one = jax.jit(jax.vmap(lambda k: curvature.hessian_trace(quad, X0, A, num_samples=1, key=k)))(
        keys
    )
    exact = float(jnp.trace(A))
    mses = {}
    for s in (4, 16, 64):
        est = np.asarray(one).reshape(-1, s).mean(axis=1)
        mses[s] = np.mean((est - exact) ** 2)
        # The mean squared error is the variance 2 (||A||_F^2 - sum A_ii^2) / s.
        assert 0.7 < mses[s] / _hutchinson_variance(A, s) < 1.4, (s, mses[s])
    assert 10 < mses[4] / mses[64] < 24  # error ~ 1/sqrt(s): MSE ratio 16
    many = curvature.hessian_trace(quad, X0, A, num_samples=2000, key=jax.random.PRNGKey(1))
    assert abs(float(many) - exact) < 4 * np.sqrt(_hutchinson_variance(A, 2000))


def test_diagonal_hessian_is_exact_and_hutchplusplus_exact_at_low_rank():
    b = jax.random.normal(jax.random.PRNGKey(2), (3, 20), jnp.float64)
    low = b.T @ b  # rank 3

    @jax.jit
    def run(diag, low):
        return (
            curvature.hessian_trace(quad, X0, jnp.diag(diag), num_samples=3),
            curvature.hessian_trace(quad, X0, low, num_samples=9, method="hutch++"),
            curvature.hessian_trace(quad, X0, low, num_samples=9),
        )

    diag_tr, plus, plain = run(jnp.arange(1.0, 21.0), low)
    np.testing.assert_allclose(diag_tr, 210.0, rtol=1e-12)
    np.testing.assert_allclose(plus, jnp.trace(low), rtol=1e-10)
    assert abs(float(plain - jnp.trace(low))) > 1e-3 * float(jnp.trace(low))


def test_hutchplusplus_beats_hutchinson_on_a_decaying_spectrum():
    u, _ = jnp.linalg.qr(_B)
    a = u @ jnp.diag(0.3 ** jnp.arange(20.0)) @ u.T
    keys = jax.random.split(jax.random.PRNGKey(3), 64)
    err = jax.jit(
        jax.vmap(
            lambda k: jnp.stack(
                [
                    curvature.hessian_trace(quad, X0, a, num_samples=12, key=k, method=m)
                    for m in ("hutchinson", "hutch++")
                ]
            )
        )
    )(keys) - jnp.trace(a)
    rms = np.sqrt(np.mean(np.asarray(err) ** 2, axis=0))
    assert rms[1] < 0.2 * rms[0], rms


def test_exact_trace_and_diagonal_on_an_mlp():
    h = small_hessian()

    @jax.jit
    def run(p):
        return (
            curvature.hessian_trace(small_loss, p, XS, YS, method="exact"),
            curvature.hessian_trace(small_model, p, XS, matrix="gauss_newton", method="exact"),
            curvature.hessian_diagonal(small_loss, p, XS, YS, method="exact"),
            curvature.hessian_diagonal(small_loss, p, XS, YS, num_samples=4000),
        )

    tr, gn_tr, diag, est = run(SMALL)
    np.testing.assert_allclose(tr, np.trace(h), rtol=1e-12)
    j = small_jacobian()
    np.testing.assert_allclose(gn_tr, np.trace(j.T @ j), rtol=1e-12)  # 0.5 ||outputs||^2
    assert jax.tree.structure(diag) == jax.tree.structure(SMALL)
    np.testing.assert_allclose(flat(diag), np.diag(h), rtol=1e-12, atol=1e-14)
    # Hutchinson's diagonal: unbiased, entry variance sum_{j != i} H_ij^2 / s.
    sd = np.sqrt((np.sum(h**2, axis=1) - np.diag(h) ** 2) / 4000)
    z = (np.asarray(flat(est)) - np.diag(h)) / np.maximum(sd, 1e-300)
    assert np.max(np.abs(z[sd > 0])) < 4.5
    assert np.sqrt(np.mean(z[sd > 0] ** 2)) < 1.5


def test_bad_input():
    with pytest.raises(ValueError, match=MSG_HESSIAN_TRACE_METHOD_HUTCH_METHOD_MUST_BE):
        curvature.hessian_trace(quad, X0, A, method="hutch")
    with pytest.raises(ValueError, match=MSG_NUM_SAMPLES_2_NUM_SAMPLES_MUST_BE):
        curvature.hessian_trace(quad, X0, A, num_samples=2, method="hutch++")
    with pytest.raises(ValueError, match=MSG_HESSIAN_DIAGONAL_METHOD_HUTCH):
        curvature.hessian_diagonal(quad, X0, A, method="hutch++")
