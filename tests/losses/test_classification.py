"""Binary and margin classification losses against torch, NumPy transcriptions and optax."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch
import torch.nn.functional as F

import gradtx
from tests.losses._util import assert_finite_value_and_grad, check_grads, rng

R = rng(3)
X = R.normal(size=(3, 5)) * 3
Y01 = (R.random((3, 5)) > 0.5).astype(np.float64)
YSOFT = R.random((3, 5))
YPM = 2 * Y01 - 1
SCORES = R.normal(size=(4, 5))
CLASSES = R.integers(0, 5, size=(4,))


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_sigmoid_bce_against_torch_and_optax():
    for labels in (Y01, YSOFT):
        got = gradtx.losses.sigmoid_binary_cross_entropy(X, labels)
        want = F.binary_cross_entropy_with_logits(
            torch.tensor(X), torch.tensor(labels), reduction="none"
        ).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-6)
        np.testing.assert_allclose(
            got, optax.losses.sigmoid_binary_cross_entropy(X, labels), rtol=1e-12
        )
    check_grads(
        lambda x: gradtx.losses.sigmoid_binary_cross_entropy(x, YSOFT), (X,), 1, modes=("rev",)
    )


def test_sigmoid_bce_infinite_logits_and_where():
    x = jnp.array([-jnp.inf, jnp.inf, 0.0])
    value, grad = assert_finite_value_and_grad(
        gradtx.losses.sigmoid_binary_cross_entropy, x, jnp.array([0.0, 1.0, 1.0])
    )
    np.testing.assert_allclose(value, [0.0, 0.0, np.log(2)], rtol=1e-12)
    np.testing.assert_allclose(grad, [0.0, 0.0, -0.5])
    where = Y01 > 0
    garbage = np.where(where, X, np.nan)
    value, grad = assert_finite_value_and_grad(
        lambda x: gradtx.losses.sigmoid_binary_cross_entropy(x, YSOFT, where=where), garbage
    )
    np.testing.assert_allclose(
        value, np.where(where, gradtx.losses.sigmoid_binary_cross_entropy(X, YSOFT), 0)
    )
    assert np.all(grad[~where] == 0)


@pytest.mark.parametrize("alpha, gamma", [(0.25, 2.0), (None, 0.0)])
def test_focal_loss_against_torchvision_transcription_and_optax(alpha, gamma):
    p = _sigmoid(X)
    ce = -(YSOFT * np.log(p) + (1 - YSOFT) * np.log(1 - p))
    p_t = p * YSOFT + (1 - p) * (1 - YSOFT)
    want = ce * (1 - p_t) ** gamma
    if alpha is not None:
        want = (alpha * YSOFT + (1 - alpha) * (1 - YSOFT)) * want
    got = gradtx.losses.sigmoid_focal_loss(X, YSOFT, alpha=alpha, gamma=gamma)
    np.testing.assert_allclose(got, want, rtol=1e-9)
    np.testing.assert_allclose(
        got, optax.losses.sigmoid_focal_loss(X, YSOFT, alpha=alpha, gamma=gamma), rtol=1e-9
    )
    check_grads(
        lambda x: gradtx.losses.sigmoid_focal_loss(x, Y01, alpha=alpha, gamma=gamma),
        (X,),
        1,
        modes=("rev",),
    )
    x = jnp.array([-jnp.inf, jnp.inf])
    assert_finite_value_and_grad(
        lambda a: gradtx.losses.sigmoid_focal_loss(
            a, jnp.array([0.0, 1.0]), alpha=alpha, gamma=gamma
        ),
        x,
    )


def test_hinge_and_perceptron():
    np.testing.assert_allclose(gradtx.losses.hinge_loss(X, YPM), np.maximum(0, 1 - X * YPM))
    np.testing.assert_allclose(gradtx.losses.hinge_loss(X, YPM), optax.losses.hinge_loss(X, YPM))
    np.testing.assert_allclose(gradtx.losses.perceptron_loss(X, YPM), np.maximum(0, -X * YPM))
    np.testing.assert_allclose(
        gradtx.losses.perceptron_loss(X, YPM), optax.losses.perceptron_loss(X, YPM)
    )
    # torch's soft-margin loss is a smoothed hinge; the hinge itself is torch's margin loss per entry.
    want = F.hinge_embedding_loss(
        torch.tensor(1 - X * YPM), torch.ones(3, 5), reduction="none", margin=0
    )
    np.testing.assert_allclose(gradtx.losses.hinge_loss(X, YPM), np.maximum(want.numpy(), 0))
    check_grads(lambda x: gradtx.losses.hinge_loss(x, YPM), (X + 0.01,), 1, modes=("rev",))
    np.testing.assert_allclose(
        gradtx.losses.hinge_loss(X, YPM, where=Y01 > 0),
        np.where(Y01 > 0, np.maximum(0, 1 - X * YPM), 0),
    )


def test_binary_sparsemax_against_transcription_optax_and_its_gradient():
    z = np.where(Y01 > 0, -X, X)
    want = np.where(z <= -1, 0.0, np.where(z >= 1, z, (z + 1) ** 2 / 4))
    got = gradtx.losses.sparsemax_loss(X, Y01.astype(int))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(got, optax.losses.sparsemax_loss(X, Y01.astype(int)), rtol=1e-12)
    grad = jax.grad(lambda x: jnp.sum(gradtx.losses.sparsemax_loss(x, Y01.astype(int))))(X)
    sparse_sigmoid = np.clip((X + 1) / 2, 0, 1)
    np.testing.assert_allclose(grad, sparse_sigmoid - Y01, atol=1e-12)
    assert_finite_value_and_grad(
        lambda x: gradtx.losses.sparsemax_loss(x, jnp.array([1, 0])), jnp.array([jnp.inf, -jnp.inf])
    )


def _onehot(labels, n):
    return np.eye(n)[labels]


def test_multiclass_hinge_and_perceptron_against_transcriptions_and_optax():
    oh = _onehot(CLASSES, 5)
    label_scores = (SCORES * oh).sum(-1)
    hinge = (SCORES + 1 - oh).max(-1) - label_scores
    np.testing.assert_allclose(
        gradtx.losses.multiclass_hinge_loss(SCORES, CLASSES), hinge, rtol=1e-12
    )
    np.testing.assert_allclose(
        gradtx.losses.multiclass_hinge_loss(SCORES, CLASSES),
        optax.losses.multiclass_hinge_loss(SCORES, CLASSES),
    )
    np.testing.assert_allclose(
        gradtx.losses.multiclass_perceptron_loss(SCORES, CLASSES),
        SCORES.max(-1) - label_scores,
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        gradtx.losses.multiclass_perceptron_loss(SCORES.T, CLASSES, axis=0),
        SCORES.max(-1) - label_scores,
        rtol=1e-12,
    )
    check_grads(
        lambda s: gradtx.losses.multiclass_hinge_loss(s, CLASSES), (SCORES,), 1, modes=("rev",)
    )


def test_multiclass_margin_where():
    where = R.random((4, 5)) > 0.4
    where[np.arange(4), CLASSES] = True
    where[2] = False
    garbage = np.where(where, SCORES, np.nan)
    value, grad = assert_finite_value_and_grad(
        lambda s: gradtx.losses.multiclass_hinge_loss(s, CLASSES, where=where), garbage
    )
    for i in (0, 1, 3):
        kept = np.flatnonzero(where[i])
        label = int(np.flatnonzero(kept == CLASSES[i])[0])
        want = gradtx.losses.multiclass_hinge_loss(SCORES[i, kept], jnp.array(label))
        np.testing.assert_allclose(value[i], want, rtol=1e-12)
    assert value[2] == 0 and np.all(grad[~where] == 0)


def _sparsemax_np(z):
    u = np.sort(z)[::-1]
    css = np.cumsum(u)
    k = np.arange(1, len(z) + 1)
    rho = k[u - (css - 1) / k > 0][-1]
    return np.maximum(z - (css[rho - 1] - 1) / rho, 0)


def test_multiclass_sparsemax_against_transcription_optax_and_gradient():
    scores = SCORES * 2
    want = []
    for s, y in zip(scores, CLASSES):
        p = _sparsemax_np(s)
        want.append(p @ s + 0.5 * (1 - p @ p) - s[y])
    ours = jax.jit(gradtx.losses.multiclass_sparsemax_loss)
    got = ours(scores, CLASSES)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        got,
        jax.jit(optax.losses.multiclass_sparsemax_loss)(scores, CLASSES),
        rtol=1e-10,
        atol=1e-12,
    )
    grad = jax.jit(jax.grad(lambda s: jnp.sum(ours(s, CLASSES))))(scores)
    np.testing.assert_allclose(
        grad, np.stack([_sparsemax_np(s) for s in scores]) - _onehot(CLASSES, 5), atol=1e-10
    )
    batched = gradtx.losses.multiclass_sparsemax_loss(
        scores.reshape(2, 2, 5), CLASSES.reshape(2, 2)
    )
    np.testing.assert_allclose(batched.reshape(-1), got)
