"""Registry entries for the torch.optim equivalents (issue 3d)."""

from registry import Entry

import gradtx as gx

ENTRIES = [
    # New building blocks and optimizers.
    Entry("scale_by_radam", gx.scale_by_radam),
    Entry("scale_by_radam_nesterov", lambda: gx.scale_by_radam(nesterov=True)),
    Entry(
        "scale_by_radam_torch",
        lambda: gx.scale_by_radam(strict_threshold=True, eps_before_debias=True),
    ),
    Entry("radam", lambda: gx.radam(0.01), optimizer=True),
    Entry(
        "radam_torch_l2",
        lambda: gx.radam(0.01, strict_threshold=True, eps_before_debias=True, weight_decay=0.1),
        optimizer=True,
    ),
    Entry(
        "radam_torch_decoupled",
        lambda: gx.radam(0.01, weight_decay=0.1, decoupled_weight_decay=True),
        optimizer=True,
    ),
    Entry("scale_by_rprop", lambda: gx.scale_by_rprop(0.01)),
    Entry("rprop", lambda: gx.rprop(0.01), optimizer=True),
    Entry(
        "rprop_torch",
        lambda: gx.rprop(0.01, etas=(0.4, 1.3), step_sizes=(1e-4, 1.0)),
        optimizer=True,
    ),
    Entry("asgd", lambda: gx.asgd(0.01), optimizer=True),
    Entry(
        "asgd_averaging", lambda: gx.asgd(0.01, lambd=0.1, t0=0.0, weight_decay=0.1), optimizer=True
    ),
    Entry("asgd_schedule", lambda: gx.asgd(lambda c: 0.01 / (1 + c), t0=0.0), optimizer=True),
    Entry("scale_by_nadam", gx.scale_by_nadam),
    # torch modes of the existing functions.
    Entry("trace_dampening", lambda: gx.trace(0.9, dampening=0.3)),
    Entry("trace_dampening_nesterov", lambda: gx.trace(0.9, nesterov=True, dampening=0.3)),
    Entry(
        "sgd_torch",
        lambda: gx.sgd(0.1, 0.9, dampening=0.1, weight_decay=0.01, maximize=True),
        optimizer=False,  # maximize ascends
    ),
    Entry(
        "sgd_torch_nesterov_l2", lambda: gx.sgd(0.1, 0.9, True, weight_decay=0.01), optimizer=True
    ),
    Entry("scale_by_rss_torch", lambda: gx.scale_by_rss(0.0, 1e-10, eps_in_sqrt=False)),
    Entry(
        "adagrad_torch",
        lambda: gx.adagrad(0.1, 0.0, 1e-10, eps_in_sqrt=False, lr_decay=0.01, weight_decay=0.01),
        optimizer=True,
    ),
    Entry(
        "rmsprop_torch",
        lambda: gx.rmsprop(
            0.01, 0.99, eps_in_sqrt=False, centered=True, momentum=0.9, weight_decay=0.01
        ),
        optimizer=True,
    ),
    Entry("adam_l2", lambda: gx.adam(0.01, weight_decay=0.1), optimizer=True),
    Entry(
        "adam_decoupled",
        lambda: gx.adam(0.01, weight_decay=0.1, decoupled_weight_decay=True),
        optimizer=True,
    ),
    Entry("scale_by_amsgrad_torch", lambda: gx.scale_by_amsgrad(debias_after_max=True)),
    Entry(
        "amsgrad_torch_l2",
        lambda: gx.amsgrad(0.01, debias_after_max=True, weight_decay=0.1),
        optimizer=True,
    ),
    Entry(
        "amsgrad_torch_decoupled",
        lambda: gx.amsgrad(
            0.01, debias_after_max=True, weight_decay=0.1, decoupled_weight_decay=True
        ),
        optimizer=True,
    ),
    Entry("nadam_torch", lambda: gx.nadam(0.01, momentum_decay=4e-3), optimizer=True),
    Entry(
        "nadam_torch_l2",
        lambda: gx.nadam(0.01, momentum_decay=4e-3, weight_decay=0.1),
        optimizer=True,
    ),
    Entry(
        "nadamw_torch",
        lambda: gx.nadamw(0.01, weight_decay=0.1, momentum_decay=4e-3),
        optimizer=True,
    ),
    Entry("adamax_l2", lambda: gx.adamax(0.01, weight_decay=0.1), optimizer=True),
]
