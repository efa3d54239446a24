"""Prodigy: Adam whose learning rate is a running estimate of the distance to the solution."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule
from gradtx._core._numerics import safe_increment, widest_float_dtype, zero_count
from gradtx._core._validate import (
    check_betas,
    check_decay,
    check_learning_rate,
    check_nonnegative,
    check_positive,
    checks_float_params,
    require_param_values,
)
from gradtx.tree_utils._construct import tree_zeros_like
from gradtx.tree_utils._moments import moment_update
from gradtx.tree_utils._tree_math import abs_sq, zip_map


class ProdigyState(NamedTuple):
    """State of ``prodigy``.

    Fields:
        count: number of updates so far (int32).
        mu: EMA of ``d * g`` (optax: ``exp_avg``, also a property).
        nu: EMA of ``(d * g)^2`` (optax: ``exp_avg_sq``, also a property).
        grad_sum: the weighted sum ``s`` of past gradients.
        params0: the initial params ``x_0``.
        estim_lr: the current distance estimate ``d`` (a scalar).
        numerator_weighted: the weighted sum ``r`` of ``<g, x_0 - x>`` (a scalar).
    """

    count: jax.Array
    mu: Any
    nu: Any
    grad_sum: Any
    params0: Any
    estim_lr: jax.Array
    numerator_weighted: jax.Array

    @property
    def exp_avg(self) -> Any:
        """optax's name for ``mu``."""
        return self.mu

    @property
    def exp_avg_sq(self) -> Any:
        """optax's name for ``nu``."""
        return self.nu


