"""The eager compilation cache (``EagerJit``): safe across threads, bounded, LRU over variants."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import jax.numpy as jnp
import numpy as np
import pytest

import gradtx as gx
from tests.messages import (
    MSG_MAX_SIGNATURES,
)


def test_threads_calling_one_update_on_different_shapes():
    """8 threads, one transformation, 8 shapes: right results, one compile per shape."""
    lr, momentum, steps = 0.1, 0.9, 3
    tx = gx.sgd(lr, momentum=momentum)

    def run(k):
        params = {"w": jnp.arange(k + 1, dtype=jnp.float32)}
        grads = {"w": jnp.full((k + 1,), 1.0 + k, jnp.float32)}
        state = tx.init(params)
        for _ in range(steps):
            updates, state = tx.update(grads, state, params)
        return np.asarray(updates["w"]), np.asarray(grads["w"])

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(run, range(8)))
    # Heavy-ball trace after 3 steps: g (1 + m + m^2); update -lr * trace.
    for u, g in results:
        np.testing.assert_allclose(u, -lr * g * (1 + momentum + momentum**2), rtol=1e-6)
    assert tx.update.trace_count == 8, "a shape was compiled twice or a compile was lost"
    assert tx.update.cache_size() == 8


def test_cache_is_bounded_and_results_stay_right():
    # NumPy inputs and the cheapest function: 100 compiles, nothing else.
    f = gx.EagerJit(lambda x: x + 1.0)
    assert f.max_signatures == 64
    for n in range(1, 101):
        np.testing.assert_array_equal(np.asarray(f(np.ones(n))), np.full(n, 2.0))
        assert f.cache_size() <= 64
    assert f.trace_count == 100
    # The bound is configurable per wrapper; a dropped signature compiles again.
    f.max_signatures = 3
    np.testing.assert_array_equal(np.asarray(f(np.ones(1))), [2.0])
    assert f.cache_size() <= 3
    assert f.trace_count == 101
    with pytest.raises(ValueError, match=MSG_MAX_SIGNATURES):
        gx.EagerJit(abs, max_signatures=0)
    with pytest.raises(TypeError, match=MSG_MAX_SIGNATURES):
        gx.EagerJit(abs, max_signatures=2.5)


def test_least_recently_used_static_variant_is_dropped_first():
    def scaled(x, *, mode="a"):
        return {"a": x, "b": 2 * x, "c": 3 * x}[mode]

    f = gx.EagerJit(scaled, max_signatures=2)
    x = jnp.ones(2)
    f(x, mode="a")
    f(x, mode="b")
    f(x, mode="a")  # "a" is now the most recently used
    np.testing.assert_array_equal(np.asarray(f(x, mode="c")), [3.0, 3.0])  # drops "b"
    assert (f.trace_count, f.cache_size()) == (3, 2)
    f(x, mode="a")
    assert f.trace_count == 3, "the recently used variant was dropped"
    np.testing.assert_array_equal(np.asarray(f(x, mode="b")), [2.0, 2.0])
    assert f.trace_count == 4
