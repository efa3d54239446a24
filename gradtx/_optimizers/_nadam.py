"""Adam and its close family: AdamW, NAdam(W) (optax's and torch's), AMSGrad, Adamax(W)."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain
from gradtx._core._numerics import (
    canonicalize_dtype,
    default_float_dtype,
    safe_increment,
    zero_count,
)
from gradtx._core._validate import (
    check_decay,
    check_dtype,
    check_nonnegative,
    checks_float_params,
    reported_as,
    validates_through_parts,
)
from gradtx._optimizers._adam import adamw, scale_by_adam
from gradtx._optimizers._weight_decay import check_weight_decay, with_weight_decay
from gradtx.transforms._scaling import scale_by_learning_rate
from gradtx.transforms._weight_decay import add_decayed_weights
from gradtx.tree_utils._construct import tree_zeros_like
from gradtx.tree_utils._moments import bias_correction_factor, moment_update
from gradtx.tree_utils._tree_math import abs_sq, zip_map


@checks_float_params
@validates_through_parts
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
    weight_decay: ScalarOrSchedule | None = None,
    decoupled_weight_decay: bool = False,
) -> GradientTransformation:
    """NAdam: ``adam`` with Nesterov's look-ahead first moment (``nesterov=True``).

    By default this is Dozat's simplified form, as in optax. With
    ``momentum_decay`` it is torch.optim.NAdam: ``scale_by_nadam`` (the
    momentum-decay schedule) replaces ``scale_by_adam``.

    Complex params: supported (second moments of |g|^2, so steps keep g's phase).

    Args:
        momentum_decay: None (optax's NAdam) or >= 0, torch's ``momentum_decay``
            (torch's default is 4e-3). Needs ``nesterov=True``.
        weight_decay: None (the default) adds no decay term; else >= 0 (0 included,
            which keeps the term in the chain whatever the number's type);
            L2 regularisation added to the gradient first
            (torch.optim.NAdam's ``weight_decay``).
        decoupled_weight_decay: add the decay after the direction instead
            (torch's ``decoupled_weight_decay=True``, NAdamW).
    """
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
            f"gradtx.{reported_as(fn)}(nesterov=False, momentum_decay={momentum_decay!r}): the momentum "
            "schedule is part of the Nesterov form; use nesterov=True, or "
            "momentum_decay=None for Adam."
        )
    return scale_by_nadam(
        b1, b2, eps, momentum_decay, eps_root=eps_root, mu_dtype=mu_dtype, nu_dtype=nu_dtype
    )


@checks_float_params
@validates_through_parts
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

    Complex params: supported (second moments of |g|^2, so steps keep g's phase).
    """
    check_nonnegative("nadamw", "weight_decay", weight_decay, schedule=True)
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


class ScaleByNadamState(NamedTuple):
    """State of ``scale_by_nadam``: count, ``mu``, ``nu`` and the running product
    ``mu_product`` of the scheduled momentum coefficients (a scalar)."""

    count: jax.Array
    mu: object
    nu: object
    mu_product: jax.Array


@checks_float_params
def scale_by_nadam(
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.999,
    eps: float | jax.Array = 1e-8,
    momentum_decay: float | jax.Array = 4e-3,
    *,
    eps_root: float | jax.Array = 0.0,
    mu_dtype=None,
    nu_dtype=None,
) -> GradientTransformation:
    """NAdam with Dozat's momentum schedule (the direction of torch.optim.NAdam).

    The Nesterov look-ahead of ``scale_by_adam(nesterov=True)``, but the
    momentum coefficient warms up from ``b1 / 2`` towards ``b1``, and the
    first-moment debiasing uses the product of the scheduled coefficients.

    Update rule (t counts from 1):
        b1_t = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        P_t  = b1_1 * b1_2 * ... * b1_t                      (mu_product)
        mu_t = b1 * mu_{t-1} + (1 - b1) * g_t
        nu_t = b2 * nu_{t-1} + (1 - b2) * g_t^2
        m_t  = b1_{t+1} * mu_t / (1 - P_t * b1_{t+1}) + (1 - b1_t) * g_t / (1 - P_t)
        u_t  = m_t / (sqrt(nu_t / (1 - b2^t) + eps_root) + eps)

    As ``momentum_decay`` grows, ``b1_t -> b1`` and this becomes
    ``scale_by_adam(nesterov=True)``. Memory: two buffers per param plus a
    scalar, kept in the default float dtype (float64 under x64), as torch does.

    Args:
        b1: first-moment decay in [0, 1).
        b2: second-moment decay in [0, 1).
        eps: >= 0, added outside the root.
        momentum_decay: >= 0, torch's ``momentum_decay`` (psi in Dozat's paper).
        eps_root: >= 0, added inside the root.
        mu_dtype: dtype of ``mu``; None uses each param's dtype.
        nu_dtype: dtype of ``nu``; None uses each param's dtype.

    Returns:
        The transformation; its state is ``ScaleByNadamState``.

    References:
        Dozat, Incorporating Nesterov Momentum into Adam, ICLR workshop 2016.
    """
    check_decay("scale_by_nadam", "b1", b1)
    check_decay("scale_by_nadam", "b2", b2)
    check_nonnegative("scale_by_nadam", "eps", eps)
    check_nonnegative("scale_by_nadam", "eps_root", eps_root)
    check_dtype("scale_by_nadam", "mu_dtype", mu_dtype)
    check_dtype("scale_by_nadam", "nu_dtype", nu_dtype)
    check_nonnegative("scale_by_nadam", "momentum_decay", momentum_decay)
    mu_dtype, nu_dtype = canonicalize_dtype(mu_dtype), canonicalize_dtype(nu_dtype)

    def init(params):
        return ScaleByNadamState(
            count=zero_count(),
            mu=tree_zeros_like(params, mu_dtype),
            nu=tree_zeros_like(params, nu_dtype),
            mu_product=jnp.ones((), default_float_dtype()),
        )

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        count = safe_increment(state.count)
        t = count.astype(state.mu_product.dtype)
        b1_t = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        b1_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        prod = state.mu_product * b1_t
        coef_mu = b1_next / (1 - prod * b1_next)
        coef_g = (1 - b1_t) / (1 - prod)
        c2 = bias_correction_factor(b2, count)

        def leaf(g, m, n):
            new_m = moment_update(m, g, b1)
            new_n = moment_update(n, abs_sq(g), b2)
            m_hat = coef_mu.astype(new_m.dtype) * new_m + coef_g.astype(g.dtype) * g
            n_hat = new_n / c2.astype(new_n.dtype)
            u = m_hat / (jnp.sqrt(n_hat + eps_root) + eps)
            return u.astype(g.dtype), new_m, new_n

        updates, mu, nu = zip_map(
            "gradtx.scale_by_nadam", leaf, 3, updates=updates, mu=state.mu, nu=state.nu
        )
        mu_product = prod.astype(state.mu_product.dtype)
        return updates, ScaleByNadamState(count=count, mu=mu, nu=nu, mu_product=mu_product)

    return GradientTransformation(init, update)
