"""Adam variants that change the first moment: NovoGrad, Adan, AdEMAMix.

AdaBelief, Yogi and ADOPT, which change the second moment, live in
``gradtx/_adam_variants.py``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._adam import _check_adam_args
from gradtx._base import GradientTransformation, ScalarOrSchedule, chain
from gradtx._masking import add_decayed_weights
from gradtx._numerics import bias_correction_factor, canonicalize_dtype, safe_increment, zero_count
from gradtx._scaling import scale_by_learning_rate
from gradtx._tree import abs_sq, check_same_structure, tree_zeros_like, zip_map
from gradtx._validate import (
    check_decay,
    check_learning_rate,
    check_nonnegative,
    concrete_values,
)

# ----------------------------------------------------------------------------- NovoGrad


class ScaleByNovogradState(NamedTuple):
    """State of ``scale_by_novograd``: count, the per-element momentum ``mu``, and
    ``nu``, one scalar per param leaf: the EMA of the leaf's squared gradient norm."""

    count: jax.Array
    mu: object
    nu: object


def _check_novograd_args(fn, b1, b2, eps, eps_root, weight_decay, mu_dtype=None):
    _check_adam_args(fn, b1, b2, eps, eps_root, mu_dtype)
    check_nonnegative(fn, "weight_decay", weight_decay)


def scale_by_novograd(
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.25,
    eps: float | jax.Array = 1e-8,
    eps_root: float | jax.Array = 0.0,
    weight_decay: ScalarOrSchedule = 0.0,
    mu_dtype=None,
) -> GradientTransformation:
    """Normalise each leaf's gradient by its running norm, add weight decay, then
    take (undamped) momentum (NovoGrad).

    The second moment is one scalar per leaf (per layer), so NovoGrad needs about
    half of Adam's memory; the normalised gradient makes it robust to the
    learning rate and to gradient scale, and it trains well without warm-up.

    Update rule (t counts from 1; ||.|| is the leaf's Euclidean norm):
        nu_1 = ||g_1||^2,   nu_t = b2 * nu_{t-1} + (1 - b2) * ||g_t||^2
        x_t  = g_t / (sqrt(nu_t + eps_root) + eps) + weight_decay * p_t
        mu_1 = x_1,         mu_t = b1 * mu_{t-1} + x_t
        u_t  = mu_t

    Note the momentum has no ``(1 - b1)`` factor: with a constant gradient the
    step grows to ``1 / (1 - b1)`` times the normalised gradient.

    Args:
        b1: momentum decay in [0, 1).
        b2: decay of the per-leaf squared norm in [0, 1).
        eps: >= 0, added outside the root.
        eps_root: >= 0, added inside the root.
        weight_decay: >= 0, or a schedule of the step count (read before the
            count is incremented). Needs ``params`` in ``update`` unless it is 0.
        mu_dtype: dtype of ``mu``; None uses each param's dtype.

    Returns:
        The transformation; its state is ``ScaleByNovogradState``.

    Raises:
        ValueError: for a concrete hyperparameter out of its range, or in
            ``update`` when weight decay is on and ``params`` is None.

    References:
        Ginsburg et al., Stochastic Gradient Methods with Layer-wise Adaptive Moments
        for Training of Deep Networks, 2019, https://arxiv.org/abs/1905.11286.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.scale_by_novograd()
        >>> g = {"w": jnp.array([3.0, 4.0])}  # ||g|| = 5
        >>> u, state = tx.update(g, tx.init(g), g)
        >>> u["w"], state.nu["w"]
        (Array([0.6, 0.8], dtype=float32), Array(25., dtype=float32))
    """
    _check_novograd_args("scale_by_novograd", b1, b2, eps, eps_root, weight_decay, mu_dtype)
    mu_dtype = canonicalize_dtype(mu_dtype)
    wd_values = concrete_values(weight_decay)
    decay_off = wd_values is not None and not wd_values.any()

    def init(params):
        return ScaleByNovogradState(
            count=zero_count(),
            mu=tree_zeros_like(params, mu_dtype),
            nu=jax.tree.map(lambda p: jnp.zeros((), jnp.asarray(p).dtype), params),
        )

    def update(updates, state, params=None, **extra_args):
        del extra_args
        first = state.count == 0
        wd = weight_decay(state.count) if callable(weight_decay) else weight_decay
        if params is None and not decay_off:
            raise ValueError(
                "gradtx.scale_by_novograd: update needs params when weight_decay is "
                "not 0 (pass params= to update)."
            )
        # nu holds one scalar per leaf, so it cannot go through zip_map's shape check.
        check_same_structure(
            "gradtx.scale_by_novograd", updates=updates, params=params, mu=state.mu
        )
        g_leaves, treedef = jax.tree.flatten(updates)
        p_leaves = [None] * len(g_leaves) if params is None else treedef.flatten_up_to(params)
        m_leaves = treedef.flatten_up_to(state.mu)
        n_leaves = treedef.flatten_up_to(state.nu)

        def leaf(g, p, m, n):
            sq_norm = jnp.sum(abs_sq(g))
            new_n = jnp.where(first, sq_norm, (1 - b2) * sq_norm + b2 * n).astype(n.dtype)
            x = g / (jnp.sqrt(new_n + eps_root) + eps)
            if not decay_off:
                x = x + wd * p
            new_m = jnp.where(first, x, b1 * m + x).astype(m.dtype)
            return new_m.astype(g.dtype), new_m, new_n

        outs = [leaf(*xs) for xs in zip(g_leaves, p_leaves, m_leaves, n_leaves, strict=True)]
        updates, mu, nu = (treedef.unflatten([o[k] for o in outs]) for k in range(3))
        return updates, ScaleByNovogradState(count=safe_increment(state.count), mu=mu, nu=nu)

    return GradientTransformation(init, update)


