"""Registry entries for the optimizer families (gradtx._optimizers), torch-style options included."""

import functools

import jax.numpy as jnp

import gradtx as gx
from tests.registry._entry import Entry
from tests.registry._support import alternate_mask, as_float, lookahead_plain, warmup

ENTRIES = [
    Entry("scale_by_belief", gx.scale_by_belief),
    Entry("scale_by_belief_nesterov", lambda: gx.scale_by_belief(nesterov=True)),
    Entry("scale_by_yogi", gx.scale_by_yogi),
    Entry(
        "scale_by_yogi_array_hparams",
        lambda: gx.scale_by_yogi(b1=jnp.asarray(0.8), b2=jnp.asarray(0.99)),
    ),
    Entry("scale_by_adopt", gx.scale_by_adopt),
    Entry("scale_by_adopt_nesterov", lambda: gx.scale_by_adopt(nesterov=True)),
    Entry("scale_by_adopt_noclip", lambda: gx.scale_by_adopt(use_clipping=False)),
    Entry(
        "scale_by_adopt_lowp",
        lambda: gx.scale_by_adopt(mu_dtype=jnp.bfloat16),
    ),
    Entry("scale_by_novograd", gx.scale_by_novograd),
    Entry("scale_by_novograd_wd", lambda: gx.scale_by_novograd(weight_decay=0.1)),
    Entry(
        "scale_by_novograd_wd_schedule",
        lambda: gx.scale_by_novograd(weight_decay=warmup(0.1)),
    ),
    Entry(
        "scale_by_novograd_lowp",
        lambda: gx.scale_by_novograd(mu_dtype=jnp.bfloat16),
    ),
    Entry("scale_by_adan", gx.scale_by_adan),
    Entry("scale_by_ademamix", gx.scale_by_ademamix),
    Entry(
        "scale_by_ademamix_schedules",
        lambda: gx.scale_by_ademamix(
            b3=lambda c: 0.99 + 0.009 * jnp.minimum(as_float(c) / 10.0, 1.0), alpha=warmup(5.0)
        ),
    ),
    Entry(
        "scale_by_ademamix_lowp",
        lambda: gx.scale_by_ademamix(mu_dtype=jnp.bfloat16),
    ),
    Entry("adabelief", lambda: gx.adabelief(0.01), optimizer=True),
    Entry("adabelief_nesterov", lambda: gx.adabelief(0.01, nesterov=True), optimizer=True),
    Entry("yogi", lambda: gx.yogi(0.01), optimizer=True),
    Entry("adopt", lambda: gx.adopt(0.01), optimizer=True),
    Entry(
        "adopt_nesterov_noclip",
        lambda: gx.adopt(0.01, nesterov=True, use_clipping=False),
        optimizer=True,
    ),
    Entry("novograd", lambda: gx.novograd(0.01), optimizer=True),
    Entry("novograd_wd", lambda: gx.novograd(0.01, weight_decay=1e-2), optimizer=True),
    Entry("adan", lambda: gx.adan(0.01), optimizer=True),
    Entry(
        "adan_wd_mask",
        lambda: gx.adan(0.01, weight_decay=0.02, mask=alternate_mask),
        optimizer=True,
    ),
    Entry("ademamix", lambda: gx.ademamix(0.01), optimizer=True),
    Entry(
        "ademamix_wd_schedule",
        lambda: gx.ademamix(
            lambda c: 0.01 * 0.99 ** as_float(c), alpha=warmup(5.0), weight_decay=1e-2
        ),
        optimizer=True,
    ),
    Entry("scale_by_rss", gx.scale_by_rss),
    Entry("scale_by_rms", gx.scale_by_rms),
    Entry("scale_by_rms_bc", lambda: gx.scale_by_rms(eps_in_sqrt=False, bias_correction=True)),
    Entry("scale_by_stddev", gx.scale_by_stddev),
    Entry("scale_by_adadelta", gx.scale_by_adadelta),
    Entry("scale_by_adam", gx.scale_by_adam),
    Entry("scale_by_adam_nesterov", lambda: gx.scale_by_adam(nesterov=True)),
    Entry(
        "scale_by_adam_lowp",
        lambda: gx.scale_by_adam(mu_dtype=jnp.bfloat16, nu_dtype=jnp.float32),
    ),
    Entry("scale_by_amsgrad", gx.scale_by_amsgrad),
    Entry("scale_by_adamax", gx.scale_by_adamax),
    Entry("sgd", lambda: gx.sgd(0.1), optimizer=True),
    Entry("sgd_momentum", lambda: gx.sgd(0.1, momentum=0.9), optimizer=True),
    Entry("sgd_nesterov", lambda: gx.sgd(0.1, momentum=0.9, nesterov=True), optimizer=True),
    Entry("adagrad", lambda: gx.adagrad(0.1), optimizer=True),
    Entry("rmsprop", lambda: gx.rmsprop(0.01), optimizer=True),
    Entry(
        "rmsprop_centered_momentum",
        lambda: gx.rmsprop(0.01, centered=True, momentum=0.9, nesterov=True),
        optimizer=True,
    ),
    Entry(
        "rmsprop_torchlike",
        lambda: gx.rmsprop(0.01, decay=0.99, eps_in_sqrt=False, bias_correction=True),
        optimizer=True,
    ),
    Entry("adadelta", lambda: gx.adadelta(1.0), optimizer=True),
    Entry("adadelta_wd", lambda: gx.adadelta(1.0, weight_decay=1e-2), optimizer=True),
    Entry("adam", lambda: gx.adam(0.01), optimizer=True),
    Entry("adamw", lambda: gx.adamw(0.01), optimizer=True),
    Entry(
        "adamw_mask",
        lambda: gx.adamw(0.01, weight_decay=0.1, mask=alternate_mask),
        optimizer=True,
    ),
    Entry("nadam", lambda: gx.nadam(0.01), optimizer=True),
    Entry("nadamw", lambda: gx.nadamw(0.01), optimizer=True),
    Entry("amsgrad", lambda: gx.amsgrad(0.01), optimizer=True),
    Entry("adamax", lambda: gx.adamax(0.01), optimizer=True),
    Entry("adamaxw", lambda: gx.adamaxw(0.01), optimizer=True),
    Entry("scale_by_factored_rms", gx.scale_by_factored_rms),
    Entry(
        "scale_by_factored_rms_factored",
        lambda: gx.scale_by_factored_rms(min_dim_size_to_factor=2),
    ),
    Entry("adafactor", lambda: gx.adafactor(0.01), optimizer=True),
    Entry(
        "adafactor_all_options",
        lambda: gx.adafactor(
            lambda c: 0.01 / (1.0 + as_float(c)),
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
    Entry(
        "polyak_sgd",
        gx.polyak_sgd,
        extra_args={"value": 1.0},
        optimizer=True,
    ),
    Entry(
        "polyak_sgd_plus",
        lambda: gx.polyak_sgd(0.5, scaling=0.5, f_min=2.0, eps=1e-6, variant="sps+"),
        extra_args={"value": 1.0},
        optimizer=True,
    ),
    Entry("noisy_sgd", lambda: gx.noisy_sgd(0.01, key=1), optimizer=True),
    Entry(
        "adamw_mask_by_regex",
        lambda: gx.adamw(0.01, weight_decay=0.1, mask=gx.mask_by_regex(r"^a/", invert=True)),
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
    Entry("scale_by_sign", gx.scale_by_sign),
    Entry("scale_by_lion", gx.scale_by_lion),
    Entry("scale_by_lion_smooth", lambda: gx.scale_by_lion(mode="smooth", smooth_beta=2.0)),
    Entry("scale_by_lion_refined", lambda: gx.scale_by_lion(mode="refined")),
    Entry(
        "scale_by_lion_lowp",
        lambda: gx.scale_by_lion(mu_dtype=jnp.bfloat16),
    ),
    Entry("sign_sgd", lambda: gx.sign_sgd(0.01), optimizer=True),
    Entry(
        "sign_sgd_schedule",
        lambda: gx.sign_sgd(lambda c: 0.01 * 0.9 ** as_float(c)),
        optimizer=True,
    ),
    Entry("signum", lambda: gx.signum(0.01), optimizer=True),
    Entry(
        "signum_lowp",
        lambda: gx.signum(0.01, accumulator_dtype=jnp.bfloat16),
        optimizer=True,
    ),
    Entry("lion", lambda: gx.lion(1e-3), optimizer=True),
    Entry(
        "lion_mask", lambda: gx.lion(1e-3, weight_decay=0.1, mask=alternate_mask), optimizer=True
    ),
    Entry("lamb", lambda: gx.lamb(0.01), optimizer=True),
    Entry(
        "lamb_wd_mask", lambda: gx.lamb(0.01, weight_decay=0.1, mask=alternate_mask), optimizer=True
    ),
    Entry("lars", lambda: gx.lars(0.1), optimizer=True),
    Entry(
        "lars_masks_nesterov",
        lambda: gx.lars(
            0.1,
            weight_decay=1e-2,
            weight_decay_mask=alternate_mask,
            trust_ratio_mask=alternate_mask,
            nesterov=True,
        ),
        optimizer=True,
    ),
    Entry("fromage", lambda: gx.fromage(0.01), optimizer=True),
    Entry(
        "fromage_schedule",
        lambda: gx.fromage(lambda c: 0.01 / (1 + as_float(c))),
        optimizer=True,
    ),
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
    Entry(
        "asgd_schedule",
        lambda: gx.asgd(lambda c: 0.01 / (1 + as_float(c)), t0=0.0),
        optimizer=True,
    ),
    Entry("scale_by_nadam", gx.scale_by_nadam),
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
    Entry(
        "lookahead",
        lambda: lookahead_plain(fast_optimizer=gx.adam(0.01), sync_period=2, slow_step_size=0.5),
        optimizer=True,
        abstract_init=False,
        factory=functools.wraps(gx.lookahead)(lookahead_plain),
        kwargs={"fast_optimizer": gx.adam(0.01), "sync_period": 2, "slow_step_size": 0.5},
    ),
    Entry(
        "lookahead_reset",
        lambda: lookahead_plain(
            fast_optimizer=gx.sgd(0.1, momentum=0.9),
            sync_period=1,
            slow_step_size=0.3,
            reset_state=True,
        ),
        optimizer=True,
        abstract_init=False,
        factory=functools.wraps(gx.lookahead)(lookahead_plain),
        kwargs={
            "fast_optimizer": gx.sgd(0.1, momentum=0.9),
            "sync_period": 1,
            "slow_step_size": 0.3,
            "reset_state": True,
        },
    ),
]
