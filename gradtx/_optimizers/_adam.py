"""Adam and its close family: AdamW, NAdam(W) (optax's and torch's), AMSGrad, Adamax(W)."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain
from gradtx._core._numerics import (
    canonicalize_dtype,
    debiased_first_moment,
    promoted,
    safe_increment,
    zero_count,
)
from gradtx._core._validate import (
    check_decay,
    check_dtype,
    check_nonnegative,
    checks_float_params,
    validates_through_parts,
)
from gradtx._optimizers._weight_decay import check_weight_decay, with_weight_decay
from gradtx.transforms._scaling import scale_by_learning_rate
from gradtx.transforms._weight_decay import add_decayed_weights
from gradtx.tree_utils._construct import tree_zeros_like
from gradtx.tree_utils._moments import bias_correction_factor, moment_update
from gradtx.tree_utils._tree_math import abs_sq, zip_map


def check_adam_args(fn, b1, b2, eps, eps_root=0.0, mu_dtype=None, nu_dtype=None):
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


@checks_float_params
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
    check_adam_args("scale_by_adam", b1, b2, eps, eps_root, mu_dtype, nu_dtype)
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
            new_m = moment_update(m, g, b1)
            new_n = moment_update(n, abs_sq(g), b2)
            m_hat = debiased_first_moment(new_m, g, b1, c1, c1_next)
            n_hat = new_n / c2.astype(new_n.dtype)
            denom = promoted(jnp.add, jnp.sqrt(promoted(jnp.add, n_hat, eps_root)), eps)
            u = promoted(jnp.divide, m_hat, denom)
            return u.astype(g.dtype), new_m, new_n

        updates, mu, nu = zip_map(
            "gradtx.scale_by_adam", leaf, 3, updates=updates, mu=state.mu, nu=state.nu
        )
        return updates, ScaleByAdamState(count=count, mu=mu, nu=nu)

    return GradientTransformation(init, update)


@checks_float_params
@validates_through_parts
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
    weight_decay: ScalarOrSchedule | None = None,
    decoupled_weight_decay: bool = False,
) -> GradientTransformation:
    """Adam: ``scale_by_adam`` then ``scale_by_learning_rate``.

        p_t = p_{t-1} - learning_rate * m_t / (sqrt(n_t + eps_root) + eps)

    See ``scale_by_adam`` for the moments. Equals torch.optim.Adam with the
    same betas, eps, ``weight_decay`` and ``decoupled_weight_decay``.

    Complex params: supported (second moments of |g|^2, so steps keep g's phase).

    Args:
        weight_decay: None (the default) adds no decay term; else >= 0 (0 included,
            which keeps the term in the chain whatever the number's type).
            By default L2 regularisation as in
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
    check_weight_decay("adam", weight_decay, decoupled_weight_decay)
    return with_weight_decay(
        scale_by_adam(b1, b2, eps, eps_root, mu_dtype, nesterov=nesterov, nu_dtype=nu_dtype),
        learning_rate,
        weight_decay,
        decoupled_weight_decay,
    )


@checks_float_params
@validates_through_parts
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

    Complex params: supported (second moments of |g|^2, so steps keep g's phase).

    References:
        Loshchilov and Hutter, Decoupled Weight Decay Regularization, ICLR 2019.
    """
    check_nonnegative("adamw", "weight_decay", weight_decay, schedule=True)
    return chain(
        scale_by_adam(b1, b2, eps, eps_root, mu_dtype, nesterov=nesterov, nu_dtype=nu_dtype),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )
