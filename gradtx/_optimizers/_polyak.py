"""Polyak step sizes, gradient noise, and two safety transforms (non-negativity, NaNs)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain, init_empty_state
from gradtx._core._numerics import promoted, scale_leaf
from gradtx._core._validate import (
    check_nonnegative,
    check_range,
    checks_float_params,
)
from gradtx.transforms._scaling import scale_by_learning_rate
from gradtx.tree_utils._reductions import tree_sum_of_squares

# ---------------------------------------------------------------------------
# Polyak step size

_POLYAK_VARIANTS = ("sps", "sps+")


def _check_polyak_args(fn, f_min, max_learning_rate, eps, variant):
    check_range(fn, "f_min", f_min)  # rejects NaN only
    check_nonnegative(fn, "max_learning_rate", max_learning_rate)
    check_nonnegative(fn, "eps", eps)
    if variant not in _POLYAK_VARIANTS:
        raise ValueError(
            f"gradtx.{fn}(variant={variant!r}): variant must be one of "
            f"{', '.join(repr(v) for v in _POLYAK_VARIANTS)}; got {variant!r}."
        )


def scale_by_polyak(
    f_min: float | jax.Array = 0.0,
    max_learning_rate: float | jax.Array = 1.0,
    eps: float | jax.Array = 0.0,
    variant: str = "sps",
) -> GradientTransformation:
    """Scale the updates by Polyak's step size, computed from the loss value. Stateless.

    The step is the one that would reach ``f_min`` if the loss were linear
    along the gradient, capped at ``max_learning_rate``. It needs the current
    loss: call ``update(grads, state, params, value=loss)``.

    Update rule (norms over the whole tree):
        gap = value - f_min                  ("sps")
            = max(value - f_min, 0)          ("sps+")
        step = min(gap / (||g||^2 + eps), max_learning_rate)
             = 0 if ||g||^2 + eps <= 2.2e-16 (float64 machine epsilon)
        u = step * g

    Args:
        f_min: a lower bound on the loss (its minimum if known; 0 for models that
            interpolate the data). Too high a value stalls, too low overshoots.
        max_learning_rate: >= 0, the cap on the step.
        eps: >= 0, added to the squared gradient norm.
        variant: ``"sps"`` (Loizou et al.) or ``"sps+"`` (Garrigos et al.), which
            never steps uphill when ``value < f_min``.

    Returns:
        The transformation; its state is ``EmptyState``.

    Raises:
        ValueError: out-of-range concrete hyperparameters, an unknown variant,
            or ``update`` called without ``value``.

    References:
        Polyak, Introduction to Optimization, 1987, sec. 5.3.
        Loizou et al., Stochastic Polyak Step-size for SGD: An Adaptive Learning
        Rate for Fast Convergence, AISTATS 2021, https://arxiv.org/abs/2002.10542.
        Garrigos et al., Function Value Learning: Adaptive Learning Rates Based on
        the Polyak Stepsize and Function Splitting in ERM, 2023,
        https://arxiv.org/abs/2307.14528.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.scale_by_polyak()
        >>> x = jnp.array([3.0, 4.0])            # loss 0.5 * |x|^2 = 12.5, grad x
        >>> tx.update(x, tx.init(x), value=12.5)[0]
        Array([1.5, 2. ], dtype=float32)
    """
    fn = "scale_by_polyak"
    _check_polyak_args(fn, f_min, max_learning_rate, eps, variant)

    def update(updates, state, params=None, *, value=None, **extra_args):
        del params, extra_args
        if value is None:
            raise ValueError(
                f"gradtx.{fn}: update needs the loss; call update(grads, state, params, "
                "value=loss)."
            )
        sq_norm = tree_sum_of_squares(updates)
        gap = jnp.asarray(value - f_min).astype(sq_norm.dtype)
        if variant == "sps+":
            gap = jnp.maximum(gap, 0.0)
        denom = sq_norm + eps
        tiny = promoted(jnp.less_equal, denom, np.finfo(np.float64).eps)
        step = jnp.where(
            tiny, 0.0, jnp.minimum(gap / jnp.where(tiny, 1.0, denom), max_learning_rate)
        )
        return jax.tree.map(lambda g: scale_leaf(step, g), updates), state

    return GradientTransformation(init_empty_state, update)


@checks_float_params
def polyak_sgd(
    max_learning_rate: float | jax.Array = 1.0,
    scaling: ScalarOrSchedule = 1.0,
    f_min: float | jax.Array = 0.0,
    eps: float | jax.Array = 0.0,
    variant: str = "sps",
) -> GradientTransformation:
    """SGD with Polyak's step size: ``scale_by_polyak`` then ``scaling`` as a learning rate.

        p_t = p_{t-1} - scaling * min(gap / (||g||^2 + eps), max_learning_rate) * g

    Pass the loss at every step: ``update(grads, state, params, value=loss)``.
    With ``f_min`` the true minimum of a convex loss this converges without
    tuning a learning rate.

    Note: this follows the formula above, which optax documents too. optax
    0.2.8 computes the step from ``scaling * g`` instead of ``g``, so the two
    agree exactly when ``scaling == 1`` (the default) and differ otherwise.

    Complex params: supported (the step uses |g|^2).

    Example:
        >>> import gradtx, jax, jax.numpy as jnp
        >>> opt = gradtx.polyak_sgd()
        >>> f = lambda x: jnp.sum(x**2)
        >>> x = jnp.array([1.0, 2.0, 3.0])
        >>> value, grad = jax.value_and_grad(f)(x)
        >>> updates, state = opt.update(grad, opt.init(x), x, value=value)
        >>> f(gradtx.apply_updates(x, updates))
        Array(3.5, dtype=float32)
    """
    _check_polyak_args("polyak_sgd", f_min, max_learning_rate, eps, variant)
    check_nonnegative("polyak_sgd", "scaling", scaling)
    return chain(
        scale_by_polyak(f_min, max_learning_rate, eps, variant), scale_by_learning_rate(scaling)
    )
