"""Registry entries for the optax.contrib optimizers added for issue 9 (gradtx.contrib only)."""

from __future__ import annotations

import jax
import jax.numpy as jnp

import gradtx as gx
from gradtx import contrib as gc
from tests.registry._entry import Entry
from tests.registry._support import as_float, composed

VALUE = {"value": 1.0}


def _identity_grad_fn(params, i):
    del i
    return params


def per_example(tx: gx.GradientTransformation) -> gx.GradientTransformation:
    """Feed plain gradients to a per-example transformation (dpsgd) as a batch of one,
    so that the contract suite's trees (leaves of different sizes) can drive it."""

    def update(updates, state, params=None, **extra_args):
        batched = jax.tree.map(lambda g: jnp.expand_dims(g, 0), updates)
        return tx.update(batched, state, params, **extra_args)

    return gx.GradientTransformation(tx.init, update)


def _dims_by_rank(params):
    """Rank-3 leaves as (axis 0) x (axes 1, 2) matrices, rank-2 leaves as they are."""
    by_rank = {2: gc.GaLoreDimensionNumbers(), 3: gc.GaLoreDimensionNumbers(0, (1, 2))}
    return jax.tree.map(lambda x: by_rank.get(x.ndim), params)


ENTRIES = [
    Entry("scale_by_acprop", gc.scale_by_acprop),
    Entry("acprop", lambda: gc.acprop(0.01, weight_decay=1e-2), optimizer=True),
    Entry("scale_by_cocob", gc.scale_by_cocob, abstract_init=False),
    Entry(
        "cocob",
        lambda: gc.cocob(0.5, alpha=10.0, weight_decay=1e-3),
        optimizer=True,
        abstract_init=False,
    ),
    Entry(
        "dadapt_adamw",
        lambda: gc.dadapt_adamw(lambda c: 1.0 / (1.0 + as_float(c)), (0.8, 0.99), weight_decay=0.1),
        optimizer=True,
    ),
    Entry("dog", lambda: gc.dog(weight_decay=1e-3), optimizer=True, abstract_init=False),
    Entry("dowg", gc.dowg, optimizer=True, abstract_init=False),
    Entry(
        "differentially_private_aggregate",
        lambda: per_example(gc.differentially_private_aggregate(1.0, 0.5, key=0)),
        factory=composed(per_example, gc.differentially_private_aggregate),
        kwargs={"l2_norm_clip": 1.0, "noise_multiplier": 0.5, "key": 0},
    ),
    Entry(
        "dpsgd",
        lambda: per_example(gc.dpsgd(0.1, 1.0, 0.5, 0, momentum=0.9, nesterov=True)),
        optimizer=True,
        factory=composed(per_example, gc.dpsgd),
        kwargs={
            "learning_rate": 0.1,
            "l2_norm_clip": 1.0,
            "noise_multiplier": 0.5,
            "seed": 0,
            "momentum": 0.9,
            "nesterov": True,
        },
    ),
    Entry("scale_by_galore", lambda: gc.scale_by_galore(rank=2, update_proj_gap=1)),
    Entry(
        "galore_rank3_dimension_numbers",
        lambda: gc.galore(0.01, rank=2, weight_decay=1e-2, weight_dimension_numbers=_dims_by_rank),
        optimizer=True,
        min_ndim=3,
    ),
    Entry(
        "scale_by_madgrad",
        lambda: gc.scale_by_madgrad(0.01),
        abstract_init=False,
    ),
    Entry(
        "madgrad",
        lambda: gc.madgrad(0.01, weight_decay=1e-3),
        optimizer=True,
        abstract_init=False,
    ),
    Entry("mechanize", lambda: gc.mechanize(gx.adam(1.0)), optimizer=True, abstract_init=False),
    Entry(
        "momo_adapt_wd",
        lambda: gc.momo(0.5, weight_decay=1e-2, adapt_lower_bound=True),
        extra_args=VALUE,
        optimizer=True,
    ),
    Entry(
        "momo_adam_adapt_wd",
        lambda: gc.momo_adam(0.1, weight_decay=1e-2, adapt_lower_bound=True),
        extra_args=VALUE,
        optimizer=True,
    ),
    Entry("normalize", gc.normalize),
    Entry(
        "sam",
        lambda: gc.sam(gx.adam(0.01), gx.chain(gc.normalize(), gx.sgd(0.05))),
        optimizer=True,
        abstract_init=False,
    ),
    Entry(
        "sam_opaque",
        lambda: gc.sam(gx.sgd(0.01), gx.sgd(0.05), sync_period=3, opaque_mode=True),
        extra_args={"grad_fn": _identity_grad_fn},
        optimizer=True,
    ),
    Entry("scale_by_simplified_ademamix", lambda: gc.scale_by_simplified_ademamix(alpha=2.0)),
    Entry(
        "simplified_ademamix",
        lambda: gc.simplified_ademamix(1e-3, alpha=lambda c: 0.1 * as_float(c), weight_decay=1e-2),
        optimizer=True,
    ),
    Entry(
        "split_real_and_imaginary",
        lambda: gc.split_real_and_imaginary(gx.adam(0.01)),
        optimizer=True,
    ),
]
