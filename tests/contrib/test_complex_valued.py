"""split_real_and_imaginary: equals the inner optimizer on real pairs; optax parity."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradtx as gx
from gradtx import contrib
from tests.messages import MSG_SPLIT_REAL_AND_IMAGINARY_INNER_INNER_MUST

C = jnp.array([1.0 - 2.0j, -0.5 + 0.25j, 3.0j])
Z0 = {"z": jnp.array([0.5 + 0.5j, -1.0 - 1.0j, 2.0 + 0.0j]), "r": jnp.array([1.0, -2.0])}


def loss(p):
    return jnp.sum(jnp.abs(p["z"] - C) ** 2 * jnp.arange(1.0, 4.0)) + jnp.sum(p["r"] ** 2)


def run(tx, steps=100):
    @jax.jit
    def go(p):
        def step(carry, _):
            p, s = carry
            g = jax.tree.map(jnp.conj, jax.grad(loss)(p))
            u, s = tx.update(g, s, p)
            p = gx.apply_updates(p, u)
            return (p, s), p

        return jax.lax.scan(step, (p, tx.init(p)), None, length=steps)[1]

    return go(Z0)


@functools.cache
def ours_150():
    return run(contrib.split_real_and_imaginary(gx.adam(0.05)), steps=150)


def test_matches_optax_and_converges():
    ours = ours_150()
    theirs = run(optax.contrib.split_real_and_imaginary(optax.adam(0.05)), steps=150)
    for k in ours:
        np.testing.assert_allclose(ours[k], theirs[k], rtol=1e-10, atol=1e-12)
    assert ours["z"].dtype == jnp.complex128
    np.testing.assert_allclose(ours["z"][-1], C, atol=0.05)


def test_equals_inner_on_real_pairs():
    """Adam on complex z, split, is Adam on the real params (Re z, Im z)."""
    ours = ours_150()
    tx = gx.adam(0.05)

    def real_loss(q):
        return loss({"z": jax.lax.complex(q["a"], q["b"]), "r": q["r"]})

    @jax.jit
    def go(q):
        def step(carry, _):
            q, s = carry
            u, s = tx.update(jax.grad(real_loss)(q), s, q)
            q = gx.apply_updates(q, u)
            return (q, s), q

        return jax.lax.scan(step, (q, tx.init(q)), None, length=150)[1]

    qs = go({"a": jnp.real(Z0["z"]), "b": jnp.imag(Z0["z"]), "r": Z0["r"]})
    np.testing.assert_allclose(ours["z"], qs["a"] + 1j * qs["b"], rtol=1e-12)
    np.testing.assert_allclose(ours["r"], qs["r"], rtol=1e-12)


def test_infinite_imaginary_part_stays_infinite():
    tx = contrib.split_real_and_imaginary(gx.identity())
    z = jnp.array([1.0 + 1.0j])
    u, _ = tx.update(jnp.array([complex(2.0, np.inf)]), tx.init(z), z)
    assert u[0].real == 2.0 and np.isinf(u[0].imag)


def test_rejects_non_transformation():
    with pytest.raises(
        TypeError,
        match=MSG_SPLIT_REAL_AND_IMAGINARY_INNER_INNER_MUST,
    ):
        contrib.split_real_and_imaginary("adam")
