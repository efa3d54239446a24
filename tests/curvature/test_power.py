"""power_iteration: optax's behaviour on matrices, and the pytree-operator form."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradtx
from gradtx import curvature
from tests.messages import (
    MSG_MATRIX_MUST_BE_SQUARE,
    MSG_NUM_ITERS_1_NUM_ITERS_MUST_BE,
    MSG_POWER_ITERATION_V0_MUST_BE_GIVEN,
)

A = jax.random.normal(jax.random.PRNGKey(0), (6, 6), jnp.float64)
SPD = A @ A.T


def test_same_object_at_both_paths():
    assert gradtx.power_iteration is curvature.power_iteration


def test_matrix_matches_eigh_and_optax():
    eig, vec = jax.jit(lambda m: gradtx.power_iteration(m, num_iters=500, error_tolerance=1e-12))(
        SPD
    )
    vals, vecs = np.linalg.eigh(np.asarray(SPD))
    np.testing.assert_allclose(eig, vals[-1], rtol=1e-10)
    np.testing.assert_allclose(np.abs(vec @ vecs[:, -1]), 1.0, rtol=1e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref_eig, ref_vec = optax.power_iteration(SPD, num_iters=37, error_tolerance=0.0)
    got_eig, got_vec = gradtx.power_iteration(SPD, num_iters=37, error_tolerance=0.0)
    np.testing.assert_allclose(got_eig, ref_eig, rtol=1e-12)
    np.testing.assert_allclose(got_vec, ref_vec, rtol=1e-10, atol=1e-12)


def test_operator_on_pytrees_and_signed_dominant_eigenvalue():
    op = lambda t: {"a": 2.0 * t["a"], "b": -3.0 * t["b"]}
    v0 = {"a": jnp.ones(3), "b": jnp.ones(2)}
    eig, vec = gradtx.power_iteration(op, v0=v0, num_iters=200, error_tolerance=1e-10)
    np.testing.assert_allclose(eig, -3.0, rtol=1e-8)  # largest magnitude, with its sign
    np.testing.assert_allclose(vec["a"], 0.0, atol=1e-6)
    assert jax.tree.structure(vec) == jax.tree.structure(v0)


def test_hessian_operator_and_vmap_over_matrices():
    mats = jnp.stack([SPD, 2.0 * SPD])
    eigs, _ = jax.vmap(lambda m: gradtx.power_iteration(m, num_iters=500, error_tolerance=1e-12))(
        mats
    )
    top = np.linalg.eigvalsh(np.asarray(SPD))[-1]
    np.testing.assert_allclose(eigs, [top, 2 * top], rtol=1e-9)
    f = lambda p: 0.5 * p @ SPD @ p
    x = jnp.ones(6)
    eig, _ = jax.jit(
        lambda x: gradtx.power_iteration(
            lambda v: curvature.hvp(f, x, v), v0=x, num_iters=500, error_tolerance=1e-12
        )
    )(x)
    np.testing.assert_allclose(eig, top, rtol=1e-9)


def test_bad_input():
    with pytest.raises(ValueError, match=MSG_POWER_ITERATION_V0_MUST_BE_GIVEN):
        gradtx.power_iteration(lambda v: v)
    with pytest.raises(ValueError, match=MSG_MATRIX_MUST_BE_SQUARE):
        gradtx.power_iteration(jnp.ones((2, 3)))
    with pytest.raises(ValueError, match=MSG_NUM_ITERS_1_NUM_ITERS_MUST_BE):
        gradtx.power_iteration(SPD, num_iters=-1)
