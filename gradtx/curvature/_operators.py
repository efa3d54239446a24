"""Curvature matrices as linear operators: the one place that turns ``fun`` into ``v -> M v``.

Every spectral tool (eigenvalues, traces, densities, critical points, the
saddle methods) takes a function of the params and builds its matrix-vector
product here, from the products in ``_products``. The product is linearised
once (``jax.linearize`` in ``v``): the forward pass and the parts of the
product that do not depend on ``v`` run a single time, and each of the many
products inside a Lanczos loop costs only the part that does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax

from gradtx.curvature._flat import FlatView
from gradtx.curvature._products import empirical_fisher_vp, fisher_vp, gnvp, hvp
from gradtx.tree_utils._construct import tree_zeros_like

MATRICES = ("hessian", "gauss_newton", "fisher", "empirical_fisher")


def check_matrix(fn: str, matrix: str, loss_fn: Callable | None) -> None:
    """Validate ``matrix=`` (and that ``loss_fn`` goes with the Gauss-Newton matrix only)."""
    if matrix not in MATRICES:
        raise ValueError(
            f"gradtx.curvature.{fn}(matrix={matrix!r}): matrix must be one of "
            f"{', '.join(repr(m) for m in MATRICES)}; got {matrix!r}."
        )
    if loss_fn is not None and matrix != "gauss_newton":
        raise ValueError(
            f"gradtx.curvature.{fn}(loss_fn=...): loss_fn is only used with "
            f"matrix='gauss_newton'; got matrix={matrix!r}."
        )


def without_aux(fun: Callable, has_aux: bool) -> Callable:
    """``fun`` with its auxiliary output dropped when ``has_aux``."""
    if not has_aux:
        return fun
    return lambda p, *a: fun(p, *a)[0]


def curvature_operator(
    fun: Callable,
    params: Any,
    args: tuple,
    *,
    matrix: str = "hessian",
    has_aux: bool = False,
    loss_fn: Callable | None = None,
) -> Callable[[Any], Any]:
    """The linear map ``v -> M v`` at ``params`` for ``matrix`` (see ``MATRICES``).

    - ``"hessian"``: ``fun(params, *args)`` is the scalar loss.
    - ``"gauss_newton"``: ``fun(params, *args)`` returns the model outputs and
      ``loss_fn(outputs)`` the scalar loss (None: ``0.5 * ||outputs||^2``).
    - ``"fisher"``: ``fun(params, *args)`` returns logits ``(batch, classes)``.
    - ``"empirical_fisher"``: ``fun(params, *args)`` returns per-example losses.
    """
    f = without_aux(fun, has_aux)
    if matrix == "hessian":
        product = lambda v: hvp(f, params, v, *args)
    elif matrix == "gauss_newton":
        product = lambda v: gnvp(f, params, v, *args, loss_fn=loss_fn)
    elif matrix == "fisher":
        product = lambda v: fisher_vp(f, params, v, *args)
    else:
        product = lambda v: empirical_fisher_vp(f, params, v, *args)
    _, linear = jax.linearize(product, tree_zeros_like(params))
    return linear


def flat_curvature_operator(
    fun: Callable,
    params: Any,
    args: tuple,
    *,
    matrix: str = "hessian",
    has_aux: bool = False,
    loss_fn: Callable | None = None,
) -> tuple[FlatView, Callable[[Any], Any]]:
    """``curvature_operator`` on flat vectors, with the ``FlatView`` of the params."""
    view = FlatView(params)
    op = curvature_operator(fun, params, args, matrix=matrix, has_aux=has_aux, loss_fn=loss_fn)
    return view, view.operator(op)
