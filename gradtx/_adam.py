"""Adam and its close family: AdamW, NAdam(W), AMSGrad, Adamax(W)."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from gradtx._base import GradientTransformation, ScalarOrSchedule, chain
from gradtx._masking import add_decayed_weights
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
) -> GradientTransformation:
    """Adam with the running maximum of the (debiased) second moment (AMSGrad).

    Update rule:
        mu_t, nu_t as in ``scale_by_adam``
        m_t = mu_t / (1 - b1^t)   (if bias_correction_mu)
        n_t = nu_t / (1 - b2^t)   (if bias_correction_nu)
        nu_max_t = max(nu_max_{t-1}, n_t)
        u_t = m_t / (sqrt(nu_max_t + eps_root) + eps)

    The non-increasing effective step fixes Adam's non-convergence example.
    Memory: three buffers per param.

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
            n_hat = new_n / c2.astype(new_n.dtype) if bias_correction_nu else new_n
            new_max = jnp.maximum(n_max, n_hat).astype(n_max.dtype)
            u = m_hat / (jnp.sqrt(new_max + eps_root) + eps)
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
) -> GradientTransformation:
    """Adam: ``scale_by_adam`` then ``scale_by_learning_rate``.

        p_t = p_{t-1} - learning_rate * m_t / (sqrt(n_t + eps_root) + eps)

    See ``scale_by_adam`` for the moments. Equals torch.optim.Adam with
    weight_decay=0 and the same betas and eps.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.adam(learning_rate=0.1)
        >>> params = {"w": jnp.array([1.0, -1.0])}
        >>> state = opt.init(params)
        >>> updates, state = opt.update(params, state)  # gradient of |w|^2/2
        >>> gradtx.apply_updates(params, updates)["w"]
        Array([ 0.9, -0.9], dtype=float32)
    """
    _check_adam_args("adam", b1, b2, eps, eps_root, mu_dtype, nu_dtype)
    check_learning_rate("adam", learning_rate)
    return chain(
        scale_by_adam(b1, b2, eps, eps_root, mu_dtype, nesterov=nesterov, nu_dtype=nu_dtype),
        scale_by_learning_rate(learning_rate),
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
) -> GradientTransformation:
    """NAdam: ``adam`` with Nesterov's look-ahead first moment (``nesterov=True``).

    This is Dozat's simplified form, as in optax; torch.optim.NAdam adds a
    momentum-decay schedule (``momentum_decay=4e-3``) on top.
    """
    _check_adam_args("nadam", b1, b2, eps, eps_root, mu_dtype, nu_dtype)
    check_learning_rate("nadam", learning_rate)
    return adam(learning_rate, b1, b2, eps, eps_root, mu_dtype, nesterov=nesterov, nu_dtype=nu_dtype)


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
) -> GradientTransformation:
    """NAdamW: ``adamw`` with ``nesterov=True``."""
    _check_adam_args("nadamw", b1, b2, eps, eps_root, mu_dtype, nu_dtype)
    check_learning_rate("nadamw", learning_rate)
    check_nonnegative("nadamw", "weight_decay", weight_decay)
    return adamw(
        learning_rate, b1, b2, eps, eps_root, mu_dtype, weight_decay, mask,
        nesterov=nesterov, nu_dtype=nu_dtype,
    )  # fmt: skip


def amsgrad(
    learning_rate: ScalarOrSchedule,
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.999,
    eps: float | jax.Array = 1e-8,
    eps_root: float | jax.Array = 0.0,
    mu_dtype=None,
    bias_correction_mu: bool = True,
    bias_correction_nu: bool = True,
) -> GradientTransformation:
    """AMSGrad: ``scale_by_amsgrad`` then the learning rate.

    torch.optim.Adam(amsgrad=True) keeps the max of the raw ``nu`` and debiases
    it afterwards; that is ``scale_by_amsgrad`` with the same result only when
    the max is attained at the current step. See the torch table in the README.
    """
    _check_adam_args("amsgrad", b1, b2, eps, eps_root, mu_dtype)
    check_learning_rate("amsgrad", learning_rate)
    return chain(
        scale_by_amsgrad(b1, b2, eps, eps_root, mu_dtype, bias_correction_mu, bias_correction_nu),
        scale_by_learning_rate(learning_rate),
    )


def adamax(
    learning_rate: ScalarOrSchedule,
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.999,
    eps: float | jax.Array = 1e-8,
) -> GradientTransformation:
    """Adamax: ``scale_by_adamax`` then the learning rate."""
    _check_adam_args("adamax", b1, b2, eps)
    check_learning_rate("adamax", learning_rate)
    return chain(scale_by_adamax(b1, b2, eps), scale_by_learning_rate(learning_rate))


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
