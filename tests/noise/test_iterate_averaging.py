"""Polyak-Ruppert, params EMA and SWA: float64 NumPy transcriptions, the O(1/t) rate, readers."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gradtx as gx
from tests.messages import (
    MSG_EMA_AVERAGED_PARAMS_EXACTLY_ONE_PARAMSEMASTATE_FOUND,
    MSG_EVERY_K_MUST_BE_1_GOT_0,
    MSG_GRADTX_PARAMS_EMA_DECAY_1_0,
    MSG_POLYAK_AVERAGING_UPDATE_NEEDS_PARAMS,
)

RNG = np.random.default_rng(0)
UPDATES = RNG.normal(size=(12, 3))
X0 = RNG.normal(size=3)


def _averages(tx, reader):
    """Feed the fixed updates with params following them; return the average after each step."""

    @jax.jit
    def go(x0, us):
        def step(carry, u):
            x, s = carry
            out, s = tx.update(u, s, x)
            return (gx.apply_updates(x, out), s), reader(s)

        return jax.lax.scan(step, (x0, tx.init(x0)), us)[1]

    return np.asarray(go(jnp.asarray(X0), jnp.asarray(UPDATES)))


def _iterates():
    return X0 + np.cumsum(UPDATES, axis=0)  # x_1 .. x_12


@pytest.mark.parametrize("decay", [0.0, 0.6, 0.9])
def test_params_ema_matches_numpy(decay):
    xs = _iterates()
    raw, want = np.zeros(3), []
    for k, x in enumerate(xs, start=1):
        raw = decay * raw + (1 - decay) * x
        want.append(raw / (1 - decay**k))
    got = _averages(gx.params_ema(decay), gx.ema_averaged_params)
    np.testing.assert_allclose(got, np.array(want), rtol=1e-12, atol=1e-13)
    a, want = X0.copy(), []
    for x in xs:
        a = decay * a + (1 - decay) * x
        want.append(a)
    got = _averages(gx.params_ema(decay, debias=False), gx.ema_averaged_params)
    np.testing.assert_allclose(got, np.array(want), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("every_k, start_step", [(1, 0), (3, 0), (2, 5)])
def test_swa_matches_numpy(every_k, start_step):
    xs = _iterates()
    taken, want = [], []
    for k, x in enumerate(xs, start=1):
        if k > start_step and (k - start_step) % every_k == 0:
            taken.append(x)
        want.append(np.mean(taken, axis=0) if taken else x)
    got = _averages(gx.swa(every_k, start_step), gx.swa_averaged_params)
    np.testing.assert_allclose(got, np.array(want), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("start_step", [0, 4])
def test_polyak_matches_numpy(start_step):
    xs = _iterates()
    want = [xs[k] if k < start_step else xs[start_step : k + 1].mean(0) for k in range(len(xs))]
    got = _averages(gx.polyak_averaging(start_step), gx.polyak_averaged_params)
    np.testing.assert_allclose(got, np.array(want), rtol=1e-12, atol=1e-13)


def test_polyak_ruppert_reaches_the_one_over_t_rate():
    """SGD with steps 0.5 t^-0.6 on a noisy quadratic: the average's MSE falls as 1/t,
    the last iterate's only as t^-0.6 (Polyak and Juditsky 1992)."""
    runs, steps, h, sigma = 256, 4096, 1.0, 1.0
    tx = gx.chain(gx.sgd(lambda t: 0.5 * (t + 1.0) ** -0.6), gx.polyak_averaging())

    @jax.jit
    @jax.vmap
    def one_run(key):
        noise = jax.random.normal(key, (steps,)) * sigma

        def step(carry, e):
            x, s = carry
            u, s = tx.update(h * x + e, s, x)
            x = gx.apply_updates(x, u)
            return (x, s), (x**2, gx.polyak_averaged_params(s) ** 2)

        x0 = jnp.ones(())
        return jax.lax.scan(step, (x0, tx.init(x0)), noise)[1]

    last, avg = one_run(jax.random.split(jax.random.key(0), runs))
    ts = np.array([256, 512, 1024, 2048, 4096])
    mse_avg, mse_last = np.asarray(avg).mean(0)[ts - 1], np.asarray(last).mean(0)[ts - 1]
    slope_avg = np.polyfit(np.log(ts), np.log(mse_avg), 1)[0]
    slope_last = np.polyfit(np.log(ts), np.log(mse_last), 1)[0]
    assert -1.2 < slope_avg < -0.85, slope_avg
    assert -0.75 < slope_last < -0.45, slope_last
    # and the constant is the optimal sigma^2 / (h^2 t) within sampling error
    np.testing.assert_allclose(mse_avg[-1] * ts[-1], sigma**2 / h**2, rtol=0.35)


def test_readers_and_errors():
    tx = gx.chain(gx.sgd(0.1), gx.polyak_averaging(), gx.swa(2))
    state = tx.init({"w": jnp.ones(2)})
    np.testing.assert_array_equal(gx.polyak_averaged_params(state)["w"], np.ones(2))
    assert gx.swa_averaged_params(state)["w"] is not None
    with pytest.raises(ValueError, match=MSG_EMA_AVERAGED_PARAMS_EXACTLY_ONE_PARAMSEMASTATE_FOUND):
        gx.ema_averaged_params(state)
    with pytest.raises(ValueError, match=MSG_EVERY_K_MUST_BE_1_GOT_0):
        gx.swa(0)
    with pytest.raises(ValueError, match=MSG_GRADTX_PARAMS_EMA_DECAY_1_0):
        gx.params_ema(1.0)
    with pytest.raises(ValueError, match=MSG_POLYAK_AVERAGING_UPDATE_NEEDS_PARAMS):
        gx.polyak_averaging().update(jnp.ones(2), gx.polyak_averaging().init(jnp.ones(2)))
