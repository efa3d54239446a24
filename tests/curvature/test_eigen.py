"""hessian_eigenvalues against dense eigh: the Hessian of a 291-parameter MLP, the
Gauss-Newton matrix and the Fisher of a 27-parameter one."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gradtx import curvature
from tests.curvature.problems import (
    LABELS_S,
    NS,
    PARAMS,
    SMALL,
    SMALL_FLAT,
    SMALL_UNRAVEL,
    XS,
    YS,
    X,
    Y,
    dense_eigh,
    dense_hessian,
    flat,
    loss,
    small_hessian,
    small_jacobian,
    small_loss,
    small_model,
)
from tests.messages import (
    MSG_K_2_K_MUST_BE_IN_1,
    MSG_LOSS_FN_IS_ONLY_USED_WITH_MATRIX,
    MSG_MATRIX_GGN_MATRIX_MUST_BE_ONE_OF,
    MSG_ORDER_5_ORDER_MUST_BE_AT_LEAST,
    MSG_WHICH_TOP_WHICH_MUST_BE,
)

ORDER = 120
Q = jnp.array(
    [[2.0, 1.0, 0.0, 0.0], [1.0, -1.0, 0.5, 0.0], [0.0, 0.5, 3.0, 0.2], [0.0, 0.0, 0.2, -4.0]]
)


def mse(out):
    return 0.5 * jnp.mean(jnp.sum((out - YS) ** 2, axis=1))


def per_ex(p, x, labels):
    logp = jax.nn.log_softmax(small_model(p, x))
    return -jnp.take_along_axis(logp, labels[:, None], 1)[:, 0]


@jax.jit
def _both(params, x, y):
    return curvature.hessian_eigenvalues(loss, params, x, y, k=3, which="both", order=ORDER)


def test_extreme_eigenpairs_match_eigh_to_1e8():
    vals, vecs = dense_eigh()
    res = _both(PARAMS, X, Y)
    want = np.r_[vals[:3], vals[-3:]]
    np.testing.assert_allclose(res.eigenvalues, want, rtol=1e-8)
    got = np.asarray(jax.vmap(flat)(res.eigenvectors))
    ref = np.concatenate([vecs[:, :3], vecs[:, -3:]], axis=1).T
    np.testing.assert_allclose(np.abs(np.sum(got * ref, axis=1)), 1.0, atol=1e-6)
    h = dense_hessian()
    resid = got @ h - got * np.asarray(res.eigenvalues)[:, None]
    assert np.max(np.linalg.norm(resid, axis=1)) < 1e-6 * np.max(np.abs(vals))
    assert jax.tree.structure(jax.tree.map(lambda x: x[0], res.eigenvectors)) == jax.tree.structure(
        PARAMS
    )


def test_vmap_over_mini_batches():
    xb, yb = jnp.stack([XS[:4], XS[4:]]), jnp.stack([YS[:4], YS[4:]])
    top = lambda x, y: curvature.hessian_eigenvalues(small_loss, SMALL, x, y, k=2, order=NS)
    batched = jax.jit(jax.vmap(lambda x, y: top(x, y).eigenvalues))(xb, yb)
    half = jax.jit(jax.hessian(lambda w: small_loss(SMALL_UNRAVEL(w), XS[4:], YS[4:])))
    np.testing.assert_allclose(batched[1], np.linalg.eigvalsh(half(SMALL_FLAT))[-2:], rtol=1e-9)


def test_gauss_newton_fisher_and_has_aux_against_dense_formulas():
    j = small_jacobian()  # (24, NS)
    eig = jax.jit(
        lambda p: [
            curvature.hessian_eigenvalues(
                small_model, p, XS, k=2, matrix="gauss_newton", loss_fn=mse, order=NS
            ).eigenvalues,
            curvature.hessian_eigenvalues(
                small_model, p, XS, k=2, matrix="fisher", order=NS
            ).eigenvalues,
            curvature.hessian_eigenvalues(
                per_ex, p, XS, LABELS_S, k=2, matrix="empirical_fisher", order=NS
            ).eigenvalues,
            curvature.hessian_eigenvalues(
                lambda p, x, y: (small_loss(p, x, y), {"aux": x}),
                p,
                XS,
                YS,
                k=2,
                order=NS,
                has_aux=True,
            ).eigenvalues,
        ]
    )
    gn_eig, fisher_eig, emp_eig, aux_eig = eig(SMALL)
    np.testing.assert_allclose(aux_eig, np.linalg.eigvalsh(small_hessian())[-2:], rtol=1e-9)
    # Mean squared error over 8 examples: H_L = I / 8 on the flattened outputs.
    np.testing.assert_allclose(gn_eig, np.linalg.eigvalsh(j.T @ j / 8)[-2:], rtol=1e-8)
    # Fisher of the softmax model: J^T blockdiag(diag(p) - p p^T) J / batch.
    probs = np.asarray(jax.jit(lambda p: jax.nn.softmax(small_model(p, XS)))(SMALL))
    blocks = np.zeros((24, 24))
    for i in range(8):
        blocks[3 * i : 3 * i + 3, 3 * i : 3 * i + 3] = np.diag(probs[i]) - np.outer(
            probs[i], probs[i]
        )
    fisher = j.T @ blocks @ j / 8
    np.testing.assert_allclose(fisher_eig, np.linalg.eigvalsh(fisher)[-2:], rtol=1e-8)
    # Empirical Fisher: mean of per-example gradient outer products.
    grads = np.asarray(
        jax.jit(jax.jacrev(lambda w: per_ex(SMALL_UNRAVEL(w), XS, LABELS_S)))(SMALL_FLAT)
    )
    emp = grads.T @ grads / 8
    np.testing.assert_allclose(emp_eig, np.linalg.eigvalsh(emp)[-2:], rtol=1e-8)


def test_which_on_a_small_quadratic_and_bad_input():
    f = lambda p: 0.5 * p["x"] @ Q @ p["x"] + p["y"] * p["x"][0]
    point = {"x": jnp.ones(4), "y": jnp.asarray(0.5)}
    dense = np.zeros((5, 5))
    dense[:4, :4], dense[0, 4], dense[4, 0] = np.asarray(Q), 1.0, 1.0
    vals = np.linalg.eigvalsh(dense)

    @jax.jit
    def three(p):
        e = lambda which: curvature.hessian_eigenvalues(f, p, k=2, which=which).eigenvalues
        return e("largest"), e("smallest"), e("both")

    top, bottom, both = three(point)
    np.testing.assert_allclose(top, vals[-2:], rtol=1e-12)
    np.testing.assert_allclose(bottom, vals[:2], rtol=1e-12)
    np.testing.assert_allclose(both, np.r_[vals[:2], vals[-2:]], rtol=1e-12)
    f = lambda p: 0.5 * (3.0 * p["x"] ** 2 - p["y"] ** 2) + p["x"] * p["y"]
    with pytest.raises(ValueError, match=MSG_WHICH_TOP_WHICH_MUST_BE):
        curvature.hessian_eigenvalues(loss, PARAMS, X, Y, which="top")
    with pytest.raises(ValueError, match=MSG_MATRIX_GGN_MATRIX_MUST_BE_ONE_OF):
        curvature.hessian_eigenvalues(loss, PARAMS, X, Y, matrix="ggn")
    with pytest.raises(ValueError, match=MSG_K_2_K_MUST_BE_IN_1):
        curvature.hessian_eigenvalues(f, {"x": 1.0, "y": 0.0}, k=2, which="both")
    with pytest.raises(ValueError, match=MSG_LOSS_FN_IS_ONLY_USED_WITH_MATRIX):
        curvature.hessian_eigenvalues(loss, PARAMS, X, Y, loss_fn=jnp.sum)
    with pytest.raises(ValueError, match=MSG_ORDER_5_ORDER_MUST_BE_AT_LEAST):
        curvature.hessian_eigenvalues(loss, PARAMS, X, Y, k=3, which="both", order=5)
