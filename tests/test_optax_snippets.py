"""Code written for optax runs unchanged with ``import gradtx as optax``.

Each snippet below is ordinary optax code, written once against a module named
``optax``; it runs with real optax and with gradtx in its place, and the numbers
must agree.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gradtx

real_optax = pytest.importorskip("optax")

RNG = np.random.default_rng(0)
X = jnp.asarray(RNG.normal(size=(32, 5)))
LABELS = jnp.asarray(RNG.integers(0, 3, size=32))
Y = jnp.asarray(RNG.normal(size=32))
C = jnp.asarray(RNG.normal(size=5))


def classifier_step(optax):
    """A Flax-style classifier step: integer-label cross-entropy, adamw, a jitted update."""
    params = {"w": jnp.zeros((5, 3)), "b": jnp.zeros(3)}
    tx = optax.adamw(1e-2, weight_decay=1e-3)
    state = tx.init(params)

    def loss_fn(p):
        logits = X @ p["w"] + p["b"][None, :]
        return optax.losses.softmax_cross_entropy_with_integer_labels(logits, LABELS).mean()

    @jax.jit
    def step(p, s):
        loss, grads = jax.value_and_grad(loss_fn)(p)
        updates, s = tx.update(grads, s, p)
        return optax.apply_updates(p, updates), s, loss

    losses = []
    for _ in range(10):
        params, state, loss = step(params, state)
        losses.append(loss)
    return params, jnp.stack(losses)


def sam_step(optax):
    """A sharpness-aware minimisation loop with optax.contrib.sam (transparent mode)."""
    params = jnp.ones(5)
    loss_fn = lambda w: jnp.mean((X @ w - Y) ** 2)
    tx = optax.contrib.sam(optax.sgd(0.05), optax.sgd(0.02), sync_period=2)
    state = tx.init(params)
    for _ in range(8):
        grads = jax.grad(loss_fn)(params)
        updates, state = tx.update(grads, state, params)
        params = optax.apply_updates(params, updates)
    return params


def global_norm_logger(optax):
    """A training loop that logs gradient norms with optax.tree_utils."""
    params = {"w": jnp.ones(5), "b": jnp.zeros(())}
    loss_fn = lambda p: jnp.mean((X @ p["w"] + p["b"] - Y) ** 2)
    tx = optax.chain(optax.clip_by_global_norm(1.0), optax.sgd(0.1, momentum=0.9))
    state = tx.init(params)
    log = []
    for _ in range(6):
        grads = jax.grad(loss_fn)(params)
        updates, state = tx.update(grads, state, params)
        log.append(
            (
                optax.tree_utils.tree_norm(grads),
                optax.tree_utils.tree_norm(updates),
                optax.tree_utils.tree_vdot(grads, updates),
                optax.global_norm(grads),
            )
        )
        params = optax.apply_updates(params, updates)
        params = optax.tree_utils.tree_add_scale(params, -1e-3, grads)
    return params, jnp.asarray(log)


def microbatched_step(optax):
    """Gradients accumulated over micro-batches with optax.microbatching."""
    params = jnp.ones(5)
    per_batch = lambda w, x, y: jax.grad(lambda w: jnp.sum((x @ w - y) ** 2))(w)
    micro = optax.microbatching.microbatch(
        per_batch,
        argnums=(1, 2),
        microbatch_size=8,
        accumulator=optax.microbatching.AccumulationType.SUM,
    )
    tx = optax.adam(0.05)
    state = tx.init(params)
    for _ in range(5):
        grads = micro(params, X, Y)
        updates, state = tx.update(grads, state, params)
        params = optax.apply_updates(params, updates)
    return params, micro(params, X, Y)


def projected_gradient(optax):
    """Projected gradient descent onto the simplex and a box with optax.projections."""
    c = C
    x = jnp.full(5, 0.2)
    z = jnp.zeros(5)
    for _ in range(30):
        x = optax.projections.projection_simplex(x - 0.1 * (x - c))
        z = optax.projections.projection_box(z - 0.1 * (z - c), -0.3, 0.3)
    return x, z


SNIPPETS = [classifier_step, sam_step, global_norm_logger, microbatched_step, projected_gradient]


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda f: f.__name__)
def test_optax_snippet_runs_unchanged_on_gradtx(snippet):
    want = snippet(real_optax)
    got = snippet(gradtx)
    assert jax.tree.structure(got) == jax.tree.structure(want)
    for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-10, atol=1e-12)
