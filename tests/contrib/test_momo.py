"""momo / momo_adam: NumPy transcriptions, optax parity, convergence, errors."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import optax
import pytest

from gradtx import contrib
from tests.contrib._parity import GRADS, Y0, assert_parity
from tests.messages import (
    MSG_GRADTX_CONTRIB_MOMO_ADAM_LEARNING_RATE_1,
    MSG_GRADTX_CONTRIB_MOMO_BETA_1_0_BETA,
    MSG_GRADTX_CONTRIB_MOMO_LEARNING_RATE_1_0,
    MSG_GRADTX_CONTRIB_MOMO_UPDATE_NEEDS_THE_LOSS,
    MSG_MOMO_ADAM_B1_1_0_B1_MUST,
    MSG_MOMO_ADAM_B2_0_1,
    MSG_MOMO_ADAM_EPS_1_0,
    MSG_MOMO_ADAM_WEIGHT_DECAY_1_0,
    MSG_MOMO_WEIGHT_DECAY_1_0,
)

VALUES = [2.0 + np.sin(k) for k in range(len(GRADS))]


def _step(alpha, wd, barf, gamma, iprod, norm, lb, c1, lower, adapt):
    q = 1 + alpha * wd
    lb_now = lb
    if adapt:
        cap = q * (barf - gamma) + iprod
        if cap < q * c1 * lb:
            lb_now = max(cap / (2 * c1 * q), lower)
    t1 = max(q * (barf - c1 * lb_now - gamma) + iprod, 0.0) / norm if norm > 2.2e-16 else 0.0
    tau = min(alpha / c1, t1)
    new_lb = max((barf + iprod - gamma - 0.5 * tau * norm) / c1, lower) if adapt else lb
    return tau, new_lb


def ref_momo(alpha, beta, lower, wd, adapt, grads=GRADS, x=Y0):
    x, d = x.copy(), np.zeros(3)
    barf = gamma = 0.0
    lb, xs = lower, []
    for k, (g, f) in enumerate(zip(grads, VALUES)):
        b = 0.0 if k == 0 else beta
        barf = b * barf + (1 - b) * f
        d = b * d + (1 - b) * g
        gamma = b * gamma + (1 - b) * (g @ x)
        tau, lb = _step(alpha, wd, barf, gamma, d @ x, d @ d, lb, 1.0, lower, adapt)
        x = (x - tau * d) / (1 + alpha * wd)
        xs.append(x)
    return np.array(xs)


def ref_momo_adam(alpha, b1, b2, eps, lower, wd, adapt, grads=GRADS, x=Y0):
    x, m, v = x.copy(), np.zeros(3), np.zeros(3)
    barf = gamma = 0.0
    lb, xs = lower, []
    for k, (g, f) in enumerate(zip(grads, VALUES)):
        c1, c2 = 1 - b1 ** (k + 1), 1 - b2 ** (k + 1)
        barf = b1 * barf + (1 - b1) * f
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        dk = eps + np.sqrt(v / c2)
        gamma = b1 * gamma + (1 - b1) * (g @ x)
        tau, lb = _step(alpha, wd, barf, gamma, m @ x, m @ (m / dk), lb, c1, lower, adapt)
        x = (x - tau * m / dk) / (1 + alpha * wd)
        xs.append(x)
    return np.array(xs)


def params_with_values(tx):
    """Params after each step for GRADS with the loss values VALUES (eager steps)."""
    x = jnp.asarray(Y0)
    s = tx.init(x)
    xs = []
    for g, f in zip(GRADS, VALUES):
        u, s = tx.update(jnp.asarray(g), s, x, value=f)
        x = x + u
        xs.append(np.asarray(x))
    return np.array(xs)


@pytest.mark.parametrize("wd, adapt, lower", [(0.0, False, 0.0), (0.1, True, 0.5)])
def test_momo_matches_numpy_reference(wd, adapt, lower):
    tx = contrib.momo(0.5, 0.8, lower, wd, adapt)
    want = ref_momo(0.5, 0.8, lower, wd, adapt)
    np.testing.assert_allclose(params_with_values(tx), want, rtol=1e-12)


@pytest.mark.parametrize("wd, adapt, lower", [(0.0, False, 0.0), (0.1, True, 0.5)])
def test_momo_adam_matches_numpy_reference(wd, adapt, lower):
    tx = contrib.momo_adam(0.5, 0.8, 0.9, 1e-3, lower, wd, adapt)
    want = ref_momo_adam(0.5, 0.8, 0.9, 1e-3, lower, wd, adapt)
    np.testing.assert_allclose(params_with_values(tx), want, rtol=1e-12)


@pytest.mark.parametrize(
    "name, kwargs, factor",
    [
        # The estimated lower bound starts low and makes the early steps cautious.
        ("momo", {"learning_rate": 0.5, "adapt_lower_bound": True, "lower_bound": -1.0}, 0.2),
        ("momo_adam", {"learning_rate": 1.0, "adapt_lower_bound": True}, 0.25),
    ],
)
def test_matches_optax_and_converges(name, kwargs, factor):
    """Without weight decay (where gradtx fixes optax's update, see the docstring)."""
    ours, theirs = getattr(contrib, name)(**kwargs), getattr(optax.contrib, name)(**kwargs)
    vs = assert_parity(ours, theirs, value=True)
    assert vs[-1] < factor * vs[0]


def test_weight_decay_divides_the_whole_step():
    """optax PR #1787's example: one momo step on sum(x^2) from [1, 2, 3] with
    learning_rate 1 and weight_decay 0.1 gives x / 2 (optax 0.2.8: 0.4591 x).
    (momo_adam's decayed rule is checked by its NumPy transcription above.)"""
    x = jnp.array([1.0, 2.0, 3.0])
    tx = contrib.momo(1.0, weight_decay=0.1)
    u, _ = tx.update(2 * x, tx.init(x), x, value=jnp.sum(x**2))
    np.testing.assert_allclose(x + u, x / 2, rtol=1e-6)


def test_update_without_value_raises():
    tx = contrib.momo()
    x = jnp.ones(2)
    with pytest.raises(ValueError, match=MSG_GRADTX_CONTRIB_MOMO_UPDATE_NEEDS_THE_LOSS):
        tx.update(x, tx.init(x), x)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: contrib.momo(-1.0), MSG_GRADTX_CONTRIB_MOMO_LEARNING_RATE_1_0),
        (lambda: contrib.momo(beta=1.0), MSG_GRADTX_CONTRIB_MOMO_BETA_1_0_BETA),
        (lambda: contrib.momo(weight_decay=-1.0), MSG_MOMO_WEIGHT_DECAY_1_0),
        (lambda: contrib.momo_adam(-1.0), MSG_GRADTX_CONTRIB_MOMO_ADAM_LEARNING_RATE_1),
        (lambda: contrib.momo_adam(b1=1.0), MSG_MOMO_ADAM_B1_1_0_B1_MUST),
        (lambda: contrib.momo_adam(b2=-0.1), MSG_MOMO_ADAM_B2_0_1),
        (lambda: contrib.momo_adam(eps=-1.0), MSG_MOMO_ADAM_EPS_1_0),
        (lambda: contrib.momo_adam(weight_decay=-1.0), MSG_MOMO_ADAM_WEIGHT_DECAY_1_0),
    ],
)  # fmt: skip
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
