"""Registry entries for the Adam variants (issue 3a): AdaBelief, Yogi, ADOPT,
NovoGrad, Adan, AdEMAMix."""

import jax.numpy as jnp
from registry import Entry

import gradtx as gx


def _alternate(params):
    """A mask: True on every other leaf, in flattening order."""
    import jax

    leaves, treedef = jax.tree.flatten(params)
    return treedef.unflatten([i % 2 == 0 for i in range(len(leaves))])


def _warmup(peak):
    return lambda count: peak * jnp.minimum(count / 10.0, 1.0)


ENTRIES = [
    # building blocks
    Entry("scale_by_belief", gx.scale_by_belief),
    Entry("scale_by_belief_nesterov", lambda: gx.scale_by_belief(nesterov=True)),
    Entry("scale_by_yogi", gx.scale_by_yogi),
    Entry(
        "scale_by_yogi_array_hparams",
        lambda: gx.scale_by_yogi(b1=jnp.asarray(0.8), b2=jnp.asarray(0.99)),
    ),
    Entry("scale_by_adopt", gx.scale_by_adopt),
    Entry("scale_by_adopt_nesterov", lambda: gx.scale_by_adopt(nesterov=True)),
    Entry("scale_by_adopt_noclip", lambda: gx.scale_by_adopt(use_clipping=False)),
    Entry("scale_by_adopt_lowp", lambda: gx.scale_by_adopt(mu_dtype=jnp.bfloat16)),
    Entry("scale_by_novograd", gx.scale_by_novograd),
    Entry("scale_by_novograd_wd", lambda: gx.scale_by_novograd(weight_decay=0.1)),
    Entry("scale_by_novograd_wd_schedule", lambda: gx.scale_by_novograd(weight_decay=_warmup(0.1))),
    Entry("scale_by_novograd_lowp", lambda: gx.scale_by_novograd(mu_dtype=jnp.bfloat16)),
    Entry("scale_by_adan", gx.scale_by_adan),
    Entry("scale_by_ademamix", gx.scale_by_ademamix),
    Entry(
        "scale_by_ademamix_schedules",
        lambda: gx.scale_by_ademamix(
            b3=lambda c: 0.99 + 0.009 * jnp.minimum(c / 10.0, 1.0), alpha=_warmup(5.0)
        ),
    ),
    Entry("scale_by_ademamix_lowp", lambda: gx.scale_by_ademamix(mu_dtype=jnp.bfloat16)),
    # optimizers
    Entry("adabelief", lambda: gx.adabelief(0.01), optimizer=True),
    Entry("adabelief_nesterov", lambda: gx.adabelief(0.01, nesterov=True), optimizer=True),
    Entry("yogi", lambda: gx.yogi(0.01), optimizer=True),
    Entry("adopt", lambda: gx.adopt(0.01), optimizer=True),
    Entry(
        "adopt_nesterov_noclip",
        lambda: gx.adopt(0.01, nesterov=True, use_clipping=False),
        optimizer=True,
    ),
    Entry("novograd", lambda: gx.novograd(0.01), optimizer=True),
    Entry("novograd_wd", lambda: gx.novograd(0.01, weight_decay=1e-2), optimizer=True),
    Entry("adan", lambda: gx.adan(0.01), optimizer=True),
    Entry(
        "adan_wd_mask", lambda: gx.adan(0.01, weight_decay=0.02, mask=_alternate), optimizer=True
    ),
    Entry("ademamix", lambda: gx.ademamix(0.01), optimizer=True),
    Entry(
        "ademamix_wd_schedule",
        lambda: gx.ademamix(lambda c: 0.01 * 0.99**c, alpha=_warmup(5.0), weight_decay=1e-2),
        optimizer=True,
    ),
]
