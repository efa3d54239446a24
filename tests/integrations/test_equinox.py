"""gradtx with Equinox: the optimizer sees ``eqx.filter(model, eqx.is_inexact_array)``
(the arrays of the model, non-arrays as None) and the updates go back with
``eqx.apply_updates``. Trains a tiny MLP and matches optax's Adam."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradtx as gx

eqx = pytest.importorskip(
    "equinox", reason="equinox is not installed (pip install gradtx[equinox])"
)

RNG = np.random.default_rng(0)
X = jnp.asarray(RNG.normal(size=(32, 2)), jnp.float32)
Y = jnp.sin(X[:, :1])


def _train(opt, steps=30):
    model = eqx.nn.MLP(2, 1, 16, 1, activation=jnp.tanh, key=jax.random.key(0))
    state = opt.init(eqx.filter(model, eqx.is_inexact_array))

    @eqx.filter_jit
    def step(model, state):
        loss_fn = lambda m: jnp.mean((jax.vmap(m)(X) - Y) ** 2)
        loss, grads = eqx.filter_value_and_grad(loss_fn)(model)
        updates, state = opt.update(grads, state, eqx.filter(model, eqx.is_inexact_array))
        return eqx.apply_updates(model, updates), state, loss

    losses = []
    for _ in range(steps):
        model, state, loss = step(model, state)
        losses.append(float(loss))
    return model, state, losses


def test_equinox_training_matches_optax():
    model, state, losses = _train(gx.adamw(1e-2, weight_decay=1e-2))
    ref_model, _, ref_losses = _train(optax.adamw(1e-2, weight_decay=1e-2))
    assert losses[-1] < 0.5 * losses[0]
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-5)
    for a, b in zip(
        jax.tree.leaves(eqx.filter(model, eqx.is_array)),
        jax.tree.leaves(eqx.filter(ref_model, eqx.is_array)),
    ):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
    # The state mirrors the filtered model: the activation (not an array) is None there.
    assert isinstance(state[0].mu, eqx.nn.MLP)
