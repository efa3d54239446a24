"""mechanize: NumPy transcription, optax parity, convergence, errors."""

from __future__ import annotations

import numpy as np
import optax
import pytest

import gradtx as gx
from gradtx import contrib
from tests.contrib._parity import GRADS, Y0, assert_parity, params_after
from tests.messages import (
    MSG_GRADTX_CONTRIB_MECHANIZE_BASE_OPTIMIZER_BASE_OPTIMIZER,
    MSG_GRADTX_CONTRIB_MECHANIZE_WEIGHT_DECAY_1_0,
    MSG_MECHANIZE_EPS_1_0,
    MSG_MECHANIZE_NUM_BETAS_0_NUM_BETAS_MUST,
    MSG_MECHANIZE_NUM_BETAS_2_5_NUM_BETAS,
    MSG_MECHANIZE_S_INIT_0_0_S_INIT,
)


def ref_mechanic(base_lr, wd, eps, s_init, n, grads=GRADS, x=Y0):
    """Mechanic around sgd(base_lr): the base update is -base_lr * g."""
    x = x.copy()
    x0 = x.copy()
    betas = 1 - 0.1 ** np.arange(1, n + 1)
    r, m, v, s = np.zeros(n), np.zeros(n), np.zeros(n), np.full(n, s_init)
    xs = []
    for g in grads:
        u = -base_lr * g
        big_s = s.sum()
        gd = g + wd * big_s * np.linalg.norm(g) / (np.linalg.norm(x) + eps) * x
        p = (x0 - x) / (big_s + eps)
        h = gd @ p
        r = betas * r + np.clip(h, -m, m) * s
        m = np.maximum(betas * m, abs(h) + eps)
        v = betas**2 * v + h * h
        s = (s_init / n * m + np.maximum(r, 0)) / (np.sqrt(v) + eps)
        x = x0 - s.sum() * (p - u)
        xs.append(x)
    return np.array(xs)


@pytest.mark.parametrize("wd, eps, s_init, n", [(1e-2, 1e-8, 1e-6, 6), (0.1, 1e-4, 1e-2, 3)])
def test_matches_numpy_reference(wd, eps, s_init, n):
    tx = contrib.mechanize(gx.sgd(0.5), wd, eps, s_init, n)
    want = ref_mechanic(0.5, wd, eps, s_init, n)
    np.testing.assert_allclose(params_after(tx), want, rtol=1e-11, atol=1e-13)


def test_matches_optax_and_converges():
    vs = assert_parity(contrib.mechanize(gx.adam(1.0)), optax.contrib.mechanize(optax.adam(1.0)))
    assert vs[-1] < 0.05 * vs[0]  # from 34 to ~1 in 100 steps, learning the scale from 1e-6


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: contrib.mechanize("adam"), TypeError, MSG_GRADTX_CONTRIB_MECHANIZE_BASE_OPTIMIZER_BASE_OPTIMIZER),
        (lambda: contrib.mechanize(gx.sgd(1.0), weight_decay=-1.0), ValueError, MSG_GRADTX_CONTRIB_MECHANIZE_WEIGHT_DECAY_1_0),
        (lambda: contrib.mechanize(gx.sgd(1.0), eps=-1.0), ValueError, MSG_MECHANIZE_EPS_1_0),
        (lambda: contrib.mechanize(gx.sgd(1.0), s_init=0.0), ValueError, MSG_MECHANIZE_S_INIT_0_0_S_INIT),
        (lambda: contrib.mechanize(gx.sgd(1.0), num_betas=0), ValueError, MSG_MECHANIZE_NUM_BETAS_0_NUM_BETAS_MUST),
        (lambda: contrib.mechanize(gx.sgd(1.0), num_betas=2.5), TypeError, MSG_MECHANIZE_NUM_BETAS_2_5_NUM_BETAS),
    ],
)  # fmt: skip
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
