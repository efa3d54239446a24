"""Dice losses, NT-Xent, triplet margin and Fenchel-Young losses vs transcriptions, torch, optax."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.scipy.special
import numpy as np
import optax
import pytest
import torch
import torch.nn.functional as F

import gradtx
from tests.losses._util import check_grads, rng
from tests.messages import (
    MSG_MUST_BE_PROBABILITY_DISTRIBUTIONS,
    MSG_REDUCTION_MUST_BE_MEAN_SUM_OR_NONE,
    MSG_SAME_LEADING_SIZE,
)

R = rng(6)
SEG_LOGITS = R.normal(size=(2, 3, 3, 4))
SEG_TARGETS = np.eye(4)[R.integers(0, 4, size=(2, 3, 3))]


def _dice_np(logits, targets, smooth=1.0, alpha=0.5, beta=0.5):
    p = np.exp(logits - logits.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    inter = (p * targets).sum((1, 2))
    fp = p.sum((1, 2)) - inter
    fn = targets.sum((1, 2)) - inter
    return 1 - (inter + smooth) / (inter + alpha * fp + beta * fn + smooth)  # [batch, classes]


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"alpha": 0.3, "beta": 0.7}, {"reduction": "sum"}, {"reduction": "none"},
     {"ignore_background": True}, {"class_weights": np.array([1.0, 2.0, 0.5, 1.0])}, {"smooth": 0.0}],
)  # fmt: skip
def test_dice_against_transcription_and_optax(kwargs):
    got = gradtx.losses.dice_loss(SEG_LOGITS, SEG_TARGETS, **kwargs)
    with jax.numpy_rank_promotion("allow"):  # optax broadcasts class_weights implicitly
        want = optax.losses.dice_loss(SEG_LOGITS, SEG_TARGETS, **kwargs)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    if not kwargs:
        np.testing.assert_allclose(got, _dice_np(SEG_LOGITS, SEG_TARGETS).mean(-1), rtol=1e-12)
    if "alpha" in kwargs:
        np.testing.assert_allclose(
            got, _dice_np(SEG_LOGITS, SEG_TARGETS, alpha=0.3, beta=0.7).mean(-1)
        )


def test_dice_gradients_generalized_and_binary():
    check_grads(lambda x: gradtx.losses.dice_loss(x, SEG_TARGETS), (SEG_LOGITS,), 1, modes=("rev",))
    with jax.numpy_rank_promotion("allow"):
        want = optax.losses.multiclass_generalized_dice_loss(SEG_LOGITS, SEG_TARGETS)
    np.testing.assert_allclose(
        gradtx.losses.multiclass_generalized_dice_loss(SEG_LOGITS, SEG_TARGETS), want, rtol=1e-12
    )
    x = R.normal(size=(2, 3, 3))
    t = (R.random((2, 3, 3)) > 0.5).astype(np.float64)
    got = gradtx.losses.binary_dice_loss(x, t)
    np.testing.assert_allclose(got, optax.losses.binary_dice_loss(x, t), rtol=1e-12)
    p = 1 / (1 + np.exp(-x))
    want = 1 - (2 * (p * t).sum((1, 2)) + 2) / (p.sum((1, 2)) + t.sum((1, 2)) + 2)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(
        gradtx.losses.binary_dice_loss(p, t, apply_sigmoid=False), want, rtol=1e-12
    )


def test_dice_errors():
    with pytest.raises(ValueError, match=MSG_REDUCTION_MUST_BE_MEAN_SUM_OR_NONE):
        gradtx.losses.dice_loss(SEG_LOGITS, SEG_TARGETS, reduction="max")
    with pytest.raises(ValueError, match=MSG_MUST_BE_PROBABILITY_DISTRIBUTIONS):
        gradtx.losses.dice_loss(SEG_LOGITS, SEG_TARGETS, apply_softmax=False)


def _ntxent_np(e, labels, temperature):
    n = e / np.linalg.norm(e, axis=1, keepdims=True)
    s = n @ n.T / temperature
    total, count = 0.0, 0
    for i in range(len(e)):
        neg = labels != labels[i]
        for j in range(len(e)):
            if j != i and labels[j] == labels[i]:
                total += -s[i, j] + np.log(np.exp(s[i, j]) + np.exp(s[i, neg]).sum())
                count += 1
    return total / count


def test_ntxent_against_transcription_and_optax():
    e = R.normal(size=(6, 3))
    labels = np.array([0, 0, 1, 1, 2, 0])
    ours, theirs = jax.jit(gradtx.losses.ntxent), jax.jit(optax.losses.ntxent)
    for temperature in (0.07, 1.0):
        got = ours(e, labels, temperature)
        np.testing.assert_allclose(got, _ntxent_np(e, labels, temperature), rtol=1e-10)
        np.testing.assert_allclose(got, theirs(e, labels, temperature), rtol=1e-10)
    check_grads(lambda x: gradtx.losses.ntxent(x, labels, 0.5), (e,), 1, modes=("rev",))
    assert gradtx.losses.ntxent(e[:3], np.array([0, 1, 2])) == 0.0  # no positive pair: 0, not NaN
    with pytest.raises(ValueError, match=MSG_SAME_LEADING_SIZE):
        gradtx.losses.ntxent(e, labels[:3])


def test_triplet_margin_against_transcription_torch_and_optax():
    a, p, n = (R.normal(size=(5, 4)) for _ in range(3))
    got = gradtx.losses.triplet_margin_loss(a, p, n)
    np.testing.assert_allclose(got, optax.losses.triplet_margin_loss(a, p, n), rtol=1e-12)
    for degree in (1, 2, 3):
        d = lambda x, y, k=degree: ((np.abs(x - y) ** k).sum(-1) + 1e-6) ** (1 / k)  # noqa: E731
        want = np.maximum(d(a, p) - d(a, n) + 0.5, 0)
        np.testing.assert_allclose(
            gradtx.losses.triplet_margin_loss(a, p, n, norm_degree=degree, margin=0.5),
            want,
            rtol=1e-12,
        )
    # torch puts eps inside the difference; with eps=0 both are the plain distances.
    want = F.triplet_margin_loss(
        torch.tensor(a), torch.tensor(p), torch.tensor(n), eps=0.0, reduction="none"
    )
    np.testing.assert_allclose(
        gradtx.losses.triplet_margin_loss(a, p, n, eps=0.0), want.numpy(), rtol=1e-6
    )
    check_grads(lambda x: gradtx.losses.triplet_margin_loss(x, p, n), (a,), 1, modes=("rev",))
    np.testing.assert_allclose(
        gradtx.losses.triplet_margin_loss(a.T, p.T, n.T, axis=0), got, rtol=1e-12
    )


def test_fenchel_young_logsumexp_is_cross_entropy_and_matches_optax():
    scores = R.normal(size=(3, 5))
    labels = np.eye(5)[[0, 3, 1]]
    loss = gradtx.losses.make_fenchel_young_loss(jax.scipy.special.logsumexp)
    np.testing.assert_allclose(
        loss(scores, labels), gradtx.losses.softmax_cross_entropy(scores, labels), rtol=1e-12
    )
    theirs = optax.losses.make_fenchel_young_loss(jax.scipy.special.logsumexp)
    np.testing.assert_allclose(loss(scores, labels), theirs(scores, labels), rtol=1e-12)
    grad = jax.grad(lambda s: jnp.sum(loss(s, labels)))(scores)
    np.testing.assert_allclose(grad, jax.nn.softmax(scores) - labels, atol=1e-12)
