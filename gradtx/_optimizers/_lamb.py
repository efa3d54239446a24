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
    checks_float_params,
    validates_through_parts,
)
from gradtx._optimizers._adam import scale_by_adam
from gradtx.transforms._layerwise import MaskOrFn, scale_by_trust_ratio
from gradtx.transforms._scaling import scale_by_learning_rate
from gradtx.transforms._weight_decay import add_decayed_weights


@checks_float_params
@validates_through_parts
def lamb(
    learning_rate: ScalarOrSchedule,
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.999,
    eps: float | jax.Array = 1e-6,
    eps_root: float | jax.Array = 0.0,
    weight_decay: ScalarOrSchedule = 0.0,
    mask: MaskOrFn = None,
) -> GradientTransformation:
    """LAMB: Adam's direction plus weight decay, rescaled per layer by a trust ratio.

    Chains ``scale_by_adam(b1, b2, eps, eps_root)``,
    ``add_decayed_weights(weight_decay, mask)``, ``scale_by_trust_ratio()`` and
    the learning rate. Per leaf:
        d_t = adam_direction(g_t) + weight_decay * p_{t-1}
        p_t = p_{t-1} - learning_rate * (||p_{t-1}|| / ||d_t||) * d_t

    Built for very large batches (BERT pre-training): every layer moves by
    ``learning_rate`` times the norm of its weights.

    Complex params: supported.

    Args:
        learning_rate: non-negative number, array or schedule.
        b1, b2: moment decays in [0, 1); see ``scale_by_adam``.
        eps: >= 0, added outside the root.
        eps_root: >= 0, added inside the root.
        weight_decay: non-negative number, array or schedule.
        mask: tree of bools (or a function of the params returning one)
            choosing the leaves to decay; None decays all.

    Returns:
        The optimizer; its state is ``(ScaleByAdamState, <decay state>,
        EmptyState(), <learning-rate state>)``.

    References:
        You et al., Large Batch Optimization for Deep Learning: Training BERT in
        76 minutes, ICLR 2020, https://arxiv.org/abs/1904.00962.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.lamb(learning_rate=0.1)
        >>> params = jnp.array([3.0, 4.0])
        >>> updates, _ = opt.update(params, opt.init(params), params)
        >>> gradtx.apply_updates(params, updates)  # 10% of |p| along Adam's +-1
        Array([2.6464467, 3.6464467], dtype=float32)
    """
    return chain(
        scale_by_adam(b1=b1, b2=b2, eps=eps, eps_root=eps_root),
        add_decayed_weights(weight_decay, mask),
        scale_by_trust_ratio(),
        scale_by_learning_rate(learning_rate),
    )
