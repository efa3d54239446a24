"""make_perturbed_fun: optax's numbers for the same key, and closed-form expectations."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradtx
from gradtx import perturbations as pt
from tests.messages import (
    MSG_GRADTX_PERTURBATIONS_MAKE_PERTURBED_FUN_SIGMA_0,
    MSG_NUM_SAMPLES_MUST_BE_AN_INT,
)

KEY = jax.random.key(0)
X = jnp.array([0.3, -0.2, 0.5, 0.0])
EULER = 0.5772156649015329


def _relu_sum(x):
    return jnp.sum(jnp.maximum(x, 0.0))


def _tree_fun(t):
    return {"s": jnp.sum(jnp.maximum(t["a"], 0.0)) + jnp.max(t["b"]), "v": jnp.sign(t["b"])}


def test_same_key_gives_optax_values_and_gradients():
    ours = pt.make_perturbed_fun(_relu_sum, 200, 0.3, pt.Gumbel(), True)
    theirs = optax.perturbations.make_perturbed_fun(
        _relu_sum, 200, 0.3, optax.perturbations.Gumbel(), True
    )
    v_ours, g_ours = jax.jit(jax.value_and_grad(ours, argnums=1))(KEY, X)
    v_theirs, g_theirs = jax.jit(jax.value_and_grad(theirs, argnums=1))(KEY, X)
    np.testing.assert_allclose(v_ours, v_theirs, rtol=1e-6)
    np.testing.assert_allclose(g_ours, g_theirs, rtol=1e-6, atol=1e-9)


def test_pytree_inputs_and_outputs_match_optax_with_normal_noise_and_no_baseline():
    tree = {"a": X, "b": X[:3] * 2}
    ours = pt.make_perturbed_fun(_tree_fun, 50, 0.2, pt.Normal(), False)
    theirs = optax.perturbations.make_perturbed_fun(
        _tree_fun, 50, 0.2, optax.perturbations.Normal(), False
    )
    for a, b in zip(
        jax.tree.leaves(jax.jit(ours)(KEY, tree)), jax.tree.leaves(jax.jit(theirs)(KEY, tree))
    ):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_perturbed_max_with_gumbel_noise_matches_its_closed_form():
    """E max(x + sigma G) = sigma (logsumexp(x / sigma) + Euler's gamma); gradient = softmax(x / sigma)."""
    sigma, n = 0.5, 20000
    f = pt.make_perturbed_fun(jnp.max, n, sigma, pt.Gumbel())
    value, grad = jax.jit(jax.value_and_grad(f, argnums=1))(KEY, X)
    want = sigma * (jax.nn.logsumexp(X / sigma) + EULER)
    assert abs(value - want) < 4 * sigma * 1.3 / np.sqrt(n)  # Gumbel max has std ~1.28 sigma
    np.testing.assert_allclose(grad, jax.nn.softmax(X / sigma), atol=0.05)


def test_perturbed_linear_function_with_normal_noise():
    """For a linear f, f_sigma = f: value exact up to noise, gradient close to the weights."""
    w = jnp.array([1.0, -2.0, 0.5, 3.0])
    n = 5000
    f = pt.make_perturbed_fun(lambda x: jnp.dot(w, x), n, 0.1, pt.Normal())
    value, grad = jax.jit(jax.value_and_grad(f, argnums=1))(KEY, X)
    np.testing.assert_allclose(
        value, jnp.dot(w, X), atol=4 * 0.1 * float(jnp.linalg.norm(w)) / np.sqrt(n)
    )
    np.testing.assert_allclose(grad, w, atol=0.15)


def test_noise_log_probs_and_validation():
    z = jnp.array([-1.0, 0.0, 2.0])
    np.testing.assert_allclose(pt.Normal().log_prob(z), -0.5 * z**2)
    np.testing.assert_allclose(pt.Gumbel().log_prob(z), -z - jnp.exp(-z))
    assert pt.Gumbel().sample(KEY, (3,), jnp.float32).dtype == jnp.float32
    with pytest.raises(ValueError, match=MSG_GRADTX_PERTURBATIONS_MAKE_PERTURBED_FUN_SIGMA_0):
        pt.make_perturbed_fun(_relu_sum, 10, 0.0)
    with pytest.raises(TypeError, match=MSG_NUM_SAMPLES_MUST_BE_AN_INT):
        pt.make_perturbed_fun(_relu_sum, 10.0)
    assert sorted(n for n in dir(gradtx.perturbations) if not n.startswith("_")) == sorted(
        n for n in dir(optax.perturbations) if not n.startswith("_")
    )
