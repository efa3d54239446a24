"""gradtx.microbatching against optax.microbatching and float64 NumPy references."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradtx as gx
from tests.messages import (
    MSG_NEED_FLOAT_VALUES,
    MSG_NOT_DIVISIBLE_BY_MICROBATCH_SIZE_4,
    MSG_OUT_AXES_1,
)

mb, omb = gx.microbatching, optax.microbatching
X = jnp.asarray(np.random.default_rng(0).normal(size=(8, 3)))
Y = jnp.asarray(np.random.default_rng(1).normal(size=(8,)))
W = jnp.asarray([0.5, -1.0, 2.0])


def _loss(w, x, y):
    return 0.5 * jnp.mean((x @ w - y) ** 2)


def _leaves_close(a, b):
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-12)


@pytest.mark.parametrize("size", [None, 2, 4])
@pytest.mark.parametrize("kind", ["SUM", "MEAN", "RUNNING_MEAN"])
def test_micro_grad_matches_optax_and_numpy(size, kind):
    kw = dict(batch_argnums=(1, 2), microbatch_size=size, transform_fn=lambda g: (g, g**2))
    ours = mb.micro_grad(
        _loss, accumulator=getattr(mb.AccumulationType, kind), metrics_fn=jnp.linalg.norm, **kw
    )(W, X, Y)
    theirs = omb.micro_grad(
        _loss, accumulator=getattr(omb.AccumulationType, kind), metrics_fn=jnp.linalg.norm, **kw
    )(W, X, Y)
    _leaves_close(ours, theirs)
    per_example = (np.asarray(X) @ np.asarray(W) - np.asarray(Y))[:, None] * np.asarray(X)
    reduce = np.sum if kind == "SUM" else np.mean
    np.testing.assert_allclose(ours[0][0], reduce(per_example, 0), rtol=1e-12)
    np.testing.assert_allclose(ours[1].metrics, np.linalg.norm(per_example, axis=1), rtol=1e-12)


def test_microbatch_and_micro_vmap_match_optax():
    for kind in ("SUM", "MEAN", "CONCAT"):
        f = (lambda w, x, y: x @ w - y) if kind == "CONCAT" else _loss
        ours = mb.microbatch(f, (1, 2), 2, getattr(mb.AccumulationType, kind))(W, X, Y)
        theirs = omb.microbatch(f, (1, 2), 2, getattr(omb.AccumulationType, kind))(W, X, Y)
        _leaves_close(ours, theirs)
    np.testing.assert_allclose(
        mb.micro_vmap(lambda x: x * 2, microbatch_size=4)(jnp.arange(8.0)), 2 * np.arange(8.0)
    )
    _leaves_close(mb.reshape_batch_axis(X, 4, 0), omb.reshape_batch_axis(X, 4, 0))


def test_num_real_microbatches_stops_early():
    total = mb.microbatch(jnp.sum, 0, 2, num_real_microbatches=2)(jnp.arange(8.0))
    # microbatch k holds examples k, k + 4: the first two are {0, 4} and {1, 5}
    assert float(total) == 10.0


def test_custom_accumulator_and_errors():
    count = mb.Accumulator(
        init=lambda v: jnp.zeros((), jnp.int32),
        update=lambda c, v, i: c + 1,
        finalize=lambda c: c,
        aggregate=lambda v: v,
    )
    assert int(mb.microbatch(jnp.sum, 0, 2, count)(jnp.arange(6.0))) == 3
    with pytest.raises(ValueError, match=MSG_NOT_DIVISIBLE_BY_MICROBATCH_SIZE_4):
        mb.microbatch(jnp.sum, 0, 4)(jnp.arange(6.0))
    with pytest.raises(ValueError, match=MSG_NEED_FLOAT_VALUES):
        mb.microbatch(jnp.sum, 0, 2, mb.AccumulationType.MEAN)(jnp.arange(6))
    with pytest.raises(NotImplementedError, match=MSG_OUT_AXES_1):
        mb.micro_vmap(jnp.sum, out_axes=1)