@checks_float_params
def prodigy(
    learning_rate: ScalarOrSchedule = 1.0,
    betas: tuple[float | jax.Array, float | jax.Array] = (0.9, 0.999),
    beta3: float | jax.Array | None = None,
    eps: float | jax.Array = 1e-8,
    estim_lr0: float | jax.Array = 1e-6,
    estim_lr_coef: float | jax.Array = 1.0,
    weight_decay: float | jax.Array = 0.0,
    safeguard_warmup: bool = False,
) -> GradientTransformation:
    """AdamW whose step size is learned: Prodigy, a faster-adapting D-Adaptation.

    Prodigy keeps a lower bound ``d`` on the distance from the initial params
    to a solution, grows it from correlations between the gradients and the
    distance travelled, and uses ``d`` as Adam's learning rate. ``learning_rate``
    is then a unitless multiplier: keep 1.0, or a schedule peaking at 1.0 (warmup
    and cosine or linear decay). Memory: four buffers per param (two moments,
    the gradient sum and the initial params).

    Update rule (k = 0, 1, ...; lr_k = learning_rate at count k; x = params,
    g = gradient, b1, b2 = betas, b3 = beta3, d_0 = estim_lr0):
        dlr_k = d_k * lr_k * sqrt(1 - b2^(k+1)) / (1 - b1^(k+1))
        mu_k  = b1 * mu_{k-1} + (1 - b1) * d_k * g_k
        nu_k  = b2 * nu_{k-1} + (1 - b2) * d_k^2 * g_k^2
        s_k   = b3 * s_{k-1} + dlr_k * d_k * g_k / d_0
                (safeguard_warmup: b3 * s_{k-1} + d_k^2 * g_k / d_0)
        r_k   = b3 * r_{k-1} + (d_k / d_0) * dlr_k * <g_k, x_0 - x_k>
        d_{k+1} = max(d_k, estim_lr_coef * r_k / ||s_k||_1)   (d_k while s_k = 0)
        u_k   = -dlr_k * (mu_k / (sqrt(nu_k) + d_{k+1} * eps) + weight_decay * x_k)

    This is the paper's Algorithm (Adam version) in the form of the authors'
    PyTorch code and optax.contrib: ``(1 - b3)`` factors cancel in r/s, the
    learning rate carries Adam's bias correction, and eps is scaled by the new d.

    Complex params: supported (second moments of |g|^2, so steps keep g's phase).

    Args:
        learning_rate: multiplier of the learned step (a number >= 0 or a schedule
            of the 0-based count); 1.0 by default.
        betas: ``(b1, b2)``, Adam's moment decays, each in [0, 1).
        beta3: decay of ``r`` and ``s`` in [0, 1); None means ``sqrt(b2)``.
        eps: >= 0, Adam's eps (scaled by ``d``).
        estim_lr0: initial estimate ``d_0`` > 0; an under-estimate is fine,
            ``d`` only grows.
        estim_lr_coef: > 0, multiplies each new estimate (values below 1 are
            more conservative).
        weight_decay: >= 0, AdamW-style decoupled decay (scaled by ``dlr``).
        safeguard_warmup: drop the learning rate from ``s`` so that a warmup does
            not inflate ``d``.

    Returns:
        The transformation (a full optimizer: the updates already include the
        step size and sign); its state is ``ProdigyState``. ``update`` needs params.

    Raises:
        ValueError: out-of-range concrete hyperparameters.
        TypeError: ``betas`` is not a pair.

    References:
        Mishchenko and Defazio, Prodigy: An Expeditiously Adaptive Parameter-Free
        Learner, ICML 2024, https://arxiv.org/abs/2306.06101.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.prodigy()
        >>> params = jnp.array([1.0, -2.0])
        >>> state = opt.init(params)
        >>> for _ in range(50):  # gradient of |p|^2 / 2 is p
        ...     updates, state = opt.update(params, state, params)
        ...     params = gradtx.apply_updates(params, updates)
        >>> bool(state.estim_lr > 0.1)  # d grew from 1e-6 towards |p_0 - p*|
        True
    """
    fn = "prodigy"
    check_learning_rate(fn, learning_rate)
    b1, b2 = check_betas(fn, betas)
    if beta3 is not None:
        check_decay(fn, "beta3", beta3, none=True)
    check_nonnegative(fn, "eps", eps)
    check_positive(fn, "estim_lr0", estim_lr0)
    check_positive(fn, "estim_lr_coef", estim_lr_coef)
    check_nonnegative(fn, "weight_decay", weight_decay)
    b3 = b2**0.5 if beta3 is None else beta3

    def init(params):
        require_param_values(fn, params, "params0 is a copy of the initial params")
        sdt = widest_float_dtype(params)
        return ProdigyState(
            count=zero_count(),
            mu=tree_zeros_like(params),
            nu=tree_zeros_like(params),
            grad_sum=tree_zeros_like(params),
            params0=jax.tree.map(lambda p: jnp.array(p, copy=True), params),
            estim_lr=jnp.asarray(estim_lr0, sdt),
            numerator_weighted=jnp.zeros((), sdt),
        )

    def update(updates, state, params=None, **extra_args):
        del extra_args
        if params is None:
            raise ValueError(
                "gradtx.prodigy: update needs the params (to measure the distance "
                "travelled); call update(grads, state, params)."
            )
        sdt = state.estim_lr.dtype
        count = safe_increment(state.count)
        lr = learning_rate(state.count) if callable(learning_rate) else learning_rate
        k1 = count.astype(sdt)
        bc = jnp.sqrt(1 - b2**k1) / (1 - b1**k1)
        d = state.estim_lr
        dlr = (d * lr * bc).astype(sdt)
        s_coef = (d if safeguard_warmup else dlr) / estim_lr0

        def moments(g, m, v, s, x0, x):
            dg = d * g
            new_m = moment_update(m, dg, b1)
            new_v = moment_update(v, abs_sq(dg), b2)
            new_s = (b3 * s + s_coef * dg).astype(s.dtype)
            num = jnp.sum(g.astype(sdt) * (x0 - x).astype(sdt))
            den = jnp.sum(jnp.abs(new_s).astype(sdt))
            return new_m, new_v, new_s, num, den

        mu, nu, grad_sum, nums, dens = zip_map(
            "gradtx.prodigy",
            moments,
            5,
            updates=updates,
            mu=state.mu,
            nu=state.nu,
            grad_sum=state.grad_sum,
            params0=state.params0,
            params=params,
        )
        num = sum(jax.tree.leaves(nums), jnp.zeros((), sdt))
        den = sum(jax.tree.leaves(dens), jnp.zeros((), sdt))
        r = (b3 * state.numerator_weighted + (d / estim_lr0) * dlr * num).astype(sdt)
        has_den = den > 0
        d_hat = jnp.where(has_den, estim_lr_coef * r / jnp.where(has_den, den, 1.0), 0.0)
        new_d = jnp.maximum(d, d_hat).astype(sdt)

        def step(g, m, v, x):
            u = -dlr * (m / (jnp.sqrt(v) + new_d * eps) + weight_decay * x)
            return u.astype(g.dtype)

        new_updates = zip_map("gradtx.prodigy", step, updates=updates, mu=mu, nu=nu, params=params)
        return new_updates, ProdigyState(
            count=count,
            mu=mu,
            nu=nu,
            grad_sum=grad_sum,
            params0=state.params0,
            estim_lr=new_d,
            numerator_weighted=r,
        )

    return GradientTransformation(init, update)
