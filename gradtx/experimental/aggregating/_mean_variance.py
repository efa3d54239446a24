"""Tracking the mean and variance of per-example gradients alongside an optimizer."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, chain, identity, init_empty_state
from gradtx._core._numerics import safe_increment, zero_count
from gradtx._core._validate import check_axes, check_decay, check_int
from gradtx.experimental.aggregating._process import Aggregator, process
from gradtx.tree_utils._arithmetic import tree_where
from gradtx.tree_utils._construct import tree_zeros_like
from gradtx.tree_utils._state import tree_get

_NAME = "gradtx.experimental.aggregating"


def get_batch_size_from_per_elt_updates(per_elt_updates: Any, per_elt_axis: int | list[int]) -> int:
    """The number of examples in per-example updates (the size of ``per_elt_axis``, or the
    product of the sizes if it is a list).

    Raises:
        ValueError: leaves with different batch sizes.

    Example:
        >>> import jax.numpy as jnp
        >>> from gradtx.experimental import aggregating
        >>> aggregating.get_batch_size_from_per_elt_updates({"w": jnp.zeros((4, 2))}, 0)
        4
    """

    def size(u):
        if isinstance(per_elt_axis, int):
            return u.shape[per_elt_axis]
        return math.prod(u.shape[i] for i in per_elt_axis)

    sizes = [size(u) for u in jax.tree.leaves(per_elt_updates)]
    if any(s != sizes[0] for s in sizes):
        raise ValueError(
            f"{_NAME}.get_batch_size_from_per_elt_updates: every leaf must have the same "
            f"batch size; got {sizes}."
        )
    return sizes[0]


def _batch_mean_and_sum_sq_diff(per_elt, axis):
    means = jax.tree.map(lambda x: jnp.mean(x, axis=axis, keepdims=True), per_elt)
    sum_sq = jax.tree.map(lambda x, m: jnp.sum(jnp.square(x - m), axis=axis), per_elt, means)
    return jax.tree.map(lambda m: jnp.squeeze(m, axis=axis), means), sum_sq


class PerElementMeanAndSumSqDiffGradsState(NamedTuple):
    """State of ``get_per_element_mean_and_sum_sq_diff_grads`` with accumulation: microbatches
    seen, whether the statistics are complete, the running mean and sum of squared deviations."""

    micro_step: jax.Array
    ready: jax.Array
    mean_grads: Any
    sum_sq_diff_grads: Any


def get_per_element_mean_and_sum_sq_diff_grads(
    per_elt_axis: int | Sequence[int] = 0, accumulation_steps: int = 1
) -> Aggregator:
    """The aggregator returning the mean of per-example gradients and, as aux, their sum of
    squared deviations (``sum_sq_diff_grads``) and the ``sample_size``.

    Over several microbatches (``accumulation_steps > 1``) the statistics are
    merged exactly (Chan et al.'s parallel update): with batch mean ``b``,
    batch sum of squared deviations ``S_b``, batch size ``n`` and ``k`` the
    microbatch index,
        d = b - mean_{k-1};   mean_k = mean_{k-1} + d / k
        S_k = S_{k-1} + S_b + d^2 * (k - 1) * n / k

    Returns:
        An ``Aggregator`` whose update returns ``(mean, {"sum_sq_diff_grads": S,
        "sample_size": N})`` (use ``process(..., aggregator_has_aux=True)``);
        with accumulation its state is ``PerElementMeanAndSumSqDiffGradsState``.

    References:
        Chan, Golub and LeVeque, Updating Formulae and a Pairwise Algorithm for
        Computing Sample Variances, 1979.

    Example:
        >>> import jax.numpy as jnp
        >>> from gradtx.experimental import aggregating
        >>> agg = aggregating.get_per_element_mean_and_sum_sq_diff_grads()
        >>> (mean, aux), _ = agg.update(jnp.array([[1.0], [3.0]]), agg.init(jnp.zeros(1)))
        >>> mean, aux["sum_sq_diff_grads"]
        (Array([2.], dtype=float32), Array([2.], dtype=float32))
    """
    fn = "experimental.aggregating.get_per_element_mean_and_sum_sq_diff_grads"
    check_axes(fn, "per_elt_axis", per_elt_axis)
    check_int(fn, "accumulation_steps", accumulation_steps, low=1)
    axis = per_elt_axis if isinstance(per_elt_axis, int) else tuple(per_elt_axis)

    if accumulation_steps == 1:

        def stateless_update(per_elt, state, params=None, **extra_args):
            del params, extra_args
            n = get_batch_size_from_per_elt_updates(per_elt, per_elt_axis)
            mean, sum_sq = _batch_mean_and_sum_sq_diff(per_elt, axis)
            return (mean, {"sum_sq_diff_grads": sum_sq, "sample_size": n}), state

        return Aggregator(init_empty_state, stateless_update)

    def init(params):
        return PerElementMeanAndSumSqDiffGradsState(
            micro_step=zero_count(),
            ready=jnp.asarray(False),
            mean_grads=tree_zeros_like(params),
            sum_sq_diff_grads=tree_zeros_like(params),
        )

    def update(per_elt, state, params=None, **extra_args):
        del params, extra_args
        n = get_batch_size_from_per_elt_updates(per_elt, per_elt_axis)
        k = state.micro_step + 1
        batch_mean, batch_sum_sq = _batch_mean_and_sum_sq_diff(per_elt, axis)
        delta = jax.tree.map(jnp.subtract, batch_mean, state.mean_grads)
        mean = jax.tree.map(lambda m, d: m + d / k, state.mean_grads, delta)

        def merge(s, b, d):  # the weight (k - 1) n / k in the sums' dtype, not float32
            weight = (state.micro_step * n).astype(d.dtype) / k.astype(d.dtype)
            return s + b + d**2 * weight

        sum_sq = jax.tree.map(merge, state.sum_sq_diff_grads, batch_sum_sq, delta)
        out = (mean, {"sum_sq_diff_grads": sum_sq, "sample_size": n * k})
        reset = PerElementMeanAndSumSqDiffGradsState(
            zero_count(), jnp.asarray(True), tree_zeros_like(mean), tree_zeros_like(sum_sq)
        )
        going = PerElementMeanAndSumSqDiffGradsState(k, jnp.asarray(False), mean, sum_sq)
        return tree_where(k == accumulation_steps, (out, reset), (tree_zeros_like(out), going))

    return Aggregator(init, update)


class PerElementMeanAndVarianceEMAState(NamedTuple):
    """State of ``track_per_element_mean_and_variance_with_ema``: count, the decay, and the
    EMAs of the gradient mean and of the per-example variance."""

    count: jax.Array
    ema_decay: jax.Array
    mean_grads_ema: Any
    variance_grads_ema: Any


def track_per_element_mean_and_variance_with_ema(
    ema_decay: jax.typing.ArrayLike = 0.9,
) -> GradientTransformation:
    """Keep EMAs of the mean gradient and of the per-example gradient variance; pass updates on.

    Needs the extra arguments ``sum_sq_diff_grads`` and ``sample_size`` that
    ``get_per_element_mean_and_sum_sq_diff_grads`` produces (through
    ``process(..., aggregator_has_aux=True)``).

    Update rule (N = sample_size):
        m_t = (1 - ema_decay) * g_t + ema_decay * m_{t-1}
        v_t = (1 - ema_decay) * S_t / (N - 1) + ema_decay * v_{t-1}

    The division by ``N - 1`` is done in the sums' dtype (optax divides by the
    int32 sample size in float32, which rounds float64 variances; it also weighs
    merged microbatches in float32).

    Returns:
        The transformation; its state is ``PerElementMeanAndVarianceEMAState``.
        ``get_unbiased_mean_and_variance_ema`` reads the debiased averages.

    Example:
        >>> import jax.numpy as jnp
        >>> from gradtx.experimental import aggregating
        >>> tx = aggregating.track_per_element_mean_and_variance_with_ema(0.5)
        >>> _, s = tx.update(jnp.ones(1), tx.init(jnp.zeros(1)),
        ...                  sum_sq_diff_grads=jnp.full(1, 2.0), sample_size=3)
        >>> s.variance_grads_ema
        Array([0.5], dtype=float32)
    """
    check_decay(
        "experimental.aggregating.track_per_element_mean_and_variance_with_ema",
        "ema_decay",
        ema_decay,
    )

    def init(params):
        return PerElementMeanAndVarianceEMAState(
            count=zero_count(),
            ema_decay=jnp.asarray(ema_decay),
            mean_grads_ema=tree_zeros_like(params),
            variance_grads_ema=tree_zeros_like(params),
        )

    def update(updates, state, params=None, *, sum_sq_diff_grads, sample_size, **extra_args):
        del params, extra_args

        def blend(new, old):
            return ((1.0 - ema_decay) * new + ema_decay * old).astype(old.dtype)

        mean = jax.tree.map(blend, updates, state.mean_grads_ema)
        variance = jax.tree.map(
            lambda s, v: blend(s / (sample_size - 1), v),
            sum_sq_diff_grads,
            state.variance_grads_ema,
        )
        return updates, state._replace(
            count=safe_increment(state.count), mean_grads_ema=mean, variance_grads_ema=variance
        )

    return GradientTransformation(init, update)


def get_unbiased_mean_and_variance_ema(state: Any) -> tuple[Any, Any]:
    """The debiased EMAs ``(mean, variance)`` from a state that holds a
    ``PerElementMeanAndVarianceEMAState``: each divided by ``1 - ema_decay ** count``.

    Raises:
        ValueError: no ``PerElementMeanAndVarianceEMAState`` in ``state``.

    Example:
        >>> import jax.numpy as jnp
        >>> from gradtx.experimental import aggregating
        >>> tx = aggregating.track_per_element_mean_and_variance_with_ema(0.5)
        >>> _, s = tx.update(jnp.ones(1), tx.init(jnp.zeros(1)),
        ...                  sum_sq_diff_grads=jnp.full(1, 2.0), sample_size=3)
        >>> aggregating.get_unbiased_mean_and_variance_ema(s)
        (Array([1.], dtype=float32), Array([1.], dtype=float32))
    """
    found = tree_get(state, "PerElementMeanAndVarianceEMAState", None)
    if found is None:
        raise ValueError(
            f"{_NAME}.get_unbiased_mean_and_variance_ema: the state holds no "
            "PerElementMeanAndVarianceEMAState; build the optimizer with add_mean_variance_to_opt."
        )
    corr = 1 - found.ema_decay**found.count
    return (
        jax.tree.map(lambda x: x / corr, found.mean_grads_ema),
        jax.tree.map(lambda x: x / corr, found.variance_grads_ema),
    )


def add_mean_variance_to_opt(
    opt: GradientTransformation,
    ema_decay: jax.typing.ArrayLike = 0.9,
    per_elt_axis: int | list[int] = 0,
    accumulation_steps: int = 1,
) -> GradientTransformation:
    """``opt`` on the mean of per-example gradients, tracking their mean and variance EMAs.

    ``update`` takes per-example gradients (batch axis ``per_elt_axis``);
    ``get_unbiased_mean_and_variance_ema(state)`` reads the statistics.

    Returns:
        ``process(identity(), get_per_element_mean_and_sum_sq_diff_grads(...),
        chain(track_per_element_mean_and_variance_with_ema(ema_decay), opt),
        aggregator_has_aux=True)``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> from gradtx.experimental import aggregating
        >>> opt = aggregating.add_mean_variance_to_opt(gradtx.sgd(0.1), ema_decay=0.5)
        >>> _, s = opt.update(jnp.array([[1.0], [3.0]]), opt.init(jnp.zeros(1)))
        >>> aggregating.get_unbiased_mean_and_variance_ema(s)
        (Array([2.], dtype=float32), Array([2.], dtype=float32))
    """
    return process(
        preprocessor=identity(),
        aggregator=get_per_element_mean_and_sum_sq_diff_grads(per_elt_axis, accumulation_steps),
        postprocessor=chain(track_per_element_mean_and_variance_with_ema(ema_decay), opt),
        aggregator_has_aux=True,
    )
