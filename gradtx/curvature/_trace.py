"""Trace and diagonal of the Hessian: Hutchinson, Hutch++, and exact by unit vectors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

from gradtx._core._validate import check_int
from gradtx.curvature._flat import default_key, probe
from gradtx.curvature._operators import check_matrix, flat_curvature_operator

TRACE_METHODS = ("hutchinson", "hutch++", "exact")
DIAGONAL_METHODS = ("hutchinson", "exact")


def _check_method(fn: str, method: str, allowed: tuple[str, ...]) -> None:
    if method not in allowed:
        raise ValueError(
            f"gradtx.curvature.{fn}(method={method!r}): method must be one of "
            f"{', '.join(repr(m) for m in allowed)}; got {method!r}."
        )


def exact_diagonal_flat(op: Callable, n: int, dtype, batch_size: int = 32) -> jax.Array:
    """``diag(A)`` from ``n`` products with unit vectors, ``batch_size`` at a time."""
    eye_row = lambda i: jnp.zeros(n, dtype).at[i].set(1)
    return lax.map(lambda i: op(eye_row(i))[i], jnp.arange(n), batch_size=min(n, batch_size))


def hessian_trace(
    fun: Callable,
    params: Any,
    *args: Any,
    num_samples: int = 30,
    method: str = "hutchinson",
    matrix: str = "hessian",
    has_aux: bool = False,
    loss_fn: Callable | None = None,
    key: jax.Array | None = None,
) -> jax.Array:
    """Estimate the trace of the Hessian of ``fun`` at ``params`` from products only.

    Hutchinson draws Rademacher vectors ``z`` (entries +1 or -1) and averages
    ``z^T H z``, an unbiased estimate whose variance is
    ``2 (||H||_F^2 - sum_i H_ii^2) / num_samples``: the error falls like
    ``1 / sqrt(num_samples)``. Hutch++ spends a third of the products on a
    randomised range finder for the top of the spectrum, takes that part of
    the trace exactly and Hutchinson's estimate on the rest: the error falls
    like ``1 / num_samples`` when the spectrum decays, and the estimate is
    exact when the rank is at most ``num_samples // 3``. ``"exact"`` sums the
    diagonal from ``n`` unit-vector products (small models only).

    Estimators (``m = num_samples``, ``k = m // 3``, ``S``, ``G`` Rademacher ``n x k``):
        hutchinson:  (1/m) sum_i z_i^T H z_i
        hutch++:     Q = orth(H S);  tr(Q^T H Q) + (1/k) tr(G'^T H G'),  G' = (I - Q Q^T) G

    Args:
        fun: the scalar loss ``fun(params, *args)`` (or, with ``matrix``, the
            model outputs, logits or per-example losses; see
            ``hessian_eigenvalues``).
        params: the point.
        *args: passed to ``fun`` (a mini-batch, say).
        num_samples: products to spend, an int >= 1 (>= 3 for Hutch++); ignored by ``"exact"``.
        method: ``"hutchinson"``, ``"hutch++"`` or ``"exact"``.
        matrix: ``"hessian"``, ``"gauss_newton"``, ``"fisher"`` or ``"empirical_fisher"``.
        has_aux: ``fun`` returns ``(value, aux)``.
        loss_fn: the loss of the outputs, for ``matrix="gauss_newton"``.
        key: PRNG key of the probes; None means ``PRNGKey(0)``. Probe ``i`` is
            the same one ``hessian_diagonal`` and ``spectral_density`` draw.

    Returns:
        The scalar estimate, in the working dtype (the params' widest float
        dtype, at least float32).

    Raises:
        ValueError: unknown ``method`` or ``matrix``; ``num_samples`` too small.

    References:
        Hutchinson, A Stochastic Estimator of the Trace of the Influence Matrix for
        Laplacian Smoothing Splines, Communications in Statistics 1990.
        Meyer, Musco, Musco and Woodruff, Hutch++: Optimal Stochastic Trace
        Estimation, SOSA 2021, https://arxiv.org/abs/2010.09649.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> f = lambda p: jnp.sum(jnp.arange(1.0, 4.0) * p ** 2)  # H = diag(2, 4, 6)
        >>> float(gradtx.curvature.hessian_trace(f, jnp.ones(3), num_samples=4))
        12.0
    """
    fn = "hessian_trace"
    _check_method(fn, method, TRACE_METHODS)
    check_matrix(fn, matrix, loss_fn)
    check_int(f"curvature.{fn}", "num_samples", num_samples, 3 if method == "hutch++" else 1)
    view, op = flat_curvature_operator(
        fun, params, args, matrix=matrix, has_aux=has_aux, loss_fn=loss_fn
    )
    n, dtype, key = view.size, view.dtype, default_key(key)
    if method == "exact":
        return jnp.sum(exact_diagonal_flat(op, n, dtype))
    if method == "hutchinson":
        quad = lambda i: (lambda z: jnp.vdot(z, op(z)))(probe(key, i, n, dtype))
        return jnp.mean(lax.map(quad, jnp.arange(num_samples)))
    k = num_samples // 3
    probes = jax.vmap(lambda i: probe(key, i, n, dtype))
    s, g = probes(jnp.arange(k)), probes(jnp.arange(k, 2 * k))
    q, _ = jnp.linalg.qr(jax.vmap(op)(s).T)  # (n, k)
    top = jnp.sum(q.T * jax.vmap(op)(q.T))
    g = g - (g @ q) @ q.T
    return top + jnp.sum(g * jax.vmap(op)(g)) / k


def hessian_diagonal(
    fun: Callable,
    params: Any,
    *args: Any,
    num_samples: int = 30,
    method: str = "hutchinson",
    matrix: str = "hessian",
    has_aux: bool = False,
    loss_fn: Callable | None = None,
    key: jax.Array | None = None,
) -> Any:
    """Estimate the diagonal of the Hessian of ``fun`` at ``params``, as a tree like the params.

    Hutchinson's diagonal estimator (Bekas et al.) averages ``z * (H z)`` over
    Rademacher vectors ``z``: unbiased, exact for a diagonal ``H``, with
    variance ``sum_{j != i} H_ij^2 / num_samples`` in entry ``i``. ``"exact"``
    uses ``n`` unit-vector products (``batch`` of 32 at a time), for small
    models and for checking the estimate.

    Args:
        fun, params, *args, matrix, has_aux, loss_fn, key: as for ``hessian_trace``.
        num_samples: probes, an int >= 1; ignored by ``"exact"``.
        method: ``"hutchinson"`` or ``"exact"``.

    Returns:
        The estimated diagonal, a tree with the params' structure and dtypes.

    Raises:
        ValueError: unknown ``method`` or ``matrix``; ``num_samples`` < 1.

    References:
        Bekas, Kokiopoulou and Saad, An Estimator for the Diagonal of a Matrix,
        Applied Numerical Mathematics 2007.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> f = lambda p: jnp.sum(p ** 3)  # H = diag(6 p)
        >>> gradtx.curvature.hessian_diagonal(f, jnp.array([1.0, 2.0]), num_samples=1)
        Array([ 6., 12.], dtype=float32)
    """
    fn = "hessian_diagonal"
    _check_method(fn, method, DIAGONAL_METHODS)
    check_matrix(fn, matrix, loss_fn)
    check_int(f"curvature.{fn}", "num_samples", num_samples, 1)
    view, op = flat_curvature_operator(
        fun, params, args, matrix=matrix, has_aux=has_aux, loss_fn=loss_fn
    )
    n, dtype, key = view.size, view.dtype, default_key(key)
    if method == "exact":
        return view.unflatten(exact_diagonal_flat(op, n, dtype))

    def body(i, acc):
        z = probe(key, i, n, dtype)
        return acc + z * op(z)

    total = lax.fori_loop(0, num_samples, body, jnp.zeros(n, dtype))
    return view.unflatten(total / num_samples)
