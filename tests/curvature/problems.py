"""Small float64 problems the curvature tests share, with their dense matrices (built once)."""

from __future__ import annotations

import functools

import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np

_K = jax.random.split(jax.random.PRNGKey(42), 6)

# A tanh MLP 6 -> 12 -> 12 -> 3 on a batch of 20: 291 parameters.
X = jax.random.normal(_K[0], (20, 6), jnp.float64)
Y = jnp.sin(X[:, :3]) + 0.1 * jax.random.normal(_K[1], (20, 3), jnp.float64)
LABELS = jnp.arange(20) % 3
PARAMS = {
    "l1": {"w": jax.random.normal(_K[2], (6, 12), jnp.float64) / 2.0, "b": jnp.full(12, 0.1)},
    "l2": {"w": jax.random.normal(_K[3], (12, 12), jnp.float64) / 3.0, "b": jnp.zeros(12)},
    "l3": {"w": jax.random.normal(_K[4], (12, 3), jnp.float64) / 3.0, "b": jnp.zeros(3)},
}
FLAT, UNRAVEL = jax.flatten_util.ravel_pytree(PARAMS)
N = FLAT.size


def model(p, x):
    h = jnp.tanh(x @ p["l1"]["w"] + p["l1"]["b"][None, :])
    h = jnp.tanh(h @ p["l2"]["w"] + p["l2"]["b"][None, :])
    return h @ p["l3"]["w"] + p["l3"]["b"][None, :]


def loss(p, x, y):
    """Mean squared error of the MLP on a batch."""
    return 0.5 * jnp.mean(jnp.sum((model(p, x) - y) ** 2, axis=1))


def ce_loss(p, x, labels):
    logp = jax.nn.log_softmax(model(p, x))
    return -jnp.mean(jnp.take_along_axis(logp, labels[:, None], 1))


def flat(tree):
    return jax.flatten_util.ravel_pytree(tree)[0]


@functools.cache
def dense_hessian() -> np.ndarray:
    return np.asarray(jax.jit(jax.hessian(lambda w: loss(UNRAVEL(w), X, Y)))(FLAT))


@functools.cache
def dense_eigh() -> tuple[np.ndarray, np.ndarray]:
    return np.linalg.eigh(dense_hessian())


@functools.cache
def dense_jacobian() -> np.ndarray:
    """d model / d params, outputs flattened: (20 * 3, N)."""
    return np.asarray(jax.jit(jax.jacfwd(lambda w: model(UNRAVEL(w), X).ravel()))(FLAT))


# A small MLP (2 -> 4 -> 3 on 8 points, 27 parameters) for fast loops and statistics.
XS = jax.random.normal(_K[5], (8, 2), jnp.float64)
YS = jnp.cos(XS[:, :1] * jnp.arange(1.0, 4.0)[None, :])
LABELS_S = jnp.arange(8) % 3
SMALL = {
    "w1": jnp.array([[0.5, -1.0, 0.3, 0.8], [1.2, 0.4, -0.7, 0.1]]),
    "b1": jnp.array([0.1, -0.2, 0.0, 0.3]),
    "w2": jnp.array([[1.0, 0.2, -0.3], [-0.5, 0.4, 0.1], [0.7, -0.6, 0.2], [0.2, 0.3, -0.9]]),
    "b2": jnp.array([0.05, -0.1, 0.0]),
}
SMALL_FLAT, SMALL_UNRAVEL = jax.flatten_util.ravel_pytree(SMALL)
NS = SMALL_FLAT.size


def small_model(p, x):
    h = jnp.tanh(x @ p["w1"] + p["b1"][None, :])
    return h @ p["w2"] + p["b2"][None, :]


def small_loss(p, x, y):
    return 0.5 * jnp.mean(jnp.sum((small_model(p, x) - y) ** 2, axis=1))


@functools.cache
def small_hessian() -> np.ndarray:
    f = jax.jit(jax.hessian(lambda w: small_loss(SMALL_UNRAVEL(w), XS, YS)))
    return np.asarray(f(SMALL_FLAT))


@functools.cache
def small_jacobian() -> np.ndarray:
    """d small_model / d params, outputs flattened: (8 * 3, NS)."""
    return np.asarray(
        jax.jit(jax.jacfwd(lambda w: small_model(SMALL_UNRAVEL(w), XS).ravel()))(SMALL_FLAT)
    )
