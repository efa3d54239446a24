"""Evaluating a function over a large batch in microbatches, and per-example gradients.

A batch is split into ``n = batch_size / microbatch_size`` microbatches; the
function runs on one microbatch at a time inside ``lax.fori_loop`` (so memory
grows with the microbatch, not the batch), and the results are combined by an
``Accumulator``. The split is strided, as optax's: microbatch ``k`` holds
examples ``k, k + n, k + 2n, ...`` (a Fortran-order reshape), which keeps a
batch sharded over its leading axis evenly spread over the microbatches.
"""

from __future__ import annotations

import collections
import dataclasses
import enum
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

IndividualOutputs = collections.namedtuple("Aux", ["values", "metrics", "aux"])


@dataclasses.dataclass(frozen=True)
class Accumulator:
    """How the per-microbatch results are combined (four pure functions over trees).

    Attributes:
        init: ``init(value_shapes) -> carry``, from the shapes and dtypes of one
            microbatch's result (``jax.ShapeDtypeStruct`` leaves).
        update: ``update(carry, value, index) -> carry`` after microbatch ``index``.
        finalize: ``finalize(carry) -> result``.
        aggregate: ``aggregate(values) -> value``: combines results stacked on
            axis 0 (used by ``micro_vmap`` inside one microbatch).
    """

    init: Callable[[Any], Any]
    update: Callable[[Any, Any, int], Any]
    finalize: Callable[[Any], Any]
    aggregate: Callable[[Any], Any]


class AccumulationType(enum.Enum):
    """The built-in ways to combine microbatch results.

    MEAN: the average over microbatches (floats only).
    SUM: the sum.
    RUNNING_MEAN: the average, kept as a running mean (no overflow; floats only).
    CONCAT: the results concatenated back along the batch axis, in batch order.
    """

    MEAN = enum.auto()
    SUM = enum.auto()
    RUNNING_MEAN = enum.auto()
    CONCAT = enum.auto()


def _zeros(value):
    return jnp.zeros(value.shape, value.dtype)


def _floating_zeros(value):
    if not jnp.issubdtype(value.dtype, jnp.floating):
        raise ValueError(
            "gradtx.microbatching: the MEAN and RUNNING_MEAN accumulators need float values; "
            f"got {value.dtype}. Use SUM for integer results."
        )
    return _zeros(value)


def _leafwise(init, update, finalize, aggregate) -> Accumulator:
    """An accumulator for single arrays, applied to every leaf of a tree."""
    return Accumulator(
        init=lambda values: jax.tree.map(init, values),
        update=lambda carry, values, i: jax.tree.map(lambda c, v: update(c, v, i), carry, values),
        finalize=lambda carry: jax.tree.map(finalize, carry),
        aggregate=lambda values: jax.tree.map(aggregate, values),
    )


def _builtin(kind: AccumulationType, num_microbatches: int) -> Accumulator:
    if kind is AccumulationType.SUM:
        return _leafwise(_zeros, lambda c, v, _: c + v, lambda c: c, lambda v: jnp.sum(v, axis=0))
    if num_microbatches <= 0:
        raise ValueError(
            f"gradtx.microbatching: num_microbatches must be positive; got {num_microbatches}."
        )
    if kind is AccumulationType.MEAN:
        return _leafwise(
            _floating_zeros,
            lambda c, v, _: c + v,
            lambda c: c / num_microbatches,
            lambda v: jnp.mean(v, axis=0),
        )
    if kind is AccumulationType.RUNNING_MEAN:

        def running(c, v, i):
            w = i / (i + 1)
            return c * w + v * (1 - w)

        return _leafwise(_floating_zeros, running, lambda c: c, lambda v: jnp.mean(v, axis=0))
    if kind is AccumulationType.CONCAT:
        return _leafwise(
            lambda v: jnp.zeros((num_microbatches, *v.shape), v.dtype),
            lambda c, v, i: c.at[i].set(v),
            lambda c: c.reshape(-1, *c.shape[2:], order="F"),
            lambda v: v,
        )
    raise ValueError(f"gradtx.microbatching: unknown accumulator {kind!r}.")


