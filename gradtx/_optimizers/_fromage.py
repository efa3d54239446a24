"""Per-block (per-leaf) scaling: trust ratios (LARS, LAMB, Fromage), block norms,
gradient centralization, block RMS clipping and adaptive gradient clipping.

A "block" is one leaf of the params tree: a weight matrix, a bias vector, a
convolution kernel. These transformations measure a norm per block and rescale
the whole block by one number, so a layer's step is sized relative to its own
weights rather than to the global gradient."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain
from gradtx._core._numerics import safe_increment, zero_count
from gradtx._core._validate import (
    check_learning_rate,
    check_nonnegative,
    checks_float_params,
    require_params,
)
from gradtx.transforms._layerwise import scale_by_trust_ratio
from gradtx.tree_utils._tree_math import zip_map


class FromageState(NamedTuple):
    """State of ``fromage``'s rescaling step: the step count (read by a schedule)."""

    count: jax.Array


def _fromage_step(learning_rate: ScalarOrSchedule) -> GradientTransformation:
    """``u = -lr / sqrt(1 + lr^2) * g + (1 / sqrt(1 + lr^2) - 1) * p``, so that
    ``p + u = (p - lr * g) / sqrt(1 + lr^2)``."""

    def coefficients(count):
        lr = learning_rate(count) if callable(learning_rate) else learning_rate
        if not isinstance(lr, int | float):
            lr = jnp.asarray(lr)
        mult = 1 / (1 + lr**2) ** 0.5
        return -(lr * mult), mult - 1

    def init(params):
        del params
        return FromageState(count=zero_count())

    def update(updates, state, params=None, **extra_args):
        del extra_args
        require_params("fromage", params)
        step, shrink = coefficients(state.count)

        def leaf(g, p):
            u = (step * g).astype(g.dtype)
            return (u + shrink * p).astype(g.dtype)

        updates = zip_map("gradtx.fromage", leaf, updates=updates, params=params)
        return updates, FromageState(count=safe_increment(state.count))

    return GradientTransformation(init, update)


@checks_float_params
def fromage(
    learning_rate: ScalarOrSchedule, min_norm: float | jax.Array = 1e-6
) -> GradientTransformation:
    """Fromage: a per-layer relative step followed by a shrink that keeps norms bounded.

    Per leaf, with ``min_norm`` flooring both norms:
        p_t = (p_{t-1} - learning_rate * ||p_{t-1}|| / ||g_t|| * g_t) / sqrt(1 + learning_rate^2)

    Each layer moves by ``learning_rate`` times its own norm (a step that is
    small in the paper's "deep relative trust" distance); the division by
    ``sqrt(1 + learning_rate^2)`` undoes the norm growth that a step orthogonal
    to the weights would cause. Chains ``scale_by_trust_ratio(min_norm)`` and a
    rescaling step; a learning rate of 0.01 is the paper's default for most
    tasks.

    Complex params: supported.

    Args:
        learning_rate: non-negative number, array or schedule.
        min_norm: floor of both norms in the trust ratio, >= 0.

    Returns:
        The optimizer; its state is ``(EmptyState(), FromageState)``.

    References:
        Bernstein et al., On the distance between two neural networks and the
        stability of learning, NeurIPS 2020, https://arxiv.org/abs/2002.03432.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.fromage(learning_rate=0.5)
        >>> params = jnp.array([3.0, 4.0])
        >>> updates, _ = opt.update(jnp.array([0.0, 1.0]), opt.init(params), params)
        >>> gradtx.apply_updates(params, updates)  # (3, 4 - 2.5) / sqrt(1.25)
        Array([2.6832817, 1.3416407], dtype=float32)
    """
    check_learning_rate("fromage", learning_rate)
    check_nonnegative("fromage", "min_norm", min_norm)
    return chain(scale_by_trust_ratio(min_norm), _fromage_step(learning_rate))