def novograd(
    learning_rate: ScalarOrSchedule,
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.25,
    eps: float | jax.Array = 1e-6,
    eps_root: float | jax.Array = 0.0,
    weight_decay: ScalarOrSchedule = 0.0,
) -> GradientTransformation:
    """NovoGrad: ``scale_by_novograd`` then ``scale_by_learning_rate``.

        p_t = p_{t-1} - learning_rate * mu_t,  mu_t as in ``scale_by_novograd``

    Note the optimizer's ``eps`` default (1e-6) differs from the building
    block's (1e-8), as in optax.

    Args:
        learning_rate: >= 0, or a schedule of the step count.
        b1, b2, eps, eps_root, weight_decay: see ``scale_by_novograd``.

    References:
        Ginsburg et al., Stochastic Gradient Methods with Layer-wise Adaptive Moments
        for Training of Deep Networks, 2019.

    Example:
        >>> import gradtx, jax, jax.numpy as jnp
        >>> opt = gradtx.novograd(learning_rate=0.1)
        >>> params = jnp.array([3.0, 4.0])
        >>> state = opt.init(params)
        >>> updates, state = opt.update(jax.grad(lambda x: x @ x / 2)(params), state, params)
        >>> gradtx.apply_updates(params, updates)
        Array([2.94, 3.92], dtype=float32)
    """
    _check_novograd_args("novograd", b1, b2, eps, eps_root, weight_decay)
    check_learning_rate("novograd", learning_rate)
    return chain(
        scale_by_novograd(b1, b2, eps, eps_root, weight_decay),
        scale_by_learning_rate(learning_rate),
    )


# ----------------------------------------------------------------------------- Adan


class ScaleByAdanState(NamedTuple):
    """State of ``scale_by_adan``: count, gradient EMA ``mu``, EMA ``nu`` of the
    squared corrected gradient, EMA ``mu_diff`` of gradient differences, and the
    previous gradient ``prev_grad``.

    (optax names these ``t, m, n, v, g``, in the order ``m, v, n, g, t``.)
    """

    count: jax.Array
    mu: object
    nu: object
    mu_diff: object
    prev_grad: object


def _check_adan_args(fn, b1, b2, b3, eps, eps_root):
    _check_adam_args(fn, b1, b2, eps, eps_root)
    check_decay(fn, "b3", b3)