def _resolve(spec: Any, num_microbatches: int) -> Accumulator:
    """One accumulator from an Accumulator, an AccumulationType, or a tree of them."""

    def one(a):
        return a if isinstance(a, Accumulator) else _builtin(a, num_microbatches)

    accs = jax.tree.map(one, spec, is_leaf=lambda a: isinstance(a, Accumulator | AccumulationType))

    def each(f):
        return lambda *trees: jax.tree.map(
            f, accs, *trees, is_leaf=lambda a: isinstance(a, Accumulator)
        )

    return Accumulator(
        init=each(lambda a, v: a.init(v)),
        update=lambda carry, values, i: each(lambda a, c, v: a.update(c, v, i))(carry, values),
        finalize=each(lambda a, c: a.finalize(c)),
        aggregate=each(lambda a, v: a.aggregate(v)),
    )


def reshape_batch_axis(tree: Any, microbatch_size: int, axis: int = 0) -> Any:
    """Split the batch axis ``axis`` of every leaf into ``(num_microbatches, microbatch_size)``.

    The split is strided: microbatch ``k`` (index ``k`` on the new axis
    ``axis``) holds examples ``k, k + n, k + 2n, ...`` with ``n`` microbatches.

    Args:
        tree: leaves with a batch axis of size divisible by ``microbatch_size``.
        microbatch_size: examples per microbatch.
        axis: the batch axis.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.microbatching.reshape_batch_axis(jnp.arange(6), 2)
        Array([[0, 3],
               [1, 4],
               [2, 5]], dtype=int32)
    """

    def leaf(x):
        shape = (*x.shape[:axis], -1, microbatch_size, *x.shape[axis + 1 :])
        return jnp.reshape(x, shape, order="F")

    return jax.tree.map(leaf, tree)


def _as_tuple(x) -> tuple:
    return (x,) if isinstance(x, int | str) else tuple(x)


