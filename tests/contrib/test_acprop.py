"""acprop / scale_by_acprop: NumPy transcription, optax parity, convergence, errors."""

from __future__ import annotations

import numpy as np
import optax
import pytest

from gradtx import contrib
from tests.contrib._parity import GRADS, Y0, assert_parity, params_after


def ref_acprop(lr, b1, b2, eps, eps_root, wd, grads=GRADS, x=Y0):
    x, m, n = x.copy(), np.zeros(3), np.zeros(3)
    xs = []
    for k, g in enumerate(grads):
        n_hat = np.ones(3) if k == 0 else n / (1 - b2**k)
        u = g / (np.sqrt(n_hat) + eps)
        n = b2 * n + (1 - b2) * (g - m) ** 2 + eps_root
        m = b1 * m + (1 - b1) * g
        x = x - lr * (u + wd * x)
        xs.append(x)
    return np.array(xs)


@pytest.mark.parametrize(
    "b1, b2, eps, eps_root, wd", [(0.9, 0.999, 1e-16, 1e-16, 0.0), (0.5, 0.9, 1e-3, 1e-4, 0.1)]
)
def test_matches_numpy_reference(b1, b2, eps, eps_root, wd):
    tx = contrib.acprop(0.1, b1, b2, eps, eps_root, wd)
    want = ref_acprop(0.1, b1, b2, eps, eps_root, wd)
    np.testing.assert_allclose(params_after(tx), want, rtol=1e-12, atol=1e-14)


def test_matches_optax_and_converges():
    kw = {"b1": 0.8, "b2": 0.99, "weight_decay": 1e-3}
    vs = assert_parity(contrib.acprop(0.05, **kw), optax.contrib.acprop(0.05, **kw))
    assert vs[-1] < 1e-2 * vs[0]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: contrib.acprop(-1.0), r"gradtx\.contrib\.acprop\(learning_rate=-1\.0\): learning_rate must be in \[0, inf\); got -1\.0\."),
        (lambda: contrib.acprop(0.1, b1=1.0), r"gradtx\.contrib\.acprop\(b1=1\.0\): b1 must be in \[0, 1\)"),
        (lambda: contrib.acprop(0.1, b2=-0.1), r"acprop\(b2=-0\.1\)"),
        (lambda: contrib.acprop(0.1, eps=-1.0), r"acprop\(eps=-1\.0\)"),
        (lambda: contrib.acprop(0.1, weight_decay=-1.0), r"acprop\(weight_decay=-1\.0\)"),
        (lambda: contrib.scale_by_acprop(eps_root=-1.0), r"gradtx\.contrib\.scale_by_acprop\(eps_root=-1\.0\)"),
    ],
)  # fmt: skip
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