def scale_by_adan(
    b1: float | jax.Array = 0.98,
    b2: float | jax.Array = 0.92,
    b3: float | jax.Array = 0.99,
    eps: float | jax.Array = 1e-8,
    eps_root: float | jax.Array = 0.0,
) -> GradientTransformation:
    """Adam with a Nesterov-style correction from the gradient difference (Adan).

    Adan estimates the gradient at the extrapolated point from the change
    ``g_t - g_{t-1}``, so it gets Nesterov acceleration without a second
    gradient evaluation. Memory: four buffers per param.

    Update rule (t counts from 1; d_1 = 0):
        d_t       = g_t - g_{t-1}
        mu_t      = b1 * mu_{t-1} + (1 - b1) * g_t
        mu_diff_t = b2 * mu_diff_{t-1} + (1 - b2) * d_t
        nu_t      = b3 * nu_{t-1} + (1 - b3) * |g_t + (1 - b2) * d_t|^2
        u_t = (mu_t / (1 - b1^t) + (1 - b2) * mu_diff_t / (1 - b2^t))
              / (sqrt(nu_t / (1 - b3^t) + eps_root) + eps)

    The b's are decay rates (the paper's ``1 - beta``). The correction terms use
    the factor ``1 - b2`` (0.08 by default) as optax does; the paper's Algorithm 1
    and the authors' PyTorch code use ``b2`` there (the paper's ``1 - beta_2``,
    0.92 by default), which weighs the gradient difference about ten times more.
    gradtx follows optax so that trajectories agree.

    Args:
        b1: decay of the gradient EMA in [0, 1).
        b2: decay of the gradient-difference EMA in [0, 1).
        b3: decay of the second moment in [0, 1).
        eps: >= 0, added outside the root.
        eps_root: >= 0, added inside the root.

    Returns:
        The transformation; its state is ``ScaleByAdanState``.

    Raises:
        ValueError: for a concrete hyperparameter out of its range.

    References:
        Xie et al., Adan: Adaptive Nesterov Momentum Algorithm for Faster Optimizing
        Deep Models, IEEE TPAMI 2024, https://arxiv.org/abs/2208.06677.

    Example:
        >>> import gradtx, jax.numpy as jnp, numpy as np
        >>> tx = gradtx.scale_by_adan()
        >>> u, state = tx.update(jnp.array([2.0, -4.0]), tx.init(jnp.zeros(2)))
        >>> print(np.asarray(u).round(4))  # with d_1 = 0 the first step is g / |g|
        [ 1. -1.]
    """
    _check_adan_args("scale_by_adan", b1, b2, b3, eps, eps_root)

    def init(params):
        return ScaleByAdanState(
            count=zero_count(),
            mu=tree_zeros_like(params),
            nu=tree_zeros_like(params),
            mu_diff=tree_zeros_like(params),
            prev_grad=tree_zeros_like(params),
        )

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        first = state.count == 0
        count = safe_increment(state.count)
        c1 = bias_correction_factor(b1, count)
        c2 = bias_correction_factor(b2, count)
        c3 = bias_correction_factor(b3, count)

        def leaf(g, m, n, v, g_prev):
            d = jnp.where(first, jnp.zeros_like(g), g - g_prev)
            new_m = ((1 - b1) * g + b1 * m).astype(m.dtype)
            new_v = ((1 - b2) * d + b2 * v).astype(v.dtype)
            new_n = ((1 - b3) * abs_sq(g + (1 - b2) * d) + b3 * n).astype(n.dtype)
            direction = new_m / c1.astype(new_m.dtype) + (1 - b2) * (new_v / c2.astype(new_v.dtype))
            u = direction / (jnp.sqrt(new_n / c3.astype(new_n.dtype) + eps_root) + eps)
            return u.astype(g.dtype), new_m, new_n, new_v, g.astype(g_prev.dtype)

        updates, mu, nu, mu_diff, prev_grad = zip_map(
            "gradtx.scale_by_adan",
            leaf,
            5,
            updates=updates,
            mu=state.mu,
            nu=state.nu,
            mu_diff=state.mu_diff,
            prev_grad=state.prev_grad,
        )
        return updates, ScaleByAdanState(count, mu, nu, mu_diff, prev_grad)

    return GradientTransformation(init, update)


