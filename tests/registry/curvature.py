"""Registry entries for the curvature transformations (saddle escapes, sharpness tracking)."""

import gradtx as gx
from tests.registry._entry import Entry
from tests.registry._support import OBJ

ENTRIES = [
    Entry("saddle_perturbation", lambda: gx.saddle_perturbation(gx.sgd(0.1), radius=0.1)),
    Entry("perturbed_gd", lambda: gx.perturbed_gd(0.1), optimizer=True),
    Entry(
        "negative_curvature_step",
        lambda: gx.negative_curvature_step(gx.sgd(0.1), grad_threshold=1e6, order=4),
        extra_args=OBJ,
    ),
    Entry(
        "scale_by_saddle_free_newton",
        gx.scale_by_saddle_free_newton,
        extra_args=OBJ,
    ),
    Entry(
        "saddle_free_newton",
        lambda: gx.saddle_free_newton(0.5, damping=1e-2, order=4),
        extra_args=OBJ,
        optimizer=True,
    ),
    Entry(
        "track_sharpness",
        lambda: gx.track_sharpness(gx.adam(0.01), every_k=2, order=4, trace_samples=2),
        extra_args=OBJ,
    ),
]
