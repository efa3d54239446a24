"""gradtx.experimental.aggregating against optax.experimental.aggregating."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import optax.experimental
import pytest

import gradtx as gx
from gradtx.experimental import aggregating as ga
from tests.messages import (
    MSG_ACCUMULATE_AVG_UPDATES_ACCUMULATION_STEPS_0,
    MSG_NO_PERELEMENTMEANANDVARIANCEEMASTATE,
    MSG_SAME_BATCH_SIZE,
)

oa = optax.experimental.aggregating


def _grads(t):
    return jax.random.normal(jax.random.key(t), (4, 2, 3), jnp.float64)


@pytest.mark.parametrize("steps", [1, 3])
def test_add_mean_variance_to_opt_matches_optax(steps):
    ours = ga.add_mean_variance_to_opt(gx.adam(0.01), 0.9, 0, steps)
    theirs = oa.add_mean_variance_to_opt(optax.adam(0.01), 0.9, 0, steps)
    p = jnp.ones((2, 3), jnp.float64)
    so, st = ours.init(p), theirs.init(p)
    for t in range(2 * steps):
        uo, so = ours.update(_grads(t), so)
        ut, st = theirs.update(_grads(t), st)
        np.testing.assert_allclose(uo, ut, rtol=1e-12, atol=1e-15)
    mean, var = ga.get_unbiased_mean_and_variance_ema(so)
    mean_ox, var_ox = oa.get_unbiased_mean_and_variance_ema(st)
    np.testing.assert_allclose(mean, mean_ox, rtol=1e-12)
    # optax divides by the int32 sample size - 1 in float32 (1 / int32 is float32); gradtx
    # divides in the sums' dtype, so the two agree to float32 precision only.
    np.testing.assert_allclose(var, var_ox, rtol=1e-6)
    # float64 NumPy reference: EMA of the unbiased variance of each window of examples
    decay, m, v = 0.9, 0.0, 0.0
    for w in range(2):
        window = np.concatenate([np.asarray(_grads(t)) for t in range(w * steps, (w + 1) * steps)])
        m = (1 - decay) * window.mean(0) + decay * m
        v = (1 - decay) * window.var(0, ddof=1) + decay * v
    np.testing.assert_allclose(mean, m / (1 - decay**2), rtol=1e-12)
    np.testing.assert_allclose(var, v / (1 - decay**2), rtol=1e-12)


def test_process_with_average_and_accumulation_matches_optax():
    ours = ga.process(gx.identity(), ga.average_incrementally_updates(0, 2), gx.sgd(0.1))
    theirs = oa.process(optax.identity(), oa.average_incrementally_updates(0, 2), optax.sgd(0.1))
    assert isinstance(ours, ga.Aggregator)
    p = jnp.zeros((2, 3), jnp.float64)
    so, st = ours.init(p), theirs.init(p)
    for t in range(4):
        uo, so = ours.update(_grads(t), so)
        ut, st = theirs.update(_grads(t), st)
        np.testing.assert_allclose(uo, ut, rtol=1e-12)
    # the second call of each pair steps with the mean of both calls' per-example means
    mean = (np.mean(_grads(2), 0) + np.mean(_grads(3), 0)) / 2
    np.testing.assert_allclose(uo, -0.1 * mean, rtol=1e-12)


def test_batch_size_and_errors():
    assert ga.get_batch_size_from_per_elt_updates({"a": jnp.zeros((2, 3, 4))}, [0, 1]) == 6
    with pytest.raises(ValueError, match=MSG_SAME_BATCH_SIZE):
        ga.get_batch_size_from_per_elt_updates([jnp.zeros((2,)), jnp.zeros((3,))], 0)
    with pytest.raises(ValueError, match=MSG_ACCUMULATE_AVG_UPDATES_ACCUMULATION_STEPS_0):
        ga.accumulate_avg_updates(0)
    with pytest.raises(ValueError, match=MSG_NO_PERELEMENTMEANANDVARIANCEEMASTATE):
        ga.get_unbiased_mean_and_variance_ema(gx.sgd(0.1).init(jnp.zeros(1)))
