"""Lanczos tridiagonalisation of a symmetric linear operator, in ``lax`` loops."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from gradtx._core._validate import check_int
from gradtx.curvature._flat import FlatView


class LanczosResult(NamedTuple):
    """What ``lanczos`` returns.

    Fields:
        alphas: ``(order,)``, the diagonal of the tridiagonal matrix ``T``.
        betas: ``(order - 1,)``, its off-diagonal.
        ritz_values: ``(order,)``, the eigenvalues of ``T`` in ascending order.
        ritz_vectors: a tree like ``v0`` whose leaves have a leading axis
            ``order`` (row ``j`` pairs with ``ritz_values[j]``), or None.
    """

    alphas: jax.Array
    betas: jax.Array
    ritz_values: jax.Array
    ritz_vectors: Any


def tridiagonal(alphas: jax.Array, betas: jax.Array) -> jax.Array:
    """The dense symmetric tridiagonal matrix with diagonal ``alphas``, off-diagonal ``betas``."""
    return jnp.diag(alphas) + jnp.diag(betas, 1) + jnp.diag(betas, -1)


BLOCK = 16  # basis rows per block of the reorthogonalisation


def _orthogonalize(w: jax.Array, basis: jax.Array, rows: jax.Array) -> jax.Array:
    """``w`` minus its projection on the first ``rows`` rows of ``basis`` (orthonormal rows).

    Classical Gram-Schmidt over the filled blocks of ``BLOCK`` rows only, so step
    ``j`` of Lanczos reads ``j`` basis vectors, not ``order``: half the memory
    traffic of a pass over the whole basis, on average.
    """
    nb = (rows + BLOCK - 1) // BLOCK
    block = lambda j: lax.dynamic_slice_in_dim(basis, j * BLOCK, BLOCK)

    def coefficients(j, c):
        return lax.dynamic_update_slice_in_dim(c, block(j) @ w, j * BLOCK, 0)

    c = lax.fori_loop(0, nb, coefficients, jnp.zeros(basis.shape[0], w.dtype))
    return lax.fori_loop(
        0, nb, lambda j, acc: acc - block(j).T @ lax.dynamic_slice_in_dim(c, j * BLOCK, BLOCK), w
    )


def lanczos_flat(
    matvec: Callable[[jax.Array], jax.Array],
    v0: jax.Array,
    order: int,
    *,
    reorthogonalize: bool = True,
    keep_basis: bool = False,
) -> tuple[jax.Array, jax.Array, jax.Array | None]:
    """Lanczos on flat vectors: ``(alphas, betas, basis)``; ``basis`` is ``(order, n)`` or None.

    ``order`` must be at most ``n = v0.size``. A breakdown (an invariant
    subspace found early, ``beta`` below ``10 * eps * ||T||``) restarts from a
    fixed vector orthogonalised against the basis with ``beta = 0``, so ``T`` stays an
    exact restriction of the operator and its eigenvalues stay eigenvalues.
    Without ``reorthogonalize`` and ``keep_basis`` only three vectors are kept
    (memory ``O(n)``), at the price of spurious copies of converged Ritz values.
    """
    n = v0.shape[0]
    dtype = v0.dtype
    store = reorthogonalize or keep_basis
    eps = jnp.finfo(dtype).eps
    v = v0 / jnp.linalg.norm(v0)
    padded = (order // BLOCK + 1) * BLOCK  # a spare row for the vector after the last
    basis = jnp.zeros((padded, n), dtype).at[0].set(v) if store else None
    zero = jnp.zeros((), dtype)

    def body(i, carry):
        v, v_prev, beta_prev, basis, alphas, betas, scale = carry
        w = matvec(v)
        alpha = jnp.vdot(v, w)
        w = w - alpha * v - beta_prev * v_prev
        if reorthogonalize:
            # Classical Gram-Schmidt, repeated when it cancelled much of w
            # (Daniel, Gragg, Kaufman and Stewart's criterion): twice is enough.
            before = jnp.linalg.norm(w)
            w = _orthogonalize(w, basis, i + 1)
            w = lax.cond(
                jnp.linalg.norm(w) < 0.7 * before,
                lambda x: _orthogonalize(x, basis, i + 1),
                lambda x: x,
                w,
            )
        beta = jnp.linalg.norm(w)
        scale = jnp.maximum(scale, jnp.abs(alpha) + beta + beta_prev)

        def restart(_):
            # A fixed, cheap vector (no PRNG in the loop, which would slow compilation).
            r = jnp.sin((jnp.arange(n, dtype=dtype) + 1) * (i + 1) * 0.6180339887)
            if store:
                r = _orthogonalize(_orthogonalize(r, basis, i + 1), basis, i + 1)
            return r / jnp.linalg.norm(r), zero

        broke = beta <= 10 * eps * scale
        v_next, beta = lax.cond(
            broke, restart, lambda _: (w / jnp.where(broke, 1, beta), beta), None
        )
        if store:
            basis = lax.dynamic_update_slice_in_dim(basis, v_next[None], i + 1, 0)
        alphas = alphas.at[i].set(alpha)
        betas = betas.at[i].set(beta)
        return v_next, v, beta, basis, alphas, betas, scale

    carry = (
        v,
        jnp.zeros_like(v),
        zero,
        basis,
        jnp.zeros(order, dtype),
        jnp.zeros(order, dtype),
        zero,
    )
    _, _, _, basis, alphas, betas, _ = lax.fori_loop(0, order, body, carry)
    return alphas, betas[: order - 1], basis[:order] if keep_basis else None


def lanczos(
    matvec: Callable[[Any], Any],
    v0: Any,
    order: int,
    *,
    reorthogonalize: bool = True,
    ritz_vectors: bool = False,
) -> LanczosResult:
    """Tridiagonalise a symmetric operator on pytrees with ``order`` Lanczos steps.

    Builds an orthonormal basis ``Q = [q_1 .. q_m]`` of the Krylov subspace
    ``span{v0, A v0, .., A^{m-1} v0}`` and ``T = Q^T A Q`` (tridiagonal), one
    product with ``A`` per step. The eigenvalues of ``T`` (Ritz values)
    approximate ``A``'s extreme eigenvalues first and fast; ``Q`` times the
    eigenvectors of ``T`` gives the Ritz vectors. The loop is a
    ``lax.fori_loop``, so compile time does not grow with ``order``.

    Recurrence (``q_0 = 0``, ``q_1 = v0 / ||v0||``, ``beta_0 = 0``):
        w = A q_j - alpha_j q_j - beta_{j-1} q_{j-1},  alpha_j = <q_j, A q_j>
        w = w - Q Q^T w        (full reorthogonalisation, if reorthogonalize)
        beta_j = ||w||,  q_{j+1} = w / beta_j

    Memory: ``order`` vectors of the params' size with reorthogonalisation
    (which keeps ``Q`` orthogonal to working precision) or Ritz vectors; three
    vectors otherwise. Work is done in the widest float dtype of ``v0``'s
    leaves, and at least float32.

    Args:
        matvec: the symmetric operator ``v -> A v`` on trees like ``v0``
            (``gradtx.curvature.hvp`` closed over a loss, params and batch).
        v0: the starting vector, a tree (not all zeros).
        order: number of Lanczos steps, an int in ``[1, n]``, ``n`` the size of ``v0``.
        reorthogonalize: reorthogonalise each new vector against the whole basis.
        ritz_vectors: also return the ``order`` Ritz vectors.

    Returns:
        A ``LanczosResult``: ``alphas``, ``betas``, ``ritz_values`` and
        ``ritz_vectors`` (None unless asked for).

    Raises:
        TypeError, ValueError: ``order`` not an int in ``[1, n]``.

    References:
        Lanczos, An Iteration Method for the Solution of the Eigenvalue Problem
        of Linear Differential and Integral Operators, J. Res. NBS 1950.
        Golub and Van Loan, Matrix Computations, 4th ed., Section 10.1, 2013.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> a = jnp.diag(jnp.arange(1.0, 6.0))
        >>> res = gradtx.curvature.lanczos(lambda v: a @ v, jnp.ones(5), 5)
        >>> [round(float(x), 4) for x in res.ritz_values]
        [1.0, 2.0, 3.0, 4.0, 5.0]
    """
    view = FlatView(v0)
    check_int("curvature.lanczos", "order", order, 1)
    if order > view.size:
        raise ValueError(
            f"gradtx.curvature.lanczos(order={order}): order must be in [1, {view.size}] "
            f"(the size of v0); got {order}."
        )
    alphas, betas, basis = lanczos_flat(
        view.operator(matvec),
        view.flatten(v0),
        order,
        reorthogonalize=reorthogonalize,
        keep_basis=ritz_vectors,
    )
    values, vectors = jnp.linalg.eigh(tridiagonal(alphas, betas))
    rows = None if basis is None else view.unflatten_rows(vectors.T @ basis)
    return LanczosResult(alphas, betas, values, rows)
