"""Registry entries for inject_hyperparams, the wrappers and monitored_chain (issue 4b)."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax.numpy as jnp
from registry import Entry

import gradtx as gx


class _LookaheadPlainState(NamedTuple):
    slow: Any
    inner: Any


def lookahead_plain(**kwargs) -> gx.GradientTransformation:
    """lookahead with the slow params kept in the state, so that it takes plain params.

    The contract suite passes plain params; this adapter feeds
    ``LookaheadParams(fast=params, slow=state.slow)`` to lookahead and applies the
    slow updates itself, so the contract checks exercise lookahead's own update.
    """
    la = gx.lookahead(**kwargs)

    def init(params):
        return _LookaheadPlainState(slow=params, inner=la.init(params))

    def update(updates, state, params=None, **extra_args):
        lp = gx.LookaheadParams(fast=params, slow=state.slow)
        u, inner = la.update(updates, state.inner, lp, **extra_args)
        return u.fast, _LookaheadPlainState(gx.apply_updates(state.slow, u.slow), inner)

    return gx.GradientTransformation(init, update)


ENTRIES = [
    Entry(
        "inject_adam", lambda: gx.inject_hyperparams(gx.adam)(learning_rate=0.01), optimizer=True
    ),
    Entry(
        "inject_sgd_schedule",
        lambda: gx.inject_hyperparams(gx.sgd)(learning_rate=lambda c: 0.1 / (1 + c), momentum=0.9),
        optimizer=True,
    ),
    Entry("inject_scale_by_adam", lambda: gx.inject_hyperparams(gx.scale_by_adam)(b2=0.99)),
    Entry(
        "inject_adamw_f64_hyper",
        lambda: gx.inject_hyperparams(gx.adamw, hyperparam_dtype=jnp.float64)(learning_rate=0.01),
        optimizer=True,
    ),
    Entry(
        "inject_stateful_adam",
        lambda: gx.inject_stateful_hyperparams(gx.adam)(
            learning_rate=gx.WrappedSchedule(lambda c: 0.01 * 0.9**c)
        ),
        optimizer=True,
    ),
    Entry("multi_steps", lambda: gx.MultiSteps(gx.adam(0.01), 2).gradient_transformation()),
    Entry(
        "multi_steps_skip_sum",
        lambda: gx.MultiSteps(
            gx.sgd(0.1, momentum=0.9),
            2,
            use_grad_mean=False,
            should_skip_update_fn=gx.skip_not_finite,
        ).gradient_transformation(),
    ),
    Entry("apply_every", lambda: gx.apply_every(2)),
    Entry("apply_if_finite", lambda: gx.apply_if_finite(gx.adam(0.01), 3), optimizer=True),
    Entry("skip_spikes_grad_norm", lambda: gx.skip_spikes(gx.adam(0.01), warmup=1), optimizer=True),
    Entry(
        "skip_spikes_loss",
        lambda: gx.skip_spikes(gx.sgd(0.1), metric="loss", warmup=0),
        extra_args={"value": 1.0},
        optimizer=True,
    ),
    Entry(
        "lookahead",
        lambda: lookahead_plain(fast_optimizer=gx.adam(0.01), sync_period=2, slow_step_size=0.5),
        optimizer=True,
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
