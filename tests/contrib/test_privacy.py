"""dpsgd / differentially_private_aggregate: NumPy transcription, optax parity, errors."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradtx as gx
from gradtx import contrib
from tests.messages import (
    MSG_DIFFERENTIALLY_PRIVATE_AGGREGATE_KEY_KEY_MUST_BE,
    MSG_DPSGD_L2_NORM_CLIP_1_0_L2,
    MSG_DPSGD_MOMENTUM_1_0_MOMENTUM_MUST_BE,
    MSG_DPSGD_NOISE_MULTIPLIER_1_0,
    MSG_DPSGD_SEED_0_5_SEED_MUST_BE,
    MSG_EXPECTS_PER_EXAMPLE_GRADIENTS_2_3_4,
    MSG_GRADTX_CONTRIB_DPSGD_LEARNING_RATE_1_0,
    MSG_PASS_KEY_OR_SEED_NOT_BOTH,
)

_RNG = np.random.default_rng(11)
X = _RNG.normal(size=(8, 3))
W_TRUE = np.array([1.0, -2.0, 0.5])
Y = X @ W_TRUE
P0 = {"w": jnp.zeros(3), "b": jnp.zeros(())}


def example_loss(p, x, y):
    return 0.5 * (x @ p["w"] + p["b"] - y) ** 2


per_example_grads = jax.vmap(jax.grad(example_loss), in_axes=(None, 0, 0))


def run(tx, steps=100):
    @jax.jit
    def go(p):
        def step(carry, _):
            p, s = carry
            u, s = tx.update(per_example_grads(p, X, Y), s, p)
            p = gx.apply_updates(p, u)
            return (p, s), p

        return jax.lax.scan(step, (p, tx.init(p)), None, length=steps)[1]

    return jax.tree.map(np.asarray, go(P0))


@pytest.mark.parametrize("momentum, nesterov", [(0.9, True)])
def test_dpsgd_matches_optax_and_converges(momentum, nesterov):
    args = (0.3, 10.0, 0.01, 3, momentum, nesterov)
    ours = run(contrib.dpsgd(*args))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # optax's dpsgd passes seed=
        theirs = run(optax.contrib.dpsgd(*args))
    for k in ours:
        np.testing.assert_allclose(ours[k], theirs[k], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours["w"][-1], W_TRUE, atol=0.1)


def test_aggregate_matches_numpy_reference_without_noise():
    tx = contrib.differentially_private_aggregate(0.7, 0.0, key=jax.random.key(1))
    g = {"w": jnp.asarray(_RNG.normal(size=(5, 3))), "b": jnp.asarray(_RNG.normal(size=(5, 2, 2)))}
    u, _ = tx.update(g, tx.init(None))
    flat = np.concatenate([np.asarray(g["w"]), np.asarray(g["b"]).reshape(5, -1)], axis=1)
    c = np.minimum(1.0, 0.7 / np.linalg.norm(flat, axis=1))
    np.testing.assert_allclose(u["w"], c @ np.asarray(g["w"]) / 5, rtol=1e-12)
    np.testing.assert_allclose(u["b"], np.tensordot(c, np.asarray(g["b"]), 1) / 5, rtol=1e-12)


def test_noise_has_the_documented_scale_and_key_advances():
    tx = contrib.differentially_private_aggregate(2.0, 3.0, key=0)
    g = jnp.zeros((4, 20000))
    s = tx.init(None)
    u1, s = tx.update(g, s)
    u2, _ = tx.update(g, s)
    # std of (C * s * n) / B = 2 * 3 / 4 = 1.5; 20000 samples: relative error ~0.5%
    assert abs(float(jnp.std(u1)) - 1.5) < 0.05
    assert not np.allclose(u1, u2)


def test_key_forms_and_deprecated_seed():
    g = jnp.ones((2, 3))
    tx5 = contrib.differentially_private_aggregate(1.0, 1.0, key=5)
    ref, _ = tx5.update(g, tx5.init(None))
    with pytest.warns(DeprecationWarning, match="seed"):
        tx = contrib.differentially_private_aggregate(1.0, 1.0, seed=5)
    np.testing.assert_array_equal(tx.update(g, tx.init(None))[0], ref)
    raw = contrib.differentially_private_aggregate(1.0, 1.0, key=jax.random.PRNGKey(5))
    assert raw.update(g, raw.init(None))[0].shape == (3,)
    with pytest.warns(UserWarning, match="no key given"):
        contrib.differentially_private_aggregate(1.0, 1.0)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: contrib.dpsgd(-1.0, 1.0, 1.0, 0), ValueError, MSG_GRADTX_CONTRIB_DPSGD_LEARNING_RATE_1_0),
        (lambda: contrib.dpsgd(0.1, -1.0, 1.0, 0), ValueError, MSG_DPSGD_L2_NORM_CLIP_1_0_L2),
        (lambda: contrib.dpsgd(0.1, 1.0, -1.0, 0), ValueError, MSG_DPSGD_NOISE_MULTIPLIER_1_0),
        (lambda: contrib.dpsgd(0.1, 1.0, 1.0, 0.5), TypeError, MSG_DPSGD_SEED_0_5_SEED_MUST_BE),
        (lambda: contrib.dpsgd(0.1, 1.0, 1.0, 0, momentum=1.0), ValueError, MSG_DPSGD_MOMENTUM_1_0_MOMENTUM_MUST_BE),
        (lambda: contrib.differentially_private_aggregate(1.0, 1.0, key=0, seed=0), ValueError, MSG_PASS_KEY_OR_SEED_NOT_BOTH),
        (lambda: contrib.differentially_private_aggregate(1.0, 1.0, key="k"), TypeError, MSG_DIFFERENTIALLY_PRIVATE_AGGREGATE_KEY_KEY_MUST_BE),
    ],
)  # fmt: skip
def test_errors(call, exc, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(exc, match=match):
            call()


def test_update_rejects_gradients_without_batch_axis():
    tx = contrib.differentially_private_aggregate(1.0, 1.0, key=0)
    with pytest.raises(ValueError, match=MSG_EXPECTS_PER_EXAMPLE_GRADIENTS_2_3_4):
        tx.update({"a": jnp.ones((2, 3)), "b": jnp.ones(4)}, tx.init(None))