def microbatch(
    fun: Callable[..., Any],
    argnums: int | Sequence[int],
    microbatch_size: int | None,
    accumulator: Accumulator | AccumulationType | Any = AccumulationType.SUM,
    *,
    argnames: str | Sequence[str] = (),
    in_axes: int | Sequence[int] = 0,
    num_real_microbatches: int | jax.Array | None = None,
) -> Callable[..., Any]:
    """Wrap ``fun`` so that it runs over its batch arguments one microbatch at a time.

    The arguments at ``argnums`` (and keywords ``argnames``) carry a batch axis
    (``in_axes``); the wrapped function splits it (``reshape_batch_axis``),
    calls ``fun`` on each microbatch in a ``lax.fori_loop`` and combines the
    results with ``accumulator``. ``fun`` must accept a microbatch in place of
    the batch (a mean loss, say, with SUM or MEAN).

    Args:
        fun: the function to microbatch.
        argnums: positions of the batch arguments.
        microbatch_size: examples per microbatch; None returns ``fun`` itself.
        accumulator: an ``AccumulationType``, an ``Accumulator``, or a tree of
            them matching ``fun``'s output.
        argnames: names of keyword batch arguments.
        in_axes: the batch axis of each batch argument (one int for all).
        num_real_microbatches: stop after this many microbatches (traced is
            fine): for padded batches of varying real size, without recompiling.

    Returns:
        The microbatched function.

    Raises:
        ValueError: batch arguments of different batch sizes, or a batch size
            not divisible by ``microbatch_size``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> total = gradtx.microbatching.microbatch(jnp.sum, argnums=0, microbatch_size=2)
        >>> total(jnp.arange(6.0))
        Array(15., dtype=float32)
    """
    if microbatch_size is None:
        return fun
    argnums, argnames = _as_tuple(argnums), _as_tuple(argnames)
    n_batch = len(argnums) + len(argnames)
    axes = (in_axes,) * n_batch if isinstance(in_axes, int) else tuple(in_axes)

    def wrapped(*args, **kwargs):
        batch = [args[i] for i in argnums] + [kwargs[k] for k in argnames]
        sizes = {jnp.shape(x)[ax] for ax, tree in zip(axes, batch) for x in jax.tree.leaves(tree)}
        if len(sizes) != 1:
            raise ValueError(
                f"gradtx.microbatching.microbatch: the batch arguments must have one batch "
                f"size; got sizes {sorted(sizes)}."
            )
        (batch_size,) = sizes
        if batch_size % microbatch_size:
            raise ValueError(
                f"gradtx.microbatching.microbatch: batch size {batch_size} is not divisible "
                f"by microbatch_size={microbatch_size}."
            )
        split = [reshape_batch_axis(t, microbatch_size, ax) for t, ax in zip(batch, axes)]
        num_microbatches = batch_size // microbatch_size
        acc = _resolve(accumulator, num_microbatches)

        def call(index):
            picked = [
                jax.tree.map(lambda x, ax=ax: jnp.take(x, index, axis=ax), t)
                for t, ax in zip(split, axes)
            ]
            new_args = list(args)
            for i, v in zip(argnums, picked):
                new_args[i] = v
            new_kwargs = dict(kwargs)
            for k, v in zip(argnames, picked[len(argnums) :]):
                new_kwargs[k] = v
            return fun(*new_args, **new_kwargs)

        stop = num_microbatches if num_real_microbatches is None else num_real_microbatches
        carry = acc.init(jax.eval_shape(call, 0))
        carry = jax.lax.fori_loop(0, stop, lambda i, c: acc.update(c, call(i), i), carry)
        return acc.finalize(carry)

    return wrapped


def micro_vmap(
    fun: Callable[..., Any],
    in_axes: int | Sequence[int] = 0,
    out_axes: Any = 0,
    *,
    microbatch_size: int | None = None,
    vmap_fn: Callable[..., Callable[..., Any]] = jax.vmap,
    accumulator: Accumulator | AccumulationType | Any = AccumulationType.CONCAT,
    num_real_microbatches: int | jax.Array | None = None,
) -> Callable[..., Any]:
    """``vmap_fn(fun, in_axes)`` run one microbatch at a time.

    Within a microbatch the per-example results are combined by the
    accumulator's ``aggregate`` (CONCAT keeps them all), across microbatches by
    its ``update``/``finalize``. Keyword arguments are mapped over axis 0.

    Args:
        fun: the per-example function.
        in_axes: the batch axis of each positional argument (None: not batched).
        out_axes: only 0 is supported.
        microbatch_size: examples per microbatch; None vmaps the whole batch.
        vmap_fn: the vectorising map (``jax.vmap`` or a sharded variant).
        accumulator: as ``microbatch``; CONCAT by default.
        num_real_microbatches: as ``microbatch``.

    Raises:
        NotImplementedError: ``out_axes`` other than 0.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> squares = gradtx.microbatching.micro_vmap(lambda x: x * x, microbatch_size=2)
        >>> squares(jnp.arange(4.0))
        Array([0., 1., 4., 9.], dtype=float32)
    """
    if out_axes != 0:
        raise NotImplementedError(
            f"gradtx.microbatching.micro_vmap(out_axes={out_axes!r}): only out_axes=0 is supported."
        )
    axes = (in_axes,) if isinstance(in_axes, int) else tuple(in_axes)

    def vmapped(*args, kwargs):
        out = vmap_fn(fun, axes, out_axes)(*args, **kwargs)
        size = jax.tree.leaves(out)[0].shape[0]
        return _resolve(accumulator, size).aggregate(out)

    batched = microbatch(
        vmapped,
        argnums=tuple(i for i, ax in enumerate(axes) if ax is not None),
        argnames="kwargs",
        microbatch_size=microbatch_size,
        accumulator=accumulator,
        in_axes=(*(ax for ax in axes if ax is not None), 0),
        num_real_microbatches=num_real_microbatches,
    )
    return lambda *args, **kwargs: batched(*args, kwargs=kwargs)


