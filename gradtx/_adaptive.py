"""Per-coordinate adaptive scaling: AdaGrad, RMSProp (plain and centered), Adadelta."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from gradtx._base import GradientTransformation, ScalarOrSchedule, chain, identity
from gradtx._coupling import (
    as_scalar,
    is_python_zero,
    scalar_dtype,
    with_weight_decay,
)
from gradtx._masking import add_decayed_weights
from gradtx._momentum import trace
from gradtx._numerics import bias_correction_factor, safe_increment, zero_count
from gradtx._scaling import learning_rate_or_identity, scale_by_learning_rate
from gradtx._tree import abs_sq, tree_full_like, tree_zeros_like, zip_map
from gradtx._validate import check_decay, check_learning_rate, check_nonnegative


class ScaleByRssState(NamedTuple):
    """State of ``scale_by_rss``: step count and the running sum of squares ``nu``."""

    count: jax.Array
    nu: object


def scale_by_rss(
    initial_accumulator_value: float | jax.Array = 0.1,
    eps: float | jax.Array = 1e-7,
    *,
    eps_in_sqrt: bool = True,
) -> GradientTransformation:
    """Divide by the root of the sum of all past squared gradients (AdaGrad).

    Update rule:
        nu_t = nu_{t-1} + g_t^2,   nu_0 = initial_accumulator_value
        u_t  = g_t / sqrt(nu_t + eps)     (eps_in_sqrt=True; 0 where nu_t = 0)
        u_t  = g_t / (sqrt(nu_t) + eps)   (eps_in_sqrt=False, as torch.optim.Adagrad;
                                           0 where nu_t = 0)

    Coordinates that saw large gradients take smaller steps; the effective step
    only shrinks, which suits convex and sparse problems. Memory: one buffer.

    Args:
        initial_accumulator_value: starting value of ``nu``, >= 0.
        eps: >= 0, added inside the root (or outside, see ``eps_in_sqrt``).
        eps_in_sqrt: where eps goes, see above. torch uses False with eps=1e-10.

    Returns:
        The transformation; its state is ``ScaleByRssState``.

    References:
        Duchi et al., Adaptive Subgradient Methods for Online Learning and Stochastic
        Optimization, JMLR 2011.
    """
    check_nonnegative("scale_by_rss", "initial_accumulator_value", initial_accumulator_value)
    check_nonnegative("scale_by_rss", "eps", eps)

    def init(params):
        return ScaleByRssState(
            count=zero_count(), nu=tree_full_like(params, initial_accumulator_value)
        )

    def update(updates, state, params=None, **extra_args):
        del params, extra_args

        def leaf(g, n):
            new_n = (n + abs_sq(g)).astype(n.dtype)
            if eps_in_sqrt:
                u = jnp.where(new_n > 0, jax.lax.rsqrt(new_n + eps), 0.0) * g
            else:
                # nu_t = 0 forces g_t = 0; the guard only avoids 0 / 0 when eps = 0.
                u = jnp.where(new_n > 0, g / (jnp.sqrt(new_n) + eps), 0.0)
            return u.astype(g.dtype), new_n

        updates, nu = zip_map("gradtx.scale_by_rss", leaf, 2, updates=updates, nu=state.nu)
        return updates, ScaleByRssState(count=safe_increment(state.count), nu=nu)

    return GradientTransformation(init, update)


class ScaleByRmsState(NamedTuple):
    """State of ``scale_by_rms``: step count and the EMA of squared gradients ``nu``."""

    count: jax.Array
    nu: object


def _rms_scale(g, n, eps, eps_in_sqrt):
    if eps_in_sqrt:
        return g * jax.lax.rsqrt(n + eps)
    return g / (jnp.sqrt(n) + eps)


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
            new_n = ((1 - decay) * abs_sq(g) + decay * n).astype(n.dtype)
            n_hat = new_n / corr.astype(new_n.dtype) if bias_correction else new_n
            return _rms_scale(g, n_hat, eps, eps_in_sqrt).astype(g.dtype), new_n

        updates, nu = zip_map("gradtx.scale_by_rms", leaf, 2, updates=updates, nu=state.nu)
        return updates, ScaleByRmsState(count=count, nu=nu)

    return GradientTransformation(init, update)


class ScaleByStddevState(NamedTuple):
    """State of ``scale_by_stddev``: count, EMA of gradients ``mu`` and of squares ``nu``."""

    count: jax.Array
    mu: object
    nu: object


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
        The transformation; its state is ``ScaleByStddevState``.

    References:
        Graves, Generating Sequences With Recurrent Neural Networks, 2013, eq. 38-45.
    """
    check_decay("scale_by_stddev", "decay", decay)
    check_nonnegative("scale_by_stddev", "eps", eps)
    check_nonnegative("scale_by_stddev", "initial_scale", initial_scale)

    def init(params):
        return ScaleByStddevState(
            count=zero_count(),
            mu=tree_zeros_like(params),
            nu=tree_full_like(params, initial_scale),
        )

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        count = safe_increment(state.count)
        corr = bias_correction_factor(decay, count) if bias_correction else None

        def leaf(g, m, n):
            new_m = ((1 - decay) * g + decay * m).astype(m.dtype)
            new_n = ((1 - decay) * abs_sq(g) + decay * n).astype(n.dtype)
            m_hat, n_hat = new_m, new_n
            if bias_correction:
                m_hat = new_m / corr.astype(new_m.dtype)
                n_hat = new_n / corr.astype(new_n.dtype)
            u = _rms_scale(g, n_hat - abs_sq(m_hat), eps, eps_in_sqrt)
            return u.astype(g.dtype), new_m, new_n

        updates, mu, nu = zip_map(
            "gradtx.scale_by_stddev", leaf, 3, updates=updates, mu=state.mu, nu=state.nu
        )
        return updates, ScaleByStddevState(count=count, mu=mu, nu=nu)

    return GradientTransformation(init, update)


