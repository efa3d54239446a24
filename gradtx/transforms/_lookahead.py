"""Lookahead: k fast steps forward, then one step back towards slow weights."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, with_extra_args_support
from gradtx._core._validate import check_range
from gradtx.tree_utils._tree_math import zip_map


class LookaheadState(NamedTuple):
    """State of ``lookahead``.

    Attributes:
        fast_state: the fast optimizer's state.
        steps_since_sync: int32 fast steps since the last synchronisation.
    """

    fast_state: Any
    steps_since_sync: jax.Array


class LookaheadParams(NamedTuple):
    """The params of a lookahead run: ``fast`` (take gradients here) and ``slow``
    (evaluate and deploy these)."""

    fast: Any
    slow: Any

    @classmethod
    def init_synced(cls, params: Any) -> LookaheadParams:
        """Fast and slow params both equal to ``params``."""
        return cls(fast=params, slow=params)


def lookahead(
    fast_optimizer: GradientTransformation,
    sync_period: int,
    slow_step_size: float | jax.Array,
    reset_state: bool = False,
) -> GradientTransformation:
    """Run ``fast_optimizer`` on fast weights and pull slow weights towards them every
    ``sync_period`` steps.

    The params are a ``LookaheadParams(fast, slow)``; gradients are taken at
    ``params.fast`` and the updates are a ``LookaheadParams`` too, to be added
    with ``apply_updates`` unchanged. Every ``sync_period``-th step, after the
    fast step, the slow weights move a fraction ``slow_step_size`` towards the
    fast ones and the fast weights restart from the new slow weights.

    Update rule (alpha = slow_step_size, f' = fast + u_fast):
        steps 1 .. k-1 of a period:  fast <- f',  slow unchanged
        step k:  slow <- slow + alpha * (f' - slow),  fast <- slow (the new one)
    Memory: one extra copy of the params (the slow weights), held in params.

    Args:
        fast_optimizer: the inner optimizer.
        sync_period: k >= 1, fast steps per synchronisation.
        slow_step_size: alpha in [0, 1].
        reset_state: reinitialise the fast optimizer's state at each
            synchronisation.

    Returns:
        The transformation; its state is ``LookaheadState``.

    Raises:
        ValueError: a concrete ``sync_period`` below 1 or ``slow_step_size``
            outside [0, 1].

    References:
        Zhang, Lucas, Hinton and Ba, Lookahead Optimizer: k steps forward,
        1 step back, NeurIPS 2019, https://arxiv.org/abs/1907.08610.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.lookahead(gradtx.sgd(0.1), sync_period=5, slow_step_size=0.5)
        >>> params = gradtx.LookaheadParams.init_synced(jnp.ones(2))
        >>> state = opt.init(params)
        >>> updates, state = opt.update(2 * params.fast, state, params)
        >>> gradtx.apply_updates(params, updates).fast
        Array([0.8, 0.8], dtype=float32)
    """
    check_range("lookahead", "sync_period", sync_period, 1)
    check_range("lookahead", "slow_step_size", slow_step_size, 0.0, 1.0)
    fast_optimizer = with_extra_args_support(fast_optimizer)

    def init(params):
        # Plain params are taken as the fast params (only their structure is read).
        fast = params.fast if isinstance(params, LookaheadParams) else params
        return LookaheadState(
            fast_state=fast_optimizer.init(fast),
            steps_since_sync=jnp.zeros((), jnp.int32),
        )

    def update(updates, state, params=None, **extra_args):
        if not (hasattr(params, "fast") and hasattr(params, "slow")):
            raise ValueError(
                "gradtx.lookahead: update needs params=LookaheadParams(fast=..., slow=...) "
                f"(gradients taken at params.fast); got {type(params).__name__}. Start from "
                "gradtx.LookaheadParams.init_synced(params)."
            )
        fast_u, fast_state = fast_optimizer.update(
            updates, state.fast_state, params.fast, **extra_args
        )
        sync = state.steps_since_sync == sync_period - 1
        keep = 1 - slow_step_size

        def leaf(f, u, s):
            diff = f + u - s
            slow_u = jnp.where(sync, slow_step_size * diff, 0).astype(u.dtype)
            fast_new = jnp.where(sync, u - keep * diff, u).astype(u.dtype)
            return fast_new, slow_u

        fast_out, slow_out = zip_map(
            "gradtx.lookahead", leaf, 2, fast=params.fast, updates=fast_u, slow=params.slow
        )
        if reset_state:
            fresh = fast_optimizer.init(params.fast)
            fast_state = jax.tree.map(
                lambda cur, new: jnp.where(sync, new, cur).astype(jnp.result_type(cur)),
                fast_state,
                fresh,
            )
        steps = ((state.steps_since_sync + 1) % sync_period).astype(jnp.int32)
        return LookaheadParams(fast=fast_out, slow=slow_out), LookaheadState(fast_state, steps)

    return GradientTransformation(init, update)
