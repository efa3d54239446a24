"""MoMo: SGD-momentum and Adam with a Polyak-type step from a model of the loss."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule
from gradtx._core._numerics import safe_increment, widest_float_dtype, zero_count
from gradtx._core._validate import (
    check_decay,
    check_learning_rate,
    check_nonnegative,
    check_range,
    check_scalar,
    checks_float_params,
    require_params,
)
from gradtx._optimizers._adam import check_adam_args
from gradtx.tree_utils._construct import tree_cast, tree_zeros_like
from gradtx.tree_utils._reductions import tree_sum_of_squares, tree_vdot
from gradtx.tree_utils._tree_math import abs_sq, zip_map

# Below this squared norm of the momentum the Polyak step is 0 (as in optax).
_TINY = float(np.finfo(np.float64).eps)


class MomoState(NamedTuple):
    """State of ``momo`` (optax's names and order: ``count`` is last).

    Fields:
        exp_avg: ``d``, EMA of the gradients.
        barf: EMA of the loss values.
        gamma: EMA of ``<g, x>``.
        lb: the current lower bound of the loss.
        count: number of updates so far (int32).
    """

    exp_avg: Any
    barf: jax.Array
    gamma: jax.Array
    lb: jax.Array
    count: jax.Array


class MomoAdamState(NamedTuple):
    """State of ``momo_adam`` (optax's names and order: ``count`` is last).

    Fields:
        exp_avg: EMA of the gradients.
        exp_avg_sq: EMA of the squared gradients.
        barf: EMA of the loss values.
        gamma: EMA of ``<g, x>``.
        lb: the current lower bound of the loss.
        count: number of updates so far (int32).
    """

    exp_avg: Any
    exp_avg_sq: Any
    barf: jax.Array
    gamma: jax.Array
    lb: jax.Array
    count: jax.Array


def _need_value(fn, value):
    if value is None:
        raise ValueError(
            f"gradtx.{fn}: update needs the loss value; call update(grads, state, params, "
            "value=loss) with the loss from jax.value_and_grad."
        )


class _LossModel(NamedTuple):
    """The scalars both MoMo variants keep: loss EMA, ``<g, x>`` EMA, lower bound."""

    barf: jax.Array
    gamma: jax.Array
    lb: jax.Array


def _init_model(params, lower_bound) -> _LossModel:
    sdt = widest_float_dtype(params)
    return _LossModel(jnp.zeros((), sdt), jnp.zeros((), sdt), jnp.asarray(lower_bound, sdt))


def _start(fn, params, value, state):
    """Validate the update's inputs; return the scalar dtype and the loss in it."""
    require_params(fn, params)
    _need_value(fn, value)
    return state.barf.dtype, jnp.asarray(value, state.barf.dtype)


def _polyak_step(alpha, wd, barf, gamma, iprod, norm, lb, bc1, lower_bound, adapt):
    """MoMo's step size ``tau`` and the next lower bound (``bc1 = 1`` for momo)."""
    q = 1 + alpha * wd
    lb_now = lb
    if adapt:
        cap = q * (barf - gamma) + iprod
        lb_now = jnp.where(cap < q * bc1 * lb, jnp.maximum(cap / (2 * bc1 * q), lower_bound), lb)
    ok = norm > _TINY
    gap = jnp.maximum(q * (barf - bc1 * lb_now - gamma) + iprod, 0.0)
    tau = jnp.minimum(alpha / bc1, jnp.where(ok, gap / jnp.where(ok, norm, 1.0), 0.0))
    new_lb = lb
    if adapt:
        new_lb = jnp.maximum((barf + iprod - gamma - 0.5 * tau * norm) / bc1, lower_bound)
    return tau, new_lb.astype(lb.dtype)


def _prox_step(alpha, wd, tau, direction, params, updates):
    """``(x - tau * direction) / q - x`` with ``q = 1 + alpha * wd``, in the grads' dtypes."""
    q = 1 + alpha * wd

    def f(d, x, g):
        return (-(alpha * wd / q) * x - (tau / q) * d).astype(g.dtype)

    return jax.tree.map(f, direction, params, updates)


def _check_common(fn, learning_rate, weight_decay, lower_bound):
    check_learning_rate(fn, learning_rate)
    check_scalar(fn, "lower_bound", lower_bound)
    check_nonnegative(fn, "weight_decay", weight_decay)
    check_range(fn, "lower_bound", lower_bound)


@checks_float_params
def momo(
    learning_rate: ScalarOrSchedule = 1.0,
    beta: jax.typing.ArrayLike = 0.9,
    lower_bound: jax.typing.ArrayLike = 0.0,
    weight_decay: jax.typing.ArrayLike = 0.0,
    adapt_lower_bound: bool = False,
) -> GradientTransformation:
    """SGD with momentum whose step is capped by a Polyak step on a model of the loss.

    MoMo builds a model of the loss from EMAs of past losses, gradients and
    ``<g, x>`` and takes the step that would bring the model down to a known
    lower bound of the loss (0 for most losses), but never more than
    ``learning_rate``. It needs the loss: ``update(grads, state, params,
    value=loss)``. Memory: one buffer per param.

    Update rule (k = 0, 1, ...; b = beta, or 0 at k = 0; f = loss value;
    alpha = learning_rate_k, lam = weight_decay, q = 1 + alpha * lam):
        fbar_k  = b * fbar_{k-1} + (1 - b) * f_k
        d_k     = b * d_{k-1} + (1 - b) * g_k
        gamma_k = b * gamma_{k-1} + (1 - b) * <g_k, x_k>
        tau_k = min(alpha, max(q * (fbar_k - lb - gamma_k) + <d_k, x_k>, 0) / |d_k|^2)
                (tau_k = 0 when |d_k|^2 <= 2.2e-16)
        x_{k+1} = (x_k - tau_k * d_k) / q

    With ``adapt_lower_bound`` the bound ``lb`` (starting at ``lower_bound``)
    is re-estimated at each step from the model, never below ``lower_bound``
    (the paper's MoMo*).

    Difference from optax: with weight decay the whole step is divided by ``q``
    (the paper's Lemma 3.1, eq. 16, and the authors' code); optax 0.2.8 divides
    only ``x_k`` (a known bug, optax PR #1787). Without weight decay the two
    agree. The scalars are kept in the widest float dtype of the
    params, at least float32 (optax: the lowest).

    Complex params: supported.

    Args:
        learning_rate: the largest step, a number >= 0 or a schedule of the
            0-based count; large values (1.0) are fine.
        beta: momentum decay in [0, 1).
        lower_bound: a lower bound of the loss (0 for non-negative losses).
        weight_decay: >= 0, proximal weight decay (the step is divided by ``q``).
        adapt_lower_bound: estimate the bound on the fly.

    Returns:
        The optimizer (updates include step and sign); its state is
        ``MomoState``. ``update`` needs params and ``value=``.

    Raises:
        ValueError: a concrete hyperparameter out of its range; at update, no
            params or no value.

    References:
        Schaipp et al., MoMo: Momentum Models for Adaptive Learning Rates, ICML
        2024, https://arxiv.org/abs/2305.07583.

    Example:
        >>> import gradtx, jax, jax.numpy as jnp
        >>> def f(x): return jnp.sum(x ** 2)
        >>> opt = gradtx.contrib.momo()
        >>> params = jnp.array([1.0, 2.0, 3.0])
        >>> state = opt.init(params)
        >>> value, grad = jax.value_and_grad(f)(params)
        >>> updates, state = opt.update(grad, state, params, value=value)
        >>> f(gradtx.apply_updates(params, updates))  # the Polyak step: f(x - f / |g|^2 g)
        Array(3.5, dtype=float32)
    """
    fn = "contrib.momo"
    _check_common(fn, learning_rate, weight_decay, lower_bound)
    check_decay(fn, "beta", beta)

    def init(params):
        return MomoState(tree_zeros_like(params), *_init_model(params, lower_bound), zero_count())

    def update(updates, state, params=None, *, value=None, **extra_args):
        del extra_args
        sdt, value = _start(fn, params, value, state)
        b = jnp.where(state.count == 0, 0.0, beta).astype(sdt)
        barf = b * state.barf + (1 - b) * value
        d = zip_map(
            "gradtx." + fn,
            lambda g, m: (b * m + (1 - b) * g).astype(m.dtype),
            updates=updates,
            exp_avg=state.exp_avg,
        )
        gamma = b * state.gamma + (1 - b) * tree_vdot(
            tree_cast(updates, sdt), tree_cast(params, sdt)
        )
        alpha = learning_rate(state.count) if callable(learning_rate) else learning_rate
        tau, lb = _polyak_step(
            alpha,
            weight_decay,
            barf,
            gamma,
            tree_vdot(tree_cast(d, sdt), tree_cast(params, sdt)),
            tree_sum_of_squares(d, sdt),
            state.lb,
            1.0,
            lower_bound,
            adapt_lower_bound,
        )
        new_updates = _prox_step(alpha, weight_decay, tau, d, params, updates)
        return new_updates, MomoState(d, barf, gamma, lb, safe_increment(state.count))

    return GradientTransformation(init, update)


@checks_float_params
def momo_adam(
    learning_rate: ScalarOrSchedule = 1e-2,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    lower_bound: jax.typing.ArrayLike = 0.0,
    weight_decay: jax.typing.ArrayLike = 0.0,
    adapt_lower_bound: bool = False,
) -> GradientTransformation:
    """Adam(W) whose step is capped by a Polyak step on a model of the loss (MoMo-Adam).

    As ``momo``, in the geometry of Adam's preconditioner ``D_k = eps +
    sqrt(v_k / (1 - b2^(k+1)))``, with bias-corrected model terms. As for
    ``momo``, weight decay divides the whole step by ``q`` (optax 0.2.8 divides
    only ``x_k``, optax PR #1787). Needs the
    loss: ``update(grads, state, params, value=loss)``. Memory: two buffers
    per param.

    Update rule (k = 0, 1, ...; f = loss value; alpha = learning_rate_k,
    lam = weight_decay, q = 1 + alpha * lam, c1 = 1 - b1^(k+1)):
        fbar_k  = b1 * fbar_{k-1} + (1 - b1) * f_k
        m_k     = b1 * m_{k-1} + (1 - b1) * g_k
        v_k     = b2 * v_{k-1} + (1 - b2) * g_k^2
        gamma_k = b1 * gamma_{k-1} + (1 - b1) * <g_k, x_k>
        n_k   = <m_k, m_k / D_k>
        tau_k = min(alpha / c1, max(q * (fbar_k - c1 * lb - gamma_k) + <m_k, x_k>, 0) / n_k)
                (tau_k = 0 when n_k <= 2.2e-16)
        x_{k+1} = (x_k - tau_k * m_k / D_k) / q

    Complex params: supported (second moments of |g|^2, so steps keep g's phase).

    Args:
        learning_rate: the largest step (before bias correction), a number >= 0
            or a schedule of the 0-based count.
        b1: decay of the gradient and loss EMAs, in [0, 1).
        b2: decay of the second moment, in [0, 1).
        eps: >= 0, Adam's eps (added outside the root).
        lower_bound: a lower bound of the loss.
        weight_decay: >= 0, proximal weight decay (the step is divided by ``q``).
        adapt_lower_bound: estimate the bound on the fly (never below
            ``lower_bound``).

    Returns:
        The optimizer; its state is ``MomoAdamState``. ``update`` needs params
        and ``value=``.

    Raises:
        ValueError: a concrete hyperparameter out of its range; at update, no
            params or no value.

    References:
        Schaipp et al., MoMo: Momentum Models for Adaptive Learning Rates, ICML
        2024, https://arxiv.org/abs/2305.07583.

    Example:
        >>> import gradtx, jax, jax.numpy as jnp
        >>> def f(x): return jnp.sum(x ** 2)
        >>> opt = gradtx.contrib.momo_adam(1.0)
        >>> params = jnp.array([1.0, 2.0, 3.0])
        >>> state = opt.init(params)
        >>> for _ in range(50):
        ...     value, grad = jax.value_and_grad(f)(params)
        ...     updates, state = opt.update(grad, state, params, value=value)
        ...     params = gradtx.apply_updates(params, updates)
        >>> bool(f(params) < 0.1)  # from 14
        True
    """
    fn = "contrib.momo_adam"
    _check_common(fn, learning_rate, weight_decay, lower_bound)
    check_adam_args(fn, b1, b2, eps)

    def init(params):
        zeros = tree_zeros_like(params), tree_zeros_like(params)
        return MomoAdamState(*zeros, *_init_model(params, lower_bound), zero_count())

    def update(updates, state, params=None, *, value=None, **extra_args):
        del extra_args
        sdt, value = _start(fn, params, value, state)
        count = safe_increment(state.count)
        k1 = count.astype(sdt)
        c1, c2 = 1 - b1**k1, 1 - b2**k1
        barf = b1 * state.barf + (1 - b1) * value

        def moments(g, m, v):
            m = (b1 * m + (1 - b1) * g).astype(m.dtype)
            v = (b2 * v + (1 - b2) * abs_sq(g)).astype(v.dtype)
            return m, v, eps + jnp.sqrt(v / c2.astype(v.dtype))

        m, v, precond = zip_map(
            "gradtx." + fn, moments, 3, updates=updates, exp_avg=state.exp_avg,
            exp_avg_sq=state.exp_avg_sq,
        )  # fmt: skip
        direction = jax.tree.map(jnp.divide, m, precond)
        gamma = b1 * state.gamma + (1 - b1) * tree_vdot(
            tree_cast(updates, sdt), tree_cast(params, sdt)
        )
        alpha = learning_rate(state.count) if callable(learning_rate) else learning_rate
        tau, lb = _polyak_step(
            alpha,
            weight_decay,
            barf,
            gamma,
            tree_vdot(tree_cast(m, sdt), tree_cast(params, sdt)),
            tree_vdot(tree_cast(m, sdt), tree_cast(direction, sdt)),
            state.lb,
            c1,
            lower_bound,
            adapt_lower_bound,
        )
        new_updates = _prox_step(alpha, weight_decay, tau, direction, params, updates)
        return new_updates, MomoAdamState(m, v, barf, gamma, lb, count)

    return GradientTransformation(init, update)
