"""Registry entries for partition, freeze, flatten, conditional wrappers, masking
variants, reduce_on_plateau and optimizers driven by schedules (issue 4a)."""

import jax
from registry import Entry

import gradtx as gx


def alternate_labels(params):
    """Labels "x", "y", "x", ... on the leaves in flattening order."""
    leaves, treedef = jax.tree.flatten(params)
    return treedef.unflatten(["x" if i % 2 == 0 else "y" for i in range(len(leaves))])


def alternate_mask(params):
    leaves, treedef = jax.tree.flatten(params)
    return treedef.unflatten([i % 2 == 0 for i in range(len(leaves))])


def _two_groups(**kw):
    return gx.partition(
        {"x": gx.adam(0.01), "y": gx.sgd(0.1, momentum=0.9)}, alternate_labels, **kw
    )


ENTRIES = [
    Entry("partition", _two_groups, optimizer=True),
    Entry(
        "partition_extra_args", lambda: _two_groups(mask_compatible_extra_args=True), optimizer=True
    ),
    Entry(
        "partition_regex",
        lambda: gx.partition(
            {"decay": gx.adamw(0.01, weight_decay=0.1), "no_decay": gx.adam(0.01)},
            gx.labels_by_regex([(r"^b(/|$)", "no_decay")], default="decay"),
        ),
        optimizer=True,
    ),
    Entry(
        "multi_transform",
        lambda: gx.multi_transform({"x": gx.scale(-0.1), "y": gx.set_to_zero()}, alternate_labels),
    ),
    Entry("freeze", lambda: gx.freeze(alternate_mask)),
    Entry("freeze_all", lambda: gx.freeze(True)),
    Entry(
        "selective_transform",
        lambda: gx.selective_transform(gx.adamw(0.01), freeze_mask=alternate_mask),
        optimizer=True,
    ),
    Entry("flatten", lambda: gx.flatten(gx.adam(0.01)), optimizer=True),
    Entry("flatten_rmsprop", lambda: gx.flatten(gx.rmsprop(0.01, momentum=0.9)), optimizer=True),
    Entry(
        "conditionally_transform",
        lambda: gx.conditionally_transform(gx.scale_by_adam(), lambda step: step % 2 == 0),
    ),
    Entry(
        "conditionally_transform_extra_args",
        lambda: gx.conditionally_transform(
            gx.scale_by_adam(), lambda step, **kw: step >= 1, forward_extra_args=True
        ),
    ),
    Entry(
        "conditionally_mask",
        lambda: gx.conditionally_mask(gx.scale_by_adam(), lambda step: step % 2 == 1),
    ),
    Entry(
        "masked_extra_args",
        lambda: gx.masked(gx.scale_by_adam(), alternate_mask, mask_compatible_extra_args=True),
    ),
    Entry("masked_all", lambda: gx.masked(gx.scale_by_adam(), True)),
    Entry(
        "adamw_mask_by_regex",
        lambda: gx.adamw(0.01, weight_decay=0.1, mask=gx.mask_by_regex(r"^a/", invert=True)),
        optimizer=True,
    ),
    Entry("reduce_on_plateau", lambda: gx.reduce_on_plateau(patience=1), extra_args={"value": 1.0}),
    Entry(
        "sgd_reduce_on_plateau",
        lambda: gx.chain(gx.sgd(0.1), gx.reduce_on_plateau(patience=1, accumulation_size=2)),
        extra_args={"value": 1.0},
        optimizer=True,
    ),
    Entry(
        "adamw_warmup_cosine",
        lambda: gx.adamw(gx.warmup_cosine_decay_schedule(0.0, 0.01, 1, 10, 1e-4)),
        optimizer=True,
    ),
    Entry(
        "sgd_cyclic",
        lambda: gx.sgd(gx.cyclic_schedule(0.01, 0.1, 2, mode="exp_range", gamma=0.99)),
        optimizer=True,
    ),
    Entry(
        "sgd_piecewise_interpolate",
        lambda: gx.sgd(gx.cosine_onecycle_schedule(10, 0.1), momentum=0.9),
        optimizer=True,
    ),
]
