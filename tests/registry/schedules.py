"""Registry entries for gradtx.schedules: inject_hyperparams and schedule-driven transforms."""

import jax.numpy as jnp

import gradtx as gx
from tests.registry._entry import Entry
from tests.registry._support import as_float

ENTRIES = [
    Entry(
        "inject_adam",
        lambda: gx.inject_hyperparams(gx.adam)(learning_rate=0.01),
        optimizer=True,
        factory=gx.inject_hyperparams(gx.adam),
        kwargs={"learning_rate": 0.01},
    ),
    Entry(
        "inject_sgd_schedule",
        lambda: gx.inject_hyperparams(gx.sgd)(
            learning_rate=lambda c: 0.1 / (1 + as_float(c)), momentum=0.9
        ),
        optimizer=True,
        factory=gx.inject_hyperparams(gx.sgd),
        kwargs={"learning_rate": lambda c: 0.1 / (1 + as_float(c)), "momentum": 0.9},
    ),
    Entry(
        "inject_scale_by_adam",
        lambda: gx.inject_hyperparams(gx.scale_by_adam)(b2=0.99),
        factory=gx.inject_hyperparams(gx.scale_by_adam),
        kwargs={"b2": 0.99},
    ),
    Entry(
        "inject_adamw_f64_hyper",
        lambda: gx.inject_hyperparams(gx.adamw, hyperparam_dtype=jnp.float64)(learning_rate=0.01),
        optimizer=True,
        factory=gx.inject_hyperparams(gx.adamw, hyperparam_dtype=jnp.float64),
        kwargs={"learning_rate": 0.01},
    ),
    Entry(
        "inject_stateful_adam",
        lambda: gx.inject_stateful_hyperparams(gx.adam)(
            learning_rate=gx.WrappedSchedule(lambda c: 0.01 * 0.9 ** as_float(c))
        ),
        optimizer=True,
        factory=gx.inject_stateful_hyperparams(gx.adam),
        kwargs={"learning_rate": gx.WrappedSchedule(lambda c: 0.01 * 0.9 ** as_float(c))},
    ),
]
