"""dog / dowg: NumPy transcriptions, optax parity, convergence, errors."""

from __future__ import annotations

import numpy as np
import optax
import pytest

from gradtx import contrib
from tests.contrib._parity import GRADS, Y0, assert_parity, params_after
from tests.messages import (
    MSG_DOG_EPS_1_0,
    MSG_DOG_INIT_STEP_1_0_0_INIT,
    MSG_DOG_INIT_STEP_1E_06_INIT_STEP,
    MSG_DOG_WEIGHT_DECAY_1_0,
    MSG_DOWG_EPS_0_0,
    MSG_DOWG_INIT_ESTIM_SQ_DIST_0_0,
    MSG_DOWG_WEIGHT_DECAY_1_0,
    MSG_GRADTX_CONTRIB_DOG_INIT_STEP_NOPE_1,
    MSG_GRADTX_CONTRIB_DOG_LEARNING_RATE_1_0,
    MSG_GRADTX_CONTRIB_DOWG_LEARNING_RATE_1_0,
)


def ref_dog(lr, kind, value, eps, wd, grads=GRADS, x=Y0):
    x0, x = x.copy(), x.copy()
    r = {"distance": value, "heuristic": value * (1 + np.linalg.norm(x0)), "learning_rate": 0.0}[
        kind
    ]
    big_g, xs = 0.0, []
    for k, g in enumerate(grads):
        g = g + wd * x
        r = max(r, np.linalg.norm(x - x0))
        big_g += g @ g
        eta = value if (kind == "learning_rate" and k == 0) else r / np.sqrt(big_g + eps)
        x = x - lr * eta * g
        xs.append(x)
    return np.array(xs)


def ref_dowg(lr, r2, eps, wd, grads=GRADS, x=Y0):
    x0, x = x.copy(), x.copy()
    r2 = eps if r2 is None else r2
    v, xs = 0.0, []
    for g in grads:
        g = g + wd * x
        r2 = max(r2, np.sum((x - x0) ** 2))
        v += r2 * (g @ g)
        x = x - lr * r2 / (np.sqrt(v) + eps) * g
        xs.append(x)
    return np.array(xs)


@pytest.mark.parametrize(
    "kind, value, wd",
    [("heuristic", 1e-2, None), ("distance", 0.3, 0.1), ("learning_rate", 0.05, None)],
)
def test_dog_matches_numpy_reference(kind, value, wd):
    tx = contrib.dog(0.7, (kind, value), 1e-8, wd)
    want = ref_dog(0.7, kind, value, 1e-8, wd or 0.0)
    np.testing.assert_allclose(params_after(tx), want, rtol=1e-12)


@pytest.mark.parametrize("r2, wd", [(None, None), (0.5, 0.1)])
def test_dowg_matches_numpy_reference(r2, wd):
    tx = contrib.dowg(0.7, r2, 1e-4, wd)
    np.testing.assert_allclose(params_after(tx), ref_dowg(0.7, r2, 1e-4, wd or 0.0), rtol=1e-12)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("dog", {"init_step": ("distance", 1e-3), "weight_decay": 1e-4}),
        ("dowg", {"init_estim_sq_dist": 1e-4}),
    ],
)
def test_matches_optax_and_converges(name, kwargs):
    vs = assert_parity(getattr(contrib, name)(**kwargs), getattr(optax.contrib, name)(**kwargs))
    assert vs[-1] < 1e-2 * vs[0]


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: contrib.dog(-1.0), ValueError, MSG_GRADTX_CONTRIB_DOG_LEARNING_RATE_1_0),
        (lambda: contrib.dog(init_step=("nope", 1.0)), ValueError, MSG_GRADTX_CONTRIB_DOG_INIT_STEP_NOPE_1),
        (lambda: contrib.dog(init_step=1e-6), TypeError, MSG_DOG_INIT_STEP_1E_06_INIT_STEP),
        (lambda: contrib.dog(init_step=("distance", 0.0)), ValueError, MSG_DOG_INIT_STEP_1_0_0_INIT),
        (lambda: contrib.dog(eps=-1.0), ValueError, MSG_DOG_EPS_1_0),
        (lambda: contrib.dog(weight_decay=-1.0), ValueError, MSG_DOG_WEIGHT_DECAY_1_0),
        (lambda: contrib.dowg(-1.0), ValueError, MSG_GRADTX_CONTRIB_DOWG_LEARNING_RATE_1_0),
        (lambda: contrib.dowg(init_estim_sq_dist=0.0), ValueError, MSG_DOWG_INIT_ESTIM_SQ_DIST_0_0),
        (lambda: contrib.dowg(eps=0.0), ValueError, MSG_DOWG_EPS_0_0),
        (lambda: contrib.dowg(weight_decay=-1.0), ValueError, MSG_DOWG_WEIGHT_DECAY_1_0),
    ],
)  # fmt: skip
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
