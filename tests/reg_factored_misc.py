"""Registry entries for factored second moments, Polyak, noise, safety transforms and Muon."""

import jax.numpy as jnp
from registry import Entry

import gradtx as gx

ENTRIES = [
    Entry("scale_by_factored_rms", gx.scale_by_factored_rms),
    Entry(
        "scale_by_factored_rms_factored",
        lambda: gx.scale_by_factored_rms(min_dim_size_to_factor=2),
    ),
    Entry("adafactor", lambda: gx.adafactor(0.01), optimizer=True),
    Entry(
        "adafactor_all_options",
        lambda: gx.adafactor(
            lambda c: 0.01 / (1.0 + c),
            min_dim_size_to_factor=2,
            momentum=0.9,
            dtype_momentum=jnp.bfloat16,
            weight_decay_rate=1e-2,
            clipping_threshold=0.5,
        ),
        optimizer=True,
    ),
    Entry(
        "adafactor_no_lr",
        lambda: gx.adafactor(
            None, factored=False, multiply_by_parameter_scale=False, clipping_threshold=None
        ),
        optimizer=True,
    ),
    Entry("scale_by_sm3", gx.scale_by_sm3),
    Entry("scale_by_sm3_ema", lambda: gx.scale_by_sm3(0.5, 0.9)),
    Entry("sm3", lambda: gx.sm3(0.1), optimizer=True),
    Entry("sm3_no_momentum", lambda: gx.sm3(0.1, momentum=None), optimizer=True),
    Entry("scale_by_polyak", gx.scale_by_polyak, extra_args={"value": 1.0}),
    Entry("polyak_sgd", gx.polyak_sgd, extra_args={"value": 1.0}, optimizer=True),
    Entry(
        "polyak_sgd_plus",
        lambda: gx.polyak_sgd(0.5, scaling=0.5, f_min=2.0, eps=1e-6, variant="sps+"),
        extra_args={"value": 1.0},
        optimizer=True,
    ),
    Entry("add_noise", lambda: gx.add_noise(0.01, 0.55, key=0)),
    Entry("noisy_sgd", lambda: gx.noisy_sgd(0.01, key=1), optimizer=True),
    Entry("keep_params_nonnegative", gx.keep_params_nonnegative),
    Entry("zero_nans", gx.zero_nans),
    Entry("scale_by_muon", gx.scale_by_muon, min_ndim=2),
    Entry("scale_by_muon_rank3", lambda: gx.scale_by_muon(nesterov=False), min_ndim=3),
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
]
