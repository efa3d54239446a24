"""ACProp: AdaBelief's centred second moment, used one step late (asynchronously)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain
from gradtx._core._numerics import safe_increment, zero_count
from gradtx._core._validate import check_learning_rate, check_nonnegative, checks_float_params
from gradtx._optimizers._adabelief import ScaleByBeliefState
from gradtx._optimizers._adam import check_adam_args
from gradtx.transforms._scaling import scale_by_learning_rate
from gradtx.transforms._weight_decay import add_decayed_weights
from gradtx.tree_utils._construct import tree_zeros_like
from gradtx.tree_utils._moments import bias_correction_factor
from gradtx.tree_utils._tree_math import abs_sq, zip_map


@checks_float_params
def scale_by_acprop(
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-16,
    eps_root: jax.typing.ArrayLike = 1e-16,
) -> GradientTransformation:
    """Divide the gradient by the root of last step's centred second moment (ACProp).

    ACProp keeps AdaBelief's EMA of the squared prediction error ``(g - mu)^2`` but
    scales the current gradient by the estimate from *before* this gradient was
    seen, so that numerator and denominator are independent (the asynchronous
    update of AdaShift). The first step has no previous estimate and passes the
    gradient through (scaled by ``1 / (1 + eps)``). Memory: two buffers per param.

    Update rule (k = 0, 1, ...; g = gradient; mu_{-1} = nu_{-1} = 0):
        mu_k  = b1 * mu_{k-1} + (1 - b1) * g_k
        nu_k  = b2 * nu_{k-1} + (1 - b2) * |g_k - mu_k|^2 + eps_root
        u_0   = g_0 / (1 + eps)
        u_k   = g_k / (sqrt(nu_{k-1} / (1 - b2^k)) + eps)          (k >= 1)

    Difference from optax: the prediction error is taken against the updated
    mean ``mu_k``, as in the authors' PyTorch code, AdaBelief and optax's own
    docstring; optax 0.2.8 uses ``mu_{k-1}`` (a known bug, optax PR #1716), so
    the first updates agree and later ones differ through ``nu``. The numerator
    is the raw gradient, as in optax.

    Args:
        b1: decay of the gradient mean, in [0, 1).
        b2: decay of the centred second moment, in [0, 1).
        eps: >= 0, added outside the root.
        eps_root: >= 0, added to ``nu`` at every step; keep it > 0 when
            differentiating through the optimizer.

    Returns:
        The transformation; its state is ``ScaleByBeliefState`` (count, mu, nu),
        as in optax.

    Raises:
        ValueError: a concrete hyperparameter out of its range.

    References:
        Zhuang et al., Momentum Centering and Asynchronous Update for Adaptive
        Gradient Methods, NeurIPS 2021, https://arxiv.org/abs/2110.05454.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.contrib.scale_by_acprop()
        >>> state = tx.init(jnp.zeros(2))
        >>> u, state = tx.update(jnp.array([2.0, -4.0]), state)
        >>> u  # the first step passes the gradient through
        Array([ 2., -4.], dtype=float32)
    """
    check_adam_args("contrib.scale_by_acprop", b1, b2, eps, eps_root)
    return _scale_by_acprop(b1, b2, eps, eps_root)


def _scale_by_acprop(b1, b2, eps, eps_root) -> GradientTransformation:
    def init(params):
        return ScaleByBeliefState(
            count=zero_count(), mu=tree_zeros_like(params), nu=tree_zeros_like(params)
        )

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        first = state.count == 0
        # nu_{k-1} is bias-corrected with its own step count k (1 at k = 0, unused).
        c2 = bias_correction_factor(b2, jnp.maximum(state.count, 1))

        def leaf(g, m, n):
            new_m = ((1 - b1) * g + b1 * m).astype(m.dtype)
            new_n = ((1 - b2) * abs_sq(g - new_m) + b2 * n + eps_root).astype(n.dtype)
            n_hat = jnp.where(first, jnp.ones_like(n), n / c2.astype(n.dtype))
            return (g / (jnp.sqrt(n_hat) + eps)).astype(g.dtype), new_m, new_n

        updates, mu, nu = zip_map(
            "gradtx.contrib.scale_by_acprop", leaf, 3, updates=updates, mu=state.mu, nu=state.nu
        )
        return updates, ScaleByBeliefState(count=safe_increment(state.count), mu=mu, nu=nu)

    return GradientTransformation(init, update)


@checks_float_params
def acprop(
    learning_rate: ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-16,
    eps_root: jax.typing.ArrayLike = 1e-16,
    weight_decay: jax.typing.ArrayLike = 0.0,
    mask: Any | Callable[[Any], Any] | None = None,
) -> GradientTransformation:
    """The ACProp optimizer: ``scale_by_acprop``, weight decay, then the learning rate.

    Update rule (see ``scale_by_acprop`` for ``a_k``; x = params):
        x_{k+1} = x_k - learning_rate_k * (a_k + weight_decay * x_k)

    Weight decay is added after the preconditioner and scaled by the learning
    rate, as in PyTorch's AdamW and optax.

    Complex params: supported (second moments of |g|^2, so steps keep g's phase).

    Args:
        learning_rate: a number >= 0 or a schedule of the 0-based count.
        b1: decay of the gradient mean, in [0, 1).
        b2: decay of the centred second moment, in [0, 1).
        eps: >= 0, added outside the root.
        eps_root: >= 0, added to the second moment at every step.
        weight_decay: >= 0, decoupled weight decay.
        mask: tree of bools (or a function of params) choosing the leaves that
            are decayed; None decays all.

    Returns:
        The optimizer; its state is the chain's tuple
        ``(ScaleByBeliefState, AddDecayedWeightsState, scale state)``.
        ``update`` needs params.

    Raises:
        ValueError: a concrete hyperparameter out of its range.

    References:
        Zhuang et al., Momentum Centering and Asynchronous Update for Adaptive
        Gradient Methods, NeurIPS 2021, https://arxiv.org/abs/2110.05454.

    Example:
        >>> import gradtx, jax, jax.numpy as jnp
        >>> opt = gradtx.contrib.acprop(0.1)
        >>> params = jnp.array([1.0, -2.0])
        >>> state = opt.init(params)
        >>> for _ in range(100):
        ...     updates, state = opt.update(params, state, params)  # grad of |p|^2 / 2
        ...     params = gradtx.apply_updates(params, updates)
        >>> bool(jnp.abs(params).max() < 0.1)
        True
    """
    fn = "contrib.acprop"
    check_learning_rate(fn, learning_rate)
    check_adam_args(fn, b1, b2, eps, eps_root)
    check_nonnegative(fn, "weight_decay", weight_decay)
    return chain(
        _scale_by_acprop(b1, b2, eps, eps_root),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )
