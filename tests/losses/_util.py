"""Shared checks for the loss tests: random inputs, finiteness of values and gradients."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

RNG_SEED = 0


def rng(seed: int = RNG_SEED) -> np.random.Generator:
    return np.random.default_rng(seed)


def probs(r: np.random.Generator, shape) -> np.ndarray:
    p = r.random(shape) + 0.1
    return p / p.sum(-1, keepdims=True)


def assert_finite_value_and_grad(f, *args, argnums=0):
    """f(*args) and its gradient (of the sum) with respect to ``argnums`` are finite."""
    value = f(*args)
    grad = jax.grad(lambda *a: jnp.sum(f(*a)), argnums=argnums)(*args)
    assert np.all(np.isfinite(np.asarray(value))), value
    for g in jax.tree.leaves(grad):
        assert np.all(np.isfinite(np.asarray(g))), g
    return value, grad
