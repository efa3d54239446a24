"""Shared problems and runners for the optax.contrib parity tests.

One problem for every family: a two-leaf convex quadratic (a vector and a 4x3
matrix) with minimum value 0, so that optimizers that read the loss (momo) or
project matrices (galore) all run on it. Each runner is one jitted lax.scan.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import gradtx as gx

_RNG = np.random.default_rng(7)
H = np.array([0.5, 1.0, 2.0, 4.0])
A = _RNG.normal(size=(5, 4))
W_STAR = _RNG.normal(size=(4, 3))
B = A @ W_STAR
X0 = {"x": np.array([1.0, -1.5, 0.5, 2.0]), "w": _RNG.normal(size=(4, 3))}

# A fixed gradient sequence for NumPy transcriptions (params do not change it).
GRADS = [_RNG.normal(size=3) for _ in range(12)]
Y0 = np.array([0.5, -1.0, 2.0])


def loss(params):
    x, w = params["x"], params["w"]
    r = jnp.asarray(A, w.dtype) @ w - jnp.asarray(B, w.dtype)
    return 0.5 * jnp.sum(jnp.asarray(H, x.dtype) * x * x) + 0.5 * jnp.sum(r * r)


def trajectory(tx, steps=100, *, value=False, extra=None, dtype=jnp.float64, x0=X0):
    """Params after each step and the loss before each step, from one jitted scan.

    ``value=True`` passes ``value=loss`` to update; ``extra`` adds fixed extra args.
    """
    extra = dict(extra or {})
    params = jax.tree.map(lambda a: jnp.asarray(a, dtype), x0)

    @jax.jit
    def go(p):
        def step(carry, _):
            p, s = carry
            v, g = jax.value_and_grad(loss)(p)
            kw = dict(extra, value=v) if value else extra
            u, s = tx.update(g, s, p, **kw)
            p = jax.tree.map(lambda a, b: (a + b).astype(a.dtype), p, u)
            return (p, s), (p, v)

        _, (ps, vs) = jax.lax.scan(step, (p, tx.init(p)), None, length=steps)
        return ps, vs

    ps, vs = go(params)
    return jax.tree.map(np.asarray, ps), np.asarray(vs)


def assert_parity(ours, theirs, steps=100, rtol=1e-10, atol=1e-12, **kw):
    """Same float64 trajectory as optax.contrib's; returns our losses."""
    ps, vs = trajectory(ours, steps, **kw)
    qs, _ = trajectory(theirs, steps, **kw)
    for k in ps:
        np.testing.assert_allclose(ps[k], qs[k], rtol=rtol, atol=atol, err_msg=k)
    assert np.all(np.isfinite(vs))
    return vs


def params_after(tx, grads=GRADS, y0=Y0, **extra):
    """float64 params after each step for the fixed gradient sequence ``grads``."""

    @jax.jit
    def go(p, gs):
        def step(carry, g):
            p, s = carry
            u, s = tx.update(g, s, p, **extra)
            p = gx.apply_updates(p, u)
            return (p, s), p

        return jax.lax.scan(step, (p, tx.init(p)), gs)[1]

    return np.asarray(go(jnp.asarray(y0), jnp.asarray(np.stack(grads))))
