"""Adam variants that change the second moment: AdaBelief, Yogi, ADOPT.

Novograd, Adan and AdEMAMix, which change the first moment, live in
``gradtx/_adam_variants2.py``."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain
from gradtx._core._numerics import debiased_first_moment, safe_increment, zero_count
from gradtx._core._validate import checks_float_params, validates_through_parts
from gradtx._optimizers._adam import check_adam_args
from gradtx.transforms._scaling import scale_by_learning_rate
from gradtx.tree_utils._construct import tree_zeros_like
from gradtx.tree_utils._moments import bias_correction_factor, moment_update
from gradtx.tree_utils._tree_math import abs_sq, zip_map

# ----------------------------------------------------------------------------- AdaBelief


class ScaleByBeliefState(NamedTuple):
    """State of ``scale_by_belief``: count, first moment ``mu``, and ``nu``, the EMA
    of the squared prediction error ``(g - mu)^2`` (plus ``eps_root``)."""

    count: jax.Array
    mu: object
    nu: object


@checks_float_params
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
    check_adam_args("scale_by_belief", b1, b2, eps, eps_root)

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
            new_m = moment_update(m, g, b1)
            new_n = ((1 - b2) * abs_sq(g - new_m) + b2 * n + eps_root).astype(n.dtype)
            m_hat = debiased_first_moment(new_m, g, b1, c1, c1_next)
            n_hat = new_n / c2.astype(new_n.dtype)
            u = m_hat / (jnp.sqrt(n_hat) + eps)
            return u.astype(g.dtype), new_m, new_n

        updates, mu, nu = zip_map(
            "gradtx.scale_by_belief", leaf, 3, updates=updates, mu=state.mu, nu=state.nu
        )
        return updates, ScaleByBeliefState(count=count, mu=mu, nu=nu)

    return GradientTransformation(init, update)


@checks_float_params
@validates_through_parts
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

    Complex params: supported (second moments of |g|^2, so steps keep g's phase).

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
    return chain(
        scale_by_belief(b1, b2, eps, eps_root, nesterov=nesterov),
        scale_by_learning_rate(learning_rate),
    )
