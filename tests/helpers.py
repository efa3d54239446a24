"""Shared test problems and runners (one jitted function per optimizer and problem)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import gradtx as gx

# A badly conditioned quadratic 0.5 * sum(h_i * x_i^2), minimum 0 at x = 0.
QUAD_H = np.array([0.5, 1.0, 2.0, 4.0])
QUAD_X0 = np.array([1.0, -1.5, 0.5, 2.0])


def quadratic(params):
    x = params["x"]
    return 0.5 * jnp.sum(jnp.asarray(QUAD_H, x.dtype) * x * x)


# Rosenbrock (a=1, b=100): minimum 0 at (1, 1); start at the classic (-1.2, 1).
ROSEN_X0 = np.array([-1.2, 1.0])


def rosenbrock(params):
    x = params["x"]
    return (1.0 - x[0]) ** 2 + 100.0 * (x[1] - x[0] ** 2) ** 2


def run(tx, loss, x0, steps: int, dtype=jnp.float32, extra_args_fn=None):
    """Run ``steps`` updates of ``tx`` on ``loss`` from ``{"x": x0}`` in one lax.scan.

    ``extra_args_fn(loss_value)`` may supply extra args (e.g. ``value=``).
    Returns (final params, array of losses before each step).
    """
    params = {"x": jnp.asarray(x0, dtype)}

    @jax.jit
    def go(params):
        def step(carry, _):
            p, s = carry
            value, g = jax.value_and_grad(loss)(p)
            extra = extra_args_fn(value) if extra_args_fn else {}
            u, s = tx.update(g, s, p, **extra)
            return (gx.apply_updates(p, u), s), value

        (p, _), values = jax.lax.scan(step, (params, tx.init(params)), None, length=steps)
        return p, values

    return go(params)


def run_updates(tx, grads_seq, params0, **extra_args):
    """Apply ``tx`` to a fixed sequence of gradients (a list of trees); returns the
    list of params after each step (as float64 NumPy trees), for reference tests."""

    @jax.jit
    def go(params, grads_stacked):
        def step(carry, g):
            p, s = carry
            u, s = tx.update(g, s, p, **extra_args)
            p = gx.apply_updates(p, u)
            return (p, s), p

        _, ps = jax.lax.scan(step, (params, tx.init(params)), grads_stacked)
        return ps

    stacked = jax.tree.map(lambda *xs: jnp.stack(xs), *grads_seq)
    return go(params0, stacked)
