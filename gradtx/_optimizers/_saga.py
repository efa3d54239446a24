"""SAGA and SAG: variance reduction with a table of the last gradient seen for each example."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain
from gradtx._core._numerics import safe_increment, zero_count
from gradtx._core._validate import (
    check_int,
    check_learning_rate,
    checks_float_params,
    concrete_values,
)
from gradtx.transforms._scaling import scale_by_learning_rate
from gradtx.tree_utils._sharding import zeros_stacked_like
from gradtx.tree_utils._tree_math import map_leaves_with_stats


class ScaleBySagaState(NamedTuple):
    """State of ``scale_by_saga``: the step count, the table of per-example
    gradients (each leaf has a leading axis of length ``num_examples``) and
    the table's mean over examples."""

    count: jax.Array
    table: Any
    table_mean: Any


class ScaleBySagState(NamedTuple):
    """State of ``scale_by_sag``: as ``ScaleBySagaState``, plus ``seen``, a
    boolean vector marking the examples whose gradient is in the table."""

    count: jax.Array
    table: Any
    table_mean: Any
    seen: jax.Array


def _batch_index(fn: str, index: Any, num_examples: int) -> jax.Array:
    if index is None:
        raise ValueError(
            f"gradtx.{fn}: update needs index= (the example index, or a vector of the "
            f"batch's distinct example indices, in [0, {num_examples}))."
        )
    arr = concrete_values(index)
    if arr is not None:
        if arr.dtype.kind not in "iu" or arr.ndim > 1:
            raise ValueError(
                f"gradtx.{fn}: index must be an int scalar or a 1-D int vector; got dtype "
                f"{arr.dtype}, shape {arr.shape}."
            )
        if arr.size and (arr.min() < 0 or arr.max() >= num_examples):
            raise ValueError(
                f"gradtx.{fn}: index must be in [0, {num_examples}) (num_examples="
                f"{num_examples}); got values in [{arr.min()}, {arr.max()}]."
            )
        if np.unique(arr).size != arr.size:
            raise ValueError(f"gradtx.{fn}: the batch's indices must be distinct; got {arr}.")
    return jnp.atleast_1d(jnp.asarray(index))


def _table_step(fn: str, updates, state, index, per_example_grads, num_examples: int):
    """Swap the batch's rows of the table; return (new table, new mean, mean of g - old)."""
    idx = _batch_index(fn, index, num_examples)
    if per_example_grads is None:
        if idx.shape[0] != 1:
            raise ValueError(
                f"gradtx.{fn}: with {idx.shape[0]} indices, pass per_example_grads= (a tree "
                f"like the params whose leaves have a leading axis of length {idx.shape[0]})."
            )
        per_example_grads = jax.tree.map(lambda g: g[None], updates)

    def leaf(g_b, table, mean):
        if g_b.shape[0] != idx.shape[0]:
            raise ValueError(
                f"gradtx.{fn}: per_example_grads has {g_b.shape[0]} rows but index has "
                f"{idx.shape[0]}."
            )
        old = table[idx]
        diff = g_b.astype(table.dtype) - old
        new_table = table.at[idx].set(g_b.astype(table.dtype))
        new_mean = (mean + jnp.sum(diff, axis=0) / num_examples).astype(mean.dtype)
        return new_table, new_mean, jnp.mean(diff, axis=0)

    return map_leaves_with_stats(
        f"gradtx.{fn}", leaf, 3, per_example_grads, state.table, state.table_mean
    )


def _table_init(params, num_examples: int):
    table = jax.tree.map(lambda p: zeros_stacked_like(p, num_examples), params)
    return table, jax.tree.map(jnp.zeros_like, params)


