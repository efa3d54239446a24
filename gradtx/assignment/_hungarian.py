"""The linear assignment problem: two jittable Hungarian algorithms.

Both solve, for an ``n x m`` cost matrix ``C``,

    minimise sum_ij C_ij X_ij  over  X_ij in {0, 1},  each row and each column used
    at most once,  min(n, m) pairs in all,

and return the pairs as ``(rows, cols)`` with ``rows`` in ascending order, like
``scipy.optimize.linear_sum_assignment``. A wide matrix is solved as it is; a
tall one through its transpose, so the inner problem always has at most as many
rows as columns, and each row of it gets one column.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def _as_costs(fn: str, cost_matrix) -> jax.Array:
    costs = jnp.asarray(cost_matrix)
    if costs.ndim != 2:
        raise ValueError(
            f"gradtx.assignment.{fn}: cost_matrix must be a matrix; got shape {costs.shape}."
        )
    if not jnp.issubdtype(costs.dtype, jnp.floating):
        costs = costs.astype(jnp.result_type(float))
    return costs


def _pairs(col4row: jax.Array, transposed: bool) -> tuple[jax.Array, jax.Array]:
    """``(rows, cols)`` from the column of each inner row, rows ascending in the original."""
    if not transposed:
        return jnp.arange(col4row.shape[0]), col4row
    order = jnp.argsort(col4row)  # inner rows are original columns
    return col4row[order], order


def _solve(fn: str, cost_matrix, inner) -> tuple[jax.Array, jax.Array]:
    costs = _as_costs(fn, cost_matrix)
    if 0 in costs.shape:
        empty = jnp.zeros(0, int)
        return empty, empty
    transposed = costs.shape[0] > costs.shape[1]
    col4row = inner(costs.T if transposed else costs)
    return _pairs(col4row, transposed)


def _shortest_augmenting_path(costs: jax.Array) -> jax.Array:
    """Jonker-Volgenant / Crouse: one Dijkstra search for an augmenting path per row.

    Duals ``u`` (rows) and ``v`` (columns) keep reduced costs ``C - u - v`` >= 0 on
    the columns scanned, so the shortest path in reduced costs is found greedily.
    """
    n, m = costs.shape
    inf = jnp.asarray(jnp.inf, costs.dtype)
    rows = jnp.arange(n)

    def search(carry):
        i, min_val, shortest, path, scanned_rows, scanned_cols, sink, u, v, row4col = carry
        scanned_rows = scanned_rows.at[i].set(True)
        reduced = min_val + costs[i] - u[i] - v
        better = ~scanned_cols & (reduced < shortest)
        path = jnp.where(better, i, path)
        shortest = jnp.where(better, reduced, shortest)
        candidates = jnp.where(scanned_cols, inf, shortest)
        lowest = jnp.min(candidates)
        # Among the nearest columns prefer a free one: the path can end there.
        rank = jnp.where(candidates == lowest, jnp.where(row4col == -1, 0, 1), 2)
        j = jnp.argmin(rank)
        scanned_cols = scanned_cols.at[j].set(True)
        free = row4col[j] == -1
        sink = jnp.where(free, j, sink)
        i = jnp.where(free, i, row4col[j])
        return i, lowest, shortest, path, scanned_rows, scanned_cols, sink, u, v, row4col

    def assign_row(current, state):
        u, v, row4col, col4row = state
        start = (
            current,
            jnp.zeros((), costs.dtype),
            jnp.full(m, inf),
            jnp.full(m, -1),
            jnp.zeros(n, bool),
            jnp.zeros(m, bool),
            jnp.asarray(-1),
            u,
            v,
            row4col,
        )
        _, min_val, shortest, path, scanned_rows, scanned_cols, sink, *_ = jax.lax.while_loop(
            lambda c: c[6] == -1, search, start
        )
        # Dual update: keeps reduced costs non-negative and zero along the new matching.
        others = scanned_rows & (rows != current)
        u = jnp.where(others, u + min_val - shortest[col4row], u)
        u = u.at[current].add(min_val)
        v = jnp.where(scanned_cols, v + shortest - min_val, v)

        def flip(c):  # walk the path back from the sink, flipping matched edges
            j, row4col, col4row, _ = c
            i = path[j]
            row4col = row4col.at[j].set(i)
            previous = col4row[i]
            col4row = col4row.at[i].set(j)
            return previous, row4col, col4row, i == current

        _, row4col, col4row, _ = jax.lax.while_loop(
            lambda c: ~c[3], flip, (sink, row4col, col4row, jnp.asarray(False))
        )
        return u, v, row4col, col4row

    init = (jnp.zeros(n, costs.dtype), jnp.zeros(m, costs.dtype), jnp.full(m, -1), jnp.full(n, -1))
    _, _, _, col4row = jax.lax.fori_loop(0, n, assign_row, init)
    return col4row


def _potentials(costs: jax.Array) -> jax.Array:
    """The O(n^2 m) Hungarian algorithm with potentials (Kuhn-Munkres, as in Jonker-Volgenant).

    Index 0 of the columns is a virtual column where each new row starts; ``owner[j]``
    is the 1-based row matched to column ``j`` (0: none).
    """
    n, m = costs.shape
    inf = jnp.asarray(jnp.inf, costs.dtype)

    def add_row(state, row):
        u, v, owner = state
        owner = owner.at[0].set(row + 1)

        def grow(c):  # extend the alternating tree by its nearest column
            u, v, used, min_reduced, way, j0 = c
            used = used.at[j0].set(True)
            i0 = owner[j0]
            reduced = costs[i0 - 1] - u[i0] - v[1:]
            free = ~used[1:]
            better = free & (reduced < min_reduced)
            min_reduced = jnp.where(better, reduced, min_reduced)
            way = jnp.where(better, j0, way)
            masked = jnp.where(free, min_reduced, inf)
            delta = jnp.min(masked)
            j1 = jnp.argmin(masked) + 1
            u = u.at[owner].add(jnp.where(used, delta, 0))
            v = jnp.where(used, v - delta, v)
            min_reduced = jnp.where(free, min_reduced - delta, min_reduced)
            return u, v, used, min_reduced, way, j1

        start = (u, v, jnp.zeros(m + 1, bool), jnp.full(m, inf), jnp.zeros(m, int), jnp.asarray(0))
        u, v, _, _, way, j0 = jax.lax.while_loop(lambda c: owner[c[5]] != 0, grow, start)

        def unwind(c):  # shift the matching along the augmenting path
            owner, j0 = c
            j1 = way[j0 - 1]
            return owner.at[j0].set(owner[j1]), j1

        owner, _ = jax.lax.while_loop(lambda c: c[1] != 0, unwind, (owner, j0))
        return (u, v, owner), None

    init = (jnp.zeros(n + 1, costs.dtype), jnp.zeros(m + 1, costs.dtype), jnp.zeros(m + 1, int))
    (_, _, owner), _ = jax.lax.scan(add_row, init, jnp.arange(n))
    matched = owner[1:]
    target = jnp.where(matched > 0, matched - 1, n)  # unmatched columns are dropped
    return jnp.full(n, -1).at[target].set(jnp.arange(m), mode="drop")


def base_hungarian_algorithm(cost_matrix: jax.typing.ArrayLike) -> tuple[jax.Array, jax.Array]:
    """Solve the linear assignment problem by shortest augmenting paths (Crouse 2016).

    Given an ``n x m`` cost matrix, find ``min(n, m)`` (row, column) pairs, each row
    and column used at most once, of least total cost. Each row in turn is joined
    to the matching by a shortest augmenting path in reduced costs, as in SciPy's
    ``linear_sum_assignment``; O(n^2 m) time. Jittable; the shape must be static.

    Args:
      cost_matrix: a matrix ``[n, m]`` of finite costs (integers are cast to float).

    Returns:
      ``(rows, cols)``: integer arrays of length ``min(n, m)``, ``rows`` ascending;
      the cost is ``cost_matrix[rows, cols].sum()``.

    Raises:
      ValueError: ``cost_matrix`` is not 2-D.

    References:
      Crouse, On implementing 2D rectangular assignment algorithms, IEEE
      Transactions on Aerospace and Electronic Systems 2016.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> cost = jnp.array([[8, 4, 7], [5, 2, 3], [9, 6, 7], [9, 4, 8]])
      >>> i, j = gradtx.assignment.base_hungarian_algorithm(cost)
      >>> print(i, j, cost[i, j].sum())
      [0 1 3] [0 2 1] 15
    """
    return _solve("base_hungarian_algorithm", cost_matrix, _shortest_augmenting_path)


def hungarian_algorithm(cost_matrix: jax.typing.ArrayLike) -> tuple[jax.Array, jax.Array]:
    """Solve the linear assignment problem with the Hungarian algorithm (row potentials).

    The same problem and answer as ``base_hungarian_algorithm``, by the compact
    Kuhn-Munkres variant with potentials that grows one alternating tree per row
    (O(n^2 m)); it traces to a smaller program. Jittable; the shape must be static.

    Args:
      cost_matrix: a matrix ``[n, m]`` of finite costs (integers are cast to float).

    Returns:
      ``(rows, cols)``: integer arrays of length ``min(n, m)``, ``rows`` ascending.

    Raises:
      ValueError: ``cost_matrix`` is not 2-D.

    Differences from optax: the pairs come with rows in ascending order, as from
    ``base_hungarian_algorithm`` and SciPy; optax's ``hungarian_algorithm`` returns
    the same pairs in another order (by column for square matrices).

    References:
      Kuhn, The Hungarian method for the assignment problem, Naval Research
      Logistics Quarterly 1955; Dehghani et al., Scenic: A JAX Library for
      Computer Vision Research and Beyond, CVPR 2022.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> cost = jnp.array([[90, 80, 75, 70], [35, 85, 55, 65], [125, 95, 90, 95],
      ...                   [45, 110, 95, 115], [50, 100, 90, 100]])
      >>> i, j = gradtx.assignment.hungarian_algorithm(cost)
      >>> print(i, j, cost[i, j].sum())
      [0 1 2 3] [3 2 1 0] 265
    """
    return _solve("hungarian_algorithm", cost_matrix, _potentials)