def adan(
    learning_rate: ScalarOrSchedule,
    b1: float | jax.Array = 0.98,
    b2: float | jax.Array = 0.92,
    b3: float | jax.Array = 0.99,
    eps: float | jax.Array = 1e-8,
    eps_root: float | jax.Array = 1e-8,
    weight_decay: ScalarOrSchedule = 0.0,
    mask: Any = None,
) -> GradientTransformation:
    """Adan: ``scale_by_adan``, ``add_decayed_weights``, then the learning rate.

        p_t = p_{t-1} - learning_rate * (u_t + weight_decay * p_{t-1})

    The decay is decoupled and multiplied by the learning rate (the authors'
    ``no_prox=True``); their default proximal form divides by
    ``1 + learning_rate * weight_decay`` instead. Note the optimizer's
    ``eps_root`` default (1e-8) differs from the building block's (0), as in optax.

    Args:
        learning_rate: >= 0, or a schedule of the step count.
        b1, b2, b3, eps, eps_root: see ``scale_by_adan``.
        weight_decay: >= 0, or a schedule.
        mask: tree of bools (or a function of the params returning one) selecting
            the leaves to decay.

    References:
        Xie et al., Adan: Adaptive Nesterov Momentum Algorithm for Faster Optimizing
        Deep Models, IEEE TPAMI 2024.

    Example:
        >>> import gradtx
        >>> opt = gradtx.adan(learning_rate=1e-3, weight_decay=0.02)
    """
    _check_adan_args("adan", b1, b2, b3, eps, eps_root)
    check_learning_rate("adan", learning_rate)
    check_nonnegative("adan", "weight_decay", weight_decay)
    return chain(
        scale_by_adan(b1, b2, b3, eps, eps_root),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )


# ----------------------------------------------------------------------------- AdEMAMix


class ScaleByAdemamixState(NamedTuple):
    """State of ``scale_by_ademamix``: count, fast gradient EMA ``mu``, second
    moment ``nu``, and the slow gradient EMA ``mu_slow``.

    (optax names these ``m1``, ``nu``, ``m2`` and keeps a second counter
    ``count_m2`` that always equals ``count``; gradtx keeps one.)
    """

    count: jax.Array
    mu: object
    nu: object
    mu_slow: object


def _check_ademamix_args(fn, b1, b2, b3, alpha, eps, eps_root, mu_dtype):
    _check_adam_args(fn, b1, b2, eps, eps_root, mu_dtype)
    check_decay(fn, "b3", b3)
    check_nonnegative(fn, "alpha", alpha)


