"""D-Adaptation for AdamW: Adam whose learning rate estimates the distance to a solution."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule
from gradtx._core._numerics import safe_increment, widest_float_dtype, zero_count
from gradtx._core._validate import (
    check_betas,
    check_learning_rate,
    check_nonnegative,
    check_positive,
    checks_float_params,
    require_params,
)
from gradtx.tree_utils._construct import tree_zeros_like
from gradtx.tree_utils._tree_math import abs_sq, zip_map


class DAdaptAdamWState(NamedTuple):
    """State of ``dadapt_adamw`` (optax's names and order: ``count`` is last).

    Fields:
        exp_avg: EMA of ``dlr * g``.
        exp_avg_sq: EMA of ``g^2``.
        grad_sum: ``s``, EMA of ``dlr * g`` with decay ``sqrt(b2)``.
        estim_lr: ``d``, the distance estimate (a scalar).
        numerator_weighted: ``r``, EMA of ``dlr * <g, s / (sqrt(v) + eps)>``.
        count: number of updates so far (int32).
    """

    exp_avg: Any
    exp_avg_sq: Any
    grad_sum: Any
    estim_lr: jax.Array
    numerator_weighted: jax.Array
    count: jax.Array


@checks_float_params
def dadapt_adamw(
    learning_rate: ScalarOrSchedule = 1.0,
    betas: tuple[jax.typing.ArrayLike, jax.typing.ArrayLike] = (0.9, 0.999),
    eps: jax.typing.ArrayLike = 1e-8,
    estim_lr0: jax.typing.ArrayLike = 1e-6,
    weight_decay: jax.typing.ArrayLike = 0.0,
) -> GradientTransformation:
    """Learning-rate-free AdamW by D-Adaptation.

    D-Adaptation keeps a lower bound ``d`` on the (infinity-norm) distance from
    the initial params to a solution and uses it as AdamW's learning rate; the
    bound only grows. ``learning_rate`` is a unitless multiplier: keep 1.0, or a
    schedule peaking at 1.0 (linear decay to 0 with a 0-20% warmup is
    recommended). Memory: three buffers per param.

    Update rule (k = 0, 1, ...; lr_k = learning_rate at count k; x = params,
    g = gradient, (b1, b2) = betas, c = sqrt(b2), d_0 = estim_lr0):
        dlr_k = d_k * lr_k * sqrt(1 - b2^(k+1)) / (1 - b1^(k+1))
        r_k = c * r_{k-1} + (1 - c) * dlr_k * <g_k, s_{k-1} / (sqrt(v_{k-1}) + eps)>
        m_k = b1 * m_{k-1} + (1 - b1) * dlr_k * g_k
        v_k = b2 * v_{k-1} + (1 - b2) * g_k^2
        s_k = c * s_{k-1} + (1 - c) * dlr_k * g_k
        d_{k+1} = max(d_k, r_k / ((1 - c) * ||s_k||_1))
        u_k = -m_k / (sqrt(v_k) + eps) - weight_decay * dlr_k * x_k

    Differences from optax: while ``s`` is all zeros (zero gradients from the
    start) ``d`` stays put instead of becoming NaN (optax divides 0 by 0 and the
    NaN never leaves the state); the scalars are kept in the widest float dtype
    of the params, at least float32 (optax: the lowest, so bfloat16 params give
    a bfloat16 ``d``).

    Complex params: supported (second moments of |g|^2, so steps keep g's phase).

    Args:
        learning_rate: multiplier of the learned step, a number >= 0 or a
            schedule of the 0-based count; 1.0 by default.
        betas: ``(b1, b2)``, AdamW's moment decays, each in [0, 1).
        eps: >= 0, AdamW's eps.
        estim_lr0: initial estimate ``d_0`` > 0 (an under-estimate is fine).
        weight_decay: >= 0, AdamW-style decoupled decay (scaled by ``dlr``).

    Returns:
        The optimizer (updates include step size and sign); its state is
        ``DAdaptAdamWState``. ``update`` needs params.

    Raises:
        ValueError: a concrete hyperparameter out of its range.
        TypeError: ``betas`` is not a pair.

    References:
        Defazio and Mishchenko, Learning-Rate-Free Learning by D-Adaptation,
        ICML 2023, https://arxiv.org/abs/2301.07733.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.contrib.dadapt_adamw()
        >>> params = jnp.array([1.0, -2.0])
        >>> state = opt.init(params)
        >>> for _ in range(100):
        ...     updates, state = opt.update(params, state, params)  # grad of |p|^2 / 2
        ...     params = gradtx.apply_updates(params, updates)
        >>> bool(state.estim_lr > 0.1)  # d grew from 1e-6
        True
    """
    fn = "contrib.dadapt_adamw"
    check_learning_rate(fn, learning_rate)
    b1, b2 = check_betas(fn, betas)
    check_nonnegative(fn, "eps", eps)
    check_positive(fn, "estim_lr0", estim_lr0)
    check_nonnegative(fn, "weight_decay", weight_decay)

    def init(params):
        sdt = widest_float_dtype(params)
        return DAdaptAdamWState(
            exp_avg=tree_zeros_like(params),
            exp_avg_sq=tree_zeros_like(params),
            grad_sum=tree_zeros_like(params),
            estim_lr=jnp.asarray(estim_lr0, sdt),
            numerator_weighted=jnp.zeros((), sdt),
            count=zero_count(),
        )

    def update(updates, state, params=None, **extra_args):
        del extra_args
        require_params(fn, params)
        sdt = state.estim_lr.dtype
        c = jnp.sqrt(jnp.asarray(b2, sdt))
        lr = learning_rate(state.count) if callable(learning_rate) else learning_rate
        count = safe_increment(state.count)
        k1 = count.astype(sdt)
        bc = jnp.sqrt(1 - b2**k1) / (1 - b1**k1)
        dlr = (state.estim_lr * lr * bc).astype(sdt)

        def moments(g, m, v, s):
            num = jnp.sum((g * (s / (jnp.sqrt(v) + eps))).astype(sdt))
            new_m = (b1 * m + (1 - b1) * dlr * g).astype(m.dtype)
            new_v = (b2 * v + (1 - b2) * abs_sq(g)).astype(v.dtype)
            new_s = (c * s + (1 - c) * dlr * g).astype(s.dtype)
            return new_m, new_v, new_s, num, jnp.sum(jnp.abs(new_s).astype(sdt))

        m, v, s, nums, l1s = zip_map(
            "gradtx." + fn,
            moments,
            5,
            updates=updates,
            exp_avg=state.exp_avg,
            exp_avg_sq=state.exp_avg_sq,
            grad_sum=state.grad_sum,
        )
        num = sum(jax.tree.leaves(nums), jnp.zeros((), sdt))
        l1 = sum(jax.tree.leaves(l1s), jnp.zeros((), sdt))
        r = (c * state.numerator_weighted + (1 - c) * dlr * num).astype(sdt)
        has_l1 = l1 > 0
        d_hat = jnp.where(has_l1, r / ((1 - c) * jnp.where(has_l1, l1, 1.0)), 0.0)
        d = jnp.maximum(state.estim_lr, d_hat).astype(sdt)

        def step(m, v, x):
            return (-weight_decay * dlr * x - m / (jnp.sqrt(v) + eps)).astype(x.dtype)

        new_updates = zip_map("gradtx." + fn, step, exp_avg=m, exp_avg_sq=v, params=params)
        new_updates = jax.tree.map(lambda u, g: u.astype(g.dtype), new_updates, updates)
        return new_updates, DAdaptAdamWState(m, v, s, d, r, count)

    return GradientTransformation(init, update)