class ScaleByAdadeltaState(NamedTuple):
    """State of ``scale_by_adadelta``: count, EMA of squared gradients ``nu`` and of
    squared steps ``nu_delta``."""

    count: jax.Array
    nu: object
    nu_delta: object


def scale_by_adadelta(
    rho: float | jax.Array = 0.9, eps: float | jax.Array = 1e-6
) -> GradientTransformation:
    """Scale by the ratio of RMS past steps to RMS past gradients (Adadelta).

    Update rule:
        nu_t       = rho * nu_{t-1} + (1 - rho) * g_t^2
        u_t        = sqrt(nu_delta_{t-1} + eps) / sqrt(nu_t + eps) * g_t
        nu_delta_t = rho * nu_delta_{t-1} + (1 - rho) * u_t^2

    The ratio has the units of the params, so no learning rate is needed in
    principle. Memory: two buffers.

    Args:
        rho: decay in [0, 1).
        eps: > 0 in practice; with eps = 0 the first step is 0.

    Returns:
        The transformation; its state is ``ScaleByAdadeltaState``.

    References:
        Zeiler, ADADELTA: An Adaptive Learning Rate Method, 2012, Algorithm 1.
    """
    check_decay("scale_by_adadelta", "rho", rho)
    check_nonnegative("scale_by_adadelta", "eps", eps)

    def init(params):
        return ScaleByAdadeltaState(
            count=zero_count(), nu=tree_zeros_like(params), nu_delta=tree_zeros_like(params)
        )

    def update(updates, state, params=None, **extra_args):
        del params, extra_args

        def leaf(g, n, d):
            new_n = ((1 - rho) * abs_sq(g) + rho * n).astype(n.dtype)
            u = jnp.sqrt(d + eps) / jnp.sqrt(new_n + eps) * g
            new_d = ((1 - rho) * abs_sq(u) + rho * d).astype(d.dtype)
            return u.astype(g.dtype), new_n, new_d

        updates, nu, nu_delta = zip_map(
            "gradtx.scale_by_adadelta",
            leaf,
            3,
            updates=updates,
            nu=state.nu,
            nu_delta=state.nu_delta,
        )
        return updates, ScaleByAdadeltaState(
            count=safe_increment(state.count), nu=nu, nu_delta=nu_delta
        )

    return GradientTransformation(init, update)


