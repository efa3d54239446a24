"""sam / normalize: NumPy transcription, optax parity (both modes), convergence, errors."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradtx as gx
from gradtx import contrib
from tests.contrib import _parity
from tests.contrib._parity import assert_parity, trajectory
from tests.messages import (
    MSG_GRADTX_CONTRIB_SAM_OPAQUE_MODE_TRUE_UPDATE,
    MSG_GRADTX_CONTRIB_SAM_SYNC_PERIOD_0_SYNC,
    MSG_SAM_ADV_OPTIMIZER_ADV_OPTIMIZER_MUST_BE,
    MSG_SAM_OPTIMIZER_OPTIMIZER_MUST_BE_A_GRADIENTTRANSFORMATION,
    MSG_SAM_SYNC_PERIOD_2_0_SYNC_PERIOD,
)


def grad_fn(params, i):
    del i
    return jax.grad(_parity.loss)(params)


def np_grad(x, w):
    return _parity.H * x, _parity.A.T @ (_parity.A @ w - _parity.B)


def ref_sam(lr, rho, steps):
    """Drop-in SAM (sync_period 2): ascend to x + rho g / |g|, then step from x."""
    x, w = _parity.X0["x"].copy(), _parity.X0["w"].copy()
    out = []
    for _ in range(steps // 2):
        gx_, gw = np_grad(x, w)
        n = np.sqrt(np.sum(gx_**2) + np.sum(gw**2))
        xa, wa = x + rho * gx_ / n, w + rho * gw / n
        out.append(xa)
        gx_, gw = np_grad(xa, wa)
        x, w = x - lr * gx_, w - lr * gw
        out.append(x)
    return np.array(out)


def drop_in(lib, lr=0.05, rho=0.05, **kw):
    return lib.contrib.sam(lib.sgd(lr), lib.chain(lib.contrib.normalize(), lib.sgd(rho)), **kw)


def test_matches_numpy_reference():
    ps, _ = trajectory(drop_in(gx), 20)
    np.testing.assert_allclose(ps["x"], ref_sam(0.05, 0.05, 20), rtol=1e-12)


@pytest.mark.parametrize("kw", [{}, {"sync_period": 3, "reset_state": False}])
def test_transparent_matches_optax_and_converges(kw):
    ours = contrib.sam(gx.adam(0.05), gx.chain(contrib.normalize(), gx.adam(0.01)), **kw)
    theirs = optax.contrib.sam(
        optax.adam(0.05), optax.chain(optax.contrib.normalize(), optax.adam(0.01)), **kw
    )
    vs = assert_parity(ours, theirs)
    assert vs[-1] < 0.1 * vs[0]  # 100 calls are only 33-50 outer steps


def test_opaque_matches_optax():
    kw = {"sync_period": 3, "opaque_mode": True}
    extra = {"grad_fn": grad_fn}
    vs = assert_parity(drop_in(gx, **kw), drop_in(optax, **kw), extra=extra)
    assert vs[-1] < 0.1 * vs[0]  # 100 calls are only 33-50 outer steps


def test_normalize_unit_norm_and_zero_stays_zero():
    tx = contrib.normalize()
    g = {"a": jnp.array([3.0, 0.0]), "b": jnp.array([[4.0]])}
    u, _ = tx.update(g, tx.init(None))
    np.testing.assert_allclose(u["a"], [0.6, 0.0])
    np.testing.assert_allclose(u["b"], [[0.8]])
    z, _ = tx.update(jnp.zeros(3), tx.init(None))
    np.testing.assert_array_equal(z, 0.0)


def test_opaque_without_grad_fn_raises():
    tx = drop_in(gx, opaque_mode=True)
    x = jnp.ones(2)
    with pytest.raises(ValueError, match=MSG_GRADTX_CONTRIB_SAM_OPAQUE_MODE_TRUE_UPDATE):
        tx.update(x, tx.init(x), x)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: contrib.sam(gx.sgd(0.1), gx.sgd(0.1), sync_period=0), ValueError, MSG_GRADTX_CONTRIB_SAM_SYNC_PERIOD_0_SYNC),
        (lambda: contrib.sam(gx.sgd(0.1), gx.sgd(0.1), sync_period=2.0), TypeError, MSG_SAM_SYNC_PERIOD_2_0_SYNC_PERIOD),
        (lambda: contrib.sam("sgd", gx.sgd(0.1)), TypeError, MSG_SAM_OPTIMIZER_OPTIMIZER_MUST_BE_A_GRADIENTTRANSFORMATION),
        (lambda: contrib.sam(gx.sgd(0.1), None), TypeError, MSG_SAM_ADV_OPTIMIZER_ADV_OPTIMIZER_MUST_BE),
    ],
)  # fmt: skip
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
