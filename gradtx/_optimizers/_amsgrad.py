"""Adam and its close family: AdamW, NAdam(W) (optax's and torch's), AMSGrad, Adamax(W)."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule
from gradtx._core._numerics import canonicalize_dtype, safe_increment, zero_count
from gradtx._core._validate import checks_float_params, validates_through_parts
from gradtx._optimizers._adam import check_adam_args
from gradtx._optimizers._weight_decay import check_weight_decay, with_weight_decay
from gradtx.tree_utils._construct import tree_zeros_like
from gradtx.tree_utils._moments import bias_correction_factor, moment_update
from gradtx.tree_utils._tree_math import abs_sq, zip_map


class ScaleByAmsgradState(NamedTuple):
    """State of ``scale_by_amsgrad``: count, ``mu``, ``nu`` and the running max ``nu_max``."""

    count: jax.Array
    mu: object
    nu: object
    nu_max: object


@checks_float_params
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
    check_adam_args("scale_by_amsgrad", b1, b2, eps, eps_root, mu_dtype)
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
            new_m = moment_update(m, g, b1)
            new_n = moment_update(n, abs_sq(g), b2)
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


@checks_float_params
@validates_through_parts
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
    weight_decay: ScalarOrSchedule | None = None,
    decoupled_weight_decay: bool = False,
) -> GradientTransformation:
    """AMSGrad: ``scale_by_amsgrad`` then the learning rate.

    torch.optim.Adam(amsgrad=True) keeps the max of the raw ``nu`` and debiases
    it afterwards: that is ``debias_after_max=True``. The default (optax) keeps
    the max of the debiased ``nu``.

    Complex params: supported (second moments of |g|^2, so steps keep g's phase).

    Args:
        debias_after_max: see ``scale_by_amsgrad``.
        weight_decay: None (the default) adds no decay term; else >= 0 (0 included,
            which keeps the term in the chain whatever the number's type);
            L2 regularisation added to the gradient first
            (torch.optim.Adam(amsgrad=True, weight_decay=w)).
        decoupled_weight_decay: add the decay after the direction instead
            (torch.optim.AdamW(amsgrad=True, weight_decay=w)).
    """
    check_weight_decay("amsgrad", weight_decay, decoupled_weight_decay)
    direction = scale_by_amsgrad(
        b1, b2, eps, eps_root, mu_dtype, bias_correction_mu, bias_correction_nu,
        debias_after_max=debias_after_max,
    )  # fmt: skip
    return with_weight_decay(direction, learning_rate, weight_decay, decoupled_weight_decay)
