"""KL divergences and label smoothing against torch, optax and at -inf log-predictions."""

from __future__ import annotations

import warnings

import numpy as np
import optax
import torch
import torch.nn.functional as F

import gradtx
from tests.losses._util import assert_finite_value_and_grad, check_grads, probs, rng

R = rng(4)
P = probs(R, (3, 5))
T = probs(R, (3, 5))
T[0, 1] = 0.0  # a zero target
LOG_P = np.log(P)
WHERE = R.random((3, 5)) > 0.3


def test_kl_against_torch_and_optax():
    got = gradtx.losses.kl_divergence(LOG_P, T)
    want = F.kl_div(torch.tensor(LOG_P), torch.tensor(T), reduction="none").sum(-1).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_allclose(got, optax.losses.kl_divergence(LOG_P, T), rtol=1e-12)
    np.testing.assert_allclose(
        gradtx.losses.kl_divergence(LOG_P, T, axis=0, where=WHERE),
        optax.losses.kl_divergence(LOG_P, T, axis=0, where=WHERE),
        rtol=1e-12,
    )
    check_grads(lambda lp: gradtx.losses.kl_divergence(lp, T), (LOG_P,), 1, modes=("rev",))


def test_kl_with_log_targets_against_torch_and_optax():
    log_t = np.log(probs(R, (3, 5)))
    got = gradtx.losses.kl_divergence_with_log_targets(LOG_P, log_t)
    want = F.kl_div(torch.tensor(LOG_P), torch.tensor(log_t), reduction="none", log_target=True)
    np.testing.assert_allclose(got, want.sum(-1).numpy(), rtol=1e-6)
    np.testing.assert_allclose(
        got, optax.losses.kl_divergence_with_log_targets(LOG_P, log_t), rtol=1e-12
    )
    check_grads(
        lambda lp: gradtx.losses.kl_divergence_with_log_targets(lp, log_t),
        (LOG_P,),
        1,
        modes=("rev",),
    )
    log_t[1, 2] = -np.inf
    value, _ = assert_finite_value_and_grad(
        lambda a, b: gradtx.losses.kl_divergence_with_log_targets(a, b),
        LOG_P,
        log_t,
        argnums=(0, 1),
    )
    finite = np.isfinite(log_t)
    terms = np.where(finite, np.exp(log_t) * (np.where(finite, log_t, 0) - LOG_P), 0.0)
    np.testing.assert_allclose(value, terms.sum(-1), rtol=1e-12)  # torch gives NaN here


def test_generalized_kl_against_transcription_and_optax():
    q = R.random((3, 5)) * 3
    t = R.random((3, 5)) * 2
    want = (t * (np.log(t) - np.log(q))).sum(-1) + (q - t).sum(-1)
    got = gradtx.losses.generalized_kl_divergence(np.log(q), t)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(
        got, optax.losses.generalized_kl_divergence(np.log(q), t), rtol=1e-12
    )
    np.testing.assert_allclose(
        gradtx.losses.generalized_kl_divergence(np.log(q), t, where=WHERE),
        optax.losses.generalized_kl_divergence(np.log(q), t, where=WHERE),
        rtol=1e-12,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        np.testing.assert_allclose(
            gradtx.losses.convex_kl_divergence(np.log(q), t), want, rtol=1e-12
        )
    assert any(issubclass(w.category, DeprecationWarning) for w in caught)


def test_zero_targets_at_minus_inf_and_masked_nan():
    log_p = LOG_P.copy()
    log_p[0, 1] = -np.inf  # where the target is 0
    for f in (gradtx.losses.kl_divergence, gradtx.losses.generalized_kl_divergence):
        value, (g_lp, g_t) = assert_finite_value_and_grad(f, log_p, T, argnums=(0, 1))
        np.testing.assert_allclose(value, f(np.where(np.isinf(log_p), -1e9, log_p), T), rtol=1e-12)
    assert np.isnan(optax.losses.kl_divergence(log_p, T)[0])  # what gradtx fixes
    garbage = np.where(WHERE, LOG_P, np.nan)
    value, g = assert_finite_value_and_grad(
        lambda lp: gradtx.losses.kl_divergence(lp, T, where=WHERE), garbage
    )
    np.testing.assert_allclose(
        value, gradtx.losses.kl_divergence(LOG_P, T, where=WHERE), rtol=1e-12
    )
    assert np.all(g[~WHERE] == 0)


def test_smooth_labels_against_transcription_and_optax():
    labels = np.eye(5)[R.integers(0, 5, size=3)]
    got = gradtx.losses.smooth_labels(labels, 0.1)
    np.testing.assert_allclose(got, 0.9 * labels + 0.1 / 5, rtol=1e-12)
    np.testing.assert_allclose(got, optax.losses.smooth_labels(labels, 0.1), rtol=1e-12)
    np.testing.assert_allclose(
        gradtx.losses.smooth_labels(labels, 0.1, axis=0), 0.9 * labels + 0.1 / 3
    )
    where = WHERE | labels.astype(bool)
    masked = gradtx.losses.smooth_labels(labels, 0.1, where=where)
    np.testing.assert_allclose(np.asarray(masked).sum(-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(
        masked,
        np.where(where, optax.losses.smooth_labels(labels, 0.1, where=where), 0.0),
        rtol=1e-12,
    )
