"""COCOB: learning-rate-free training by continuous coin betting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain
from gradtx._core._validate import (
    check_learning_rate,
    check_nonnegative,
    check_positive,
    checks_float_params,
    require_param_values,
    require_params,
)
from gradtx.transforms._scaling import scale_by_learning_rate
from gradtx.transforms._weight_decay import add_decayed_weights
from gradtx.tree_utils._construct import tree_full_like, tree_zeros_like
from gradtx.tree_utils._tree_math import zip_map


class COCOBState(NamedTuple):
    """State of ``scale_by_cocob`` (optax's names and order).

    Fields:
        init_particles: the initial params ``x_0``.
        cumulative_gradients: ``C``, minus the sum of the gradients.
        scale: ``L``, the largest gradient magnitude seen (starts at ``eps``).
        subgradients: ``G``, the sum of gradient magnitudes.
        reward: ``R``, the bettor's wealth gained so far.
    """

    init_particles: Any
    cumulative_gradients: Any
    scale: Any
    subgradients: Any
    reward: Any


@checks_float_params
def scale_by_cocob(
    alpha: jax.typing.ArrayLike = 100.0, eps: jax.typing.ArrayLike = 1e-8
) -> GradientTransformation:
    """Replace the update by COCOB-Backprop's bet on each coordinate.

    Each coordinate is a gambler betting on the sign of its negative gradient;
    the bet grows with the wealth (reward) it has won, so no learning rate is
    needed. ``alpha`` caps the first bets (larger is more careful). Memory: five
    buffers per param. The updates are ``x_{k+1} - x_k``: a full step, already
    signed.

    Update rule (per coordinate; g = incoming update, x = params):
        L_k = max(L_{k-1}, |g_k|)                    (L_{-1} = eps)
        G_k = G_{k-1} + |g_k|
        R_k = max(R_{k-1} - g_k * (x_k - x_0), 0)
        C_k = C_{k-1} - g_k
        x_{k+1} = x_0 + C_k * (L_k + R_k) / (L_k * max(G_k + L_k, alpha * L_k))
        u_k = x_{k+1} - x_k

    Args:
        alpha: > 0, bounds the fraction of wealth bet early on (paper: 100).
        eps: > 0, the initial ``L`` (keeps the first division finite).

    Returns:
        The transformation; its state is ``COCOBState``. ``update`` needs params.

    Raises:
        ValueError: a concrete hyperparameter out of its range, or no params.

    References:
        Orabona and Tommasi, Training Deep Networks without Learning Rates
        Through Coin Betting, NeurIPS 2017 (Algorithm 2),
        https://arxiv.org/abs/1705.07795.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.contrib.scale_by_cocob()
        >>> p = jnp.array([1.0, -1.0])
        >>> u, _ = tx.update(jnp.array([2.0, -1.0]), tx.init(p), p)
        >>> u.round(4)  # the first bet: -g / (alpha * |g|)
        Array([-0.01,  0.01], dtype=float32)
    """
    _check_cocob("contrib.scale_by_cocob", alpha, eps)
    return _scale_by_cocob(alpha, eps)


def _check_cocob(fn, alpha, eps):
    check_positive(fn, "alpha", alpha)
    check_positive(fn, "eps", eps)


def _scale_by_cocob(alpha, eps) -> GradientTransformation:
    def init(params):
        require_param_values("contrib.cocob", params, "it keeps the initial params")
        return COCOBState(
            init_particles=jax.tree.map(lambda p: jnp.array(p, copy=True), params),
            cumulative_gradients=tree_zeros_like(params),
            scale=tree_full_like(params, eps),
            subgradients=tree_zeros_like(params),
            reward=tree_zeros_like(params),
        )

    def update(updates, state, params=None, **extra_args):
        del extra_args
        require_params("contrib.scale_by_cocob", params)

        def leaf(g, x, x0, c, big_l, big_g, r):
            big_l = jnp.maximum(big_l, jnp.abs(g))
            big_g = big_g + jnp.abs(g)
            r = jnp.maximum(r - g * (x - x0), 0)
            c = c - g
            x_new = x0 + c / (big_l * jnp.maximum(big_g + big_l, alpha * big_l)) * (big_l + r)
            dt = x0.dtype
            return (
                (x_new - x).astype(g.dtype),
                c.astype(dt),
                big_l.astype(dt),
                big_g.astype(dt),
                r.astype(dt),
            )

        new_updates, c, big_l, big_g, r = zip_map(
            "gradtx.contrib.scale_by_cocob",
            leaf,
            5,
            updates=updates,
            params=params,
            init_particles=state.init_particles,
            cumulative_gradients=state.cumulative_gradients,
            scale=state.scale,
            subgradients=state.subgradients,
            reward=state.reward,
        )
        return new_updates, COCOBState(state.init_particles, c, big_l, big_g, r)

    return GradientTransformation(init, update)


@checks_float_params
def cocob(
    learning_rate: ScalarOrSchedule = 1.0,
    alpha: jax.typing.ArrayLike = 100.0,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: jax.typing.ArrayLike = 0.0,
    mask: Any | Callable[[Any], Any] | None = None,
) -> GradientTransformation:
    """COCOB-Backprop: coin betting on L2-regularised, rescaled gradients.

    Update rule (see ``scale_by_cocob``; x = params):
        g'_k = learning_rate_k * (g_k + weight_decay * x_k)
        x_{k+1} = x_k + scale_by_cocob(g'_k)

    The learning rate multiplies the gradients *before* betting (it is not a
    step size: COCOB is invariant to a constant one, up to ``eps``), so a
    schedule re-weights the gradients over time.

    Complex params: supported.

    Args:
        learning_rate: a number >= 0 or a schedule of the 0-based count; 1.0 by
            default.
        alpha: > 0, bounds the early bets.
        eps: > 0, the initial gradient-magnitude bound.
        weight_decay: >= 0, L2 regularisation added to the gradient.
        mask: tree of bools (or a function of params) choosing the decayed
            leaves; None decays all.

    Returns:
        The optimizer; its state is the chain's tuple
        ``(AddDecayedWeightsState, scale state, COCOBState)``. ``update`` needs params.

    Raises:
        ValueError: a concrete hyperparameter out of its range.

    References:
        Orabona and Tommasi, Training Deep Networks without Learning Rates
        Through Coin Betting, NeurIPS 2017, https://arxiv.org/abs/1705.07795.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.contrib.cocob()
        >>> params = jnp.array([1.0, -2.0])
        >>> state = opt.init(params)
        >>> for _ in range(200):
        ...     updates, state = opt.update(params - 3.0, state, params)  # min at 3
        ...     params = gradtx.apply_updates(params, updates)
        >>> bool(jnp.abs(params - 3.0).max() < 0.1)
        True
    """
    fn = "contrib.cocob"
    check_learning_rate(fn, learning_rate)
    _check_cocob(fn, alpha, eps)
    check_nonnegative(fn, "weight_decay", weight_decay)
    return chain(
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate, flip_sign=False),
        _scale_by_cocob(alpha, eps),
    )
