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


def assert_finite_value_and_grad(f, *args, argnums=0, reference=None):
    """f(*args) and its gradient (of the sum) with respect to ``argnums`` are finite.

    With ``reference`` (another tuple of arguments), value and gradient must also
    equal those at ``reference``, computed by the same compiled function.
    """

    @jax.jit
    def value_and_grad(*a):
        return f(*a), jax.grad(lambda *b: jnp.sum(f(*b)), argnums=argnums)(*a)

    value, grad = value_and_grad(*args)
    if reference is not None:
        want_value, want_grad = value_and_grad(*reference)
        np.testing.assert_allclose(value, want_value, rtol=1e-12)
        for g, w in zip(jax.tree.leaves(grad), jax.tree.leaves(want_grad)):
            np.testing.assert_allclose(g, w, atol=1e-12)
    assert np.all(np.isfinite(np.asarray(value))), value
    for g in jax.tree.leaves(grad):
        assert np.all(np.isfinite(np.asarray(g))), g
    return value, grad


def check_grads(f, args, order=1, modes=("rev",), **kwargs):
    """jax.test_util.check_grads on the jitted ``f``: one compile for all its evaluations."""
    from jax.test_util import check_grads as _check_grads

    _check_grads(jax.jit(f), args, order, modes=modes, **kwargs)