def micro_grad(
    fun: Callable[..., Any],
    has_aux: bool = False,
    argnums: int | Sequence[int] = 0,
    *,
    batch_argnums: int | Sequence[int] = 1,
    keep_batch_dim: bool = True,
    microbatch_size: int | None = None,
    accumulator: Accumulator | AccumulationType | Any = AccumulationType.SUM,
    transform_fn: Callable[[Any], Any] = lambda x: x,
    metrics_fn: Callable[[Any], Any] = lambda x: None,
    num_real_microbatches: int | jax.Array | None = None,
) -> Callable[..., tuple[Any, IndividualOutputs]]:
    """Per-example gradients, transformed and then combined over the batch, in microbatches.

    Like ``jax.value_and_grad`` at the level of single examples: for each
    example ``i`` it computes ``g_i = grad(fun)`` and ``transform_fn(g_i)``
    (per-example clipping, or ``(g, g**2)`` for moments), and combines the
    transformed gradients with ``accumulator`` (SUM by default). Values,
    ``metrics_fn(g_i)`` and ``fun``'s aux are returned per example.

    Args:
        fun: ``fun(params, batch, ...) -> loss`` (or ``(loss, aux)`` with ``has_aux``).
        has_aux: whether ``fun`` returns ``(loss, aux)``.
        argnums: the argument(s) to differentiate.
        batch_argnums: the argument(s) with a batch axis 0.
        keep_batch_dim: give ``fun`` each example with a batch axis of size 1.
        microbatch_size: examples per microbatch; None does the batch at once.
        accumulator: how transformed gradients are combined over examples.
        transform_fn: applied to each example's gradient.
        metrics_fn: applied to each example's gradient; returned per example.
        num_real_microbatches: as ``microbatch``.

    Returns:
        A function returning ``(combined, Aux(values, metrics, aux))``.

    References:
        Abadi et al., Deep Learning with Differential Privacy, CCS 2016 (per-example clipping).

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> loss = lambda w, x, y: 0.5 * jnp.mean((x @ w - y) ** 2)
        >>> grad, aux = gradtx.microbatching.micro_grad(loss, batch_argnums=(1, 2))(
        ...     jnp.zeros(1), jnp.ones((4, 1)), jnp.array([0.0, 2.0, 4.0, 6.0]))
        >>> grad, aux.values
        (Array([-12.], dtype=float32), Array([ 0.,  2.,  8., 18.], dtype=float32))
    """
    batch_argnums = _as_tuple(batch_argnums)
    with_aux = fun if has_aux else (lambda *a, **k: (fun(*a, **k), None))
    value_and_grad = jax.value_and_grad(with_aux, argnums, has_aux=True)

    def per_example(*args, **kwargs):
        (value, aux), grad = value_and_grad(*args, **kwargs)
        return transform_fn(grad), IndividualOutputs(value, metrics_fn(grad), aux)

    axes = [None] * (max(batch_argnums) + 1)
    for i in batch_argnums:
        axes[i] = 0
    mapped = micro_vmap(
        per_example,
        in_axes=axes,
        accumulator=(accumulator, AccumulationType.CONCAT),
        microbatch_size=microbatch_size,
        num_real_microbatches=num_real_microbatches,
    )
    if not keep_batch_dim:
        return mapped

    def with_unit_batch(*args, **kwargs):
        args = list(args)
        for i in batch_argnums:
            args[i] = jax.tree.map(lambda x: jnp.expand_dims(x, 1), args[i])
        return mapped(*args, **kwargs)

    return with_unit_batch
