"""Rectified Adam (RAdam), with optax's numerics and torch.optim.RAdam's variant."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule
from gradtx._core._numerics import (
    debiased_first_moment,
    default_float_dtype,
    safe_increment,
    zero_count,
)
from gradtx._core._validate import (
    check_decay,
    check_nonnegative,
    check_range,
    checks_float_params,
    reported_as,
    validates_through_parts,
)
from gradtx._optimizers._adam import ScaleByAdamState
from gradtx._optimizers._weight_decay import check_weight_decay, with_weight_decay
from gradtx.tree_utils._construct import tree_zeros_like
from gradtx.tree_utils._moments import bias_correction_factor, moment_update
from gradtx.tree_utils._tree_math import abs_sq, zip_map


def _check_bool(fn: str, name: str, value) -> None:
    if not isinstance(value, bool):
        raise TypeError(
            f"gradtx.{reported_as(fn)}({name}={value!r}): {name} must be a bool; got {type(value).__name__}."
        )


def _check_radam_args(fn, b1, b2, eps, eps_root, threshold, nesterov, strict, eps_before):
    check_decay(fn, "b1", b1)
    check_decay(fn, "b2", b2)
    check_nonnegative(fn, "eps", eps)
    check_nonnegative(fn, "eps_root", eps_root)
    check_range(fn, "threshold", threshold)  # rejects NaN only; any real is meaningful
    _check_bool(fn, "nesterov", nesterov)
    _check_bool(fn, "strict_threshold", strict)
    _check_bool(fn, "eps_before_debias", eps_before)


def radam_rho(b2, count: jax.Array) -> jax.Array:
    """The length of the approximated SMA, ``rho_t``, at step ``count`` (from 1)."""
    count = count.astype(default_float_dtype())
    rho_inf = 2.0 / (1.0 - b2) - 1.0
    b2t = b2**count
    return rho_inf - 2 * count * b2t / (1 - b2t)


@checks_float_params
def scale_by_radam(
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.999,
    eps: float | jax.Array = 1e-8,
    eps_root: float | jax.Array = 0.0,
    threshold: float | jax.Array = 5.0,
    *,
    nesterov: bool = False,
    strict_threshold: bool = False,
    eps_before_debias: bool = False,
) -> GradientTransformation:
    """Scale by Adam's direction rectified for the variance of its adaptive step (RAdam).

    Early on, ``nu`` rests on few samples and Adam's per-coordinate step has a
    large variance. RAdam takes plain (debiased) momentum steps until the
    length ``rho_t`` of the approximated simple moving average passes
    ``threshold``, then Adam steps multiplied by the rectification ``r_t < 1``.
    This removes the need for a learning-rate warmup. Memory: two buffers.

    Update rule (t counts from 1):
        mu_t    = b1 * mu_{t-1} + (1 - b1) * g_t
        nu_t    = b2 * nu_{t-1} + (1 - b2) * g_t^2
        m_t     = mu_t / (1 - b1^t)
                  or, nesterov=True: b1 * mu_t / (1 - b1^(t+1)) + (1 - b1) * g_t / (1 - b1^t)
        rho_inf = 2 / (1 - b2) - 1
        rho_t   = rho_inf - 2 t b2^t / (1 - b2^t)
        r_t     = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
        u_t     = r_t * m_t / (sqrt(nu_t / (1 - b2^t) + eps_root) + eps)   if rho_t >= threshold
        u_t     = m_t                                                     otherwise
    Options for torch.optim.RAdam's exact rule:
        strict_threshold=True:  rectify when rho_t > threshold (torch), not >= (optax)
        eps_before_debias=True: u_t = r_t * m_t * sqrt(1 - b2^t) / (sqrt(nu_t + eps_root) + eps)
                                (eps added to the root of the raw nu, as torch does)

    Args:
        b1: first-moment decay in [0, 1).
        b2: second-moment decay in [0, 1).
        eps: >= 0, added outside the root.
        eps_root: >= 0, added inside the root.
        threshold: rectify from the first step where rho_t reaches it (optax
            and torch use 5; the paper's rule is rho_t > 4).
        nesterov: Nesterov's look-ahead first moment, as ``scale_by_adam``.
        strict_threshold: compare with ``>`` instead of ``>=`` (torch).
        eps_before_debias: put eps next to the raw root, see above (torch).

    Returns:
        The transformation; its state is ``ScaleByAdamState``, as in optax.

    Raises:
        ValueError: for out-of-range concrete hyperparameters.

    References:
        Liu et al., On the Variance of the Adaptive Learning Rate and Beyond,
        ICLR 2020, https://arxiv.org/abs/1908.03265, Algorithm 2.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.scale_by_radam()
        >>> u, _ = tx.update(jnp.array([2.0, -4.0]), tx.init(jnp.zeros(2)))
        >>> # rho_1 = 1 < 5: the first steps are the debiased momentum, here g itself
        >>> bool(jnp.allclose(u, jnp.array([2.0, -4.0])))
        True
    """
    _check_radam_args(
        "scale_by_radam", b1, b2, eps, eps_root, threshold, nesterov,
        strict_threshold, eps_before_debias,
    )  # fmt: skip
    rho_inf = 2.0 / (1.0 - b2) - 1.0

    def init(params):
        return ScaleByAdamState(
            count=zero_count(), mu=tree_zeros_like(params), nu=tree_zeros_like(params)
        )

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        count = safe_increment(state.count)
        rho = radam_rho(b2, count)
        rectify = rho > threshold if strict_threshold else rho >= threshold
        # r is only used where rectify holds; elsewhere rho_inf keeps it finite.
        rho_r = jnp.where(rectify, rho, rho_inf)
        r = jnp.sqrt(
            (rho_r - 4.0) * (rho_r - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_r)
        )
        c1 = bias_correction_factor(b1, count)
        c2 = bias_correction_factor(b2, count)
        c1_next = bias_correction_factor(b1, safe_increment(count)) if nesterov else None

        def leaf(g, m, n):
            new_m = moment_update(m, g, b1)
            new_n = moment_update(n, abs_sq(g), b2)
            m_hat = debiased_first_moment(new_m, g, b1, c1, c1_next)
            if eps_before_debias:
                scale = jnp.sqrt(c2).astype(new_n.dtype) / (jnp.sqrt(new_n + eps_root) + eps)
                adapted = r.astype(m_hat.dtype) * m_hat * scale
            else:
                n_hat = new_n / c2.astype(new_n.dtype)
                adapted = r.astype(m_hat.dtype) * m_hat / (jnp.sqrt(n_hat + eps_root) + eps)
            u = jnp.where(rectify, adapted, m_hat)
            return u.astype(g.dtype), new_m, new_n

        updates, mu, nu = zip_map(
            "gradtx.scale_by_radam", leaf, 3, updates=updates, mu=state.mu, nu=state.nu
        )
        return updates, ScaleByAdamState(count=count, mu=mu, nu=nu)

    return GradientTransformation(init, update)


@checks_float_params
@validates_through_parts
def radam(
    learning_rate: ScalarOrSchedule,
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.999,
    eps: float | jax.Array = 1e-8,
    eps_root: float | jax.Array = 0.0,
    threshold: float | jax.Array = 5.0,
    *,
    nesterov: bool = False,
    strict_threshold: bool = False,
    eps_before_debias: bool = False,
    weight_decay: ScalarOrSchedule | None = None,
    decoupled_weight_decay: bool = False,
) -> GradientTransformation:
    """RAdam: ``scale_by_radam`` then ``scale_by_learning_rate``, optionally with weight decay.

        p_t = p_{t-1} - learning_rate * u_t        (u_t from ``scale_by_radam``)

    torch.optim.RAdam(lr, betas=(b1, b2), eps, weight_decay, decoupled_weight_decay)
    is ``radam(lr, b1, b2, eps, strict_threshold=True, eps_before_debias=True,
    weight_decay=weight_decay, decoupled_weight_decay=decoupled_weight_decay)``.

    Complex params: supported (second moments of |g|^2, so steps keep g's phase).

    Args:
        learning_rate: non-negative number, array or schedule.
        b1, b2, eps, eps_root, threshold, nesterov, strict_threshold, eps_before_debias: see
            ``scale_by_radam``.
        weight_decay: None (the default) adds no decay term; else >= 0 (0 included,
            which keeps the term in the chain whatever the number's type).
            L2 regularisation added to the gradient first
            (torch's default), or decoupled (see below).
        decoupled_weight_decay: add ``weight_decay * p`` after the direction, so
            the step is ``-learning_rate * (u_t + weight_decay * p)`` (RAdamW).

    Returns:
        The optimizer (a chain).

    Example:
        >>> import gradtx
        >>> opt = gradtx.radam(learning_rate=1e-3)
    """
    check_weight_decay("radam", weight_decay, decoupled_weight_decay)
    direction = scale_by_radam(
        b1, b2, eps, eps_root, threshold, nesterov=nesterov,
        strict_threshold=strict_threshold, eps_before_debias=eps_before_debias,
    )  # fmt: skip
    return with_weight_decay(direction, learning_rate, weight_decay, decoupled_weight_decay)
