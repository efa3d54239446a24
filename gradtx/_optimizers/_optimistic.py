"""Optimistic gradient methods for min-max games: optimistic gradient descent and optimistic Adam."""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain
from gradtx._core._validate import (
    check_learning_rate,
    check_range,
    check_scalar,
    checks_float_params,
    validates_through_parts,
)
from gradtx._optimizers._adam import scale_by_adam
from gradtx.transforms._scaling import scale_by_learning_rate
from gradtx.tree_utils._construct import tree_zeros_like
from gradtx.tree_utils._tree_math import zip_map


class ScaleByOptimisticGradientState(NamedTuple):
    """State of ``scale_by_optimistic_gradient`` (optax's fields): whether no step has
    been taken yet, and the previous step's incoming updates."""

    is_initial_step: jax.Array
    previous_gradient: Any


@checks_float_params
def scale_by_optimistic_gradient(
    alpha: jax.typing.ArrayLike = 1.0, beta: jax.typing.ArrayLike = 1.0
) -> GradientTransformation:
    """Extrapolate from the previous gradient: ``(alpha + beta) * g_t - beta * g_{t-1}``.

    The optimistic correction subtracts a multiple of the last gradient, which
    damps the rotation that plain simultaneous gradient steps show on bilinear
    min-max games (GANs). On the first step ``g_0 = g_1``, so it is ``alpha * g_1``.
    Memory: one buffer per param.

    Update rule:
        u_t = (alpha + beta) * g_t - beta * g_{t-1}

    Args:
        alpha: coefficient of the current gradient (a scalar).
        beta: coefficient of the correction (a scalar).

    Returns:
        The transformation; its state is ``ScaleByOptimisticGradientState``.

    References:
        Mokhtari et al., A Unified Analysis of Extra-gradient and Optimistic
        Gradient Methods for Saddle Point Problems, AISTATS 2020,
        https://arxiv.org/abs/1901.08511.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.scale_by_optimistic_gradient(alpha=1.0, beta=1.0)
        >>> s = tx.init(jnp.zeros(1))
        >>> u, s = tx.update(jnp.array([1.0]), s)
        >>> tx.update(jnp.array([3.0]), s)[0]
        Array([5.], dtype=float32)
    """
    check_range("scale_by_optimistic_gradient", "alpha", alpha)
    check_range("scale_by_optimistic_gradient", "beta", beta)

    def init(params):
        return ScaleByOptimisticGradientState(
            is_initial_step=jnp.asarray(True), previous_gradient=tree_zeros_like(params)
        )

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        first = state.is_initial_step

        def leaf(g, prev):
            prev = jnp.where(first, g, prev)
            return ((alpha + beta) * g - beta * prev).astype(g.dtype), g.astype(prev.dtype)

        new_updates, previous = zip_map(
            "gradtx.scale_by_optimistic_gradient",
            leaf,
            2,
            updates=updates,
            previous_gradient=state.previous_gradient,
        )
        return new_updates, ScaleByOptimisticGradientState(
            is_initial_step=jnp.zeros_like(first), previous_gradient=previous
        )

    return GradientTransformation(init, update)


@checks_float_params
@validates_through_parts
def optimistic_gradient_descent(
    learning_rate: ScalarOrSchedule,
    alpha: ScalarOrSchedule = 1.0,
    beta: ScalarOrSchedule = 1.0,
) -> GradientTransformation:
    """Optimistic gradient descent: ``scale_by_optimistic_gradient`` then the learning rate.

        p_t = p_{t-1} - learning_rate * ((alpha + beta) * g_t - beta * g_{t-1})

    Complex params: supported.

    Args:
        learning_rate: a scalar or a schedule.
        alpha: coefficient of the current gradient.
        beta: coefficient of the previous gradient's correction.

    Returns:
        The optimizer; its state is ``(ScaleByOptimisticGradientState, <learning-rate state>)``.

    References:
        Mokhtari et al., AISTATS 2020, https://arxiv.org/abs/1901.08511.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.optimistic_gradient_descent(0.1)
        >>> opt.update(jnp.array([1.0]), opt.init(jnp.zeros(1)))[0]
        Array([-0.1], dtype=float32)
    """
    return chain(
        scale_by_optimistic_gradient(alpha=alpha, beta=beta),
        scale_by_learning_rate(learning_rate),
    )


