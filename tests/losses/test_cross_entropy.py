"""Softmax cross-entropies against torch, optax, and at -inf logits and masked entries."""

from __future__ import annotations

import numpy as np
import optax
import pytest
import torch
import torch.nn.functional as F

import gradtx
from tests.losses._util import assert_finite_value_and_grad, check_grads, probs, rng
from tests.messages import (
    MSG_AXIS_MUST_BE_AN_INT_OR_A,
    MSG_SOFTMAX_CROSS_ENTROPY_LOGITS_MUST_HAVE_A,
    MSG_SOFTMAX_CROSS_ENTROPY_WITH_INTEGER_LABELS_LABELS,
)

R = rng(2)
LOGITS = R.normal(size=(4, 6)) * 3
LABELS = probs(R, (4, 6))
INT_LABELS = R.integers(0, 6, size=(4,))
WHERE = R.random((4, 6)) > 0.3
WHERE[:, 0] = True  # every row keeps a class
WHERE[np.arange(4), INT_LABELS] = True


def test_softmax_cross_entropy_against_torch_and_optax():
    got = gradtx.losses.softmax_cross_entropy(LOGITS, LABELS)
    want = F.cross_entropy(torch.tensor(LOGITS), torch.tensor(LABELS), reduction="none").numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_allclose(got, optax.losses.softmax_cross_entropy(LOGITS, LABELS), rtol=1e-12)
    np.testing.assert_allclose(
        gradtx.losses.softmax_cross_entropy(LOGITS, LABELS, axis=0),
        optax.losses.softmax_cross_entropy(LOGITS, LABELS, axis=0),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        gradtx.losses.safe_softmax_cross_entropy(LOGITS, LABELS), want, rtol=1e-6
    )
    check_grads(
        lambda x: gradtx.losses.softmax_cross_entropy(x, LABELS), (LOGITS,), 1, modes=("rev",)
    )


def test_integer_labels_against_torch_and_optax():
    got = gradtx.losses.softmax_cross_entropy_with_integer_labels(LOGITS, INT_LABELS)
    want = F.cross_entropy(torch.tensor(LOGITS), torch.tensor(INT_LABELS), reduction="none").numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_allclose(
        got, optax.losses.softmax_cross_entropy_with_integer_labels(LOGITS, INT_LABELS), rtol=1e-12
    )
    check_grads(
        lambda x: gradtx.losses.softmax_cross_entropy_with_integer_labels(x, INT_LABELS),
        (LOGITS,), 1, modes=("rev",),
    )  # fmt: skip


def test_integer_labels_tuple_axis_matches_optax():
    x = R.normal(size=(2, 3, 4))
    labels = R.integers(0, 6, size=(4,))
    np.testing.assert_allclose(
        gradtx.losses.softmax_cross_entropy_with_integer_labels(x, labels, axis=(0, 1)),
        optax.losses.softmax_cross_entropy_with_integer_labels(x, labels, axis=(0, 1)),
        rtol=1e-12,
    )
    with pytest.raises(ValueError, match=MSG_AXIS_MUST_BE_AN_INT_OR_A):
        gradtx.losses.softmax_cross_entropy_with_integer_labels(x, labels, axis=[0, 1])


def test_where_matches_optax_and_dropping_the_classes():
    for axis in (-1, 0):
        np.testing.assert_allclose(
            gradtx.losses.softmax_cross_entropy(LOGITS, LABELS, axis=axis, where=WHERE),
            optax.losses.softmax_cross_entropy(LOGITS, LABELS, axis=axis, where=WHERE),
            rtol=1e-12,
        )
    np.testing.assert_allclose(
        gradtx.losses.softmax_cross_entropy_with_integer_labels(LOGITS, INT_LABELS, where=WHERE),
        optax.losses.softmax_cross_entropy_with_integer_labels(LOGITS, INT_LABELS, where=WHERE),
        rtol=1e-12,
    )
    # Row 0 with only its kept classes is the unmasked loss on fewer classes.
    kept = WHERE[0]
    np.testing.assert_allclose(
        gradtx.losses.softmax_cross_entropy(LOGITS, LABELS, where=WHERE)[0],
        gradtx.losses.softmax_cross_entropy(LOGITS[0, kept], LABELS[0, kept]),
        rtol=1e-12,
    )


