"""Dynamic sampling: the norm and inner-product tests against NumPy, and growth as predicted."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gradtx as gx
from tests.messages import (
    MSG_AT_LEAST_2_ROWS,
    MSG_INITIAL_BATCH_SIZE_8_MAX_BATCH_SIZE,
    MSG_NEXT_BATCH_SIZE_FOUND_0,
    MSG_NU_IS_ONLY_USED_WITH_TEST_INNER,
    MSG_TEST_MUST_BE_ONE_OF,
)

# f_i(x) = |x - a_i|^2 / 2 with a_i ~ N(0, SIGMA^2 I_D): per-example gradients x - a_i
# have total variance D SIGMA^2, and the inner products g_i . g variance SIGMA^2 |g|^2.
D, SIGMA, THETA, B = 10, 1.0, 0.9, 512


def _recommend(tx, x, key):
    a = SIGMA * jax.random.normal(key, (B, D), jnp.float64)
    G = x[None, :] - a
    _, state = jax.jit(tx.update)(G.mean(0), tx.init(x), per_example_grads={"w": G})
    return state, np.asarray(G)


def test_statistics_match_numpy():
    x = jnp.full((D,), 0.3)
    for test in ("norm", "inner_product"):
        state, G = _recommend(gx.dynamic_sampling(8, test=test, theta=THETA), x, jax.random.key(1))
        g = G.mean(0)
        if test == "norm":
            want = np.sum((G - g) ** 2) / (B - 1) / (THETA**2 * g @ g)
        else:
            want = np.sum((G @ g - g @ g) ** 2) / (B - 1) / (THETA**2 * (g @ g) ** 2)
        np.testing.assert_allclose(float(state.needed), want, rtol=1e-10)
        assert int(state.batch_size) == max(B, int(np.ceil(want)))


@pytest.mark.parametrize("test, per_dim", [("norm", D), ("inner_product", 1)])
def test_batch_grows_as_predicted(test, per_dim):
    """Needed batch = (variance) / (theta^2 |g|^2): D SIGMA^2 / (theta^2 |x|^2) for the norm
    test, SIGMA^2 / (theta^2 |x|^2) for the inner-product test; it grows as x -> 0."""
    tx = gx.dynamic_sampling(1, test=test, theta=THETA)
    needed = []
    for r, key in zip((2.0, 1.0, 0.5), jax.random.split(jax.random.key(0), 3)):
        x = jnp.full((D,), r / np.sqrt(D))
        state, _ = _recommend(tx, x, key)
        predicted = per_dim * SIGMA**2 / (THETA**2 * (r**2 + D * SIGMA**2 / B))
        np.testing.assert_allclose(float(state.needed), predicted, rtol=0.25)
        needed.append(float(state.needed))
    assert needed[0] < needed[1] < needed[2]


def test_recommendation_is_monotone_capped_and_skippable():
    tx = gx.dynamic_sampling(4, test="norm", max_batch_size=100)
    x = jnp.zeros(2)
    state = tx.init(x)
    noisy = jnp.array([[1.0, 0.0], [-1.0, 0.1], [1.0, -0.1], [-0.9, 0.0]])
    _, state = tx.update(noisy.mean(0), state, per_example_grads=noisy)
    assert gx.next_batch_size(state) == 100  # capped
    assert gx.next_batch_size(state, cap=50) == 50
    clean = jnp.array([[1.0, 1.0], [1.0, 1.0 + 1e-3]])
    _, state = tx.update(clean.mean(0), state, per_example_grads=clean)
    assert gx.next_batch_size(state) == 100  # never shrinks
    _, state2 = tx.update(clean.mean(0), state)  # no per-example grads: unchanged
    assert int(state2.batch_size) == 100 and int(state2.count) == int(state.count) + 1


def test_errors():
    with pytest.raises(ValueError, match=MSG_TEST_MUST_BE_ONE_OF):
        gx.dynamic_sampling(4, test="variance")
    with pytest.raises(ValueError, match=MSG_NU_IS_ONLY_USED_WITH_TEST_INNER):
        gx.dynamic_sampling(4, test="norm", nu=5.0)
    with pytest.raises(ValueError, match=MSG_INITIAL_BATCH_SIZE_8_MAX_BATCH_SIZE):
        gx.dynamic_sampling(8, max_batch_size=4)
    tx = gx.dynamic_sampling(4)
    with pytest.raises(ValueError, match=MSG_AT_LEAST_2_ROWS):
        tx.update(jnp.zeros(2), tx.init(jnp.zeros(2)), per_example_grads=jnp.zeros((1, 2)))
    with pytest.raises(ValueError, match=MSG_NEXT_BATCH_SIZE_FOUND_0):
        gx.next_batch_size(gx.sgd(0.1).init(jnp.zeros(2)))