@checks_float_params
def scale_by_saga(num_examples: int) -> GradientTransformation:
    """Replace a batch gradient by SAGA's unbiased variance-reduced estimate.

    Keeps the last gradient seen for each of the ``num_examples`` terms of a
    finite sum ``F = (1/n) sum_i f_i`` in a table, and corrects the batch
    gradient by the table: the estimate is unbiased whatever the table holds,
    and its variance vanishes as the table fills with gradients at points near
    the optimum. Memory: ``num_examples`` copies of the params (the table), so
    it suits linear models and GLMs, where the gradient of ``f_i`` is a scalar
    times the i-th example and the table is as large as the data.

    Update rule (n = num_examples; B the batch's indices, b = |B|; T the
    table, T_bar its mean; the table starts at zeros):
        u_t      = (1/b) sum_{j in B} (g_j - T_j) + T_bar
        T_j      = g_j  for j in B;   T_bar += (1/n) sum_{j in B} (g_j - T_j,old)

    Extra arguments of ``update``: ``index``, the example index (an int) or a
    vector of the batch's distinct indices; ``per_example_grads``, needed when
    the batch has more than one example: a tree like the params whose leaves
    have a leading axis of length b (``jax.vmap(jax.grad(loss_i))``). With a
    single index the incoming gradient is that example's. Indices are checked
    when concrete; traced indices out of range are clamped by JAX's gather.
    See ``scale_by_svrg`` for where variance reduction helps and where not
    (deep networks, Defazio and Bottou 2019).

    Speed: run the steps inside ``jax.lax.scan`` (or ``fori_loop``) under
    ``jax.jit``; a jitted step called once per step from Python pays its
    dispatch every time. Donating the state (``jax.jit(step,
    donate_argnums=...)``) does not make the table update in place on CPU
    with jax 0.10: the step reads the rows it overwrites and uses them for the
    update and the mean, and XLA then copies the whole table in every step, so
    a step costs O(n d) memory traffic rather than O(d). Measured on a 4000 x
    20 float64 table (a loaded 2-core CPU; ``benchmarks/noise_reduction.py``):
    about 115 us a step in ``lax.scan`` (two table copies), 600 us as a jitted
    step per call, donated or not.

    Args:
        num_examples: int >= 1, the number of terms n of the finite sum.

    Returns:
        The transformation; its state is ``ScaleBySagaState``.

    Raises:
        TypeError, ValueError: ``num_examples`` not an int >= 1; a missing,
            repeated or out-of-range concrete ``index``; a batch of several
            indices without ``per_example_grads``.

    References:
        Defazio, Bach and Lacoste-Julien, SAGA: A Fast Incremental Gradient
        Method With Support for Non-Strongly Convex Composite Objectives,
        NeurIPS 2014.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> a = jnp.array([[1.0, 2.0], [3.0, -1.0], [0.0, 1.0]])  # f_i = |x - a_i|^2 / 2
        >>> opt = gradtx.saga(0.3, num_examples=3)
        >>> x = jnp.zeros(2)
        >>> state = opt.init(x)
        >>> for t in range(60):
        ...     i = t % 3
        ...     u, state = opt.update(x - a[i], state, x, index=i)
        ...     x = gradtx.apply_updates(x, u)
        >>> bool(jnp.allclose(x, a.mean(0), atol=1e-5))
        True
    """
    check_int("scale_by_saga", "num_examples", num_examples, 1)

    def init(params):
        table, mean = _table_init(params, num_examples)
        return ScaleBySagaState(count=zero_count(), table=table, table_mean=mean)

    def update(updates, state, params=None, *, index=None, per_example_grads=None, **extra):
        del params, extra
        table, mean, diff = _table_step(
            "scale_by_saga", updates, state, index, per_example_grads, num_examples
        )
        u = jax.tree.map(lambda d, m, g: (d + m).astype(g.dtype), diff, state.table_mean, updates)
        return u, ScaleBySagaState(safe_increment(state.count), table, mean)

    return GradientTransformation(init, update)