def test_minus_inf_logits_give_finite_values_and_gradients():
    x = LOGITS.copy()
    x[:, 3] = -np.inf
    labels = LABELS.copy()
    labels[:, 3] = 0.0
    int_labels = np.where(INT_LABELS == 3, 0, INT_LABELS)
    onehot = np.eye(6)[int_labels]
    finite_x = np.where(np.isinf(x), -1e9, x)  # what -inf should mean
    for f, lab in [
        (gradtx.losses.softmax_cross_entropy, labels),
        (gradtx.losses.safe_softmax_cross_entropy, labels),
        (gradtx.losses.poly_loss_cross_entropy, labels),
        (gradtx.losses.softmax_cross_entropy_with_integer_labels, int_labels),
        (gradtx.losses.softmax_cross_entropy, onehot),
    ]:
        assert_finite_value_and_grad(f, x, lab, reference=(finite_x, lab))
    assert np.all(np.isnan(optax.losses.softmax_cross_entropy(x, labels)))  # what gradtx fixes


def test_masked_entries_holding_nan_give_finite_gradients():
    garbage = np.where(WHERE, LOGITS, np.nan)
    labels = np.where(WHERE, LABELS, np.nan)
    for f, lab in [
        (gradtx.losses.softmax_cross_entropy, labels),
        (gradtx.losses.poly_loss_cross_entropy, labels),
        (gradtx.losses.softmax_cross_entropy_with_integer_labels, INT_LABELS),
    ]:
        value, grad = assert_finite_value_and_grad(
            lambda a, f=f, lab=lab: f(a, lab, where=WHERE), garbage
        )
        assert np.all(grad[~WHERE] == 0)
        clean = f(LOGITS, np.where(WHERE, LABELS, 0.0) if lab is labels else lab, where=WHERE)
        np.testing.assert_allclose(value, clean, rtol=1e-12)


def test_fully_masked_rows_give_zero_with_zero_gradient():
    where = WHERE.copy()
    where[1] = False
    for f, lab in [
        (gradtx.losses.softmax_cross_entropy, LABELS),
        (gradtx.losses.softmax_cross_entropy_with_integer_labels, INT_LABELS),
    ]:
        value, grad = assert_finite_value_and_grad(
            lambda a, f=f, lab=lab: f(a, lab, where=where), LOGITS
        )
        assert value[1] == 0 and np.all(grad[1] == 0)


def test_where_of_batch_shape_broadcasts_along_axis():
    rows = np.array([True, False, True, True])
    got = gradtx.losses.softmax_cross_entropy_with_integer_labels(LOGITS, INT_LABELS, where=rows)
    full = gradtx.losses.softmax_cross_entropy_with_integer_labels(LOGITS, INT_LABELS)
    np.testing.assert_allclose(got, np.where(rows, full, 0.0), rtol=1e-12)


@pytest.mark.parametrize("epsilon", [2.0, -1.0, 0.0])
def test_poly_loss_against_transcription_and_optax(epsilon):
    got = gradtx.losses.poly_loss_cross_entropy(LOGITS, LABELS, epsilon=epsilon)
    p = np.exp(LOGITS - LOGITS.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    want = -(LABELS * np.log(p)).sum(-1) + epsilon * (LABELS * (1 - p)).sum(-1)
    np.testing.assert_allclose(got, want, rtol=1e-10)
    np.testing.assert_allclose(
        gradtx.losses.poly_loss_cross_entropy(LOGITS, LABELS, epsilon=epsilon, where=WHERE),
        optax.losses.poly_loss_cross_entropy(LOGITS, LABELS, epsilon=epsilon, where=WHERE),
        rtol=1e-12,
    )
    check_grads(
        lambda x: gradtx.losses.poly_loss_cross_entropy(x, LABELS, epsilon=epsilon),
        (LOGITS,),
        1,
        modes=("rev",),
    )


def test_dtype_errors():
    with pytest.raises(TypeError, match=MSG_SOFTMAX_CROSS_ENTROPY_WITH_INTEGER_LABELS_LABELS):
        gradtx.losses.softmax_cross_entropy_with_integer_labels(LOGITS, LABELS[:, 0])
    with pytest.raises(TypeError, match=MSG_SOFTMAX_CROSS_ENTROPY_LOGITS_MUST_HAVE_A):
        gradtx.losses.softmax_cross_entropy(INT_LABELS, INT_LABELS)
