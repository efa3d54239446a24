"""gradtx inside Flax: NNX's ``nnx.Optimizer`` (the ``wrt=`` API, extra arguments such
as ``value=`` passed through ``update``) and Linen's ``TrainState``. Each trains a tiny
MLP and matches the same run with optax's Adam (gradtx's adam is optax's rule)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradtx as gx

nnx = pytest.importorskip("flax.nnx", reason="flax is not installed (pip install gradtx[flax])")
nn = pytest.importorskip("flax.linen", reason="flax is not installed (pip install gradtx[flax])")
from flax.training import train_state  # noqa: E402

RNG = np.random.default_rng(0)
X = jnp.asarray(RNG.normal(size=(32, 2)), jnp.float32)
Y = jnp.sin(X[:, :1])
STEPS = 30


class NnxMLP(nnx.Module):
    def __init__(self, rngs: nnx.Rngs):
        self.l1 = nnx.Linear(2, 16, rngs=rngs)
        self.l2 = nnx.Linear(16, 1, rngs=rngs)

    def __call__(self, x):
        return self.l2(jnp.tanh(self.l1(x)))


def _nnx_train(tx):
    model = NnxMLP(nnx.Rngs(0))
    optimizer = nnx.Optimizer(model, tx, wrt=nnx.Param)

    @nnx.jit
    def step(model, optimizer):
        loss, grads = nnx.value_and_grad(lambda m: jnp.mean((m(X) - Y) ** 2))(model)
        optimizer.update(model, grads, value=loss)  # extra args reach the transformation
        return loss

    losses = [float(step(model, optimizer)) for _ in range(STEPS)]
    return model, optimizer, losses


def test_nnx_optimizer_trains_like_optax():
    model, _, losses = _nnx_train(gx.adam(1e-2))
    ref_model, _, ref_losses = _nnx_train(optax.adam(1e-2))
    assert losses[-1] < 0.5 * losses[0]
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-5)
    got, want = nnx.state(model, nnx.Param), nnx.state(ref_model, nnx.Param)
    for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)


def test_nnx_optimizer_passes_value_to_the_transformation():
    tx = gx.chain(gx.sgd(1e-2), gx.reduce_on_plateau(patience=1, accumulation_size=1))
    model = NnxMLP(nnx.Rngs(0))
    optimizer = nnx.Optimizer(model, tx, wrt=nnx.Param)
    loss, grads = nnx.value_and_grad(lambda m: jnp.mean((m(X) - Y) ** 2))(model)
    optimizer.update(model, grads, value=loss)
    # reduce_on_plateau saw the loss: its best value is that loss.
    best = optimizer.opt_state[1].best_value
    best = best.get_value() if hasattr(best, "get_value") else best  # an nnx Variable
    np.testing.assert_allclose(float(best), float(loss), rtol=1e-6)


class LinenMLP(nn.Module):
    @nn.compact
    def __call__(self, x):
        return nn.Dense(1)(jnp.tanh(nn.Dense(16)(x)))


def _linen_train(tx):
    module = LinenMLP()
    params = module.init(jax.random.key(0), X)["params"]
    state = train_state.TrainState.create(apply_fn=module.apply, params=params, tx=tx)

    @jax.jit
    def step(state):
        def loss_fn(p):
            return jnp.mean((state.apply_fn({"params": p}, X) - Y) ** 2)

        loss, grads = jax.value_and_grad(loss_fn)(state.params)
        return state.apply_gradients(grads=grads), loss

    losses = []
    for _ in range(STEPS):
        state, loss = step(state)
        losses.append(float(loss))
    return state, losses


def test_linen_train_state_trains_like_optax():
    state, losses = _linen_train(gx.adam(1e-2))
    ref_state, ref_losses = _linen_train(optax.adam(1e-2))
    assert losses[-1] < 0.5 * losses[0]
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-5)
    assert type(state.opt_state[0]).__name__ == "ScaleByAdamState"
    assert int(state.step) == STEPS