def _adam_then_optimism(b1, b2, eps, eps_root, mu_dtype, nesterov, alpha, beta, last):
    """Adam's direction, then the optimistic correction, then ``last``."""
    return chain(
        scale_by_adam(
            b1=b1, b2=b2, eps=eps, eps_root=eps_root, mu_dtype=mu_dtype, nesterov=nesterov
        ),
        scale_by_optimistic_gradient(alpha=alpha, beta=beta),
        last,
    )


@checks_float_params
@validates_through_parts
def optimistic_adam_v2(
    learning_rate: ScalarOrSchedule,
    *,
    alpha: jax.typing.ArrayLike = 1.0,
    beta: jax.typing.ArrayLike = 1.0,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-08,
    eps_root: jax.typing.ArrayLike = 0.0,
    mu_dtype: Any | None = None,
    nesterov: bool = True,
) -> GradientTransformation:
    """Optimistic Adam: Adam's direction, then the optimistic correction, then the learning rate.

        d_t = scale_by_adam(b1, b2, eps, eps_root, nesterov)(g_t)
        p_t = p_{t-1} - learning_rate * ((alpha + beta) * d_t - beta * d_{t-1})

    Complex params: supported.

    Args:
        learning_rate: a scalar or a schedule.
        alpha: coefficient of the current direction.
        beta: coefficient of the correction.
        b1, b2, eps, eps_root, mu_dtype, nesterov: as ``scale_by_adam``
            (Nesterov momentum on by default, as in optax).

    Returns:
        The optimizer; its state is ``(ScaleByAdamState, ScaleByOptimisticGradientState,
        <learning-rate state>)``.

    References:
        Daskalakis et al., Training GANs with Optimism, ICLR 2018,
        https://arxiv.org/abs/1711.00141.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.optimistic_adam_v2(0.1)
        >>> state = opt.init(jnp.zeros(2))
    """
    return _adam_then_optimism(
        b1,
        b2,
        eps,
        eps_root,
        mu_dtype,
        nesterov,
        alpha,
        beta,
        scale_by_learning_rate(learning_rate),
    )


@validates_through_parts
@checks_float_params
def optimistic_adam(
    learning_rate: jax.typing.ArrayLike,
    optimism: jax.typing.ArrayLike | None = None,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-08,
    eps_root: jax.typing.ArrayLike = 0.0,
    mu_dtype: Any | None = None,
    *,
    nesterov: bool = True,
) -> GradientTransformation:
    """Deprecated (as in optax): optimistic Adam with the learning rate inside the correction.

        d_t = scale_by_adam(...)(g_t)
        p_t = p_{t-1} - ((learning_rate + optimism) * d_t - optimism * d_{t-1})

    Use ``optimistic_adam_v2``, which takes schedules. Emits a
    ``DeprecationWarning``.

    Complex params: supported.

    Args:
        learning_rate: a scalar (schedules are rejected).
        optimism: coefficient of the correction; None means ``learning_rate``.
        b1, b2, eps, eps_root, mu_dtype, nesterov: as ``scale_by_adam``.

    Returns:
        The optimizer; its state is ``(ScaleByAdamState, ScaleByOptimisticGradientState,
        <learning-rate state>)``.

    Raises:
        ValueError: a schedule as ``learning_rate``.

    References:
        Daskalakis et al., Training GANs with Optimism, ICLR 2018,
        https://arxiv.org/abs/1711.00141.

    Example:
        >>> import gradtx, jax.numpy as jnp, warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore", DeprecationWarning)
        ...     opt = gradtx.optimistic_adam(0.1)
    """
    warnings.warn(
        "gradtx.optimistic_adam is deprecated (as in optax); use gradtx.optimistic_adam_v2.",
        DeprecationWarning,
        stacklevel=2,
    )
    if callable(learning_rate):
        raise ValueError(
            "gradtx.optimistic_adam(learning_rate=<schedule>): this deprecated form takes a "
            "scalar learning rate only; use gradtx.optimistic_adam_v2 for schedules."
        )
    check_learning_rate("optimistic_adam", learning_rate)
    check_scalar("optimistic_adam", "optimism", optimism, none=True)
    if optimism is None:
        optimism = learning_rate
    # The learning rate sits inside the correction; the last stage only flips the sign.
    return _adam_then_optimism(
        b1,
        b2,
        eps,
        eps_root,
        mu_dtype,
        nesterov,
        learning_rate,
        optimism,
        scale_by_learning_rate(1.0),
    )
