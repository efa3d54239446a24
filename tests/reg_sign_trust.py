"""Registry entries for the sign family and the per-block (trust-ratio) family (issue 3b)."""

import jax
import jax.numpy as jnp
from registry import Entry

import gradtx as gx


def _alternate(params):
    """A mask: True on every other leaf, in flattening order."""
    leaves, treedef = jax.tree.flatten(params)
    return treedef.unflatten([i % 2 == 0 for i in range(len(leaves))])


ENTRIES = [
    # _sign.py
    Entry("scale_by_sign", gx.scale_by_sign),
    Entry("scale_by_lion", gx.scale_by_lion),
    Entry("scale_by_lion_smooth", lambda: gx.scale_by_lion(mode="smooth", smooth_beta=2.0)),
    Entry("scale_by_lion_refined", lambda: gx.scale_by_lion(mode="refined")),
    Entry("scale_by_lion_lowp", lambda: gx.scale_by_lion(mu_dtype=jnp.bfloat16)),
    Entry("sign_sgd", lambda: gx.sign_sgd(0.01), optimizer=True),
    Entry("sign_sgd_schedule", lambda: gx.sign_sgd(lambda c: 0.01 * 0.9**c), optimizer=True),
    Entry("signum", lambda: gx.signum(0.01), optimizer=True),
    Entry("signum_lowp", lambda: gx.signum(0.01, accumulator_dtype=jnp.bfloat16), optimizer=True),
    Entry("lion", lambda: gx.lion(1e-3), optimizer=True),
    Entry("lion_mask", lambda: gx.lion(1e-3, weight_decay=0.1, mask=_alternate), optimizer=True),
    # _trust.py
    Entry("scale_by_trust_ratio", gx.scale_by_trust_ratio),
    Entry(
        "scale_by_trust_ratio_floor",
        lambda: gx.scale_by_trust_ratio(min_norm=1e-3, trust_coefficient=0.01, eps=1e-8),
    ),
    Entry("lamb", lambda: gx.lamb(0.01), optimizer=True),
    Entry("lamb_wd_mask", lambda: gx.lamb(0.01, weight_decay=0.1, mask=_alternate), optimizer=True),
    Entry("lars", lambda: gx.lars(0.1), optimizer=True),
    Entry(
        "lars_masks_nesterov",
        lambda: gx.lars(
            0.1,
            weight_decay=1e-2,
            weight_decay_mask=_alternate,
            trust_ratio_mask=_alternate,
            nesterov=True,
        ),
        optimizer=True,
    ),
    Entry("fromage", lambda: gx.fromage(0.01), optimizer=True),
    Entry("fromage_schedule", lambda: gx.fromage(lambda c: 0.01 / (1 + c)), optimizer=True),
    Entry("scale_by_param_block_norm", gx.scale_by_param_block_norm),
    Entry("scale_by_param_block_rms", gx.scale_by_param_block_rms),
    Entry("centralize", gx.centralize),
    Entry("clip_by_block_rms", lambda: gx.clip_by_block_rms(0.5)),
    Entry("adaptive_grad_clip", lambda: gx.adaptive_grad_clip(0.05)),
    Entry("adaptive_grad_clip_axis", lambda: gx.adaptive_grad_clip(0.05, axis=-1), min_ndim=1),
]
