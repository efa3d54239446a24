"""dadapt_adamw: NumPy transcription, optax parity, convergence, zero gradients, errors."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import optax
import pytest

from gradtx import contrib
from tests.contrib._parity import GRADS, Y0, assert_parity, params_after
from tests.messages import (
    MSG_BETAS_1_MUST_BE_IN_0_1,
    MSG_DADAPT_ADAMW_BETAS_0_1_0_BETAS,
    MSG_DADAPT_ADAMW_BETAS_0_9_BETAS_MUST,
    MSG_DADAPT_ADAMW_EPS_1_0,
    MSG_DADAPT_ADAMW_ESTIM_LR0_0_0_ESTIM,
    MSG_DADAPT_ADAMW_WEIGHT_DECAY_1_0,
    MSG_GRADTX_CONTRIB_DADAPT_ADAMW_LEARNING_RATE_1,
)

# Gradients that point towards the minimum of |x|^2 / 2, so that d grows.
_RNG = np.random.default_rng(3)
GRADS_DESCENT = [Y0 * (1 + 0.2 * _RNG.normal(size=3)) for _ in range(15)]


def ref(lr_fn, b1, b2, eps, d0, wd, grads, x=Y0):
    x = x.copy()
    m, v, s = np.zeros(3), np.zeros(3), np.zeros(3)
    r, d, c = 0.0, d0, np.sqrt(b2)
    xs, ds = [], []
    for k, g in enumerate(grads):
        dlr = d * lr_fn(k) * np.sqrt(1 - b2 ** (k + 1)) / (1 - b1 ** (k + 1))
        r = c * r + (1 - c) * dlr * (g @ (s / (np.sqrt(v) + eps)))
        m = b1 * m + (1 - b1) * dlr * g
        v = b2 * v + (1 - b2) * g * g
        s = c * s + (1 - c) * dlr * g
        d_new = max(d, r / ((1 - c) * np.sum(np.abs(s))))
        x = x - m / (np.sqrt(v) + eps) - wd * dlr * x
        d = d_new
        xs.append(x)
        ds.append(d)
    return np.array(xs), np.array(ds)


@pytest.mark.parametrize("grads", [GRADS, GRADS_DESCENT], ids=["random", "descent"])
def test_matches_numpy_reference(grads):
    def lr_fn(k):
        return 1.0 / (1.0 + 0.1 * k)

    tx = contrib.dadapt_adamw(lr_fn, (0.8, 0.99), 1e-6, 1e-2, 0.1)
    want, ds = ref(lr_fn, 0.8, 0.99, 1e-6, 1e-2, 0.1, grads)
    np.testing.assert_allclose(params_after(tx, grads), want, rtol=1e-12)
    if grads is GRADS_DESCENT:
        assert ds[-1] > 10 * ds[0]


def test_matches_optax_and_converges():
    kw = {"estim_lr0": 1e-3, "weight_decay": 1e-3}
    vs = assert_parity(contrib.dadapt_adamw(**kw), optax.contrib.dadapt_adamw(**kw))
    assert vs[-1] < 1e-2 * vs[0]


def test_zero_gradients_keep_d_finite():
    """optax's d becomes 0 / 0 = NaN here; gradtx keeps d_0."""
    tx = contrib.dadapt_adamw()
    p = jnp.array([1.0, 2.0])
    s = tx.init(p)
    for _ in range(2):
        u, s = tx.update(jnp.zeros(2), s, p)
    assert float(s.estim_lr) == pytest.approx(1e-6)
    np.testing.assert_array_equal(u, 0.0)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: contrib.dadapt_adamw(-1.0), ValueError, MSG_GRADTX_CONTRIB_DADAPT_ADAMW_LEARNING_RATE_1),
        (lambda: contrib.dadapt_adamw(betas=0.9), TypeError, MSG_DADAPT_ADAMW_BETAS_0_9_BETAS_MUST),
        (lambda: contrib.dadapt_adamw(betas=(1.0, 0.9)), ValueError, MSG_DADAPT_ADAMW_BETAS_0_1_0_BETAS),
        (lambda: contrib.dadapt_adamw(betas=(0.9, -0.1)), ValueError, MSG_BETAS_1_MUST_BE_IN_0_1),
        (lambda: contrib.dadapt_adamw(eps=-1.0), ValueError, MSG_DADAPT_ADAMW_EPS_1_0),
        (lambda: contrib.dadapt_adamw(estim_lr0=0.0), ValueError, MSG_DADAPT_ADAMW_ESTIM_LR0_0_0_ESTIM),
        (lambda: contrib.dadapt_adamw(weight_decay=-1.0), ValueError, MSG_DADAPT_ADAMW_WEIGHT_DECAY_1_0),
    ],
)  # fmt: skip
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
