"""Numerical references, optax parity and convergence for the core optimizers.

References are float64 NumPy transcriptions of the update rules documented in
each building block's docstring, matched over 12 steps of fixed random gradients.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradtx as gx
from tests.helpers import QUAD_X0, ROSEN_X0, quadratic, rosenbrock, run, run_updates

STEPS = 12
RNG = np.random.default_rng(42)
GRADS = [RNG.normal(size=5) for _ in range(STEPS)]
P0 = RNG.normal(size=5)


def reference_run(step_fn, state):
    """Run a NumPy step function ``step_fn(g, p, state, t) -> (p, state)``, t from 1."""
    p, out = P0.copy(), []
    for t, g in enumerate(GRADS, start=1):
        p, state = step_fn(g, p, state, t)
        out.append(p.copy())
    return np.stack(out)


def np_sgd(lr, momentum=0.0, nesterov=False):
    def step(g, p, buf, t):
        buf = g + momentum * buf
        d = g + momentum * buf if nesterov else buf
        return p - lr * d, buf

    return step, np.zeros(5)


def np_adagrad(lr, init=0.1, eps=1e-7):
    def step(g, p, s, t):
        s = s + g * g
        return p - lr * g / np.sqrt(s + eps), s

    return step, np.full(5, init)


def np_rmsprop(lr, decay=0.9, eps=1e-8, centered=False, momentum=None, nesterov=False,
               eps_in_sqrt=True, bias_correction=False):  # fmt: skip
    def step(g, p, s, t):
        m, n, b = s
        m = decay * m + (1 - decay) * g
        n = decay * n + (1 - decay) * g * g
        mh, nh = m, n
        if bias_correction:
            mh, nh = m / (1 - decay**t), n / (1 - decay**t)
        var = nh - mh * mh if centered else nh
        d = g / np.sqrt(var + eps) if eps_in_sqrt else g / (np.sqrt(var) + eps)
        d = lr * d
        if momentum is not None:
            b = d + momentum * b
            d = d + momentum * b if nesterov else b
        return p - d, (m, n, b)

    return step, (np.zeros(5), np.zeros(5), np.zeros(5))


def np_adadelta(lr, rho=0.9, eps=1e-6, wd=0.0):
    def step(g, p, s, t):
        eg, ex = s
        g = g + wd * p
        eg = rho * eg + (1 - rho) * g * g
        d = np.sqrt(ex + eps) / np.sqrt(eg + eps) * g
        ex = rho * ex + (1 - rho) * d * d
        return p - lr * d, (eg, ex)

    return step, (np.zeros(5), np.zeros(5))


def np_adam(lr, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, wd=0.0, nesterov=False, amsgrad=False):
    def step(g, p, s, t):
        m, v, vmax = s
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        if nesterov:
            mh = b1 * m / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1**t)
        else:
            mh = m / (1 - b1**t)
        vh = v / (1 - b2**t)
        if amsgrad:
            vmax = np.maximum(vmax, vh)
            vh = vmax
        u = mh / (np.sqrt(vh + eps_root) + eps) + wd * p
        return p - lr * u, (m, v, vmax)

    return step, (np.zeros(5), np.zeros(5), np.zeros(5))


def np_adamax(lr, b1=0.9, b2=0.999, eps=1e-8, wd=0.0):
    def step(g, p, s, t):
        m, u = s
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g) + eps)
        return p - lr * (m / (1 - b1**t) / u + wd * p), (m, u)

    return step, (np.zeros(5), np.zeros(5))


REFERENCES = {
    "sgd": (lambda: gx.sgd(0.1), np_sgd(0.1)),
    "sgd_momentum": (lambda: gx.sgd(0.1, 0.9), np_sgd(0.1, 0.9)),
    "sgd_nesterov": (lambda: gx.sgd(0.1, 0.9, nesterov=True), np_sgd(0.1, 0.9, True)),
    "adagrad": (lambda: gx.adagrad(0.3, 0.2, 1e-6), np_adagrad(0.3, 0.2, 1e-6)),
    "rmsprop": (lambda: gx.rmsprop(0.01), np_rmsprop(0.01)),
    "rmsprop_centered_nesterov": (
        lambda: gx.rmsprop(0.01, 0.8, 1e-6, centered=True, momentum=0.5, nesterov=True),
        np_rmsprop(0.01, 0.8, 1e-6, centered=True, momentum=0.5, nesterov=True),
    ),
    "rmsprop_eps_outside_bc": (
        lambda: gx.rmsprop(0.01, 0.99, 1e-3, eps_in_sqrt=False, bias_correction=True),
        np_rmsprop(0.01, 0.99, 1e-3, eps_in_sqrt=False, bias_correction=True),
    ),
    "adadelta": (
        lambda: gx.adadelta(0.5, 0.8, 1e-4, weight_decay=0.1),
        np_adadelta(0.5, 0.8, 1e-4, 0.1),
    ),
    "adam": (lambda: gx.adam(0.01, 0.8, 0.95, 1e-6, 1e-9), np_adam(0.01, 0.8, 0.95, 1e-6, 1e-9)),
    "adamw": (lambda: gx.adamw(0.01, weight_decay=0.1), np_adam(0.01, wd=0.1)),
    "nadam": (lambda: gx.nadam(0.01, 0.8), np_adam(0.01, 0.8, nesterov=True)),
    "nadamw": (lambda: gx.nadamw(0.01, weight_decay=0.1), np_adam(0.01, wd=0.1, nesterov=True)),
    "amsgrad": (lambda: gx.amsgrad(0.01, 0.8, 0.9), np_adam(0.01, 0.8, 0.9, amsgrad=True)),
    "adamax": (lambda: gx.adamax(0.01, 0.8, 0.9, 1e-3), np_adamax(0.01, 0.8, 0.9, 1e-3)),
    "adamaxw": (lambda: gx.adamaxw(0.01, weight_decay=0.1), np_adamax(0.01, wd=0.1)),
}


@pytest.mark.parametrize("name", list(REFERENCES))
def test_matches_float64_numpy_reference(name):
    make, (step, state) = REFERENCES[name]
    expected = reference_run(step, state)
    got = run_updates(make(), [jnp.asarray(g) for g in GRADS], jnp.asarray(P0))
    assert got.dtype == jnp.float64
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-12, atol=1e-14)


def test_first_adam_step_by_hand():
    # After one step with bias correction, m_hat = g and v_hat = g^2: the step is
    # -lr * sign(g) (up to eps), whatever the gradient's size.
    opt = gx.adam(0.1, eps=0.0)
    params = jnp.array([3.0, -2.0])
    updates, _ = opt.update(jnp.array([4.0, -0.001]), opt.init(params))
    np.testing.assert_allclose(np.asarray(updates), [-0.1, 0.1], rtol=1e-6)


PARITY = [
    ("sgd", dict(learning_rate=0.01)),
    ("sgd", dict(learning_rate=0.01, momentum=0.9)),
    ("sgd", dict(learning_rate=0.01, momentum=0.9, nesterov=True)),
    ("adagrad", dict(learning_rate=0.1)),
    ("rmsprop", dict(learning_rate=0.01)),
    ("rmsprop", dict(learning_rate=0.01, centered=True, momentum=0.9, nesterov=True)),
    ("rmsprop", dict(learning_rate=0.01, eps_in_sqrt=False, bias_correction=True)),
    ("adadelta", dict(learning_rate=1.0, weight_decay=0.01)),
    ("adam", dict(learning_rate=0.01)),
    ("adam", dict(learning_rate=0.01, nesterov=True, eps_root=1e-8)),
    ("adamw", dict(learning_rate=0.01, weight_decay=0.1)),
    ("nadam", dict(learning_rate=0.01)),
    ("nadamw", dict(learning_rate=0.01)),
    ("amsgrad", dict(learning_rate=0.01)),
    ("adamax", dict(learning_rate=0.01)),
    ("adamaxw", dict(learning_rate=0.01)),
]


def _mlp_loss(params):
    # A tiny nonconvex loss with a matrix, a vector and a scalar leaf.
    x = jnp.linspace(-1.0, 1.0, 6, dtype=params["w"].dtype).reshape(2, 3)
    h = jnp.tanh(x @ params["w"] + params["b"][None, :])
    return jnp.mean((h - 0.3) ** 2) + 0.01 * params["s"] ** 2


def _mlp_params(dtype):
    rng = np.random.default_rng(0)
    return {
        "w": jnp.asarray(rng.normal(size=(3, 4)), dtype),
        "b": jnp.asarray(rng.normal(size=(4,)), dtype),
        "s": jnp.asarray(1.5, dtype),
    }


def _trajectory(tx, params, steps=100):
    @jax.jit
    def go(p):
        def step(carry, _):
            p, s = carry
            g = jax.grad(_mlp_loss)(p)
            u, s = tx.update(g, s, p)
            p = optax.apply_updates(p, u)
            return (p, s), p

        return jax.lax.scan(step, (p, tx.init(p)), None, length=steps)[1]

    return go(params)


@pytest.mark.parametrize("name,kwargs", PARITY, ids=[f"{n}-{i}" for i, (n, _) in enumerate(PARITY)])
def test_trajectory_parity_with_optax(name, kwargs):
    params = _mlp_params(jnp.float64)
    ours = _trajectory(getattr(gx, name)(**kwargs), params)
    theirs = _trajectory(getattr(optax, name)(**kwargs), params)
    for a, b in zip(jax.tree.leaves(ours), jax.tree.leaves(theirs)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-10, atol=1e-12)


def test_float32_adam_parity_with_optax():
    params = _mlp_params(jnp.float32)
    ours = _trajectory(gx.adam(0.01), params)
    theirs = _trajectory(optax.adam(0.01), params)
    for a, b in zip(jax.tree.leaves(ours), jax.tree.leaves(theirs)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=2e-5, atol=2e-6)


# name: ((factory, steps, bound) on the quadratic, (factory, steps, bound) on Rosenbrock).
CONVERGENCE = {
    "sgd_momentum": (
        (lambda: gx.sgd(0.002, momentum=0.9), 500, 1e-4),
        (lambda: gx.sgd(0.002, momentum=0.9), 3000, 1e-8),
    ),
    "sgd_nesterov": (
        (lambda: gx.sgd(0.01, momentum=0.9, nesterov=True), 500, 1e-8),
        (lambda: gx.sgd(0.001, momentum=0.9, nesterov=True), 10000, 1e-8),
    ),
    "adagrad": ((lambda: gx.adagrad(1.0), 500, 1e-10), (lambda: gx.adagrad(1.0), 10000, 1e-5)),
    "rmsprop": ((lambda: gx.rmsprop(0.01), 500, 1e-3), (lambda: gx.rmsprop(0.001), 10000, 1e-3)),
    "rmsprop_centered": (
        (lambda: gx.rmsprop(0.003, centered=True, momentum=0.9), 500, 1e-4),
        (lambda: gx.rmsprop(0.003, centered=True, momentum=0.9), 3000, 1e-3),
    ),
    # Adadelta is slow in Rosenbrock's curved valley: it has to reach the valley floor
    # (the start has loss 24.2).
    "adadelta": (
        (lambda: gx.adadelta(0.5, rho=0.95, eps=1e-2), 500, 1e-10),
        (lambda: gx.adadelta(1.0, rho=0.9, eps=1e-3), 10000, 3.0),
    ),
    "adam": ((lambda: gx.adam(0.02), 500, 1e-10), (lambda: gx.adam(0.02), 3000, 1e-5)),
    "adamw": (
        (lambda: gx.adamw(0.02, weight_decay=1e-6), 500, 1e-10),
        (lambda: gx.adamw(0.02, weight_decay=1e-6), 3000, 1e-5),
    ),
    "nadam": ((lambda: gx.nadam(0.02), 500, 1e-10), (lambda: gx.nadam(0.02), 3000, 1e-5)),
    "nadamw": (
        (lambda: gx.nadamw(0.02, weight_decay=1e-6), 500, 1e-10),
        (lambda: gx.nadamw(0.02, weight_decay=1e-6), 3000, 1e-5),
    ),
    "amsgrad": (
        (lambda: gx.amsgrad(0.1, b2=0.99), 500, 1e-10),
        (lambda: gx.amsgrad(0.1, b2=0.99), 10000, 1e-3),
    ),
    "adamax": ((lambda: gx.adamax(0.05), 500, 1e-10), (lambda: gx.adamax(0.05), 10000, 1e-4)),
    "adamaxw": (
        (lambda: gx.adamaxw(0.05, weight_decay=1e-7), 500, 1e-8),
        (lambda: gx.adamaxw(0.05, weight_decay=1e-7), 10000, 1e-2),
    ),
}


@pytest.mark.parametrize("name", list(CONVERGENCE))
def test_converges_on_quadratic_and_rosenbrock(name):
    (q_make, q_steps, q_tol), (r_make, r_steps, r_tol) = CONVERGENCE[name]
    _, q_losses = run(q_make(), quadratic, QUAD_X0, q_steps, jnp.float64)
    _, r_losses = run(r_make(), rosenbrock, ROSEN_X0, r_steps, jnp.float64)
    assert float(q_losses[-1]) < q_tol, float(q_losses[-1])
    assert float(r_losses[-1]) < r_tol, float(r_losses[-1])
