"""Adam variants that change the first moment: NovoGrad, Adan, AdEMAMix.

AdaBelief, Yogi and ADOPT, which change the second moment, live in
``gradtx/_adam_variants.py``."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain
from gradtx._core._numerics import canonicalize_dtype, promoted, safe_increment, zero_count
from gradtx._core._validate import (
    check_decay,
    check_nonnegative,
    checks_float_params,
    validates_through_parts,
)
from gradtx._optimizers._adam import check_adam_args
from gradtx.transforms._scaling import scale_by_learning_rate
from gradtx.transforms._weight_decay import add_decayed_weights
from gradtx.tree_utils._construct import tree_zeros_like
from gradtx.tree_utils._moments import bias_correction_factor, moment_update
from gradtx.tree_utils._tree_math import abs_sq, zip_map

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
    check_adam_args(fn, b1, b2, eps, eps_root, mu_dtype)
    check_decay(fn, "b3", b3, schedule=True)
    check_nonnegative(fn, "alpha", alpha, schedule=True)


@checks_float_params
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
            new_m = moment_update(m, g, b1)
            new_slow = moment_update(m_slow, g, b3_t)
            new_n = moment_update(n, abs_sq(g), b2)
            slow = promoted(jnp.multiply, alpha_t, new_slow)
            numerator = promoted(jnp.add, new_m / c1.astype(new_m.dtype), slow)
            n_hat = promoted(jnp.add, new_n / c2.astype(new_n.dtype), eps_root)
            u = promoted(jnp.divide, numerator, promoted(jnp.add, jnp.sqrt(n_hat), eps))
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


@checks_float_params
@validates_through_parts
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

    Complex params: supported (second moments of |g|^2, so steps keep g's phase).

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
    return chain(
        scale_by_ademamix(b1, b2, b3, alpha, eps, eps_root, mu_dtype),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )
