"""Per-coordinate adaptive scaling: AdaGrad, RMSProp (plain and centered), Adadelta."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain, identity
from gradtx._core._numerics import safe_increment, zero_count
from gradtx._core._validate import (
    check_decay,
    check_nonnegative,
    checks_float_params,
    validates_through_parts,
)
from gradtx.transforms._momentum import trace
from gradtx.transforms._scaling import scale_by_learning_rate
from gradtx.transforms._weight_decay import add_decayed_weights
from gradtx.tree_utils._construct import tree_full_like, tree_zeros_like
from gradtx.tree_utils._moments import bias_correction_factor, moment_update
from gradtx.tree_utils._tree_math import abs_sq, zip_map


class ScaleByRmsState(NamedTuple):
    """State of ``scale_by_rms``: step count and the EMA of squared gradients ``nu``."""

    count: jax.Array
    nu: object


def _rms_scale(g, n, eps, eps_in_sqrt):
    if eps_in_sqrt:
        return g * jax.lax.rsqrt(n + eps)
    return g / (jnp.sqrt(n) + eps)


@checks_float_params
def scale_by_rms(
    decay: float | jax.Array = 0.9,
    eps: float | jax.Array = 1e-8,
    initial_scale: float | jax.Array = 0.0,
    eps_in_sqrt: bool = True,
    bias_correction: bool = False,
) -> GradientTransformation:
    """Divide by the root mean square of recent gradients (RMSProp).

    Update rule:
        nu_t = decay * nu_{t-1} + (1 - decay) * g_t^2,   nu_0 = initial_scale
        n_t  = nu_t / (1 - decay^t)   if bias_correction else nu_t
        u_t  = g_t / sqrt(n_t + eps)       (eps_in_sqrt=True)
        u_t  = g_t / (sqrt(n_t) + eps)     (eps_in_sqrt=False, as torch.optim.RMSprop)

    Args:
        decay: EMA coefficient in [0, 1). torch calls it ``alpha`` (default 0.99).
        eps: >= 0.
        initial_scale: starting value of ``nu``, >= 0.
        eps_in_sqrt: where eps goes, see above.
        bias_correction: debias ``nu`` as Adam does.

    Returns:
        The transformation; its state is ``ScaleByRmsState`` whatever the flags.

    References:
        Hinton, Neural Networks for Machine Learning, lecture 6e, 2012.
    """
    check_decay("scale_by_rms", "decay", decay)
    check_nonnegative("scale_by_rms", "eps", eps)
    check_nonnegative("scale_by_rms", "initial_scale", initial_scale)

    def init(params):
        return ScaleByRmsState(count=zero_count(), nu=tree_full_like(params, initial_scale))

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        count = safe_increment(state.count)
        corr = bias_correction_factor(decay, count) if bias_correction else None

        def leaf(g, n):
            new_n = moment_update(n, abs_sq(g), decay)
            n_hat = new_n / corr.astype(new_n.dtype) if bias_correction else new_n
            return _rms_scale(g, n_hat, eps, eps_in_sqrt).astype(g.dtype), new_n

        updates, nu = zip_map("gradtx.scale_by_rms", leaf, 2, updates=updates, nu=state.nu)
        return updates, ScaleByRmsState(count=count, nu=nu)

    return GradientTransformation(init, update)


class ScaleByRStdDevState(NamedTuple):
    """State of ``scale_by_stddev`` (optax's name): count, EMA of gradients ``mu`` and of
    squares ``nu``. optax keeps ``count`` only with ``bias_correction=True``
    (``ScaleByRStdDevWithCountState``); gradtx keeps it always, so the structure does
    not depend on the flag."""

    count: jax.Array
    mu: object
    nu: object


@checks_float_params
def scale_by_stddev(
    decay: float | jax.Array = 0.9,
    eps: float | jax.Array = 1e-8,
    initial_scale: float | jax.Array = 0.0,
    eps_in_sqrt: bool = True,
    bias_correction: bool = False,
) -> GradientTransformation:
    """Divide by a running estimate of the gradients' standard deviation (centered RMSProp).

    Update rule:
        mu_t = decay * mu_{t-1} + (1 - decay) * g_t
        nu_t = decay * nu_{t-1} + (1 - decay) * g_t^2,   nu_0 = initial_scale
        (mu_t, nu_t debiased by 1 - decay^t when bias_correction)
        u_t  = g_t / sqrt(nu_t - mu_t^2 + eps)     (eps_in_sqrt=True)
        u_t  = g_t / (sqrt(nu_t - mu_t^2) + eps)   (eps_in_sqrt=False)

    Args: as ``scale_by_rms``.

    Returns:
        The transformation; its state is ``ScaleByRStdDevState``.

    References:
        Graves, Generating Sequences With Recurrent Neural Networks, 2013, eq. 38-45.
    """
    check_decay("scale_by_stddev", "decay", decay)
    check_nonnegative("scale_by_stddev", "eps", eps)
    check_nonnegative("scale_by_stddev", "initial_scale", initial_scale)

    def init(params):
        return ScaleByRStdDevState(
            count=zero_count(),
            mu=tree_zeros_like(params),
            nu=tree_full_like(params, initial_scale),
        )

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        count = safe_increment(state.count)
        corr = bias_correction_factor(decay, count) if bias_correction else None

        def leaf(g, m, n):
            new_m = moment_update(m, g, decay)
            new_n = moment_update(n, abs_sq(g), decay)
            m_hat, n_hat = new_m, new_n
            if bias_correction:
                m_hat = new_m / corr.astype(new_m.dtype)
                n_hat = new_n / corr.astype(new_n.dtype)
            u = _rms_scale(g, n_hat - abs_sq(m_hat), eps, eps_in_sqrt)
            return u.astype(g.dtype), new_m, new_n

        updates, mu, nu = zip_map(
            "gradtx.scale_by_stddev", leaf, 3, updates=updates, mu=state.mu, nu=state.nu
        )
        return updates, ScaleByRStdDevState(count=count, mu=mu, nu=nu)

    return GradientTransformation(init, update)


@checks_float_params
@validates_through_parts
def rmsprop(
    learning_rate: ScalarOrSchedule,
    decay: float | jax.Array = 0.9,
    eps: float | jax.Array = 1e-8,
    initial_scale: float | jax.Array = 0.0,
    eps_in_sqrt: bool = True,
    centered: bool = False,
    momentum: float | jax.Array | None = None,
    nesterov: bool = False,
    bias_correction: bool = False,
    *,
    weight_decay: ScalarOrSchedule | None = None,
) -> GradientTransformation:
    """RMSProp: optional L2 term, ``scale_by_rms`` (or ``scale_by_stddev`` when
    centered), the learning rate, then an optional momentum ``trace``.

        g'_t = g_t + weight_decay * p_{t-1}
        nu_t = decay * nu_{t-1} + (1 - decay) * g'_t^2
        b_t  = momentum * b_{t-1} + learning_rate * g'_t / sqrt(nu_t + eps)
        p_t  = p_{t-1} - b_t

    torch.optim.RMSprop(lr, alpha, eps, weight_decay, momentum, centered) is
    ``rmsprop(lr, decay=alpha, eps=eps, eps_in_sqrt=False, centered=centered,
    momentum=momentum, weight_decay=weight_decay)`` (torch's default alpha is
    0.99). With a constant learning rate the two agree to rounding; with a
    schedule torch scales the momentum buffer by the current rate, which is
    ``chain(add_decayed_weights(w), scale_by_rms(alpha, eps, eps_in_sqrt=False),
    trace(momentum), scale_by_learning_rate(schedule))``.

    Complex params: supported (second moments of |g|^2, so steps keep g's phase).

    Example:
        >>> import gradtx
        >>> opt = gradtx.rmsprop(learning_rate=1e-3, momentum=0.9)
    """
    if momentum is not None:
        check_decay("rmsprop", "momentum", momentum, none=True)
    precond = scale_by_stddev if centered else scale_by_rms
    head = () if weight_decay is None else (add_decayed_weights(weight_decay),)
    return chain(
        *head,
        precond(decay, eps, initial_scale, eps_in_sqrt, bias_correction),
        scale_by_learning_rate(learning_rate),
        trace(momentum, nesterov) if momentum is not None else identity(),
    )
