"""Extreme eigenpairs of the Hessian (or Gauss-Newton matrix, or Fisher) by Lanczos."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._validate import check_int
from gradtx.curvature._flat import FlatView, default_key
from gradtx.curvature._lanczos import lanczos_flat, tridiagonal
from gradtx.curvature._operators import check_matrix, flat_curvature_operator

WHICH = ("largest", "smallest", "both")


class HessianEigenResult(NamedTuple):
    """What ``hessian_eigenvalues`` returns.

    Fields:
        eigenvalues: the Ritz values asked for, in ascending order: ``(k,)``,
            or ``(2 * k,)`` for ``which="both"`` (the ``k`` smallest, then the
            ``k`` largest).
        eigenvectors: a tree like the params whose leaves have a leading axis of
            that length; row ``j`` is the unit eigenvector of ``eigenvalues[j]``.
    """

    eigenvalues: jax.Array
    eigenvectors: Any


def default_order(n: int, k: int) -> int:
    """Lanczos steps used when ``order`` is None: ``min(n, max(4 k, 40))``."""
    return min(n, max(4 * k, 40))


def check_order(fn: str, order: int, n: int) -> None:
    check_int(fn, "order", order, 1)
    if order > n:
        raise ValueError(
            f"gradtx.curvature.{fn}(order={order}): order must be in [1, {n}] (the number "
            f"of parameters); got {order}."
        )


def krylov_eigh(
    fun: Callable,
    params: Any,
    args: tuple,
    order: int,
    *,
    matrix: str = "hessian",
    has_aux: bool = False,
    loss_fn: Callable | None = None,
    keep_basis: bool = True,
    key: jax.Array | None = None,
    start: Any | None = None,
) -> tuple[jax.Array, jax.Array, jax.Array | None, FlatView]:
    """Lanczos on the curvature operator: Ritz values, eigenvectors of ``T``, basis, view.

    ``start`` is the starting vector (a tree like the params); None draws a
    standard normal one from ``key``.
    """
    view, op = flat_curvature_operator(
        fun, params, args, matrix=matrix, has_aux=has_aux, loss_fn=loss_fn
    )
    if start is None:
        v0 = jax.random.normal(default_key(key), (view.size,), view.dtype)
    else:
        v0 = view.flatten(start)
    alphas, betas, basis = lanczos_flat(op, v0, order, keep_basis=keep_basis)
    values, vectors = jnp.linalg.eigh(tridiagonal(alphas, betas))
    return values, vectors, basis, view


def hessian_eigenvalues(
    fun: Callable,
    params: Any,
    *args: Any,
    k: int = 1,
    which: str = "largest",
    matrix: str = "hessian",
    order: int | None = None,
    has_aux: bool = False,
    loss_fn: Callable | None = None,
    key: jax.Array | None = None,
) -> HessianEigenResult:
    """The ``k`` extreme eigenvalues of the Hessian of ``fun`` at ``params``, with eigenvectors.

    Matrix-free: runs ``order`` Lanczos steps with full reorthogonalisation, one
    curvature-vector product each (the product is linearised once, so each
    step costs less than a fresh ``hvp``), then takes the Ritz pairs of the
    tridiagonal matrix. Extreme eigenvalues converge first, and both ends of
    the spectrum come from the same run. With ``order`` equal to the number of
    parameters ``n`` the result is exact up to rounding. Memory: ``order``
    vectors of size ``n``. Jit- and vmap-safe; ``k``, ``which``, ``matrix`` and
    ``order`` are static.

    Which matrix (``fun``'s meaning changes with it):
        - ``"hessian"``: ``fun(params, *args)`` is the scalar loss;
        - ``"gauss_newton"``: ``fun(params, *args)`` returns the model outputs,
          ``loss_fn(outputs)`` the loss (None: ``0.5 * ||outputs||^2``), and the
          matrix is ``J^T H_L J``;
        - ``"fisher"``: ``fun(params, *args)`` returns logits ``(batch, classes)``,
          and the matrix is the batch-averaged Fisher of the softmax model;
        - ``"empirical_fisher"``: ``fun(params, *args)`` returns the per-example
          losses, and the matrix is ``mean_i g_i g_i^T``.

    Args:
        fun: as above; ``args`` (a mini-batch, say) are passed after the params.
        params: the point (a tree of float arrays).
        *args: passed to ``fun``; not differentiated.
        k: how many eigenvalues at each requested end, an int >= 1.
        which: ``"largest"`` (algebraically), ``"smallest"`` or ``"both"``.
        matrix: ``"hessian"``, ``"gauss_newton"``, ``"fisher"`` or ``"empirical_fisher"``.
        order: Lanczos steps in ``[k, n]`` (``[2k, n]`` for both); None means
            ``min(n, max(4 k, 40))``. More steps, more accurate interior pairs.
        has_aux: ``fun`` returns ``(value, aux)``; ``aux`` is ignored.
        loss_fn: the loss of the outputs, for ``matrix="gauss_newton"`` only.
        key: PRNG key of the random starting vector; None means ``PRNGKey(0)``.

    Returns:
        A ``HessianEigenResult`` ``(eigenvalues, eigenvectors)``, ascending.

    Raises:
        ValueError: ``which`` or ``matrix`` unknown; ``k`` or ``order`` out of range;
            ``loss_fn`` without ``matrix="gauss_newton"``.

    References:
        Ghorbani, Krishnan and Xiao, An Investigation into Neural Net Optimization
        via Hessian Eigenvalue Density, ICML 2019, https://arxiv.org/abs/1901.10159.
        Golub and Van Loan, Matrix Computations, 4th ed., Section 10.1, 2013.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> f = lambda p: 0.5 * (3.0 * p["x"] ** 2 - p["y"] ** 2)
        >>> res = gradtx.curvature.hessian_eigenvalues(
        ...     f, {"x": 1.0, "y": 0.0}, k=1, which="both")
        >>> [round(float(e), 4) for e in res.eigenvalues]
        [-1.0, 3.0]
    """
    fn = "hessian_eigenvalues"
    if which not in WHICH:
        raise ValueError(
            f"gradtx.curvature.{fn}(which={which!r}): which must be 'largest', 'smallest' "
            f"or 'both'; got {which!r}."
        )
    check_matrix(fn, matrix, loss_fn)
    check_int(f"curvature.{fn}", "k", k, 1)
    n = FlatView(params).size
    count = 2 * k if which == "both" else k
    if count > n:
        raise ValueError(
            f"gradtx.curvature.{fn}(k={k}): k must be in [1, {n // (2 if which == 'both' else 1)}] "
            f"for which={which!r} and {n} parameters; got {k}."
        )
    order = default_order(n, count) if order is None else order
    check_order(fn, order, n)
    if order < count:
        raise ValueError(
            f"gradtx.curvature.{fn}(order={order}): order must be at least the {count} "
            f"eigenvalues asked for; got {order}."
        )
    values, vectors, basis, view = krylov_eigh(
        fun, params, args, order, matrix=matrix, has_aux=has_aux, loss_fn=loss_fn, key=key
    )
    idx = {
        "largest": jnp.arange(order - k, order),
        "smallest": jnp.arange(k),
        "both": jnp.concatenate([jnp.arange(k), jnp.arange(order - k, order)]),
    }[which]
    eigvecs = view.unflatten_rows(vectors[:, idx].T @ basis)
    return HessianEigenResult(values[idx], eigvecs)
