"""Recording measurements of the updates in the state: snapshot, monitor, measure_with_ema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import (
    GradientTransformation,
    chain,
    stateless,
    with_extra_args_support,
)
from gradtx._core._validate import require_param_values
from gradtx.transforms._momentum import ema


class SnapshotState(NamedTuple):
    """State of ``snapshot``: ``{measure_name: measurement}``."""

    measurement: dict[str, Any]


def snapshot(measure_name: str, measure: Callable[[Any], Any]) -> GradientTransformation:
    """Record ``measure(updates)`` in the state under ``measure_name``; pass the updates on.

    Placed inside a chain it shows the updates at that point (before clipping,
    say): read it back with ``gradtx.tree_get(state, measure_name)``. The
    updates are not changed. At ``init`` the record holds ``measure(params)``.

    Args:
        measure_name: the key under which the measurement is stored.
        measure: ``measure(updates) -> pytree of arrays``; it must return the
            same structure, shapes and dtypes for params and for updates.

    Returns:
        The transformation; its state is ``SnapshotState``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.chain(gradtx.snapshot("norm", gradtx.tree.norm), gradtx.clip_by_global_norm(1.0))
        >>> _, state = tx.update(jnp.array([3.0, 4.0]), tx.init(jnp.zeros(2)))
        >>> gradtx.tree_get(state, "norm")
        Array(5., dtype=float32)
    """
    if not isinstance(measure_name, str):
        raise TypeError(
            f"gradtx.snapshot(measure_name={measure_name!r}): measure_name must be a str."
        )
    if not callable(measure):
        raise TypeError(f"gradtx.snapshot(measure={measure!r}): measure must be callable.")

    def init(params):
        require_param_values("snapshot", params, "it measures the params")
        return SnapshotState({measure_name: measure(params)})

    def update(updates, state, params=None, **extra_args):
        del state, params, extra_args
        return updates, SnapshotState({measure_name: measure(updates)})

    return GradientTransformation(init, update)


class MonitorState(NamedTuple):
    """State of ``monitor``: the latest ``measurements`` by name and each measure's own state."""

    measurements: dict[str, Any]
    measure_states: tuple[Any, ...]


def monitor(
    measures: dict[str, GradientTransformation | Callable[[Any], Any]],
) -> GradientTransformation:
    """Record several measurements of the updates, stateful ones included; pass the updates on.

    Each measure is either a function ``measure(updates)`` or a transformation
    whose *output* is the measurement (``measure_with_ema(...)``), which may
    keep state of its own. Read a measurement with ``gradtx.tree_get(state, name)``.

    Unlike optax, whose ``init`` leaves ``measurements`` empty until the first
    update, gradtx's ``init`` fills it with zeros of each measurement's shape and
    dtype, so the state has one structure from the start (it can be carried
    through ``lax.scan`` and a jitted step does not compile twice).

    Args:
        measures: a dict from names to measures (functions or transformations).

    Returns:
        The transformation; its state is ``MonitorState``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.monitor({
        ...     "norm": gradtx.tree.norm,
        ...     "norm_ema": gradtx.measure_with_ema(gradtx.tree.norm, decay=0.5),
        ... })
        >>> _, state = tx.update(jnp.array([3.0, 4.0]), tx.init(jnp.zeros(2)))
        >>> gradtx.tree_get(state, "norm"), gradtx.tree_get(state, "norm_ema")
        (Array(5., dtype=float32), Array(5., dtype=float32))
    """
    if not isinstance(measures, dict):
        raise TypeError(
            f"gradtx.monitor(measures=...): measures must be a dict from names to functions "
            f"or transformations; got {type(measures).__name__}."
        )
    txs = {}
    for name, measure in measures.items():
        if isinstance(measure, GradientTransformation) or hasattr(measure, "init"):
            txs[name] = with_extra_args_support(measure)
        elif callable(measure):
            txs[name] = stateless(lambda u, _, m=measure: m(u))
        else:
            raise TypeError(
                f"gradtx.monitor(measures={{{name!r}: ...}}): each measure must be a function "
                f"or a transformation; got {type(measure).__name__}."
            )
    names = tuple(txs)

    def init(params):
        states = tuple(txs[n].init(params) for n in names)
        shapes = jax.eval_shape(
            lambda p, ss: {n: txs[n].update(p, s, p)[0] for n, s in zip(names, ss)}, params, states
        )
        zeros = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shapes)
        return MonitorState(zeros, states)

    def update(updates, state, params=None, **extra_args):
        measurements, states = {}, []
        for n, s in zip(names, state.measure_states):
            measurements[n], new_s = txs[n].update(updates, s, params, **extra_args)
            states.append(new_s)
        return updates, MonitorState(measurements, tuple(states))

    return GradientTransformation(init, update)


def measure_with_ema(
    measure: Callable[[Any], Any],
    decay: jax.typing.ArrayLike,
    debias: bool = True,
    accumulator_dtype: Any | None = None,
) -> GradientTransformation:
    """A transformation whose output is the exponential moving average of ``measure(updates)``.

    Meant as a measure inside ``monitor``: it turns the updates into the
    smoothed measurement (so it is not a step to put in an optimizer chain).

    Update rule (m_t = measure(g_t)):
        ema_t = decay * ema_{t-1} + (1 - decay) * m_t
        out_t = ema_t / (1 - decay ** t)   (debias=True)

    Args:
        measure: ``measure(updates) -> pytree of arrays``; boolean and integer
            measurements are averaged as floats (the fraction of steps, say).
        decay: in [0, 1).
        debias: divide by ``1 - decay ** t`` (as ``ema``).
        accumulator_dtype: dtype of the average; None uses the measurement's.

    Returns:
        ``chain(stateless measure, ema(decay, debias, accumulator_dtype))`` with
        an ``init`` that sizes the average like ``measure(params)``.

    Raises:
        ValueError: a concrete ``decay`` outside [0, 1).

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.measure_with_ema(gradtx.tree.norm, decay=0.5, debias=False)
        >>> tx.update(jnp.array([3.0, 4.0]), tx.init(jnp.zeros(2)))[0]
        Array(2.5, dtype=float32)
    """
    averaged = ema(decay, debias, accumulator_dtype)

    def measure_as_float(tree):
        # A boolean or integer measurement (``norm > threshold``) is averaged as a float.
        def leaf(x):
            x = jnp.asarray(x)
            return x if jnp.issubdtype(x.dtype, jnp.inexact) else x.astype(jnp.result_type(float))

        return jax.tree.map(leaf, measure(tree))

    sized = GradientTransformation(
        lambda params: averaged.init(jax.eval_shape(measure_as_float, params)), averaged.update
    )
    return chain(stateless(lambda updates, _: measure_as_float(updates)), sized)
