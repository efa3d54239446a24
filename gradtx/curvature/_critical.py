"""Classify a critical point by the signs of the Hessian's eigenvalues."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._validate import check_int, check_nonnegative
from gradtx.curvature._density import slq_nodes_weights
from gradtx.curvature._eigen import check_order, krylov_eigh
from gradtx.curvature._flat import FlatView, default_key
from gradtx.curvature._operators import flat_curvature_operator, without_aux

CRITICAL_POINT_LABELS = ("minimum", "maximum", "saddle", "degenerate", "not_critical")


class CriticalPoint(NamedTuple):
    """What ``classify_critical_point`` returns (all fields are arrays, so it jits).

    Fields:
        grad_norm: the Euclidean norm of the gradient.
        min_eigenvalue, max_eigenvalue: the extreme eigenvalues of the Hessian.
        positive_fraction: the fraction of eigenvalues above ``tol`` (exact for
            the dense method; a stochastic Lanczos quadrature estimate otherwise).
        label: an int32 index into ``CRITICAL_POINT_LABELS``:
            0 minimum, 1 maximum, 2 saddle, 3 degenerate, 4 not_critical.
        tol: the eigenvalue tolerance used.
        grad_tol: the gradient-norm tolerance used.
    """

    grad_norm: jax.Array
    min_eigenvalue: jax.Array
    max_eigenvalue: jax.Array
    positive_fraction: jax.Array
    label: jax.Array
    tol: jax.Array
    grad_tol: jax.Array

    @property
    def label_name(self) -> str:
        """The label as a string (``"saddle"``, ...); needs a concrete, unbatched ``label``."""
        return CRITICAL_POINT_LABELS[int(self.label)]


def classify_critical_point(
    fun: Callable,
    params: Any,
    *args: Any,
    tol: float | None = None,
    grad_tol: float | None = None,
    dense_threshold: int = 2048,
    order: int = 90,
    num_samples: int = 8,
    has_aux: bool = False,
    key: jax.Array | None = None,
) -> CriticalPoint:
    """Say whether ``params`` is a minimum, maximum, saddle or degenerate critical point of ``fun``.

    The second-order test: at a point with zero gradient, the Hessian's
    eigenvalues decide. All above ``tol``: a strict local minimum; all below
    ``-tol``: a strict maximum; some above ``tol`` and some below ``-tol``: a
    saddle (the eigenvector of a negative eigenvalue is a direction of
    descent); otherwise (a semi-definite Hessian with eigenvalues within
    ``tol`` of zero, as at the monkey saddle or along the symmetries of a
    network) the test says nothing, and the point is degenerate. A gradient
    norm above ``grad_tol`` makes the point not critical, whatever the Hessian.

    With at most ``dense_threshold`` parameters the Hessian is formed and
    diagonalised (exact, ``n`` products). Above it, ``order`` Lanczos steps
    give the extreme eigenvalues and ``num_samples`` stochastic Lanczos
    quadrature runs estimate the fraction of positive eigenvalues.

    Args:
        fun: the scalar loss ``fun(params, *args)``.
        params: the point (a tree of float arrays).
        *args: passed to ``fun`` (a batch, say).
        tol: >= 0, eigenvalues within ``tol`` of zero count as zero; None means
            ``sqrt(eps) * max(1, max |eigenvalue|)`` in the working dtype.
        grad_tol: >= 0, the largest gradient norm of a critical point; None means
            ``sqrt(eps) * max(1, |fun(params)|)``.
        dense_threshold: an int >= 0; at most this many parameters use dense ``eigh``.
        order: Lanczos steps above the threshold, in ``[1, n]`` (clipped to ``n``).
        num_samples: quadrature runs for ``positive_fraction`` above the threshold.
        has_aux: ``fun`` returns ``(value, aux)``.
        key: PRNG key for the Lanczos probes; None means ``PRNGKey(0)``.

    Returns:
        A ``CriticalPoint`` record; ``record.label_name`` reads the label.

    Raises:
        ValueError: negative ``tol`` or ``grad_tol``; ``order`` or ``num_samples`` < 1.

    References:
        Dauphin, Pascanu, Gulcehre, Cho, Ganguli and Bengio, Identifying and
        Attacking the Saddle Point Problem in High-Dimensional Non-Convex
        Optimization, NeurIPS 2014, https://arxiv.org/abs/1406.2572.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> f = lambda p: p[0] ** 2 - p[1] ** 2
        >>> gradtx.curvature.classify_critical_point(f, jnp.zeros(2)).label_name
        'saddle'
    """
    fn = "curvature.classify_critical_point"
    if tol is not None:
        check_nonnegative(fn, "tol", tol, none=True)
    if grad_tol is not None:
        check_nonnegative(fn, "grad_tol", grad_tol, none=True)
    check_int(fn, "dense_threshold", dense_threshold, 0)
    check_int(fn, "num_samples", num_samples, 1)
    view = FlatView(params)
    n, dtype = view.size, view.dtype
    check_order("classify_critical_point", min(order, n), n)
    f = without_aux(fun, has_aux)
    flat_f = lambda w: f(view.unflatten(w), *args)
    w = view.flatten(params)
    value, grad = jax.value_and_grad(flat_f)(w)
    grad_norm = jnp.linalg.norm(grad.astype(dtype))
    eps = jnp.finfo(dtype).eps
    if n <= dense_threshold:
        eigs = jnp.linalg.eigh(jax.hessian(flat_f)(w).astype(dtype))[0]
        lo, hi = eigs[0], eigs[-1]
        scale = jnp.maximum(1.0, jnp.maximum(jnp.abs(lo), jnp.abs(hi)))
        tol_ = jnp.sqrt(eps) * scale if tol is None else jnp.asarray(tol, dtype)
        positive = jnp.mean(eigs > tol_)
    else:
        key = default_key(key)
        m = min(order, n)
        values, _, _, _ = krylov_eigh(
            fun, params, args, m, has_aux=has_aux, keep_basis=False, key=key
        )
        lo, hi = values[0], values[-1]
        scale = jnp.maximum(1.0, jnp.maximum(jnp.abs(lo), jnp.abs(hi)))
        tol_ = jnp.sqrt(eps) * scale if tol is None else jnp.asarray(tol, dtype)
        _, op = flat_curvature_operator(fun, params, args, has_aux=has_aux)
        nodes, weights = slq_nodes_weights(op, n, dtype, m, num_samples, jax.random.fold_in(key, 1))
        positive = jnp.mean(jnp.sum(weights * (nodes > tol_), axis=1))
    gtol = (
        jnp.sqrt(eps) * jnp.maximum(1.0, jnp.abs(value).astype(dtype))
        if grad_tol is None
        else jnp.asarray(grad_tol, dtype)
    )
    label = jnp.select(
        [grad_norm > gtol, lo > tol_, hi < -tol_, (lo < -tol_) & (hi > tol_)],
        [4, 0, 1, 2],
        3,
    ).astype(jnp.int32)
    return CriticalPoint(grad_norm, lo, hi, positive.astype(dtype), label, tol_, gtol)
