"""Simplified AdEMAMix: Adam with an un-normalised slow momentum plus the raw gradient."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain
from gradtx._core._numerics import safe_increment, zero_count
from gradtx._core._validate import check_learning_rate, check_nonnegative, checks_float_params
from gradtx._optimizers._adam import check_adam_args
from gradtx.transforms._scaling import scale_by_learning_rate
from gradtx.transforms._weight_decay import add_decayed_weights
from gradtx.tree_utils._construct import tree_zeros_like
from gradtx.tree_utils._moments import bias_correction_factor
from gradtx.tree_utils._tree_math import abs_sq, zip_map


class ScaleBySimplifiedAdEMAMixState(NamedTuple):
    """State of ``scale_by_simplified_ademamix`` (optax's names and order).

    Fields:
        t: number of updates so far (int32).
        m: the momentum ``sum_i b1^(k-i) g_i`` (not normalised).
        n: EMA of the squared gradients.
    """

    t: jax.Array
    m: Any
    n: Any


def _check(fn, b1, b2, alpha, eps, eps_root):
    check_adam_args(fn, b1, b2, eps, eps_root)
    check_nonnegative(fn, "alpha", alpha, schedule=True)


@checks_float_params
def scale_by_simplified_ademamix(
    b1: jax.typing.ArrayLike = 0.99,
    b2: jax.typing.ArrayLike = 0.95,
    alpha: ScalarOrSchedule = 0.0,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 0.0,
) -> GradientTransformation:
    """Scale ``m + alpha * g`` by Adam's bias-corrected second moment.

    The momentum ``m`` is a plain discounted sum of gradients (no ``1 - b1``
    factor and no bias correction), so with ``b1`` near 1 it behaves like
    AdEMAMix's slow EMA with a large weight; ``alpha`` adds the current gradient
    back (the fast term). ``alpha = 0`` is Adam with momentum ``b1`` and a
    learning rate scaled by ``1 / (1 - b1)``. Memory: two buffers per param.

    Update rule (t counts from 1; alpha is read at count t - 1):
        m_t = b1 * m_{t-1} + g_t
        n_t = b2 * n_{t-1} + (1 - b2) * |g_t|^2
        u_t = (m_t + alpha * g_t) / (sqrt(n_t / (1 - b2^t) + eps_root) + eps)

    Args:
        b1: decay of the momentum sum, in [0, 1).
        b2: decay of the second moment, in [0, 1).
        alpha: >= 0, weight of the current gradient, or a schedule of the count.
        eps: >= 0, added outside the root.
        eps_root: >= 0, added inside the root.

    Returns:
        The transformation; its state is ``ScaleBySimplifiedAdEMAMixState``.

    Raises:
        ValueError: a concrete hyperparameter out of its range.

    References:
        Morwani et al., Connections between Schedule-Free Optimizers, AdEMAMix,
        and Accelerated SGD Variants, 2025, https://arxiv.org/abs/2502.02431.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.contrib.scale_by_simplified_ademamix(alpha=1.0)
        >>> u, _ = tx.update(jnp.array([2.0, -4.0]), tx.init(jnp.zeros(2)))
        >>> u.round(4)  # first step: (1 + alpha) * sign(g)
        Array([ 2., -2.], dtype=float32)
    """
    _check("contrib.scale_by_simplified_ademamix", b1, b2, alpha, eps, eps_root)
    return _scale_by_simplified_ademamix(b1, b2, alpha, eps, eps_root)


def _scale_by_simplified_ademamix(b1, b2, alpha, eps, eps_root) -> GradientTransformation:
    def init(params):
        return ScaleBySimplifiedAdEMAMixState(
            t=zero_count(), m=tree_zeros_like(params), n=tree_zeros_like(params)
        )

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        a = alpha(state.t) if callable(alpha) else alpha
        t = safe_increment(state.t)
        c2 = bias_correction_factor(b2, t)

        def leaf(g, m, n):
            m = (g + b1 * m).astype(m.dtype)
            g2 = abs_sq(g)
            n = (g2 + b2 * (n - g2)).astype(n.dtype)  # the EMA, in optax's rounding
            den = jnp.sqrt(n / c2.astype(n.dtype) + eps_root) + eps
            return ((m + a * g) / den).astype(g.dtype), m, n

        new_updates, m, n = zip_map(
            "gradtx.contrib.scale_by_simplified_ademamix",
            leaf,
            3,
            updates=updates,
            m=state.m,
            n=state.n,
        )
        return new_updates, ScaleBySimplifiedAdEMAMixState(t=t, m=m, n=n)

    return GradientTransformation(init, update)


@checks_float_params
def simplified_ademamix(
    learning_rate: ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.99,
    b2: jax.typing.ArrayLike = 0.95,
    alpha: ScalarOrSchedule = 0.0,
    eps: jax.typing.ArrayLike = 1e-8,
    eps_root: jax.typing.ArrayLike = 0.0,
    weight_decay: jax.typing.ArrayLike = 0.0,
    mask: Any | Callable[[Any], Any] | None = None,
) -> GradientTransformation:
    """Simplified AdEMAMix: ``scale_by_simplified_ademamix``, weight decay, learning rate.

    Update rule (see ``scale_by_simplified_ademamix`` for ``u_t``; x = params):
        x_t = x_{t-1} - learning_rate * (u_t + weight_decay * x_{t-1})

    Because ``m`` sums about ``1 / (1 - b1)`` gradients, the learning rate is
    about ``1 - b1`` times Adam's (0.01 x for the default ``b1 = 0.99``).

    Complex params: supported (second moments of |g|^2, so steps keep g's phase).

    Args:
        learning_rate: a number >= 0 or a schedule of the 0-based count.
        b1: decay of the momentum sum, in [0, 1).
        b2: decay of the second moment, in [0, 1).
        alpha: >= 0, weight of the current gradient, or a schedule.
        eps: >= 0, added outside the root.
        eps_root: >= 0, added inside the root.
        weight_decay: >= 0, decoupled weight decay (scaled by the learning rate).
        mask: tree of bools (or a function of params) choosing the decayed leaves.

    Returns:
        The optimizer; its state is the chain's tuple
        ``(ScaleBySimplifiedAdEMAMixState, AddDecayedWeightsState, scale state)``.

    Raises:
        ValueError: a concrete hyperparameter out of its range.

    References:
        Morwani et al., Connections between Schedule-Free Optimizers, AdEMAMix,
        and Accelerated SGD Variants, 2025, https://arxiv.org/abs/2502.02431.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.contrib.simplified_ademamix(0.01, alpha=2.0)
        >>> params = jnp.array([1.0, -2.0])
        >>> state = opt.init(params)
        >>> for _ in range(300):
        ...     updates, state = opt.update(params, state, params)  # grad of |p|^2 / 2
        ...     params = gradtx.apply_updates(params, updates)
        >>> bool(jnp.abs(params).max() < 0.1)
        True
    """
    fn = "contrib.simplified_ademamix"
    check_learning_rate(fn, learning_rate)
    _check(fn, b1, b2, alpha, eps, eps_root)
    check_nonnegative(fn, "weight_decay", weight_decay)
    return chain(
        _scale_by_simplified_ademamix(b1, b2, alpha, eps, eps_root),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )
