"""simplified_ademamix: NumPy transcription, optax parity, convergence, errors."""

from __future__ import annotations

import numpy as np
import optax
import pytest

from gradtx import contrib
from tests.contrib._parity import GRADS, Y0, assert_parity, params_after
from tests.messages import (
    MSG_GRADTX_CONTRIB_SCALE_BY_SIMPLIFIED_ADEMAMIX_EPS,
    MSG_GRADTX_CONTRIB_SIMPLIFIED_ADEMAMIX_LEARNING_RATE_1,
    MSG_SIMPLIFIED_ADEMAMIX_ALPHA_1_0_ALPHA_MUST,
    MSG_SIMPLIFIED_ADEMAMIX_B1_1_0_B1_MUST,
    MSG_SIMPLIFIED_ADEMAMIX_B2_1_5,
    MSG_SIMPLIFIED_ADEMAMIX_EPS_1_0,
    MSG_SIMPLIFIED_ADEMAMIX_WEIGHT_DECAY_1_0,
)


def ref(lr, b1, b2, alpha_fn, eps, eps_root, wd, grads=GRADS, x=Y0):
    x, m, n = x.copy(), np.zeros(3), np.zeros(3)
    xs = []
    for k, g in enumerate(grads):
        m = b1 * m + g
        n = b2 * n + (1 - b2) * g * g
        u = (m + alpha_fn(k) * g) / (np.sqrt(n / (1 - b2 ** (k + 1)) + eps_root) + eps)
        x = x - lr * (u + wd * x)
        xs.append(x)
    return np.array(xs)


def test_matches_numpy_reference():
    def alpha_fn(k):
        return 0.5 * k

    tx = contrib.simplified_ademamix(0.01, 0.9, 0.95, alpha_fn, 1e-3, 1e-4, 0.1)
    want = ref(0.01, 0.9, 0.95, alpha_fn, 1e-3, 1e-4, 0.1)
    np.testing.assert_allclose(params_after(tx), want, rtol=1e-12)


def test_matches_optax_and_converges():
    kw = {"b1": 0.9, "alpha": 2.0, "weight_decay": 1e-3}
    vs = assert_parity(
        contrib.simplified_ademamix(0.01, **kw), optax.contrib.simplified_ademamix(0.01, **kw)
    )
    assert vs[-1] < 1e-2 * vs[0]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: contrib.simplified_ademamix(-1.0), MSG_GRADTX_CONTRIB_SIMPLIFIED_ADEMAMIX_LEARNING_RATE_1),
        (lambda: contrib.simplified_ademamix(0.1, b1=1.0), MSG_SIMPLIFIED_ADEMAMIX_B1_1_0_B1_MUST),
        (lambda: contrib.simplified_ademamix(0.1, b2=1.5), MSG_SIMPLIFIED_ADEMAMIX_B2_1_5),
        (lambda: contrib.simplified_ademamix(0.1, alpha=-1.0), MSG_SIMPLIFIED_ADEMAMIX_ALPHA_1_0_ALPHA_MUST),
        (lambda: contrib.simplified_ademamix(0.1, eps=-1.0), MSG_SIMPLIFIED_ADEMAMIX_EPS_1_0),
        (lambda: contrib.simplified_ademamix(0.1, weight_decay=-1.0), MSG_SIMPLIFIED_ADEMAMIX_WEIGHT_DECAY_1_0),
        (lambda: contrib.scale_by_simplified_ademamix(eps_root=-1.0), MSG_GRADTX_CONTRIB_SCALE_BY_SIMPLIFIED_ADEMAMIX_EPS),
    ],
)  # fmt: skip
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
