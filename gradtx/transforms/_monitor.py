"""Training statistics recorded in the optimizer state, readable with ``tree_get``."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, chain, with_extra_args_support
from gradtx._core._numerics import safe_increment, zero_count
from gradtx.transforms._guards import step_skipped
from gradtx.tree_utils._reductions import tree_norm
from gradtx.tree_utils._state import tree_get_all_with_path


class MonitoredChainState(NamedTuple):
    """State of ``monitored_chain``: statistics of the last step (float32 scalars).

    Attributes:
        count: int32 number of updates so far.
        grad_norm: global norm of the incoming gradients.
        clipped_grad_norm: global norm of what the last stage received (after
            clipping when the stages are ``clip_by_global_norm(...), opt``);
            equals ``grad_norm`` with a single stage.
        update_norm: global norm of the outgoing updates.
        effective_lr: the injected ``learning_rate`` when the state holds
            exactly one (from ``inject_hyperparams``), else
            ``update_norm / clipped_grad_norm`` (0 when that norm is 0).
        skipped: bool, whether a guard inside (``apply_if_finite``,
            ``skip_spikes``) rejected the step.
        inner_state: the state of the single stage, or a tuple of the stages'
            states (as ``chain``).
    """

    count: jax.Array
    grad_norm: jax.Array
    clipped_grad_norm: jax.Array
    update_norm: jax.Array
    effective_lr: jax.Array
    skipped: jax.Array
    inner_state: Any


def _injected_learning_rate(state: Any) -> jax.Array | None:
    found = [
        v
        for _, v in tree_get_all_with_path(state, "learning_rate")
        if isinstance(v, jax.Array) and v.shape == ()
    ]
    return found[0] if len(found) == 1 else None


def monitored_chain(*transforms: GradientTransformation) -> GradientTransformation:
    """Apply ``transforms`` in a chain and record the step's statistics in the state.

    ``monitored_chain(clip_by_global_norm(1.0), inject_hyperparams(adam)(learning_rate=1e-3))``
    behaves exactly like the ``chain`` of the same stages (the updates are
    bit-identical), and after each update its state holds the gradient norm
    before and after clipping, the update norm, the learning rate and whether a
    guard skipped the step. Read them from anywhere in a larger state with
    ``gradtx.tree_get(state, "grad_norm")`` (and ``"clipped_grad_norm"``,
    ``"update_norm"``, ``"effective_lr"``, ``"skipped"``), inside or outside
    ``jit``; nothing leaves the device until you read it.

    Norms are computed in float32 (or wider) whatever the params' dtype. Cost:
    one extra reduction over the gradients, one over the updates, and one more
    when there are several stages.

    Args:
        *transforms: one or more transformations, applied in order. Give the
            clipping stage separately to see the norm after clipping.

    Returns:
        The transformation; its state is ``MonitoredChainState``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.monitored_chain(gradtx.clip_by_global_norm(1.0), gradtx.sgd(0.1))
        >>> state = opt.init(jnp.zeros(2))
        >>> u, state = opt.update(jnp.array([3.0, 4.0]), state)
        >>> float(gradtx.tree_get(state, "grad_norm")), float(state.clipped_grad_norm)
        (5.0, 1.0)
        >>> round(float(gradtx.tree_get(state, "effective_lr")), 6)
        0.1
    """
    if not transforms:
        raise TypeError("gradtx.monitored_chain(): give at least one transformation to monitor.")
    chain(*transforms)  # same argument checks and messages as chain
    txs = tuple(with_extra_args_support(GradientTransformation(*t)) for t in transforms)
    single = len(txs) == 1

    def init(params):
        zero = lambda: jnp.zeros((), jnp.float32)  # a new buffer each: state is donatable
        inner = txs[0].init(params) if single else tuple(t.init(params) for t in txs)
        return MonitoredChainState(
            count=zero_count(),
            grad_norm=zero(),
            clipped_grad_norm=zero(),
            update_norm=zero(),
            effective_lr=zero(),
            skipped=jnp.asarray(False),
            inner_state=inner,
        )

    def update(updates, state, params=None, **extra_args):
        grad_norm = tree_norm(updates).astype(jnp.float32)
        states = (state.inner_state,) if single else state.inner_state
        if len(states) != len(txs):
            raise ValueError(
                f"gradtx.monitored_chain(): state has {len(states)} stage states but there are "
                f"{len(txs)} stages; was the state built by this monitored_chain's init?"
            )
        new_states = []
        last_in_norm = grad_norm
        for i, (t, s) in enumerate(zip(txs, states, strict=True)):
            if i == len(txs) - 1 and i > 0:
                last_in_norm = tree_norm(updates).astype(jnp.float32)
            updates, s = t.update(updates, s, params, **extra_args)
            new_states.append(s)
        inner = new_states[0] if single else tuple(new_states)
        update_norm = tree_norm(updates).astype(jnp.float32)
        lr = _injected_learning_rate(inner)
        if lr is None:
            safe = jnp.where(last_in_norm > 0, last_in_norm, 1.0)
            lr = jnp.where(last_in_norm > 0, update_norm / safe, 0.0)
        return updates, MonitoredChainState(
            count=safe_increment(state.count),
            grad_norm=grad_norm,
            clipped_grad_norm=last_in_norm,
            update_norm=update_norm,
            effective_lr=jnp.asarray(lr).astype(jnp.float32),
            skipped=step_skipped(inner),
            inner_state=inner,
        )

    return GradientTransformation(init, update)