def scale_by_ademamix(
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.999,
    b3: ScalarOrSchedule = 0.9999,
    alpha: ScalarOrSchedule = 6.0,
    eps: float | jax.Array = 1e-8,
    eps_root: float | jax.Array = 0.0,
    mu_dtype=None,
) -> GradientTransformation:
    """Adam whose numerator mixes a fast and a very slow gradient EMA (AdEMAMix).

    A single EMA cannot both react to recent gradients and remember old ones.
    AdEMAMix adds a slow EMA (``b3`` near 1, a memory of ~10k steps) weighted
    by ``alpha`` to Adam's fast one. The slow EMA is not bias-corrected, so it
    enters gradually. Best for long runs; the paper warms ``alpha`` and ``b3`` up
    with schedules. Memory: three buffers per param.

    Update rule (t counts from 1; b3 and alpha are read at step t - 1):
        mu_t      = b1 * mu_{t-1} + (1 - b1) * g_t
        mu_slow_t = b3 * mu_slow_{t-1} + (1 - b3) * g_t
        nu_t      = b2 * nu_{t-1} + (1 - b2) * |g_t|^2
        u_t = (mu_t / (1 - b1^t) + alpha * mu_slow_t)
              / (sqrt(nu_t / (1 - b2^t) + eps_root) + eps)

    Args:
        b1: fast-EMA decay in [0, 1).
        b2: second-moment decay in [0, 1).
        b3: slow-EMA decay in [0, 1), or a schedule of the step count.
        alpha: weight of the slow EMA, >= 0, or a schedule. The building block's
            default (6.0) differs from the optimizer's (5.0), as in optax.
        eps: >= 0, added outside the root.
        eps_root: >= 0, added inside the root.
        mu_dtype: dtype of ``mu`` and ``mu_slow``; None uses each param's dtype.
            ``nu`` keeps the param's dtype (optax stores it in ``mu_dtype`` too).

    Returns:
        The transformation; its state is ``ScaleByAdemamixState``.

    Raises:
        ValueError: for a concrete hyperparameter out of its range.

    References:
        Pagliardini, Ablin and Grangier, The AdEMAMix Optimizer: Better, Faster,
        Older, ICLR 2025, https://arxiv.org/abs/2409.03137.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.scale_by_ademamix(alpha=5.0)
        >>> u, state = tx.update(jnp.array([2.0, -4.0]), tx.init(jnp.zeros(2)))
        >>> u.round(4)  # sign(g) * (1 + alpha * (1 - b3))
        Array([ 1.0005, -1.0005], dtype=float32)
    """
    _check_ademamix_args("scale_by_ademamix", b1, b2, b3, alpha, eps, eps_root, mu_dtype)
    mu_dtype = canonicalize_dtype(mu_dtype)

    def init(params):
        return ScaleByAdemamixState(
            count=zero_count(),
            mu=tree_zeros_like(params, mu_dtype),
            nu=tree_zeros_like(params),
            mu_slow=tree_zeros_like(params, mu_dtype),
        )

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        b3_t = b3(state.count) if callable(b3) else b3
        alpha_t = alpha(state.count) if callable(alpha) else alpha
        count = safe_increment(state.count)
        c1 = bias_correction_factor(b1, count)
        c2 = bias_correction_factor(b2, count)

        def leaf(g, m, n, m_slow):
            new_m = ((1 - b1) * g + b1 * m).astype(m.dtype)
            new_slow = ((1 - b3_t) * g + b3_t * m_slow).astype(m_slow.dtype)
            new_n = ((1 - b2) * abs_sq(g) + b2 * n).astype(n.dtype)
            numerator = new_m / c1.astype(new_m.dtype) + alpha_t * new_slow
            u = numerator / (jnp.sqrt(new_n / c2.astype(new_n.dtype) + eps_root) + eps)
            return u.astype(g.dtype), new_m, new_n, new_slow

        updates, mu, nu, mu_slow = zip_map(
            "gradtx.scale_by_ademamix",
            leaf,
            4,
            updates=updates,
            mu=state.mu,
            nu=state.nu,
            mu_slow=state.mu_slow,
        )
        return updates, ScaleByAdemamixState(count=count, mu=mu, nu=nu, mu_slow=mu_slow)

    return GradientTransformation(init, update)


def ademamix(
    learning_rate: ScalarOrSchedule,
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.999,
    b3: ScalarOrSchedule = 0.9999,
    alpha: ScalarOrSchedule = 5.0,
    eps: float | jax.Array = 1e-8,
    eps_root: float | jax.Array = 0.0,
    mu_dtype=None,
    weight_decay: ScalarOrSchedule = 0.0,
    mask: Any = None,
) -> GradientTransformation:
    """AdEMAMix: ``scale_by_ademamix``, ``add_decayed_weights``, then the learning rate.

        p_t = p_{t-1} - learning_rate * (u_t + weight_decay * p_{t-1})

    optax has this optimizer as ``optax.contrib.ademamix``, with the same
    signature. The paper pairs it with a warm-up of ``alpha`` (linear) and of
    ``b3`` over ``T_{alpha,b3}`` steps, passed here as schedules.

    Args:
        learning_rate: >= 0, or a schedule of the step count.
        b1, b2, b3, alpha, eps, eps_root, mu_dtype: see ``scale_by_ademamix``.
        weight_decay: >= 0, or a schedule; decoupled and multiplied by the
            learning rate, as in AdamW.
        mask: tree of bools (or a function of the params returning one) selecting
            the leaves to decay.

    References:
        Pagliardini, Ablin and Grangier, The AdEMAMix Optimizer: Better, Faster,
        Older, ICLR 2025.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> warmup_alpha = lambda t: 5.0 * jnp.minimum(t / 1000, 1.0)
        >>> opt = gradtx.ademamix(learning_rate=1e-3, alpha=warmup_alpha)
    """
    _check_ademamix_args("ademamix", b1, b2, b3, alpha, eps, eps_root, mu_dtype)
    check_learning_rate("ademamix", learning_rate)
    check_nonnegative("ademamix", "weight_decay", weight_decay)
    return chain(
        scale_by_ademamix(b1, b2, b3, alpha, eps, eps_root, mu_dtype),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )
