"""madgrad / scale_by_madgrad: NumPy transcription, optax parity, convergence, errors."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import optax
import pytest

from gradtx import contrib
from tests.contrib._parity import GRADS, Y0, assert_parity, params_after
from tests.messages import (
    MSG_GRADTX_CONTRIB_MADGRAD_LEARNING_RATE_1_0,
    MSG_GRADTX_CONTRIB_MADGRAD_MOMENTUM_1_0_MOMENTUM,
    MSG_GRADTX_CONTRIB_SCALE_BY_MADGRAD_MOMENTUM_0,
    MSG_MADGRAD_EPS_1_0,
    MSG_MADGRAD_WEIGHT_DECAY_1_0,
    MSG_SCALE_BY_MADGRAD_UPDATE_NEEDS_PARAMS,
)


def ref_madgrad(lr_fn, momentum, wd, eps, grads=GRADS, x=Y0):
    x0, x = x.copy(), x.copy()
    s, v = np.zeros(3), np.zeros(3)
    xs = []
    for k, g in enumerate(grads):
        g = g + wd * x
        lamb = (lr_fn(k) + eps) * np.sqrt(k + 1)
        s = s + lamb * g
        v = v + lamb * g * g
        z = x0 - s / (np.cbrt(v) + eps)
        x = momentum * x + (1 - momentum) * z
        xs.append(x)
    return np.array(xs)


@pytest.mark.parametrize("momentum, wd, eps", [(0.9, 0.0, 1e-6), (0.0, 0.1, 1e-3)])
def test_matches_numpy_reference(momentum, wd, eps):
    def lr_fn(k):
        return 0.1 / (1.0 + k)

    tx = contrib.madgrad(lr_fn, momentum, wd, eps)
    want = ref_madgrad(lr_fn, momentum, wd, eps)
    np.testing.assert_allclose(params_after(tx), want, rtol=1e-12)


def test_matches_optax_and_converges():
    """optax takes sqrt(k + 1) in float32 (see the docstring), hence rtol 1e-5;
    the NumPy transcription above holds gradtx to 1e-12."""
    vs = assert_parity(
        contrib.madgrad(0.05, weight_decay=1e-3),
        optax.contrib.madgrad(0.05, weight_decay=1e-3),
        rtol=1e-5,
        atol=1e-7,
    )
    assert vs[-1] < 1e-2 * vs[0]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: contrib.madgrad(-1.0), MSG_GRADTX_CONTRIB_MADGRAD_LEARNING_RATE_1_0),
        (lambda: contrib.madgrad(0.1, momentum=1.0), MSG_GRADTX_CONTRIB_MADGRAD_MOMENTUM_1_0_MOMENTUM),
        (lambda: contrib.madgrad(0.1, weight_decay=-1.0), MSG_MADGRAD_WEIGHT_DECAY_1_0),
        (lambda: contrib.madgrad(0.1, eps=-1.0), MSG_MADGRAD_EPS_1_0),
        (lambda: contrib.scale_by_madgrad(0.1, momentum=-0.5), MSG_GRADTX_CONTRIB_SCALE_BY_MADGRAD_MOMENTUM_0),
    ],
)  # fmt: skip
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_update_without_params_raises():
    tx = contrib.scale_by_madgrad(0.1)
    with pytest.raises(ValueError, match=MSG_SCALE_BY_MADGRAD_UPDATE_NEEDS_PARAMS):
        tx.update(jnp.ones(2), tx.init(jnp.ones(2)))
