"""CTC against torch's ctc_loss and optax's forward probabilities; ranking softmax vs optax."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import torch
import torch.nn.functional as F

import gradtx
from tests.losses._util import assert_finite_value_and_grad, rng
from tests.messages import MSG_LOGIT_PADDINGS_MUST_HAVE_SHAPE, MSG_LOGITS_MUST_HAVE_SHAPE

R = rng(5)
B, T, K, N = 3, 7, 4, 3
LOGITS = R.normal(size=(B, T, K))
FRAMES = np.array([7, 5, 6])
LABEL_LENS = np.array([3, 2, 1])
LABELS = np.array([[1, 2, 2], [3, 1, 0], [2, 0, 0]])  # a repeated label in row 0
LOGIT_PAD = (np.arange(T)[None, :] >= FRAMES[:, None]).astype(np.float64)
LABEL_PAD = (np.arange(N)[None, :] >= LABEL_LENS[:, None]).astype(np.float64)


def _torch_ctc(logits):
    log_probs = torch.log_softmax(torch.tensor(logits), -1).transpose(0, 1)  # [T, B, K]
    return F.ctc_loss(
        log_probs, torch.tensor(LABELS), torch.tensor(FRAMES), torch.tensor(LABEL_LENS),
        blank=0, reduction="none",
    ).numpy()  # fmt: skip


def test_ctc_against_torch_and_optax():
    got = jax.jit(gradtx.losses.ctc_loss)(LOGITS, LOGIT_PAD, LABELS, LABEL_PAD)
    np.testing.assert_allclose(got, _torch_ctc(LOGITS), rtol=1e-6)
    mine = jax.jit(gradtx.losses.ctc_loss_with_forward_probs)(LOGITS, LOGIT_PAD, LABELS, LABEL_PAD)
    theirs = jax.jit(optax.losses.ctc_loss_with_forward_probs)(LOGITS, LOGIT_PAD, LABELS, LABEL_PAD)
    for a, b in zip(mine, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-9)


@jax.jit
def _ctc_value_and_grad(logits, labels):
    """Per-sequence losses and the gradient of their sum; one compile for every use below."""
    loss = lambda x: gradtx.losses.ctc_loss(x, LOGIT_PAD, labels, LABEL_PAD)  # noqa: E731
    return loss(logits), jax.grad(lambda x: jnp.sum(loss(x)))(logits)


def test_ctc_gradient_against_torch():
    _, g = _ctc_value_and_grad(LOGITS, LABELS)
    x = torch.tensor(LOGITS, requires_grad=True)
    log_probs = torch.log_softmax(x, -1).transpose(0, 1)
    F.ctc_loss(log_probs, torch.tensor(LABELS), torch.tensor(FRAMES), torch.tensor(LABEL_LENS),
               reduction="sum").backward()  # fmt: skip
    np.testing.assert_allclose(g, x.grad.numpy(), atol=1e-6)


def test_ctc_minus_inf_logits_give_finite_gradients():
    logits = LOGITS.copy()
    logits[:, :, 3] = -np.inf  # class 3 is impossible; no label uses it
    labels = np.where(LABELS == 3, 1, LABELS)
    value, grad = _ctc_value_and_grad(logits, labels)
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad))
    finite_value, finite_grad = _ctc_value_and_grad(
        np.where(np.isinf(logits), -1e9, logits), labels
    )
    np.testing.assert_allclose(value, finite_value, rtol=1e-9)
    np.testing.assert_allclose(grad, finite_grad, atol=1e-9)


def test_ctc_shape_errors():
    import pytest

    with pytest.raises(ValueError, match=MSG_LOGIT_PADDINGS_MUST_HAVE_SHAPE):
        gradtx.losses.ctc_loss(LOGITS, LOGIT_PAD[:, :3], LABELS, LABEL_PAD)
    with pytest.raises(ValueError, match=MSG_LOGITS_MUST_HAVE_SHAPE):
        gradtx.losses.ctc_loss(LOGITS[0], LOGIT_PAD, LABELS, LABEL_PAD)


def test_ranking_softmax_against_transcription_and_optax():
    logits = R.normal(size=(4, 6))
    labels = R.integers(0, 3, size=(4, 6)).astype(np.float64)
    weights = R.random((4, 6))
    where = R.random((4, 6)) > 0.3
    where[3] = False
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    np.testing.assert_allclose(
        gradtx.losses.ranking_softmax_loss(logits, labels),
        np.mean(-(labels * log_p).sum(-1)),
        rtol=1e-12,
    )
    for kwargs in ({}, {"where": where}, {"weights": weights}, {"where": where, "reduce_fn": None},
                   {"where": where, "reduce_fn": jnp.sum}, {"where": np.zeros((4, 6), bool)}):  # fmt: skip
        np.testing.assert_allclose(
            gradtx.losses.ranking_softmax_loss(logits, labels, **kwargs),
            optax.losses.ranking_softmax_loss(logits, labels, **kwargs),
            rtol=1e-12,
        )
    garbage = np.where(where, logits, np.nan)
    _, g = assert_finite_value_and_grad(
        lambda x: gradtx.losses.ranking_softmax_loss(x, labels, where=where), garbage
    )
    assert np.all(g[~where] == 0)
    x = logits.copy()
    x[:, 0] = -np.inf
    lab = labels.copy()
    lab[:, 0] = 0
    assert_finite_value_and_grad(lambda a: gradtx.losses.ranking_softmax_loss(a, lab), x)
