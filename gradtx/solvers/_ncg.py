"""Nonlinear conjugate gradient: Fletcher-Reeves, Polak-Ribière+, Hestenes-Stiefel, Dai-Yuan."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, chain
from gradtx._core._numerics import safe_increment, zero_count
from gradtx._core._validate import checks_float_params, require_params
from gradtx.solvers._linesearch_zoom import scale_by_zoom_linesearch
from gradtx.transforms._scaling import scale
from gradtx.tree_utils._arithmetic import tree_add_scale, tree_scale, tree_sub, tree_where
from gradtx.tree_utils._construct import tree_cast_like, tree_zeros_like
from gradtx.tree_utils._reductions import tree_norm, tree_vdot

_METHODS = ("fletcher-reeves", "polak-ribiere", "hestenes-stiefel", "dai-yuan")


class ScaleByNCGState(NamedTuple):
    """State of ``scale_by_ncg``: the step count, the last gradient and the last
    (negated) search direction ``p = -d``."""

    count: jax.Array
    prev_grad: Any
    prev_direction: Any


@checks_float_params
def scale_by_ncg(
    method: str = "polak-ribiere", restart_every: int | None = None
) -> GradientTransformation:
    """Turn gradients into nonlinear conjugate-gradient directions (negated: ``p = -d``).

    With ``g`` the gradient, ``g'`` the previous one, ``y = g - g'`` and ``d'`` the
    previous direction, the direction is ``d = -g + beta d'`` with

        fletcher-reeves:   beta = <g, g> / <g', g'>
        polak-ribiere:     beta = max(0, <g, y> / <g', g'>)      (PR+)
        hestenes-stiefel:  beta = <g, y> / <d', y>
        dai-yuan:          beta = <g, g> / <d', y>

    and the output is ``-d`` (chain ``scale(-1)`` and a line search after it, as
    ``ncg`` does). The direction restarts at ``-g`` at the first call, every
    ``restart_every`` calls, when ``beta`` is not finite, or when ``d`` is not
    a descent direction (``<g, d> >= 0``). The first direction is scaled by
    ``min(1, 1 / ||g||)``. Memory: two copies of the params.

    Args:
      method: one of ``"fletcher-reeves"``, ``"polak-ribiere"``,
        ``"hestenes-stiefel"``, ``"dai-yuan"``.
      restart_every: restart period in calls (an int >= 1), or None for none.

    Returns:
      The transformation; its state is a ``ScaleByNCGState``.

    Raises:
      ValueError: an unknown method, or ``restart_every`` < 1.

    References:
      Nocedal and Wright, Numerical Optimization, 2nd ed. 2006, section 5.2.
      Hager and Zhang, A survey of nonlinear conjugate gradient methods,
      Pacific J. Optim. 2006.

    Example:
      >>> import jax.numpy as jnp
      >>> from gradtx.solvers import minimize, ncg
      >>> f = lambda x: (x[0] - 1.0) ** 2 + 10.0 * (x[1] + 2.0) ** 2
      >>> sol = minimize(f, jnp.zeros(2), ncg())
      >>> sol.reason_name, sol.params.round(4)
      ('CONVERGED', Array([ 1., -2.], dtype=float32))
    """
    if method not in _METHODS:
        raise ValueError(
            f"gradtx.solvers.scale_by_ncg(method={method!r}): method must be one of "
            f"{_METHODS}; got {method!r}."
        )
    if restart_every is not None and (not isinstance(restart_every, int) or restart_every < 1):
        raise ValueError(
            f"gradtx.solvers.scale_by_ncg(restart_every={restart_every!r}): restart_every must "
            f"be an int >= 1 or None; got {restart_every!r}."
        )

    def init(params):
        return ScaleByNCGState(zero_count(), tree_zeros_like(params), tree_zeros_like(params))

    def update(updates, state, params=None, **extra_args):
        del extra_args
        require_params("solvers.scale_by_ncg", params)
        g, g_prev, p_prev = updates, state.prev_grad, state.prev_direction
        y = tree_sub(g, g_prev)
        gg, gg_prev = jnp.real(tree_vdot(g, g)), jnp.real(tree_vdot(g_prev, g_prev))
        gy = jnp.real(tree_vdot(g, y))
        dy = -jnp.real(tree_vdot(p_prev, y))  # <d', y> with d' = -p'
        if method == "fletcher-reeves":
            beta = gg / gg_prev
        elif method == "polak-ribiere":
            beta = jnp.maximum(gy / gg_prev, 0.0)
        elif method == "hestenes-stiefel":
            beta = gy / dy
        else:
            beta = gg / dy
        p = tree_add_scale(g, beta, p_prev)
        restart = (state.count == 0) | ~jnp.isfinite(beta) | (jnp.real(tree_vdot(g, p)) <= 0.0)
        if restart_every is not None:
            restart |= state.count % restart_every == 0
        first = tree_scale(jnp.minimum(1.0, 1.0 / tree_norm(g)), g)
        p = tree_where(restart, tree_where(state.count == 0, first, g), p)
        p = tree_cast_like(p, updates)
        new_state = ScaleByNCGState(safe_increment(state.count), g, p)
        return p, tree_cast_like(new_state, state)

    return GradientTransformation(init, update)


@checks_float_params
def ncg(
    method: str = "polak-ribiere",
    restart_every: int | None = None,
    linesearch: GradientTransformation | None = None,
) -> GradientTransformation:
    """Nonlinear conjugate gradient with a strong Wolfe line search.

    ``chain(scale_by_ncg(method, restart_every), scale(-1), linesearch)``; the
    default line search is ``scale_by_zoom_linesearch(max_linesearch_steps=30,
    curv_rtol=0.4)`` (first guess: the last step; ``curv_rtol < 1/2`` keeps the
    Fletcher-Reeves and Dai-Yuan directions descent directions). Memory: a few
    copies of the params, less than L-BFGS; usually more steps than L-BFGS.
    Use it like ``lbfgs`` (``value=``, ``grad=``, ``value_fn=``) or with
    ``gradtx.solvers.minimize``.

    Complex params: supported.

    Args:
      method: see ``scale_by_ncg``.
      restart_every: see ``scale_by_ncg``.
      linesearch: a line search transformation, or None for the default above.

    Returns:
      The transformation.

    Raises:
      ValueError: as ``scale_by_ncg``.

    References:
      Nocedal and Wright, Numerical Optimization, 2nd ed. 2006, section 5.2.

    Example:
      >>> import jax.numpy as jnp
      >>> from gradtx.solvers import minimize, ncg
      >>> f = lambda x: jnp.sum((x - 3.0) ** 2)
      >>> minimize(f, jnp.zeros(3), ncg("fletcher-reeves")).params
      Array([3., 3., 3.], dtype=float32)
    """
    if linesearch is None:
        linesearch = scale_by_zoom_linesearch(max_linesearch_steps=30, curv_rtol=0.4)
    return chain(scale_by_ncg(method, restart_every), scale(-1.0), linesearch)
