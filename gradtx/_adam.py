"""Adam and its close family: AdamW, NAdam(W) (optax's and torch's), AMSGrad, Adamax(W)."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from gradtx._base import GradientTransformation, ScalarOrSchedule, chain
from gradtx._coupling import check_weight_decay, with_weight_decay
from gradtx._masking import add_decayed_weights
from gradtx._nadam import scale_by_nadam
from gradtx._numerics import bias_correction_factor, canonicalize_dtype, safe_increment, zero_count
from gradtx._scaling import scale_by_learning_rate
from gradtx._tree import abs_sq, tree_zeros_like, zip_map
from gradtx._validate import check_decay, check_dtype, check_learning_rate, check_nonnegative


def _check_adam_args(fn, b1, b2, eps, eps_root=0.0, mu_dtype=None, nu_dtype=None):
    check_decay(fn, "b1", b1)
    check_decay(fn, "b2", b2)
    check_nonnegative(fn, "eps", eps)
    check_nonnegative(fn, "eps_root", eps_root)
    check_dtype(fn, "mu_dtype", mu_dtype)
    check_dtype(fn, "nu_dtype", nu_dtype)


class ScaleByAdamState(NamedTuple):
    """State of ``scale_by_adam``: count, first moment ``mu``, second moment ``nu``."""

    count: jax.Array
    mu: object
    nu: object


def scale_by_adam(
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.999,
    eps: float | jax.Array = 1e-8,
    eps_root: float | jax.Array = 0.0,
    mu_dtype=None,
    *,
    nesterov: bool = False,
    nu_dtype=None,
) -> GradientTransformation:
    """Scale by bias-corrected first moment over root of bias-corrected second moment.

    Update rule (t counts from 1):
        mu_t = b1 * mu_{t-1} + (1 - b1) * g_t
        nu_t = b2 * nu_{t-1} + (1 - b2) * g_t^2
        m_t  = mu_t / (1 - b1^t)
             or, with nesterov=True (NAdam),
             b1 * mu_t / (1 - b1^(t+1)) + (1 - b1) * g_t / (1 - b1^t)
        u_t  = m_t / (sqrt(nu_t / (1 - b2^t) + eps_root) + eps)

    Memory: two buffers per param (``mu_dtype``/``nu_dtype`` can make them
    bfloat16). The bias-correction factors are scalars computed once per step.

    Args:
        b1: first-moment decay in [0, 1).
        b2: second-moment decay in [0, 1).
        eps: >= 0, added outside the root.
        eps_root: >= 0, added inside the root (keeps gradients through the
            optimizer finite, for meta-learning).
        mu_dtype: dtype of ``mu``; None uses each param's dtype.
        nesterov: NAdam's look-ahead first moment.
        nu_dtype: dtype of ``nu``; None uses each param's dtype.

    Returns:
        The transformation; its state is ``ScaleByAdamState``.

    References:
        Kingma and Ba, Adam: A Method for Stochastic Optimization, ICLR 2015.
        Dozat, Incorporating Nesterov Momentum into Adam, ICLR workshop 2016.
    """
    _check_adam_args("scale_by_adam", b1, b2, eps, eps_root, mu_dtype, nu_dtype)
    mu_dtype, nu_dtype = canonicalize_dtype(mu_dtype), canonicalize_dtype(nu_dtype)

    def init(params):
        return ScaleByAdamState(
            count=zero_count(),
            mu=tree_zeros_like(params, mu_dtype),
            nu=tree_zeros_like(params, nu_dtype),
        )

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        count = safe_increment(state.count)
        c1 = bias_correction_factor(b1, count)
        c2 = bias_correction_factor(b2, count)
        c1_next = bias_correction_factor(b1, safe_increment(count)) if nesterov else None

        def leaf(g, m, n):
            new_m = ((1 - b1) * g + b1 * m).astype(m.dtype)
            new_n = ((1 - b2) * abs_sq(g) + b2 * n).astype(n.dtype)
            if nesterov:
                m_hat = b1 * (new_m / c1_next.astype(new_m.dtype)) + (1 - b1) * (
                    g / c1.astype(g.dtype)
                )
            else:
                m_hat = new_m / c1.astype(new_m.dtype)
            n_hat = new_n / c2.astype(new_n.dtype)
            u = m_hat / (jnp.sqrt(n_hat + eps_root) + eps)
            return u.astype(g.dtype), new_m, new_n

        updates, mu, nu = zip_map(
            "gradtx.scale_by_adam", leaf, 3, updates=updates, mu=state.mu, nu=state.nu
        )
        return updates, ScaleByAdamState(count=count, mu=mu, nu=nu)

    return GradientTransformation(init, update)


class ScaleByAmsgradState(NamedTuple):
    """State of ``scale_by_amsgrad``: count, ``mu``, ``nu`` and the running max ``nu_max``."""

    count: jax.Array
    mu: object
    nu: object
    nu_max: object


def scale_by_amsgrad(
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.999,
    eps: float | jax.Array = 1e-8,
    eps_root: float | jax.Array = 0.0,
    mu_dtype=None,
    bias_correction_mu: bool = True,
    bias_correction_nu: bool = True,
    *,
    debias_after_max: bool = False,
) -> GradientTransformation:
    """Adam with the running maximum of the (debiased) second moment (AMSGrad).

    Update rule:
        mu_t, nu_t as in ``scale_by_adam``
        m_t = mu_t / (1 - b1^t)   (if bias_correction_mu)
        n_t = nu_t / (1 - b2^t)   (if bias_correction_nu)
        nu_max_t = max(nu_max_{t-1}, n_t)
        u_t = m_t / (sqrt(nu_max_t + eps_root) + eps)
    or, with debias_after_max=True (torch.optim.Adam(amsgrad=True)):
        nu_max_t = max(nu_max_{t-1}, nu_t)          (the raw second moment)
        u_t = m_t / (sqrt(nu_max_t / (1 - b2^t) + eps_root) + eps)

    The non-increasing effective step fixes Adam's non-convergence example.
    The two forms differ once an old, less debiased maximum is kept. Memory:
    three buffers per param.

    Args:
        b1, b2, eps, eps_root, mu_dtype: as ``scale_by_adam``.
        bias_correction_mu: debias the first moment.
        bias_correction_nu: debias the second moment.
        debias_after_max: keep the maximum of the raw ``nu`` and debias it
            afterwards, as torch does; False (optax) keeps the maximum of the
            debiased ``nu``.

    Returns:
        The transformation; its state is ``ScaleByAmsgradState``.

    References:
        Reddi et al., On the Convergence of Adam and Beyond, ICLR 2018.
    """
    _check_adam_args("scale_by_amsgrad", b1, b2, eps, eps_root, mu_dtype)
    mu_dtype = canonicalize_dtype(mu_dtype)

    def init(params):
        return ScaleByAmsgradState(
            count=zero_count(),
            mu=tree_zeros_like(params, mu_dtype),
            nu=tree_zeros_like(params),
            nu_max=tree_zeros_like(params),
        )

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        count = safe_increment(state.count)
        c1 = bias_correction_factor(b1, count)
        c2 = bias_correction_factor(b2, count)

        def leaf(g, m, n, n_max):
            new_m = ((1 - b1) * g + b1 * m).astype(m.dtype)
            new_n = ((1 - b2) * abs_sq(g) + b2 * n).astype(n.dtype)
            m_hat = new_m / c1.astype(new_m.dtype) if bias_correction_mu else new_m
            if debias_after_max:
                new_max = jnp.maximum(n_max, new_n).astype(n_max.dtype)
                n_hat = new_max / c2.astype(new_max.dtype) if bias_correction_nu else new_max
            else:
                n_hat = new_n / c2.astype(new_n.dtype) if bias_correction_nu else new_n
                new_max = jnp.maximum(n_max, n_hat).astype(n_max.dtype)
                n_hat = new_max
            u = m_hat / (jnp.sqrt(n_hat + eps_root) + eps)
            return u.astype(g.dtype), new_m, new_n, new_max

        updates, mu, nu, nu_max = zip_map(
            "gradtx.scale_by_amsgrad",
            leaf,
            4,
            updates=updates,
            mu=state.mu,
            nu=state.nu,
            nu_max=state.nu_max,
        )
        return updates, ScaleByAmsgradState(count=count, mu=mu, nu=nu, nu_max=nu_max)

    return GradientTransformation(init, update)


class ScaleByAdamaxState(NamedTuple):
    """State of ``scale_by_adamax``: count, ``mu``, and the infinity norm ``nu``."""

    count: jax.Array
    mu: object
    nu: object


def scale_by_adamax(
    b1: float | jax.Array = 0.9, b2: float | jax.Array = 0.999, eps: float | jax.Array = 1e-8
) -> GradientTransformation:
    """Adam with the infinity norm in place of the second moment (Adamax).

    Update rule:
        mu_t = b1 * mu_{t-1} + (1 - b1) * g_t
        nu_t = max(b2 * nu_{t-1}, |g_t| + eps)
        u_t  = mu_t / ((1 - b1^t) * nu_t)

    (torch.optim.Adamax puts eps the same way: ``max(b2 * nu, |g| + eps)``.)

    Returns:
        The transformation; its state is ``ScaleByAdamaxState``.

    References:
        Kingma and Ba, Adam: A Method for Stochastic Optimization, ICLR 2015, sec. 7.1.
    """
    _check_adam_args("scale_by_adamax", b1, b2, eps)

    def init(params):
        return ScaleByAdamaxState(
            count=zero_count(), mu=tree_zeros_like(params), nu=tree_zeros_like(params)
        )

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        count = safe_increment(state.count)
        c1 = bias_correction_factor(b1, count)

        def leaf(g, m, n):
            new_m = ((1 - b1) * g + b1 * m).astype(m.dtype)
            new_n = jnp.maximum(b2 * n, jnp.abs(g) + eps).astype(n.dtype)
            u = (new_m / c1.astype(new_m.dtype)) / new_n
            return u.astype(g.dtype), new_m, new_n

        updates, mu, nu = zip_map(
            "gradtx.scale_by_adamax", leaf, 3, updates=updates, mu=state.mu, nu=state.nu
        )
        return updates, ScaleByAdamaxState(count=count, mu=mu, nu=nu)

    return GradientTransformation(init, update)


def adam(
    learning_rate: ScalarOrSchedule,
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.999,
    eps: float | jax.Array = 1e-8,
    eps_root: float | jax.Array = 0.0,
    mu_dtype=None,
    *,
    nesterov: bool = False,
    nu_dtype=None,
    weight_decay: ScalarOrSchedule = 0.0,
    decoupled_weight_decay: bool = False,
) -> GradientTransformation:
    """Adam: ``scale_by_adam`` then ``scale_by_learning_rate``.

        p_t = p_{t-1} - learning_rate * m_t / (sqrt(n_t + eps_root) + eps)

    See ``scale_by_adam`` for the moments. Equals torch.optim.Adam with the
    same betas, eps, ``weight_decay`` and ``decoupled_weight_decay``.

    Args:
        weight_decay: >= 0. By default L2 regularisation as in
            torch.optim.Adam: ``weight_decay * p`` is added to the gradient, so
            it enters the moments (``add_decayed_weights`` before
            ``scale_by_adam``). Not to be confused with ``adamw``'s decoupled decay.
        decoupled_weight_decay: add the decay after ``scale_by_adam`` instead,
            which makes this ``adamw`` (torch.optim.Adam(decoupled_weight_decay=True)).

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.adam(learning_rate=0.1)
        >>> params = {"w": jnp.array([1.0, -1.0])}
        >>> state = opt.init(params)
        >>> updates, state = opt.update(params, state)  # gradient of |w|^2/2
        >>> gradtx.apply_updates(params, updates)["w"].round(4)  # first step: lr * sign(g)
        Array([ 0.9, -0.9], dtype=float32)
    """
    _check_adam_args("adam", b1, b2, eps, eps_root, mu_dtype, nu_dtype)
    check_learning_rate("adam", learning_rate)
    check_weight_decay("adam", weight_decay, decoupled_weight_decay)
    return with_weight_decay(
        scale_by_adam(b1, b2, eps, eps_root, mu_dtype, nesterov=nesterov, nu_dtype=nu_dtype),
        learning_rate,
        weight_decay,
        decoupled_weight_decay,
    )


def adamw(
    learning_rate: ScalarOrSchedule,
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.999,
    eps: float | jax.Array = 1e-8,
    eps_root: float | jax.Array = 0.0,
    mu_dtype=None,
    weight_decay: ScalarOrSchedule = 1e-4,
    mask=None,
    *,
    nesterov: bool = False,
    nu_dtype=None,
) -> GradientTransformation:
    """Adam with decoupled weight decay: ``scale_by_adam``, ``add_decayed_weights``,
    then the learning rate.

        p_t = p_{t-1} - learning_rate * (m_t / (sqrt(n_t + eps_root) + eps) + weight_decay * p_{t-1})

    The decay is multiplied by the learning rate, as in torch.optim.AdamW.

    References:
        Loshchilov and Hutter, Decoupled Weight Decay Regularization, ICLR 2019.
    """
    _check_adam_args("adamw", b1, b2, eps, eps_root, mu_dtype, nu_dtype)
    check_learning_rate("adamw", learning_rate)
    check_nonnegative("adamw", "weight_decay", weight_decay)
    return chain(
        scale_by_adam(b1, b2, eps, eps_root, mu_dtype, nesterov=nesterov, nu_dtype=nu_dtype),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )


def nadam(
    learning_rate: ScalarOrSchedule,
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.999,
    eps: float | jax.Array = 1e-8,
    eps_root: float | jax.Array = 0.0,
    mu_dtype=None,
    *,
    nesterov: bool = True,
    nu_dtype=None,
    momentum_decay: float | jax.Array | None = None,
    weight_decay: ScalarOrSchedule = 0.0,
    decoupled_weight_decay: bool = False,
) -> GradientTransformation:
    """NAdam: ``adam`` with Nesterov's look-ahead first moment (``nesterov=True``).

    By default this is Dozat's simplified form, as in optax. With
    ``momentum_decay`` it is torch.optim.NAdam: ``scale_by_nadam`` (the
    momentum-decay schedule) replaces ``scale_by_adam``.

    Args:
        momentum_decay: None (optax's NAdam) or >= 0, torch's ``momentum_decay``
            (torch's default is 4e-3). Needs ``nesterov=True``.
        weight_decay: >= 0; L2 regularisation added to the gradient first
            (torch.optim.NAdam's ``weight_decay``).
        decoupled_weight_decay: add the decay after the direction instead
            (torch's ``decoupled_weight_decay=True``, NAdamW).
    """
    _check_adam_args("nadam", b1, b2, eps, eps_root, mu_dtype, nu_dtype)
    check_learning_rate("nadam", learning_rate)
    check_weight_decay("nadam", weight_decay, decoupled_weight_decay)
    direction = _nadam_direction(
        "nadam", b1, b2, eps, eps_root, mu_dtype, nesterov, nu_dtype, momentum_decay
    )
    return with_weight_decay(direction, learning_rate, weight_decay, decoupled_weight_decay)


def _nadam_direction(fn, b1, b2, eps, eps_root, mu_dtype, nesterov, nu_dtype, momentum_decay):
    if momentum_decay is None:
        return scale_by_adam(b1, b2, eps, eps_root, mu_dtype, nesterov=nesterov, nu_dtype=nu_dtype)
    check_nonnegative(fn, "momentum_decay", momentum_decay)
    if not nesterov:
        raise ValueError(
            f"gradtx.{fn}(nesterov=False, momentum_decay={momentum_decay!r}): the momentum "
            "schedule is part of the Nesterov form; use nesterov=True, or "
            "momentum_decay=None for Adam."
        )
    return scale_by_nadam(
        b1, b2, eps, momentum_decay, eps_root=eps_root, mu_dtype=mu_dtype, nu_dtype=nu_dtype
    )


def nadamw(
    learning_rate: ScalarOrSchedule,
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.999,
    eps: float | jax.Array = 1e-8,
    eps_root: float | jax.Array = 0.0,
    mu_dtype=None,
    weight_decay: ScalarOrSchedule = 1e-4,
    mask=None,
    *,
    nesterov: bool = True,
    nu_dtype=None,
    momentum_decay: float | jax.Array | None = None,
) -> GradientTransformation:
    """NAdamW: ``adamw`` with ``nesterov=True``.

    With ``momentum_decay`` (see ``nadam``) it is
    torch.optim.NAdam(weight_decay=w, decoupled_weight_decay=True).
    """
    _check_adam_args("nadamw", b1, b2, eps, eps_root, mu_dtype, nu_dtype)
    check_learning_rate("nadamw", learning_rate)
    check_nonnegative("nadamw", "weight_decay", weight_decay)
    if momentum_decay is None:
        return adamw(
            learning_rate, b1, b2, eps, eps_root, mu_dtype, weight_decay, mask,
            nesterov=nesterov, nu_dtype=nu_dtype,
        )  # fmt: skip
    direction = _nadam_direction(
        "nadamw", b1, b2, eps, eps_root, mu_dtype, nesterov, nu_dtype, momentum_decay
    )
    return chain(
        direction,
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )


def amsgrad(
    learning_rate: ScalarOrSchedule,
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.999,
    eps: float | jax.Array = 1e-8,
    eps_root: float | jax.Array = 0.0,
    mu_dtype=None,
    bias_correction_mu: bool = True,
    bias_correction_nu: bool = True,
    *,
    debias_after_max: bool = False,
    weight_decay: ScalarOrSchedule = 0.0,
    decoupled_weight_decay: bool = False,
) -> GradientTransformation:
    """AMSGrad: ``scale_by_amsgrad`` then the learning rate.

    torch.optim.Adam(amsgrad=True) keeps the max of the raw ``nu`` and debiases
    it afterwards: that is ``debias_after_max=True``. The default (optax) keeps
    the max of the debiased ``nu``.

    Args:
        debias_after_max: see ``scale_by_amsgrad``.
        weight_decay: >= 0; L2 regularisation added to the gradient first
            (torch.optim.Adam(amsgrad=True, weight_decay=w)).
        decoupled_weight_decay: add the decay after the direction instead
            (torch.optim.AdamW(amsgrad=True, weight_decay=w)).
    """
    _check_adam_args("amsgrad", b1, b2, eps, eps_root, mu_dtype)
    check_learning_rate("amsgrad", learning_rate)
    check_weight_decay("amsgrad", weight_decay, decoupled_weight_decay)
    direction = scale_by_amsgrad(
        b1, b2, eps, eps_root, mu_dtype, bias_correction_mu, bias_correction_nu,
        debias_after_max=debias_after_max,
    )  # fmt: skip
    return with_weight_decay(direction, learning_rate, weight_decay, decoupled_weight_decay)


def adamax(
    learning_rate: ScalarOrSchedule,
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.999,
    eps: float | jax.Array = 1e-8,
    *,
    weight_decay: ScalarOrSchedule = 0.0,
) -> GradientTransformation:
    """Adamax: ``scale_by_adamax`` then the learning rate.

    torch.optim.Adamax(lr, betas, eps, weight_decay) is
    ``adamax(lr, b1, b2, eps, weight_decay=weight_decay)``: both put eps inside
    the max.

    Args:
        weight_decay: >= 0; L2 regularisation added to the gradient first.
    """
    _check_adam_args("adamax", b1, b2, eps)
    check_learning_rate("adamax", learning_rate)
    check_nonnegative("adamax", "weight_decay", weight_decay)
    return with_weight_decay(
        scale_by_adamax(b1, b2, eps), learning_rate, weight_decay, decoupled=False
    )


def adamaxw(
    learning_rate: ScalarOrSchedule,
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.999,
    eps: float | jax.Array = 1e-8,
    weight_decay: ScalarOrSchedule = 1e-4,
    mask=None,
) -> GradientTransformation:
    """Adamax with decoupled weight decay, as ``adamw`` is to ``adam``."""
    _check_adam_args("adamaxw", b1, b2, eps)
    check_learning_rate("adamaxw", learning_rate)
    check_nonnegative("adamaxw", "weight_decay", weight_decay)
    return chain(
        scale_by_adamax(b1, b2, eps),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )
