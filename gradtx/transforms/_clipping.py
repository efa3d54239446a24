"""Clipping updates elementwise or by their global norm."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, init_empty_state
from gradtx._core._validate import check_nonnegative
from gradtx.tree_utils._reductions import tree_norm


def global_norm(updates) -> jax.Array:
    """The Euclidean norm of all leaves together: ``sqrt(sum_i sum(|x_i|^2))``."""
    return tree_norm(updates)


def clip(max_delta: float | jax.Array) -> GradientTransformation:
    """Clip every element of the updates to ``[-max_delta, max_delta]``. Stateless.

    Update rule:
        u_t = min(max(g_t, -max_delta), max_delta)

    Raises:
        ValueError: a concrete negative ``max_delta``.
    """
    check_nonnegative("clip", "max_delta", max_delta)

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        return jax.tree.map(
            lambda g: jnp.clip(g, -max_delta, max_delta).astype(g.dtype), updates
        ), state

    return GradientTransformation(init_empty_state, update)


def clip_by_global_norm(max_norm: float | jax.Array) -> GradientTransformation:
    """Rescale the updates so that their global norm is at most ``max_norm``. Stateless.

    Update rule:
        n = global_norm(g);  u_t = g_t if n < max_norm else g_t * max_norm / n

    The direction is kept; only its length changes. Used against exploding
    gradients (Pascanu et al., On the difficulty of training recurrent neural
    networks, ICML 2013).

    Raises:
        ValueError: a concrete negative ``max_norm``.
    """
    check_nonnegative("clip_by_global_norm", "max_norm", max_norm)

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        g_norm = global_norm(updates)
        trigger = g_norm < max_norm
        # Divide by a safe norm: when trigger is true the division's result is unused.
        factor = jnp.where(trigger, 1.0, max_norm / jnp.where(trigger, 1.0, g_norm))
        return jax.tree.map(
            lambda g: jnp.where(trigger, g, g * factor.astype(g.dtype)).astype(g.dtype),
            updates,
        ), state

    return GradientTransformation(init_empty_state, update)
