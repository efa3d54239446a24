"""Per-block (per-leaf) scaling: trust ratios (LARS, LAMB, Fromage), block norms,
gradient centralization, block RMS clipping and adaptive gradient clipping.

A "block" is one leaf of the params tree: a weight matrix, a bias vector, a
convolution kernel. These transformations measure a norm per block and rescale
the whole block by one number, so a layer's step is sized relative to its own
weights rather than to the global gradient."""

from __future__ import annotations

import jax

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain
from gradtx._core._validate import (
    check_decay,
    check_learning_rate,
    check_nonnegative,
    check_positive,
    checks_float_params,
)
from gradtx.transforms._layerwise import MaskOrFn, scale_by_trust_ratio
from gradtx.transforms._masking import masked
from gradtx.transforms._momentum import trace
from gradtx.transforms._scaling import scale_by_learning_rate
from gradtx.transforms._weight_decay import add_decayed_weights


@checks_float_params(complex_params=False)
def lars(
    learning_rate: ScalarOrSchedule,
    weight_decay: ScalarOrSchedule = 0.0,
    weight_decay_mask: MaskOrFn = True,
    trust_coefficient: float | jax.Array = 0.001,
    eps: float | jax.Array = 0.0,
    trust_ratio_mask: MaskOrFn = True,
    momentum: float | jax.Array = 0.9,
    nesterov: bool = False,
) -> GradientTransformation:
    """LARS: SGD with momentum on per-layer trust-ratio-scaled gradients.

    Chains ``add_decayed_weights(weight_decay, weight_decay_mask)``,
    ``scale_by_trust_ratio(trust_coefficient=..., eps=...)`` masked by
    ``trust_ratio_mask``, the learning rate, then ``trace(momentum, nesterov)``:
        d_t  = g_t + weight_decay * p_{t-1}
        s_t  = -learning_rate * trust_coefficient * ||p_{t-1}|| / (||d_t|| + eps) * d_t
        mu_t = s_t + momentum * mu_{t-1};   p_t = p_{t-1} + mu_t   (heavy ball)

    The momentum is taken after the learning rate, so a schedule changes the
    step of new gradients only. Leaves outside ``trust_ratio_mask`` (often
    biases and norm scales) get plain SGD with momentum.

    Complex params: not supported; ``init`` raises TypeError (wrap the optimizer in
    ``contrib.split_real_and_imaginary`` to optimize real and imaginary parts).

    Args:
        learning_rate: non-negative number, array or schedule.
        weight_decay: non-negative number, array or schedule (L2 added to the
            gradient before the trust ratio).
        weight_decay_mask: tree of bools, a function returning one, or True
            for all leaves.
        trust_coefficient: > 0, the paper's eta; default 0.001.
        eps: >= 0, added to the denominator of the ratio.
        trust_ratio_mask: like ``weight_decay_mask``, for the trust ratio.
        momentum: in [0, 1).
        nesterov: Nesterov momentum.

    Returns:
        The optimizer; its state is ``(<decay state>, MaskedState,
        <learning-rate state>, TraceState)``.

    References:
        You et al., Large Batch Training of Convolutional Networks, 2017,
        https://arxiv.org/abs/1708.03888.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.lars(learning_rate=1.0, trust_coefficient=0.1)
        >>> params = jnp.array([3.0, 4.0])
        >>> updates, _ = opt.update(jnp.array([0.0, 1.0]), opt.init(params), params)
        >>> gradtx.apply_updates(params, updates)  # a step of 0.1 * |p| = 0.5
        Array([3. , 3.5], dtype=float32)
    """
    fn = "lars"
    check_learning_rate(fn, learning_rate)
    check_nonnegative(fn, "weight_decay", weight_decay, schedule=True)
    check_positive(fn, "trust_coefficient", trust_coefficient)
    check_nonnegative(fn, "eps", eps)
    check_decay(fn, "momentum", momentum)
    return chain(
        add_decayed_weights(weight_decay, weight_decay_mask),
        masked(
            scale_by_trust_ratio(trust_coefficient=trust_coefficient, eps=eps), trust_ratio_mask
        ),
        scale_by_learning_rate(learning_rate),
        trace(decay=momentum, nesterov=nesterov),
    )
