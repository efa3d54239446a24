"""Optimistic methods and distance over gradients: 100-step float64 trajectories against optax."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradtx as gx
from tests.messages import (
    MSG_GRADTX_OPTIMISTIC_ADAM_LEARNING_RATE_SCHEDULE,
    MSG_SCALE_BY_DISTANCE_OVER_GRADIENTS,
)

A = jnp.asarray(np.random.default_rng(0).normal(size=(4, 4)))
H = A @ A.T + jnp.eye(4)
TARGET = jnp.asarray([1.0, -1.0, 2.0, 0.5])


def _loss(p):
    d = p["x"] - TARGET
    return 0.5 * d @ H @ d + jnp.sum(p["y"] ** 2)


def _trajectory(tx, steps=100):
    params = {"x": jnp.zeros(4, jnp.float64), "y": jnp.ones((2, 2), jnp.float64)}

    @jax.jit
    def go(params):
        def step(carry, _):
            p, s = carry
            u, s = tx.update(jax.grad(_loss)(p), s, p)
            p = jax.tree.map(jnp.add, p, u)
            return (p, s), p

        return jax.lax.scan(step, (params, tx.init(params)), None, length=steps)[1]

    return go(params)


def _quiet(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return make()


PAIRS = [
    (
        "scale_by_optimistic_gradient",
        lambda m: m.chain(m.scale_by_optimistic_gradient(0.7, 0.4), m.scale(-0.02)),
    ),
    ("optimistic_gradient_descent", lambda m: m.optimistic_gradient_descent(0.02, 1.0, 0.5)),
    ("optimistic_adam_v2", lambda m: m.optimistic_adam_v2(0.01, alpha=1.0, beta=0.5)),
    ("optimistic_adam_v2_no_nesterov", lambda m: m.optimistic_adam_v2(0.01, nesterov=False)),
    ("optimistic_adam", lambda m: _quiet(lambda: m.optimistic_adam(0.01, optimism=0.005))),
    (
        "scale_by_distance_over_gradients",
        lambda m: m.chain(
            m.scale_by_distance_over_gradients(reps_rel=1e-2, param_dtype=jnp.float64),
            m.scale(-1.0),
        ),
    ),
    (
        "normalize_by_update_norm",
        lambda m: m.chain(m.normalize_by_update_norm(0.05), m.scale(-1.0)),
    ),
]


@pytest.mark.parametrize("make", [p[1] for p in PAIRS], ids=[p[0] for p in PAIRS])
def test_trajectory_matches_optax(make):
    ours = _trajectory(make(gx))
    with jax.numpy_rank_promotion("allow"):  # optax's DoG keeps (1,)-shaped sums
        theirs = _trajectory(make(optax))
    for a, b in zip(jax.tree.leaves(ours), jax.tree.leaves(theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-14)
    assert float(_loss(jax.tree.map(lambda x: x[-1], ours))) < float(
        _loss({"x": jnp.zeros(4), "y": jnp.ones((2, 2))})
    )


def test_optimistic_first_steps_by_hand():
    tx = gx.scale_by_optimistic_gradient(alpha=2.0, beta=0.5)
    s = tx.init(jnp.zeros(1))
    u, s = tx.update(jnp.array([1.0]), s)
    np.testing.assert_allclose(u, [2.0])  # (alpha + beta) g - beta g on the first step
    u, s = tx.update(jnp.array([3.0]), s)
    np.testing.assert_allclose(u, [2.5 * 3.0 - 0.5 * 1.0])


def test_distance_over_gradients_first_step_by_hand():
    tx = gx.scale_by_distance_over_gradients(reps_rel=0.1, eps=0.0)
    p = jnp.array([3.0, 4.0])
    u, s = tx.update(jnp.array([1.0, 2.0]), tx.init(p), p)
    # r_1 = 0.1 * (1 + 5) = 0.6, G_1 = 5, u = 0.6 / sqrt(5) * g
    np.testing.assert_allclose(u, 0.6 / np.sqrt(5.0) * np.array([1.0, 2.0]), rtol=1e-6)
    assert s.grad_sum_of_squares.shape == ()


def test_optimistic_adam_is_deprecated_and_rejects_schedules():
    with pytest.warns(DeprecationWarning, match="optimistic_adam_v2"):
        gx.optimistic_adam(0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(ValueError, match=MSG_GRADTX_OPTIMISTIC_ADAM_LEARNING_RATE_SCHEDULE):
            gx.optimistic_adam(lambda c: 0.1)


def test_distance_over_gradients_needs_params():
    tx = gx.scale_by_distance_over_gradients()
    with pytest.raises(ValueError, match=MSG_SCALE_BY_DISTANCE_OVER_GRADIENTS):
        tx.update(jnp.ones(2), tx.init(jnp.ones(2)))
