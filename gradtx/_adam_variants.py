"""Adam variants that change the second moment: AdaBelief, Yogi, ADOPT.

Novograd, Adan and AdEMAMix, which change the first moment, live in
``gradtx/_adam_variants2.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from gradtx._adam import _check_adam_args
from gradtx._base import GradientTransformation, ScalarOrSchedule, chain
from gradtx._numerics import bias_correction_factor, canonicalize_dtype, safe_increment, zero_count
from gradtx._scaling import scale_by_learning_rate
from gradtx._tree import abs_sq, tree_full_like, tree_zeros_like, zip_map
from gradtx._validate import check_learning_rate, check_nonnegative

# ----------------------------------------------------------------------------- AdaBelief


class ScaleByBeliefState(NamedTuple):
    """State of ``scale_by_belief``: count, first moment ``mu``, and ``nu``, the EMA
    of the squared prediction error ``(g - mu)^2`` (plus ``eps_root``)."""

    count: jax.Array
    mu: object
    nu: object


def scale_by_belief(
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.999,
    eps: float | jax.Array = 1e-16,
    eps_root: float | jax.Array = 1e-16,
    *,
    nesterov: bool = False,
) -> GradientTransformation:
    """Scale by the first moment over the root of the gradient's "belief" variance.

    AdaBelief replaces Adam's EMA of ``g^2`` by an EMA of ``(g - mu)^2``: the
    squared distance between the gradient and its running mean. Where the
    gradient agrees with its prediction the step grows; where it jumps the step
    shrinks. Same memory as Adam: two buffers per param.

    Update rule (t counts from 1):
        mu_t = b1 * mu_{t-1} + (1 - b1) * g_t
        nu_t = b2 * nu_{t-1} + (1 - b2) * |g_t - mu_t|^2 + eps_root
        m_t  = mu_t / (1 - b1^t)
             or, with nesterov=True,
             b1 * mu_t / (1 - b1^(t+1)) + (1 - b1) * g_t / (1 - b1^t)
        u_t  = m_t / (sqrt(nu_t / (1 - b2^t)) + eps)

    ``eps_root`` is added to the stored ``nu`` at every step, as in the paper's
    Algorithm 2 (and optax).

    Args:
        b1: first-moment decay in [0, 1).
        b2: decay of the prediction-error moment in [0, 1).
        eps: >= 0, added outside the root.
        eps_root: >= 0, added to ``nu`` inside the root; keep it > 0 when
            differentiating through the optimizer.
        nesterov: use the look-ahead first moment (as NAdam does for Adam).

    Returns:
        The transformation; its state is ``ScaleByBeliefState``.

    Raises:
        ValueError: for a concrete hyperparameter out of its range.

    References:
        Zhuang et al., AdaBelief Optimizer: Adapting Stepsizes by the Belief in
        Observed Gradients, NeurIPS 2020, https://arxiv.org/abs/2010.07468.

    Example:
        >>> import gradtx, jax.numpy as jnp, numpy as np
        >>> tx = gradtx.scale_by_belief()
        >>> u, state = tx.update(jnp.array([2.0, -4.0]), tx.init(jnp.zeros(2)))
        >>> print(np.asarray(u).round(3))  # first step: g / |g - mu_1| = g / (0.9 |g|)
        [ 1.111 -1.111]
    """
    _check_adam_args("scale_by_belief", b1, b2, eps, eps_root)

    def init(params):
        return ScaleByBeliefState(
            count=zero_count(), mu=tree_zeros_like(params), nu=tree_zeros_like(params)
        )

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        count = safe_increment(state.count)
        c1 = bias_correction_factor(b1, count)
        c2 = bias_correction_factor(b2, count)
        c1_next = bias_correction_factor(b1, safe_increment(count)) if nesterov else None

        def leaf(g, m, n):
            new_m = ((1 - b1) * g + b1 * m).astype(m.dtype)
            new_n = ((1 - b2) * abs_sq(g - new_m) + b2 * n + eps_root).astype(n.dtype)
            if nesterov:
                m_hat = b1 * (new_m / c1_next.astype(new_m.dtype)) + (1 - b1) * (
                    g / c1.astype(g.dtype)
                )
            else:
                m_hat = new_m / c1.astype(new_m.dtype)
            n_hat = new_n / c2.astype(new_n.dtype)
            u = m_hat / (jnp.sqrt(n_hat) + eps)
            return u.astype(g.dtype), new_m, new_n

        updates, mu, nu = zip_map(
            "gradtx.scale_by_belief", leaf, 3, updates=updates, mu=state.mu, nu=state.nu
        )
        return updates, ScaleByBeliefState(count=count, mu=mu, nu=nu)

    return GradientTransformation(init, update)


def adabelief(
    learning_rate: ScalarOrSchedule,
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.999,
    eps: float | jax.Array = 1e-16,
    eps_root: float | jax.Array = 1e-16,
    *,
    nesterov: bool = False,
) -> GradientTransformation:
    """AdaBelief: ``scale_by_belief`` then ``scale_by_learning_rate``.

        p_t = p_{t-1} - learning_rate * m_t / (sqrt(nu_t / (1 - b2^t)) + eps)

    See ``scale_by_belief`` for the moments. With the defaults this is the
    authors' PyTorch AdaBelief (eps=1e-16 both added to ``nu`` and outside the
    root) without weight decay or rectification.

    Args:
        learning_rate: >= 0, or a schedule of the step count.
        b1, b2, eps, eps_root, nesterov: see ``scale_by_belief``.

    References:
        Zhuang et al., AdaBelief Optimizer: Adapting Stepsizes by the Belief in
        Observed Gradients, NeurIPS 2020.

    Example:
        >>> import gradtx, jax, jax.numpy as jnp, numpy as np
        >>> opt = gradtx.adabelief(learning_rate=0.1)
        >>> params = jnp.array([1.0, -2.0])
        >>> state = opt.init(params)
        >>> updates, state = opt.update(jax.grad(lambda x: x @ x)(params), state)
        >>> print(np.asarray(gradtx.apply_updates(params, updates)).round(3))
        [ 0.889 -1.889]
    """
    _check_adam_args("adabelief", b1, b2, eps, eps_root)
    check_learning_rate("adabelief", learning_rate)
    return chain(
        scale_by_belief(b1, b2, eps, eps_root, nesterov=nesterov),
        scale_by_learning_rate(learning_rate),
    )


# ----------------------------------------------------------------------------- Yogi


class ScaleByYogiState(NamedTuple):
    """State of ``scale_by_yogi``: count, first moment ``mu``, second moment ``nu``.

    (optax stores Yogi's moments in a ``ScaleByAdamState``; the fields are the same.)
    """

    count: jax.Array
    mu: object
    nu: object


def scale_by_yogi(
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.999,
    eps: float | jax.Array = 1e-3,
    eps_root: float | jax.Array = 0.0,
    initial_accumulator_value: float | jax.Array = 1e-6,
) -> GradientTransformation:
    """Adam with an additive, sign-controlled second-moment update (Yogi).

    Adam's ``nu`` forgets a large past gradient at the rate ``b2`` however small
    the new gradients are, so the effective step can grow quickly. Yogi moves
    ``nu`` towards ``g^2`` by at most ``(1 - b2) * g^2`` per step, which keeps the
    effective learning rate from blowing up on sparse or noisy gradients.

    Update rule (t counts from 1; both moments start at initial_accumulator_value):
        mu_t = b1 * mu_{t-1} + (1 - b1) * g_t
        nu_t = nu_{t-1} - (1 - b2) * sign(nu_{t-1} - |g_t|^2) * |g_t|^2
        u_t  = (mu_t / (1 - b1^t)) / (sqrt(nu_t / (1 - b2^t) + eps_root) + eps)

    Args:
        b1: first-moment decay in [0, 1).
        b2: second-moment rate in [0, 1).
        eps: >= 0, added outside the root. The paper's default 1e-3 is much larger
            than Adam's.
        eps_root: >= 0, added inside the root.
        initial_accumulator_value: >= 0, the starting value of ``mu`` and ``nu``.

    Returns:
        The transformation; its state is ``ScaleByYogiState``.

    Raises:
        ValueError: for a concrete hyperparameter out of its range.

    References:
        Zaheer et al., Adaptive Methods for Nonconvex Optimization, NeurIPS 2018,
        https://papers.nips.cc/paper/8186-adaptive-methods-for-nonconvex-optimization.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.scale_by_yogi()
        >>> u, state = tx.update(jnp.array([1.0, -1.0]), tx.init(jnp.zeros(2)))
        >>> state.nu.round(4)
        Array([0.001, 0.001], dtype=float32)
    """
    _check_adam_args("scale_by_yogi", b1, b2, eps, eps_root)
    check_nonnegative("scale_by_yogi", "initial_accumulator_value", initial_accumulator_value)

    def init(params):
        return ScaleByYogiState(
            count=zero_count(),
            mu=tree_full_like(params, initial_accumulator_value),
            nu=tree_full_like(params, initial_accumulator_value),
        )

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        count = safe_increment(state.count)
        c1 = bias_correction_factor(b1, count)
        c2 = bias_correction_factor(b2, count)

        def leaf(g, m, n):
            g2 = abs_sq(g)
            new_m = ((1 - b1) * g + b1 * m).astype(m.dtype)
            new_n = (n - (1 - b2) * jnp.sign(n - g2) * g2).astype(n.dtype)
            m_hat = new_m / c1.astype(new_m.dtype)
            n_hat = new_n / c2.astype(new_n.dtype)
            u = m_hat / (jnp.sqrt(n_hat + eps_root) + eps)
            return u.astype(g.dtype), new_m, new_n

        updates, mu, nu = zip_map(
            "gradtx.scale_by_yogi", leaf, 3, updates=updates, mu=state.mu, nu=state.nu
        )
        return updates, ScaleByYogiState(count=count, mu=mu, nu=nu)

    return GradientTransformation(init, update)


def yogi(
    learning_rate: ScalarOrSchedule,
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.999,
    eps: float | jax.Array = 1e-3,
) -> GradientTransformation:
    """Yogi: ``scale_by_yogi`` (eps_root=0, initial_accumulator_value=1e-6) then
    ``scale_by_learning_rate``.

        p_t = p_{t-1} - learning_rate * u_t,  u_t as in ``scale_by_yogi``

    Args:
        learning_rate: >= 0, or a schedule of the step count.
        b1, b2, eps: see ``scale_by_yogi``.

    References:
        Zaheer et al., Adaptive Methods for Nonconvex Optimization, NeurIPS 2018.

    Example:
        >>> import gradtx
        >>> opt = gradtx.yogi(learning_rate=0.01)
    """
    _check_adam_args("yogi", b1, b2, eps)
    check_learning_rate("yogi", learning_rate)
    return chain(scale_by_yogi(b1, b2, eps), scale_by_learning_rate(learning_rate))


# ----------------------------------------------------------------------------- ADOPT


class ScaleByAdoptState(NamedTuple):
    """State of ``scale_by_adopt``: count, the momentum ``mu`` of normalised
    gradients, and the second moment ``nu`` (one step behind the gradient).

    (optax stores ADOPT's moments in a ``ScaleByAdamState``; the fields are the same.)
    """

    count: jax.Array
    mu: object
    nu: object


def _default_clip_value_fn(count: jax.Array) -> jax.Array:
    return count**0.25


def _check_adopt_args(fn, b1, b2, eps, mu_dtype, clip_value_fn):
    _check_adam_args(fn, b1, b2, eps, mu_dtype=mu_dtype)
    if not callable(clip_value_fn):
        raise TypeError(
            f"gradtx.{fn}(clip_value_fn={clip_value_fn!r}): clip_value_fn must be a "
            "function of the step count (for example lambda t: t**0.25); got "
            f"{type(clip_value_fn).__name__}. Use use_clipping=False to turn clipping off."
        )


def scale_by_adopt(
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.9999,
    eps: float | jax.Array = 1e-6,
    mu_dtype=None,
    *,
    nesterov: bool = False,
    use_clipping: bool = True,
    clip_value_fn: Callable[[jax.Array], jax.Array] = _default_clip_value_fn,
) -> GradientTransformation:
    """Normalise the gradient by the *previous* second moment, then take momentum.

    Adam divides ``g_t`` by a ``nu_t`` that already contains ``g_t``, which couples
    the two and makes Adam diverge for some ``b2``. ADOPT normalises by
    ``nu_{t-1}`` and applies momentum after the normalisation; it then converges
    at the optimal rate for any ``b2``. The first step only initialises ``nu``
    and returns a zero update. Memory: two buffers per param.

    Update rule (t counts from 0, the number of earlier updates):
        t = 0:   nu_0 = |g_0|^2,   mu_0 = 0,   u_0 = 0
        t >= 1:  x_t  = g_t / max(sqrt(nu_{t-1}), eps)
                 x_t  = clip(x_t, -c_t, c_t),  c_t = clip_value_fn(t)  (if use_clipping)
                 mu_t = b1 * mu_{t-1} + (1 - b1) * x_t
                 nu_t = b2 * nu_{t-1} + (1 - b2) * |g_t|^2
                 u_t  = mu_t,   or with nesterov=True  b1 * mu_t + (1 - b1) * x_t

    Args:
        b1: momentum decay in [0, 1).
        b2: second-moment decay in [0, 1). ADOPT tolerates any value; the paper
            uses 0.9999.
        eps: >= 0, a floor on ``sqrt(nu)`` (not added to it, as in Adam).
        mu_dtype: dtype of ``mu``; None uses each param's dtype.
        nesterov: use the look-ahead momentum.
        use_clipping: clip the normalised gradient to ``[-c_t, c_t]``. The paper
            (v2) recommends it for stability early in training.
        clip_value_fn: the clip bound ``c_t`` as a function of the int32 step
            count ``t``; default ``t ** 0.25``.

    Returns:
        The transformation; its state is ``ScaleByAdoptState``.

    Raises:
        ValueError: for a concrete hyperparameter out of its range.
        TypeError: if ``clip_value_fn`` is not callable.

    References:
        Taniguchi et al., ADOPT: Modified Adam Can Converge with Any beta2 with the
        Optimal Rate, NeurIPS 2024, https://arxiv.org/abs/2411.02853.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.scale_by_adopt()
        >>> g = jnp.array([2.0, -4.0])
        >>> u, state = tx.update(g, tx.init(g))
        >>> u  # the first step only initialises nu
        Array([0., 0.], dtype=float32)
        >>> tx.update(g, state)[0]  # clip bound 1 at t=1; then (1 - b1) * x_1
        Array([ 0.1, -0.1], dtype=float32)
    """
    _check_adopt_args("scale_by_adopt", b1, b2, eps, mu_dtype, clip_value_fn)
    mu_dtype = canonicalize_dtype(mu_dtype)

    def init(params):
        return ScaleByAdoptState(
            count=zero_count(),
            mu=tree_zeros_like(params, mu_dtype),
            nu=tree_zeros_like(params),
        )

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        first = state.count == 0
        clip_value = jnp.asarray(clip_value_fn(state.count)) if use_clipping else None

        def leaf(g, m, n):
            g2 = abs_sq(g)
            x = g / jnp.maximum(jnp.sqrt(n), eps).astype(n.dtype)
            if use_clipping:
                c = clip_value.astype(x.real.dtype)
                x = jnp.clip(x, -c, c)
            # At t = 0 the momentum stays 0 and nu becomes g^2; `where` (rather than
            # b1 = 1, b2 = 0) keeps g / eps out of the result when eps is 0.
            new_m = jnp.where(first, m, (1 - b1) * x + b1 * m).astype(m.dtype)
            new_n = jnp.where(first, g2, (1 - b2) * g2 + b2 * n).astype(n.dtype)
            if nesterov:
                u = jnp.where(first, new_m, (1 - b1) * x + b1 * new_m)
            else:
                u = new_m
            return u.astype(g.dtype), new_m, new_n

        updates, mu, nu = zip_map(
            "gradtx.scale_by_adopt", leaf, 3, updates=updates, mu=state.mu, nu=state.nu
        )
        return updates, ScaleByAdoptState(count=safe_increment(state.count), mu=mu, nu=nu)

    return GradientTransformation(init, update)


def adopt(
    learning_rate: ScalarOrSchedule,
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.9999,
    eps: float | jax.Array = 1e-6,
    mu_dtype=None,
    *,
    nesterov: bool = False,
    use_clipping: bool = True,
    clip_value_fn: Callable[[jax.Array], jax.Array] = _default_clip_value_fn,
) -> GradientTransformation:
    """ADOPT: ``scale_by_adopt`` then ``scale_by_learning_rate``.

        p_t = p_{t-1} - learning_rate * u_t,  u_t as in ``scale_by_adopt``

    The first update is zero (it only measures ``g_0^2``). optax has this
    optimizer as ``optax.contrib.adopt``, with the same signature.

    Args:
        learning_rate: >= 0, or a schedule of the step count.
        b1, b2, eps, mu_dtype, nesterov, use_clipping, clip_value_fn: see
            ``scale_by_adopt``.

    References:
        Taniguchi et al., ADOPT: Modified Adam Can Converge with Any beta2 with the
        Optimal Rate, NeurIPS 2024.

    Example:
        >>> import gradtx, jax, jax.numpy as jnp, numpy as np
        >>> opt = gradtx.adopt(learning_rate=0.1)
        >>> params = jnp.array([1.0, -2.0])
        >>> state = opt.init(params)
        >>> for _ in range(3):
        ...     updates, state = opt.update(jax.grad(lambda x: x @ x)(params), state)
        ...     params = gradtx.apply_updates(params, updates)
        >>> print(np.asarray(params).round(3))
        [ 0.971 -1.971]
    """
    _check_adopt_args("adopt", b1, b2, eps, mu_dtype, clip_value_fn)
    check_learning_rate("adopt", learning_rate)
    return chain(
        scale_by_adopt(
            b1,
            b2,
            eps,
            mu_dtype,
            nesterov=nesterov,
            use_clipping=use_clipping,
            clip_value_fn=clip_value_fn,
        ),
        scale_by_learning_rate(learning_rate),
    )
