"""BFGS with a dense inverse-Hessian approximation, for small problems."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule
from gradtx._core._numerics import safe_increment, widest_float_dtype, zero_count
from gradtx._core._validate import checks_float_params, require_params
from gradtx.solvers._lbfgs import quasi_newton_chain
from gradtx.solvers._linesearch_zoom import QUASI_NEWTON_LINESEARCH
from gradtx.tree_utils._construct import tree_cast_like, tree_zeros_like
from gradtx.tree_utils._sharding import gather_explicit, reshard_like


class ScaleByBFGSState(NamedTuple):
    """State of ``scale_by_bfgs``: the step count, the params and updates of the
    last call, and the dense inverse-Hessian approximation ``inv_hessian`` over the
    flattened params (``n x n``)."""

    count: jax.Array
    params: Any
    updates: Any
    inv_hessian: jax.Array


@checks_float_params(complex_params=False)
def scale_by_bfgs(scale_init_precond: bool = True) -> GradientTransformation:
    """Multiply the updates by the BFGS approximation of the inverse Hessian.

    At call ``k`` with params ``w_k`` and updates (gradients) ``g_k``, the pair
    ``s = w_k - w_{k-1}``, ``y = g_k - g_{k-1}`` updates ``H`` by

        H <- (I - rho s y^T) H (I - rho y s^T) + rho s s^T,   rho = 1 / <y, s>,

    skipped when ``<y, s> <= 0`` (the curvature condition fails; a strong Wolfe
    line search prevents it). Before the first update ``H`` is the identity,
    rescaled to ``<y, s> / <y, y>`` at the first pair (``scale_init_precond=True``;
    Nocedal and Wright, eq. 6.20); the first output is ``g_0 * min(1, 1 / ||g_0||)``
    as in ``scale_by_lbfgs``. Memory and time per step are ``O(n^2)`` for ``n``
    parameters in all: use ``scale_by_lbfgs`` beyond a few thousand. It does not
    negate: ``bfgs`` adds ``scale(-1)`` and a line search.

    Args:
      scale_init_precond: rescale the initial identity at the first pair.

    Returns:
      The transformation; its state is a ``ScaleByBFGSState``.

    References:
      Nocedal and Wright, Numerical Optimization, 2nd ed. 2006, Algorithm 6.1.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> tx = gradtx.solvers.scale_by_bfgs()
      >>> x = jnp.array([3.0, 4.0])
      >>> u, state = tx.update(x, tx.init(x), x)
      >>> u, state.inv_hessian.shape
      (Array([0.6, 0.8], dtype=float32), (2, 2))
    """

    def init(params):
        n = sum(math.prod(jnp.shape(x)) for x in jax.tree.leaves(params))
        return ScaleByBFGSState(
            count=zero_count(),
            params=tree_zeros_like(params),
            updates=tree_zeros_like(params),
            inv_hessian=jnp.eye(n, dtype=widest_float_dtype(params)),
        )

    def update(updates, state, params=None, **extra_args):
        del extra_args
        require_params("solvers.scale_by_bfgs", params)
        dt = state.inv_hessian.dtype
        # H is replicated; under explicit mesh axes the vectors are gathered to match it.
        flat = lambda tree: ravel_pytree(jax.tree.map(gather_explicit, tree))
        g, unravel = flat(updates)
        g = g.astype(dt)
        s = (flat(params)[0] - flat(state.params)[0]).astype(dt)
        y = g - flat(state.updates)[0].astype(dt)
        sy, yy = jnp.dot(s, y), jnp.dot(y, y)
        h = state.inv_hessian
        if scale_init_precond:
            h = jnp.where((state.count == 1) & (sy > 0) & (yy > 0), (sy / yy) * h, h)
        rho = jnp.where(sy > 0, 1.0 / sy, 0.0)
        hy = h @ y
        # (I - rho s y^T) H (I - rho y s^T) + rho s s^T, expanded (H symmetric)
        updated = (
            h
            - rho * (jnp.outer(s, hy) + jnp.outer(hy, s))
            + (rho * rho * jnp.dot(y, hy) + rho) * jnp.outer(s, s)
        )
        h = jnp.where((state.count > 0) & (sy > 0), updated, h)
        first = jnp.minimum(1.0, 1.0 / jnp.linalg.norm(g))
        direction = jnp.where(state.count == 0, first * g, h @ g)
        new_state = ScaleByBFGSState(
            count=safe_increment(state.count), params=params, updates=updates, inv_hessian=h
        )
        direction = jax.tree.map(reshard_like, unravel(direction), updates)
        return tree_cast_like(direction, updates), tree_cast_like(new_state, state)

    return GradientTransformation(init, update)


@checks_float_params(complex_params=False)
def bfgs(
    learning_rate: ScalarOrSchedule | None = None,
    scale_init_precond: bool = True,
    linesearch: GradientTransformation | None = QUASI_NEWTON_LINESEARCH,
) -> GradientTransformation:
    """BFGS: a quasi-Newton step ``-H_k g_k`` with a dense ``H_k``, its length set by a line search.

    ``chain(scale_by_bfgs(scale_init_precond), scale(-1) or
    scale_by_learning_rate(learning_rate), linesearch)``, used like ``lbfgs``
    (``update`` needs ``value=``, ``grad=`` and ``value_fn=``; or run it with
    ``gradtx.solvers.minimize(fun, params, bfgs())``). For small problems (up to a
    few thousand parameters): BFGS keeps all curvature pairs, so it usually needs
    fewer steps than L-BFGS, at ``O(n^2)`` memory.

    Complex params: not supported; ``init`` raises TypeError (wrap the optimizer in
    ``contrib.split_real_and_imaginary`` to optimize real and imaginary parts).

    Args:
      learning_rate: a fixed factor or schedule on the direction; None leaves the
        step length to the line search.
      scale_init_precond: see ``scale_by_bfgs``.
      linesearch: the line search (default: zoom, strong Wolfe, first guess 1), or None.

    Returns:
      The transformation.

    Raises:
      ValueError: an invalid learning rate.

    References:
      Nocedal and Wright, Numerical Optimization, 2nd ed. 2006, Algorithm 6.1.

    Example:
      >>> import jax.numpy as jnp
      >>> from gradtx.solvers import bfgs, minimize
      >>> f = lambda x: (1.0 - x[0]) ** 2 + 100.0 * (x[1] - x[0] ** 2) ** 2
      >>> sol = minimize(f, jnp.array([-1.2, 1.0]), bfgs())
      >>> sol.reason_name, sol.params.round(3)
      ('CONVERGED', Array([1., 1.], dtype=float32))
    """
    return quasi_newton_chain(
        "solvers.bfgs", scale_by_bfgs(scale_init_precond), learning_rate, linesearch
    )