@checks_float_params
def scale_by_sag(num_examples: int, *, divide_by_seen: bool = True) -> GradientTransformation:
    """Replace a batch gradient by SAG's average of the table of per-example gradients.

    Like ``scale_by_saga`` it keeps the last gradient seen for each example,
    but returns the table's average after swapping in the batch's gradients:
    a biased estimate with lower variance, which also converges linearly on
    strongly convex finite sums (steps about ``1 / (16 L)`` in theory, ``1 /
    L`` in practice). Memory: ``num_examples`` copies of the params.

    Update rule (n = num_examples; B the batch; T the table, zeros at first;
    m the number of examples seen so far):
        T_j = g_j  for j in B
        u_t = (1/m) sum_i T_i   if divide_by_seen, else (1/n) sum_i T_i

    Extra arguments of ``update`` as for ``scale_by_saga`` (``index``,
    ``per_example_grads``), and the same advice on speed (steps inside
    ``lax.scan``; the table is copied each step on CPU, about 120 us for 4000
    x 20). See ``scale_by_svrg`` for where variance reduction helps and where
    not.

    Args:
        num_examples: int >= 1, the number of terms n of the finite sum.
        divide_by_seen: divide by the number of examples seen so far instead
            of n, which makes the first epoch behave like SGD rather than take
            tiny steps (Schmidt, Le Roux and Bach, Section 4.1).

    Returns:
        The transformation; its state is ``ScaleBySagState``.

    Raises:
        TypeError, ValueError: as ``scale_by_saga``.

    References:
        Le Roux, Schmidt and Bach, A Stochastic Gradient Method with an
        Exponential Convergence Rate for Finite Training Sets, NeurIPS 2012.
        Schmidt, Le Roux and Bach, Minimizing Finite Sums with the Stochastic
        Average Gradient, Math. Programming 2017.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> a = jnp.array([[1.0, 2.0], [3.0, -1.0], [0.0, 1.0]])
        >>> opt = gradtx.sag(0.5, num_examples=3)
        >>> x = jnp.zeros(2)
        >>> state = opt.init(x)
        >>> for t in range(90):
        ...     u, state = opt.update(x - a[t % 3], state, x, index=t % 3)
        ...     x = gradtx.apply_updates(x, u)
        >>> bool(jnp.allclose(x, a.mean(0), atol=1e-5))
        True
    """
    check_int("scale_by_sag", "num_examples", num_examples, 1)
    if not isinstance(divide_by_seen, bool):
        raise TypeError(
            f"gradtx.scale_by_sag(divide_by_seen={divide_by_seen!r}): divide_by_seen must be "
            f"a bool."
        )

    def init(params):
        table, mean = _table_init(params, num_examples)
        seen = jnp.zeros((num_examples,), jnp.bool_)
        return ScaleBySagState(count=zero_count(), table=table, table_mean=mean, seen=seen)

    def update(updates, state, params=None, *, index=None, per_example_grads=None, **extra):
        del params, extra
        table, mean, _ = _table_step(
            "scale_by_sag", updates, state, index, per_example_grads, num_examples
        )
        seen = state.seen.at[jnp.atleast_1d(jnp.asarray(index))].set(True)
        n_seen = jnp.maximum(jnp.sum(seen), 1) if divide_by_seen else num_examples
        scale = num_examples / n_seen

        def leaf(m, g):
            return (m * jnp.asarray(scale, jnp.result_type(m, float))).astype(g.dtype)

        u = jax.tree.map(leaf, mean, updates)
        return u, ScaleBySagState(safe_increment(state.count), table, mean, seen)

    return GradientTransformation(init, update)


@checks_float_params
def saga(learning_rate: ScalarOrSchedule, num_examples: int) -> GradientTransformation:
    """SAGA: ``scale_by_saga`` then ``-learning_rate``.

    With each ``f_i`` L-smooth and ``F`` mu-strongly convex, a constant step
    ``1 / (3 L)`` converges linearly (Defazio et al. 2014, Theorem 1), and
    ``1 / L`` usually works. Pass ``index`` (and ``per_example_grads`` for
    batches) to ``update``; see ``scale_by_saga``.

    Complex params: supported.

    Args:
        learning_rate: non-negative number, array or schedule.
        num_examples: int >= 1, the number of terms of the finite sum.

    Returns:
        The optimizer; its state is ``(ScaleBySagaState, ...)``.

    Raises:
        ValueError: out-of-range hyperparameters.

    References:
        Defazio, Bach and Lacoste-Julien, SAGA, NeurIPS 2014.

    Example:
        >>> import gradtx
        >>> opt = gradtx.saga(0.1, num_examples=1000)
    """
    check_learning_rate("saga", learning_rate)
    check_int("saga", "num_examples", num_examples, 1)
    return chain(scale_by_saga(num_examples), scale_by_learning_rate(learning_rate))


@checks_float_params
def sag(
    learning_rate: ScalarOrSchedule, num_examples: int, *, divide_by_seen: bool = True
) -> GradientTransformation:
    """SAG: ``scale_by_sag`` then ``-learning_rate``.

    Complex params: supported.

    Args:
        learning_rate: non-negative number, array or schedule (about ``1 / L``).
        num_examples: int >= 1, the number of terms of the finite sum.
        divide_by_seen: see ``scale_by_sag``.

    Returns:
        The optimizer; its state is ``(ScaleBySagState, ...)``.

    Raises:
        ValueError: out-of-range hyperparameters.

    References:
        Schmidt, Le Roux and Bach, Minimizing Finite Sums with the Stochastic
        Average Gradient, Math. Programming 2017.

    Example:
        >>> import gradtx
        >>> opt = gradtx.sag(0.1, num_examples=1000)
    """
    check_learning_rate("sag", learning_rate)
    check_int("sag", "num_examples", num_examples, 1)
    return chain(
        scale_by_sag(num_examples, divide_by_seen=divide_by_seen),
        scale_by_learning_rate(learning_rate),
    )
