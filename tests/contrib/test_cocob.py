"""cocob / scale_by_cocob: NumPy transcription, optax parity, convergence, errors."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import optax
import pytest

from gradtx import contrib
from tests.contrib._parity import GRADS, Y0, assert_parity, params_after
from tests.messages import (
    MSG_COCOB_EPS_0_0,
    MSG_COCOB_WEIGHT_DECAY_1_0,
    MSG_GRADTX_CONTRIB_COCOB_ALPHA_0_0_ALPHA,
    MSG_GRADTX_CONTRIB_COCOB_LEARNING_RATE_1_0,
    MSG_GRADTX_CONTRIB_SCALE_BY_COCOB_ALPHA_1,
    MSG_GRADTX_CONTRIB_SCALE_BY_COCOB_UPDATE_NEEDS,
)


def ref_cocob(lr, alpha, eps, wd, grads=GRADS, x=Y0):
    x0, x = x.copy(), x.copy()
    c, big_g, r = np.zeros(3), np.zeros(3), np.zeros(3)
    big_l = np.full(3, eps)
    xs = []
    for g in grads:
        g = lr * (g + wd * x)
        big_l = np.maximum(big_l, np.abs(g))
        big_g = big_g + np.abs(g)
        r = np.maximum(r - g * (x - x0), 0.0)
        c = c - g
        x = x0 + c * (big_l + r) / (big_l * np.maximum(big_g + big_l, alpha * big_l))
        xs.append(x)
    return np.array(xs)


@pytest.mark.parametrize("lr, alpha, eps, wd", [(1.0, 100.0, 1e-8, 0.0), (0.5, 3.0, 1e-2, 0.1)])
def test_matches_numpy_reference(lr, alpha, eps, wd):
    tx = contrib.cocob(lr, alpha, eps, wd)
    np.testing.assert_allclose(params_after(tx), ref_cocob(lr, alpha, eps, wd), rtol=1e-12)


def test_matches_optax_and_converges():
    kw = {"alpha": 10.0, "weight_decay": 1e-4}
    vs = assert_parity(contrib.cocob(1.0, **kw), optax.contrib.cocob(1.0, **kw))
    assert vs[-1] < 1e-2 * vs[0]


def test_zero_gradient_leaf_stays_put():
    tx = contrib.scale_by_cocob()
    p = jnp.array([1.0, 2.0])
    u, _ = tx.update(jnp.zeros(2), tx.init(p), p)
    np.testing.assert_array_equal(u, 0.0)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: contrib.cocob(-1.0), MSG_GRADTX_CONTRIB_COCOB_LEARNING_RATE_1_0),
        (lambda: contrib.cocob(alpha=0.0), MSG_GRADTX_CONTRIB_COCOB_ALPHA_0_0_ALPHA),
        (lambda: contrib.cocob(eps=0.0), MSG_COCOB_EPS_0_0),
        (lambda: contrib.cocob(weight_decay=-1.0), MSG_COCOB_WEIGHT_DECAY_1_0),
        (lambda: contrib.scale_by_cocob(alpha=-1.0), MSG_GRADTX_CONTRIB_SCALE_BY_COCOB_ALPHA_1),
    ],
)  # fmt: skip
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_update_without_params_raises():
    tx = contrib.scale_by_cocob()
    with pytest.raises(ValueError, match=MSG_GRADTX_CONTRIB_SCALE_BY_COCOB_UPDATE_NEEDS):
        tx.update(jnp.ones(2), tx.init(jnp.ones(2)))