def adagrad(
    learning_rate: ScalarOrSchedule,
    initial_accumulator_value: float | jax.Array = 0.1,
    eps: float | jax.Array = 1e-7,
    *,
    eps_in_sqrt: bool = True,
    lr_decay: float | jax.Array = 0.0,
    weight_decay: ScalarOrSchedule = 0.0,
) -> GradientTransformation:
    """AdaGrad: optional L2 term, ``scale_by_rss``, then the (decaying) learning rate.

        g'_t = g_t + weight_decay * p_{t-1}
        nu_t = nu_{t-1} + g'_t^2
        p_t  = p_{t-1} - learning_rate / (1 + (t - 1) * lr_decay) * g'_t / sqrt(nu_t + eps)

    torch.optim.Adagrad(lr, lr_decay, weight_decay, initial_accumulator_value, eps)
    is ``adagrad(lr, initial_accumulator_value, eps, eps_in_sqrt=False,
    lr_decay=lr_decay, weight_decay=weight_decay)``; mind torch's defaults
    (initial_accumulator_value=0, eps=1e-10).

    Args:
        learning_rate: non-negative number, array or schedule.
        initial_accumulator_value: starting value of ``nu``, >= 0.
        eps: >= 0.
        eps_in_sqrt: see ``scale_by_rss``; False puts eps outside the root (torch).
        lr_decay: >= 0; the step t uses ``learning_rate / (1 + (t - 1) * lr_decay)``
            (a schedule's value at step t is divided the same way).
        weight_decay: >= 0; L2 regularisation added to the gradient first.

    Example:
        >>> import gradtx
        >>> opt = gradtx.adagrad(learning_rate=0.1)
    """
    check_learning_rate("adagrad", learning_rate)
    check_nonnegative("adagrad", "initial_accumulator_value", initial_accumulator_value)
    check_nonnegative("adagrad", "eps", eps)
    check_nonnegative("adagrad", "lr_decay", lr_decay)
    check_nonnegative("adagrad", "weight_decay", weight_decay)
    rss = scale_by_rss(initial_accumulator_value, eps, eps_in_sqrt=eps_in_sqrt)
    if not is_python_zero(lr_decay):
        learning_rate = _decayed_learning_rate(learning_rate, lr_decay)
    return with_weight_decay(rss, learning_rate, weight_decay, decoupled=False)


def _decayed_learning_rate(learning_rate, lr_decay):
    """The schedule ``count -> learning_rate(count) / (1 + count * lr_decay)``."""

    def schedule(count):
        lr = learning_rate(count) if callable(learning_rate) else learning_rate
        c = count.astype(scalar_dtype())
        return as_scalar(lr) / (1 + c * lr_decay)

    return schedule


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
    weight_decay: ScalarOrSchedule = 0.0,
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

    Example:
        >>> import gradtx
        >>> opt = gradtx.rmsprop(learning_rate=1e-3, momentum=0.9)
    """
    check_learning_rate("rmsprop", learning_rate)
    check_decay("rmsprop", "decay", decay)
    check_nonnegative("rmsprop", "eps", eps)
    check_nonnegative("rmsprop", "initial_scale", initial_scale)
    if momentum is not None:
        check_decay("rmsprop", "momentum", momentum)
    check_nonnegative("rmsprop", "weight_decay", weight_decay)
    precond = scale_by_stddev if centered else scale_by_rms
    head = () if is_python_zero(weight_decay) else (add_decayed_weights(weight_decay),)
    return chain(
        *head,
        precond(decay, eps, initial_scale, eps_in_sqrt, bias_correction),
        scale_by_learning_rate(learning_rate),
        trace(momentum, nesterov) if momentum is not None else identity(),
    )


def adadelta(
    learning_rate: ScalarOrSchedule | None = None,
    rho: float | jax.Array = 0.9,
    eps: float | jax.Array = 1e-6,
    weight_decay: ScalarOrSchedule = 0.0,
    weight_decay_mask=None,
) -> GradientTransformation:
    """Adadelta: optional L2 term, ``scale_by_adadelta``, then the learning rate.

        g'_t = g_t + weight_decay * p_t;   p_t = p_{t-1} - learning_rate * u_t

    ``learning_rate=None`` means 1.0, the paper's method. (optax's None skips the
    sign flip, which makes the step ascend; gradtx always descends.)
    torch.optim.Adadelta(lr=1.0, rho=0.9, eps=1e-6) is ``adadelta(1.0, 0.9, 1e-6)``.

    Example:
        >>> import gradtx
        >>> opt = gradtx.adadelta(learning_rate=1.0)
    """
    check_decay("adadelta", "rho", rho)
    check_nonnegative("adadelta", "eps", eps)
    check_nonnegative("adadelta", "weight_decay", weight_decay)
    return chain(
        add_decayed_weights(weight_decay, mask=weight_decay_mask),
        scale_by_adadelta(rho, eps),
        learning_rate_or_identity("adadelta", learning_rate),
    )
