"""Registry entries for gradtx.contrib."""

import jax.numpy as jnp

import gradtx as gx
from tests.registry._entry import Entry
from tests.registry._support import OBJ, alternate_mask, as_float

ENTRIES = [
    Entry("scale_by_muon", gx.scale_by_muon, min_ndim=2),
    Entry(
        "scale_by_muon_rank3",
        lambda: gx.scale_by_muon(nesterov=False),
        min_ndim=3,
    ),
    Entry(
        "scale_by_muon_batched_dims",
        lambda: gx.scale_by_muon(
            weight_dimension_numbers=gx.MuonDimensionNumbers(reduction_axis=-2, output_axis=-1),
            preconditioning="aol",
        ),
        min_ndim=3,
    ),
    Entry("muon", lambda: gx.muon(0.02), optimizer=True),
    Entry(
        "muon_options",
        lambda: gx.muon(
            0.02,
            ns_coeffs="dion",
            weight_decay=0.1,
            mu_dtype=jnp.float32,
            nesterov=False,
            adaptive=True,
            preconditioning="schatten",
            consistent_rms=0.2,
        ),
        optimizer=True,
    ),
    Entry(
        "schedule_free_sgd", lambda: gx.schedule_free_sgd(0.1), optimizer=True, abstract_init=False
    ),
    Entry(
        "schedule_free_sgd_warmup_wd",
        lambda: gx.schedule_free_sgd(0.1, warmup_steps=5, weight_decay=1e-2),
        optimizer=True,
        abstract_init=False,
    ),
    Entry(
        "schedule_free_adamw",
        lambda: gx.schedule_free_adamw(0.01),
        optimizer=True,
        abstract_init=False,
    ),
    Entry(
        "schedule_free_adamw_warmup_f32state",
        lambda: gx.schedule_free_adamw(
            0.01, warmup_steps=3, weight_decay=1e-3, state_dtype=jnp.float32
        ),
        optimizer=True,
        abstract_init=False,
    ),
    Entry(
        "schedule_free_adam_wrapper",
        lambda: gx.schedule_free(gx.adam(0.01, b1=0.0), 0.01, b1=0.95, weight_lr_power=1.0),
        optimizer=True,
        abstract_init=False,
    ),
    Entry("prodigy", gx.prodigy, optimizer=True, abstract_init=False),
    Entry(
        "prodigy_schedule_safeguard_wd",
        lambda: gx.prodigy(
            lambda c: 1.0 / (1.0 + as_float(c)), beta3=0.9, weight_decay=1e-2, safeguard_warmup=True
        ),
        optimizer=True,
        abstract_init=False,
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
        lambda: gx.sophia(
            0.01, weight_decay=0.1, weight_decay_mask=alternate_mask, update_interval=2
        ),
        extra_args=OBJ,
        optimizer=True,
    ),
    Entry("reduce_on_plateau", lambda: gx.reduce_on_plateau(patience=1), extra_args={"value": 1.0}),
]
