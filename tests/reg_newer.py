"""Registry entries for schedule-free, Prodigy and Sophia (issue 3c)."""

import jax
import jax.numpy as jnp
from registry import Entry

import gradtx as gx


def contract_obj_fn(params):
    """A smooth convex loss of any params tree (None leaves skipped), for Sophia's
    Hessian estimator in the contract suite."""
    return sum(jnp.sum(jnp.cosh(x.astype(jnp.float32))) for x in jax.tree.leaves(params))


OBJ = {"obj_fn": contract_obj_fn}

ENTRIES = [
    Entry("schedule_free_sgd", lambda: gx.schedule_free_sgd(0.1), optimizer=True),
    Entry(
        "schedule_free_sgd_warmup_wd",
        lambda: gx.schedule_free_sgd(0.1, warmup_steps=5, weight_decay=1e-2),
        optimizer=True,
    ),
    Entry("schedule_free_adamw", lambda: gx.schedule_free_adamw(0.01), optimizer=True),
    Entry(
        "schedule_free_adamw_warmup_f32state",
        lambda: gx.schedule_free_adamw(
            0.01, warmup_steps=3, weight_decay=1e-3, state_dtype=jnp.float32
        ),
        optimizer=True,
    ),
    Entry(
        "schedule_free_adam_wrapper",
        lambda: gx.schedule_free(gx.adam(0.01, b1=0.0), 0.01, b1=0.95, weight_lr_power=1.0),
        optimizer=True,
    ),
    Entry("prodigy", gx.prodigy, optimizer=True),
    Entry(
        "prodigy_schedule_safeguard_wd",
        lambda: gx.prodigy(
            lambda c: 1.0 / (1.0 + c), beta3=0.9, weight_decay=1e-2, safeguard_warmup=True
        ),
        optimizer=True,
    ),
    Entry(
        "hutchinson_estimator_diag_hessian", gx.hutchinson_estimator_diag_hessian, extra_args=OBJ
    ),
    Entry("scale_by_sophia", gx.scale_by_sophia, extra_args=OBJ),
    Entry(
        "scale_by_sophia_noclip_every_step_bf16mu",
        lambda: gx.scale_by_sophia(
            eps=1.0, clip_threshold=None, update_interval=1, mu_dtype=jnp.bfloat16
        ),
        extra_args=OBJ,
    ),
    Entry("sophia", lambda: gx.sophia(0.01), extra_args=OBJ, optimizer=True),
    Entry(
        "sophia_mask_interval2",
        lambda: gx.sophia(0.01, weight_decay=0.1, weight_decay_mask=_alternate, update_interval=2),
        extra_args=OBJ,
        optimizer=True,
    ),
]


def _alternate(params):
    leaves, treedef = jax.tree.flatten(params)
    return treedef.unflatten([i % 2 == 0 for i in range(len(leaves))])
