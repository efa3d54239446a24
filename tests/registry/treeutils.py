"""Registry entries for the optax drop-in names: monitoring, optimistic methods, DoG, aggregation."""

import warnings

import gradtx as gx
from gradtx.experimental import aggregating
from tests.registry._entry import Entry


def _optimistic_adam():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return gx.optimistic_adam(0.01)


ENTRIES = [
    Entry(
        "snapshot",
        lambda: gx.chain(gx.snapshot("norm", gx.tree.norm), gx.scale(-0.1)),
        abstract_init=False,
    ),
    Entry(
        "monitor",
        lambda: gx.chain(
            gx.monitor({"norm": gx.tree.norm, "max": gx.tree.max}), gx.clip_by_global_norm(1.0)
        ),
    ),
    Entry(
        "measure_with_ema_in_monitor",
        lambda: gx.monitor({"norm_ema": gx.measure_with_ema(gx.tree.norm, 0.9)}),
    ),
    Entry("normalize_by_update_norm", gx.normalize_by_update_norm),
    Entry("scale_by_optimistic_gradient", gx.scale_by_optimistic_gradient),
    Entry(
        "optimistic_gradient_descent",
        lambda: gx.optimistic_gradient_descent(0.01),
        optimizer=True,
    ),
    Entry("optimistic_adam_v2", lambda: gx.optimistic_adam_v2(0.01), optimizer=True),
    Entry("optimistic_adam", _optimistic_adam, optimizer=True),
    Entry(
        "scale_by_distance_over_gradients", gx.scale_by_distance_over_gradients, abstract_init=False
    ),
    Entry(
        "aggregating_accumulate_avg_updates",
        lambda: aggregating.accumulate_avg_updates(3),
    ),
]
