"""Registry entries for gradtx.transforms: clipping, masking, wrappers, guards."""

import jax.numpy as jnp

import gradtx as gx
from tests.registry._entry import Entry
from tests.registry._support import alternate_labels, alternate_mask, as_float, composed, two_groups

ENTRIES = [
    Entry("scale", lambda: gx.scale(0.5)),
    Entry("scale_array", lambda: gx.scale(jnp.asarray(0.5, jnp.float32))),
    Entry("scale_by_learning_rate", lambda: gx.scale_by_learning_rate(0.1)),
    Entry(
        "scale_by_learning_rate_schedule",
        lambda: gx.scale_by_learning_rate(lambda c: 0.1 / (1 + as_float(c))),
    ),
    Entry(
        "scale_by_schedule",
        lambda: gx.scale_by_schedule(lambda c: 0.99 ** as_float(c)),
    ),
    Entry("trace", lambda: gx.trace(0.9)),
    Entry("trace_nesterov", lambda: gx.trace(0.9, nesterov=True)),
    Entry("ema", lambda: gx.ema(0.9)),
    Entry("ema_nodebias", lambda: gx.ema(0.9, debias=False)),
    Entry("add_decayed_weights", lambda: gx.add_decayed_weights(1e-2)),
    Entry(
        "add_decayed_weights_schedule",
        lambda: gx.add_decayed_weights(lambda c: 1e-2 * 0.9 ** as_float(c)),
    ),
    Entry("masked", lambda: gx.masked(gx.scale_by_adam(), lambda p: alternate_mask(p))),
    Entry("clip", lambda: gx.clip(0.5)),
    Entry("clip_by_global_norm", lambda: gx.clip_by_global_norm(0.5)),
    Entry("add_noise", lambda: gx.add_noise(0.01, 0.55, key=0)),
    Entry("keep_params_nonnegative", gx.keep_params_nonnegative),
    Entry("zero_nans", gx.zero_nans),
    Entry("partition", two_groups, optimizer=True),
    Entry(
        "partition_extra_args", lambda: two_groups(mask_compatible_extra_args=True), optimizer=True
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
    Entry("scale_by_trust_ratio", gx.scale_by_trust_ratio),
    Entry(
        "scale_by_trust_ratio_floor",
        lambda: gx.scale_by_trust_ratio(min_norm=1e-3, trust_coefficient=0.01, eps=1e-8),
    ),
    Entry("scale_by_param_block_norm", gx.scale_by_param_block_norm),
    Entry("scale_by_param_block_rms", gx.scale_by_param_block_rms),
    Entry("centralize", gx.centralize),
    Entry("clip_by_block_rms", lambda: gx.clip_by_block_rms(0.5)),
    Entry("adaptive_grad_clip", lambda: gx.adaptive_grad_clip(0.05)),
    Entry(
        "adaptive_grad_clip_axis",
        lambda: gx.adaptive_grad_clip(0.05, axis=-1),
        min_ndim=1,
    ),
    Entry(
        "multi_steps",
        lambda: gx.MultiSteps(gx.adam(0.01), 2).gradient_transformation(),
        factory=composed(lambda m: m.gradient_transformation(), gx.MultiSteps),
        kwargs={"opt": gx.adam(0.01), "every_k_schedule": 2},
    ),
    Entry(
        "multi_steps_skip_sum",
        lambda: gx.MultiSteps(
            gx.sgd(0.1, momentum=0.9),
            2,
            use_grad_mean=False,
            should_skip_update_fn=gx.skip_not_finite,
        ).gradient_transformation(),
        factory=composed(lambda m: m.gradient_transformation(), gx.MultiSteps),
        kwargs={
            "opt": gx.sgd(0.1, momentum=0.9),
            "every_k_schedule": 2,
            "use_grad_mean": False,
            "should_skip_update_fn": gx.skip_not_finite,
        },
    ),
    Entry("apply_every", lambda: gx.apply_every(2), cyclic_count=True),
    Entry("apply_if_finite", lambda: gx.apply_if_finite(gx.adam(0.01), 3), optimizer=True),
    Entry("skip_spikes_grad_norm", lambda: gx.skip_spikes(gx.adam(0.01), warmup=1), optimizer=True),
    Entry(
        "skip_spikes_loss",
        lambda: gx.skip_spikes(gx.sgd(0.1), metric="loss", warmup=0),
        extra_args={"value": 1.0},
        optimizer=True,
    ),
    Entry(
        "monitored_chain",
        lambda: gx.monitored_chain(
            gx.clip_by_global_norm(1.0), gx.inject_hyperparams(gx.adam)(learning_rate=0.01)
        ),
        optimizer=True,
    ),
    Entry(
        "monitored_chain_guarded",
        lambda: gx.monitored_chain(gx.apply_if_finite(gx.sgd(0.1), 2)),
        optimizer=True,
    ),
]
