"""The state of the accelerated and proximal gradient methods, and what is read from it."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import OptState, Params
from gradtx._core._lookup import find_unique_state
from gradtx._core._numerics import promoted_dtype
from gradtx.tree_utils._state import tree_get_all_with_path


class AcceleratedGradientState(NamedTuple):
    """State of ``accelerated_gradient``, ``fista`` and ``proximal_gradient``.

    ``x`` is the last main iterate (the loop's params are the extrapolated
    point ``y``; read ``x`` with ``accelerated_gradient_params``), ``t`` the
    momentum sequence (1 after a restart), ``stepsize`` the step of the last
    update (backtracking shrinks it), ``value`` the objective at ``x`` (used
    by function restart; the largest float until known).
    """

    count: jax.Array
    x: Any
    t: jax.Array
    stepsize: jax.Array
    value: jax.Array


def widened(x: jax.Array) -> jax.Array:
    """``x`` in float32 or wider: the dtype the accelerated methods do their sums in."""
    return x.astype(promoted_dtype(x.dtype, jnp.float32))


def accelerated_gradient_params(opt_state: OptState) -> Params:
    """The main iterate ``x_k`` of ``accelerated_gradient``, ``fista`` or ``proximal_gradient``.

    The loop's params are the extrapolated point ``y_k``; the convergence
    guarantee (and, with a prox, sparsity or feasibility) holds for ``x_k``.
    Found anywhere in ``opt_state`` (a chain's tuple, ``inject_hyperparams``).

    Raises:
        ValueError: ``opt_state`` holds no ``AcceleratedGradientState``, or several.
    """
    return find_unique_state("accelerated_gradient_params", opt_state, AcceleratedGradientState).x


def gradient_mapping_norm(opt_state: OptState, params: Params) -> jax.Array | None:
    """``|params - x_{k+1}| / s``, the norm of the last step's gradient mapping, or None.

    ``params`` are the point ``y_k`` the last ``update`` of ``accelerated_gradient``,
    ``fista`` or ``proximal_gradient`` was given, ``x_{k+1}`` and ``s`` that update's
    main iterate and step. The gradient mapping is ``grad f(y_k)`` when there is no
    prox and vanishes exactly at the minimisers of ``f + h``, so it is the stopping
    measure of ``fista_solve`` and of ``gradtx.solvers.minimize`` for these methods.
    None when ``opt_state`` holds no ``AcceleratedGradientState`` (or several).
    """
    found = [
        v
        for _, v in tree_get_all_with_path(opt_state, "AcceleratedGradientState")
        if isinstance(v, AcceleratedGradientState)
    ]
    if len(found) != 1:
        return None
    state = found[0]
    sq = sum(
        jnp.sum(jnp.square(widened(a) - widened(b).astype(widened(a).dtype)))
        for a, b in zip(jax.tree.leaves(state.x), jax.tree.leaves(params))
    )
    return (jnp.sqrt(sq) / state.stepsize).astype(state.stepsize.dtype)
