"""Regression losses against torch.nn.functional and float64 NumPy transcriptions."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch
import torch.nn.functional as F

import gradtx
from tests.losses._util import assert_finite_value_and_grad, check_grads, rng
from tests.messages import (
    MSG_GRADTX_LOSSES_L2_LOSS_TARGETS_OF_SHAPE,
    MSG_GRADTX_LOSSES_SQUARED_ERROR_PREDICTIONS_MUST_HAVE,
)

R = rng(1)
P = R.normal(size=(3, 5)) * 2
T = R.normal(size=(3, 5))
TP, TT = torch.tensor(P), torch.tensor(T)


@pytest.mark.parametrize(
    "name, reference",
    [
        ("squared_error", lambda: F.mse_loss(TP, TT, reduction="none")),
        ("l2_loss", lambda: 0.5 * F.mse_loss(TP, TT, reduction="none")),
        ("absolute_error", lambda: F.l1_loss(TP, TT, reduction="none")),
        ("l1_loss", lambda: F.l1_loss(TP, TT, reduction="none")),
        ("huber_loss", lambda: F.huber_loss(TP, TT, reduction="none", delta=1.0)),
        ("log_cosh", lambda: torch.log(torch.cosh(TP - TT))),
    ],
)
def test_elementwise_against_torch_and_grads(name, reference):
    f = getattr(gradtx.losses, name)
    np.testing.assert_allclose(
        f(jnp.asarray(P), jnp.asarray(T)), reference().numpy(), rtol=1e-6, atol=1e-12
    )
    check_grads(lambda p: f(p, jnp.asarray(T)), (jnp.asarray(P),), order=1, modes=("rev",))
    if hasattr(optax.losses, name):
        np.testing.assert_allclose(f(P, T), getattr(optax.losses, name)(P, T), rtol=1e-12)


def test_huber_delta_and_default_targets():
    np.testing.assert_allclose(
        gradtx.losses.huber_loss(P, delta=0.3),
        F.huber_loss(TP, torch.zeros_like(TP), reduction="none", delta=0.3).numpy(),
        rtol=1e-6,
    )
    np.testing.assert_allclose(gradtx.losses.squared_error(P), P**2)


def test_targets_broadcast_and_where_masks_nan():
    row = T[:1]
    np.testing.assert_allclose(gradtx.losses.squared_error(P, row), (P - row) ** 2)
    where = R.random(P.shape) > 0.4
    garbage = np.where(where, P, np.nan)
    for name in ("squared_error", "l2_loss", "absolute_error", "huber_loss", "log_cosh"):
        f = getattr(gradtx.losses, name)
        value, grad = assert_finite_value_and_grad(lambda p, f=f: f(p, T, where=where), garbage)
        np.testing.assert_allclose(value, np.where(where, f(P, T), 0.0))
        assert np.all(grad[~where] == 0)


def test_absolute_error_gradient_is_sign_and_zero_at_zero():
    import jax

    g = jax.grad(lambda p: jnp.sum(gradtx.losses.absolute_error(p, jnp.array([0.0, 1.0, 2.0]))))(
        jnp.array([1.0, 1.0, 1.0])
    )
    np.testing.assert_array_equal(g, [1.0, 0.0, -1.0])  # torch's l1_loss also gives 0 at 0


def test_log_cosh_large_errors_do_not_overflow():
    np.testing.assert_allclose(gradtx.losses.log_cosh(jnp.array([1e4])), [1e4 - np.log(2)])


@pytest.mark.parametrize("epsilon", [0.0, 0.1])
def test_cosine_similarity_against_torch_and_optax(epsilon):
    got = gradtx.losses.cosine_similarity(P, T, epsilon=epsilon)
    if epsilon == 0.0:
        np.testing.assert_allclose(
            got, F.cosine_similarity(TP, TT, dim=-1, eps=0.0).numpy(), rtol=1e-6
        )
    np.testing.assert_allclose(
        got, optax.losses.cosine_similarity(P, T, epsilon=epsilon), rtol=1e-12
    )
    np.testing.assert_allclose(
        gradtx.losses.cosine_distance(P, T, epsilon=epsilon, axis=0),
        optax.losses.cosine_distance(P, T, epsilon=epsilon, axis=0),
        rtol=1e-12,
    )
    check_grads(
        lambda p: gradtx.losses.cosine_distance(p, T, epsilon=epsilon), (P,), 1, modes=("rev",)
    )


def test_cosine_where_equals_dropping_the_entries():
    where = np.array([True, False, True, True, False])
    want = gradtx.losses.cosine_similarity(P[:, where], T[:, where])
    np.testing.assert_allclose(gradtx.losses.cosine_similarity(P, T, where=where), want, rtol=1e-12)
    np.testing.assert_allclose(
        gradtx.losses.cosine_similarity(P, T, where=np.broadcast_to(where, P.shape)),
        optax.losses.cosine_similarity(P, T, where=np.broadcast_to(where, P.shape)),
        rtol=1e-12,
    )
    garbage = np.where(where, P, np.inf)
    assert_finite_value_and_grad(
        lambda p: gradtx.losses.cosine_similarity(p, T, where=where), garbage
    )


def test_bad_inputs():
    with pytest.raises(TypeError, match=MSG_GRADTX_LOSSES_SQUARED_ERROR_PREDICTIONS_MUST_HAVE):
        gradtx.losses.squared_error(jnp.array([1, 2]))
    with pytest.raises(ValueError, match=MSG_GRADTX_LOSSES_L2_LOSS_TARGETS_OF_SHAPE):
        gradtx.losses.l2_loss(jnp.zeros(3), jnp.zeros(4))
