"""Sign-based methods: signSGD, Signum and Lion."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain, init_empty_state
from gradtx._core._validate import (
    check_decay,
    check_dtype,
    check_learning_rate,
    checks_float_params,
    validates_through_parts,
)
from gradtx.transforms._momentum import ema
from gradtx.transforms._scaling import scale_by_learning_rate


def scale_by_sign() -> GradientTransformation:
    """Replace every update by its elementwise sign. Stateless.

    The magnitude of each coordinate is thrown away: every coordinate moves by
    the same amount, whatever the scale of its gradient. This makes the step
    robust to badly scaled or heavy-tailed gradients and cheap to communicate
    (one bit per coordinate), at the price of never settling exactly at a
    minimum with a constant step size.

    Update rule:
        u_t = sign(g_t)          (-1, 0 or +1; g / |g| for complex g)

    Returns:
        The transformation; its state is ``EmptyState``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.scale_by_sign()
        >>> tx.update(jnp.array([-3.0, 0.0, 0.5]), tx.init(jnp.zeros(3)))[0]
        Array([-1.,  0.,  1.], dtype=float32)
    """

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        return jax.tree.map(lambda g: jnp.sign(g).astype(g.dtype), updates), state

    return GradientTransformation(init_empty_state, update)


@checks_float_params
@validates_through_parts
def sign_sgd(learning_rate: ScalarOrSchedule) -> GradientTransformation:
    """signSGD: step by ``-learning_rate`` times the sign of the gradient.

    Chains ``scale_by_sign()`` and ``scale_by_learning_rate(learning_rate)``:
        p_t = p_{t-1} - learning_rate * sign(g_t)

    With a constant learning rate each coordinate ends up oscillating within
    ``learning_rate`` of a minimum; decay the learning rate to converge.

    Complex params: supported (the sign of a complex entry is its phase, g/|g|).

    Args:
        learning_rate: non-negative number, array or schedule.

    Returns:
        The optimizer; its state is ``(EmptyState(), <learning-rate state>)``.

    References:
        Bernstein et al., signSGD: Compressed Optimisation for Non-Convex
        Problems, ICML 2018, https://arxiv.org/abs/1802.04434.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.sign_sgd(learning_rate=0.1)
        >>> params = jnp.array([2.0, -0.5])
        >>> updates, _ = opt.update(params, opt.init(params))  # gradient of |p|^2/2
        >>> gradtx.apply_updates(params, updates)
        Array([ 1.9, -0.4], dtype=float32)
    """
    return chain(scale_by_sign(), scale_by_learning_rate(learning_rate))


@checks_float_params
def signum(
    learning_rate: ScalarOrSchedule,
    beta: float | jax.Array = 0.9,
    accumulator_dtype: Any | None = None,
) -> GradientTransformation:
    """Signum: signSGD on an exponential moving average of the gradients.

    Chains ``ema(beta, debias=False)``, ``scale_by_sign()`` and the learning rate:
        m_t = beta * m_{t-1} + (1 - beta) * g_t,   m_0 = 0
        p_t = p_{t-1} - learning_rate * sign(m_t)

    The average is not debiased: a positive factor does not change a sign.
    Memory: one buffer per param.

    Complex params: supported (the sign of a complex entry is its phase, g/|g|).

    Args:
        learning_rate: non-negative number, array or schedule.
        beta: decay of the moving average, in [0, 1); 0 gives ``sign_sgd``.
        accumulator_dtype: dtype of ``m``; None uses each param's dtype.

    Returns:
        The optimizer; its state is ``(EmaState, EmptyState(), <learning-rate state>)``.

    Raises:
        ValueError: a concrete ``beta`` outside [0, 1) or a negative learning rate.

    References:
        Bernstein et al., signSGD: Compressed Optimisation for Non-Convex
        Problems, ICML 2018, https://arxiv.org/abs/1802.04434.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.signum(learning_rate=0.1, beta=0.9)
        >>> params = jnp.array([2.0, -0.5])
        >>> updates, _ = opt.update(params, opt.init(params))
        >>> gradtx.apply_updates(params, updates)
        Array([ 1.9, -0.4], dtype=float32)
    """
    check_learning_rate("signum", learning_rate)
    check_decay("signum", "beta", beta)
    check_dtype("signum", "accumulator_dtype", accumulator_dtype)
    return chain(
        ema(beta, debias=False, accumulator_dtype=accumulator_dtype),
        scale_by_sign(),
        scale_by_learning_rate(learning_rate),
    )
