"""Aggregators: transformations that turn per-example updates into one update, and ``process``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, chain, identity, init_empty_state
from gradtx._core._numerics import promoted, zero_count
from gradtx._core._validate import check_axes
from gradtx.tree_utils._arithmetic import tree_where
from gradtx.tree_utils._construct import tree_zeros_like
from gradtx.tree_utils._state import tree_get

PerElementUpdates = Any
AggregatedUpdates = Any
MaybeAxis = int | Sequence[int] | None


class AggregatorUpdateFn(Protocol):
    """``update(per_elt_updates, state, params=None, **extra_args) -> (aggregated, state)``."""

    def __call__(
        self,
        per_elt_updates: PerElementUpdates,
        state: Any,
        params: Any | None = None,
        **extra_args: Any,
    ) -> tuple[AggregatedUpdates, Any]: ...


class Aggregator(GradientTransformation):
    """A transformation whose ``update`` takes per-example updates and returns one aggregated update.

    Its input leaves have extra leading batch axes (``jax.vmap(jax.grad(loss))``
    output); its output has the params' shapes. It is a ``GradientTransformation``
    so it composes with ``chain``; ``process`` puts one between a per-example
    preprocessor and an ordinary optimizer.
    """

    __slots__ = ()


def process(
    preprocessor: GradientTransformation,
    aggregator: GradientTransformation | Aggregator,
    postprocessor: GradientTransformation,
    aggregator_has_aux: bool = False,
) -> GradientTransformation | Aggregator:
    """Per-example preprocessing, then aggregation, then an ordinary optimizer.

        u_i = preprocessor(g_i)          (per example)
        a   = aggregator(u_1 ... u_n)    (e.g. the mean)
        out = postprocessor(a)           (e.g. adam), only when the aggregator's
              state says ``ready`` (accumulating aggregators); zeros otherwise

    Args:
        preprocessor: maps per-example gradients to per-example updates.
        aggregator: reduces them to one update; if its state has a ``ready``
            field the postprocessor only runs when it is true.
        postprocessor: the optimizer applied to the aggregate.
        aggregator_has_aux: the aggregator returns ``(update, aux_dict)``; the
            dict is passed to the postprocessor as extra keyword arguments.

    Returns:
        An ``Aggregator`` if ``aggregator`` is one, else a transformation; its
        state is ``(preprocessor state, aggregator state, postprocessor state)``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> from gradtx.experimental import aggregating
        >>> opt = aggregating.process(
        ...     gradtx.identity(), aggregating.average_per_element_updates(), gradtx.sgd(0.1))
        >>> per_example = jnp.array([[1.0, 2.0], [3.0, 4.0]])
        >>> opt.update(per_example, opt.init(jnp.zeros(2)))[0]
        Array([-0.2, -0.3], dtype=float32)
    """

    def init(params):
        return preprocessor.init(params), aggregator.init(params), postprocessor.init(params)

    def update(per_elt_grads, states, params=None, **extra_args):
        pre_state, agg_state, post_state = states
        per_elt, pre_state = preprocessor.update(per_elt_grads, pre_state, params, **extra_args)
        aggregated, agg_state = aggregator.update(per_elt, agg_state, params, **extra_args)
        if aggregator_has_aux:
            aggregated, aux = aggregated
            extra_args = extra_args | aux
        ready = tree_get(agg_state, "ready", True)
        updates, post_state = jax.lax.cond(
            ready,
            lambda a, s, p, kw: postprocessor.update(a, s, p, **kw),
            lambda a, s, p, kw: (tree_zeros_like(a), s),
            aggregated,
            post_state,
            params,
            extra_args,
        )
        return updates, (pre_state, agg_state, post_state)

    kind = Aggregator if isinstance(aggregator, Aggregator) else GradientTransformation
    return kind(init, update)


def average_per_element_updates(per_elt_axis: int | Sequence[int] = 0) -> Aggregator:
    """The aggregator that averages per-example updates over ``per_elt_axis``. Stateless.

    Example:
        >>> import jax.numpy as jnp
        >>> from gradtx.experimental import aggregating
        >>> agg = aggregating.average_per_element_updates()
        >>> agg.update(jnp.array([[1.0], [3.0]]), agg.init(jnp.zeros(1)))[0]
        Array([2.], dtype=float32)
    """
    check_axes("experimental.aggregating.average_per_element_updates", "per_elt_axis", per_elt_axis)
    axis = per_elt_axis if isinstance(per_elt_axis, int) else tuple(per_elt_axis)

    def update(per_elt_updates, state, params=None, **extra_args):
        del params, extra_args
        return jax.tree.map(lambda x: jnp.mean(x, axis=axis), per_elt_updates), state

    return Aggregator(init_empty_state, update)


class AccumulateAvgUpdatesState(NamedTuple):
    """State of ``accumulate_avg_updates``: microbatches seen, whether an average is
    complete, and the running average."""

    micro_step: jax.Array
    ready: jax.Array
    avg_grad: Any


def accumulate_avg_updates(accumulation_steps: int) -> GradientTransformation:
    """Average the updates of ``accumulation_steps`` consecutive calls; output zeros until then.

    Update rule (k = 1 .. accumulation_steps, a running mean):
        a_k = a_{k-1} + (g_k - a_{k-1}) / k
        out = a_k and ready = True at k = accumulation_steps (then reset), else 0

    Use it as the aggregator of ``process`` for gradient accumulation: the
    postprocessor then steps once per ``accumulation_steps`` microbatches.

    Args:
        accumulation_steps: an int >= 1 (1 returns ``identity()``).

    Returns:
        The transformation; its state is ``AccumulateAvgUpdatesState``.

    Raises:
        ValueError: ``accumulation_steps < 1``.

    Example:
        >>> import jax.numpy as jnp
        >>> from gradtx.experimental import aggregating
        >>> tx = aggregating.accumulate_avg_updates(2)
        >>> s = tx.init(jnp.zeros(1))
        >>> u, s = tx.update(jnp.array([1.0]), s)
        >>> tx.update(jnp.array([3.0]), s)[0]
        Array([2.], dtype=float32)
    """
    if (
        isinstance(accumulation_steps, bool)
        or not isinstance(accumulation_steps, int)
        or accumulation_steps < 1
    ):
        raise ValueError(
            f"gradtx.experimental.aggregating.accumulate_avg_updates(accumulation_steps="
            f"{accumulation_steps!r}): accumulation_steps must be an int >= 1."
        )
    if accumulation_steps == 1:
        return identity()

    def init(params):
        return AccumulateAvgUpdatesState(
            micro_step=zero_count(), ready=jnp.asarray(False), avg_grad=tree_zeros_like(params)
        )

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        step = state.micro_step + 1
        avg = jax.tree.map(lambda u, a: _running_mean(a, u, step), updates, state.avg_grad)
        done = step == accumulation_steps
        reset = AccumulateAvgUpdatesState(zero_count(), jnp.asarray(True), tree_zeros_like(avg))
        going = AccumulateAvgUpdatesState(step, jnp.asarray(False), avg)
        return tree_where(done, (avg, reset), (tree_zeros_like(avg), going))

    return GradientTransformation(init, update)


def _running_mean(mean, value, count):
    """``mean + (value - mean) / count`` in ``mean``'s dtype; the int count cast explicitly."""
    diff = promoted(jnp.subtract, value, mean)
    return promoted(jnp.add, mean, diff / count.astype(diff.dtype)).astype(mean.dtype)


def average_incrementally_updates(
    per_elt_axis: MaybeAxis, accumulation_steps: int
) -> Aggregator | GradientTransformation:
    """Average over ``per_elt_axis`` (unless None), then over ``accumulation_steps`` calls.

    Returns:
        ``accumulate_avg_updates(accumulation_steps)`` when ``per_elt_axis`` is
        None, else an ``Aggregator`` chaining ``average_per_element_updates``
        and it.

    Example:
        >>> import jax.numpy as jnp
        >>> from gradtx.experimental import aggregating
        >>> agg = aggregating.average_incrementally_updates(0, 1)
        >>> agg.update(jnp.array([[1.0], [3.0]]), agg.init(jnp.zeros(1)))[0]
        Array([2.], dtype=float32)
    """
    if per_elt_axis is None:
        return accumulate_avg_updates(accumulation_steps)
    both = chain(
        average_per_element_updates(per_elt_axis), accumulate_avg_updates(accumulation_steps)
    )
    return Aggregator(both.init, both.update)
