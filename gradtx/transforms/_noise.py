"""Polyak step sizes, gradient noise, and two safety transforms (non-negativity, NaNs)."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation
from gradtx._core._keys import check_key, to_prng_key
from gradtx._core._numerics import (
    default_float_dtype,
    promoted,
    safe_increment,
    zero_count,
)
from gradtx._core._validate import check_nonnegative

# ---------------------------------------------------------------------------
# Gradient noise


class AddNoiseState(NamedTuple):
    """State of ``add_noise``: the step count and the PRNG key of the next step."""

    count: jax.Array
    rng_key: jax.Array


def add_noise(
    eta: float | jax.Array,
    gamma: float | jax.Array,
    key: int | jax.Array | None = None,
    *,
    seed: int | None = None,
) -> GradientTransformation:
    """Add annealed Gaussian noise to the updates.

    Noise helps very deep or badly initialised networks escape plateaus and
    poor regions early; its variance decays so that it fades out later.

    Update rule (t counts from 1):
        sigma_t^2 = eta / t^gamma
        u_t = g_t + sigma_t * n_t,   n_t ~ N(0, I) independent per element

    The noise is deterministic given ``key`` (or ``seed``): each step splits
    the state key into the next state key and a sampling key, which is split
    once per leaf (in tree-flattening order). This is optax's stream, so
    ``gradtx.noisy_sgd`` reproduces ``optax.noisy_sgd`` with the same key.
    Under ``vmap`` with an unbatched key every batch member gets the same noise.

    Args:
        eta: >= 0, the variance at the first step (the paper tries 0.01, 0.3, 1).
        gamma: >= 0, the annealing exponent (0.55 in the paper).
        key: an int seed, a typed key (``jax.random.key``) or a raw uint32[2]
            key. None (with no ``seed``) means seed 0.
        seed: an int seed, the older spelling of ``key``; give at most one.

    Returns:
        The transformation; its state is ``AddNoiseState``.

    Raises:
        ValueError: negative concrete ``eta`` or ``gamma``, or both ``key`` and
            ``seed`` given.

    References:
        Neelakantan et al., Adding Gradient Noise Improves Learning for Very Deep
        Networks, 2015, https://arxiv.org/abs/1511.06807.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.add_noise(eta=0.01, gamma=0.55, key=0)
        >>> u, state = tx.update(jnp.zeros(3), tx.init(jnp.zeros(3)))
    """
    fn = "add_noise"
    check_nonnegative(fn, "eta", eta)
    check_nonnegative(fn, "gamma", gamma)
    if seed is not None:
        if key is not None:
            raise ValueError(
                f"gradtx.{fn}(key=..., seed={seed!r}): give key or seed, not both "
                "(seed is the older name of key)."
            )
        key = seed
    key = 0 if key is None else key
    check_key(fn, key)

    def init(params):
        del params
        return AddNoiseState(count=zero_count(), rng_key=to_prng_key(key))

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        count = safe_increment(state.count)
        std = jnp.sqrt(eta / count.astype(default_float_dtype()) ** gamma)
        next_key, sample_key = jax.random.split(state.rng_key)
        leaves, treedef = jax.tree.flatten(updates)
        keys = jax.random.split(sample_key, len(leaves))
        noisy = [
            promoted(
                jnp.add, g, promoted(jnp.multiply, std, jax.random.normal(k, jnp.shape(g), g.dtype))
            ).astype(g.dtype)
            for g, k in zip(leaves, keys, strict=True)
        ]
        return treedef.unflatten(noisy), AddNoiseState(count=count, rng_key=next_key)

    return GradientTransformation(init, update)
