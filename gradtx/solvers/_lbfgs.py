"""L-BFGS: the limited-memory BFGS direction, and the optimizer with a zoom line search."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain, identity
from gradtx._core._numerics import safe_increment, widest_float_dtype, zero_count
from gradtx._core._validate import (
    check_int,
    check_learning_rate,
    checks_float_params,
    require_params,
    validates_through_parts,
)
from gradtx.solvers._linesearch_zoom import QUASI_NEWTON_LINESEARCH
from gradtx.transforms._scaling import scale, scale_by_learning_rate
from gradtx.tree_utils._arithmetic import tree_add_scale, tree_scale, tree_sub
from gradtx.tree_utils._construct import tree_cast_like, tree_zeros_like
from gradtx.tree_utils._reductions import tree_norm, tree_sum_of_squares, tree_vdot
from gradtx.tree_utils._sharding import zeros_stacked_like


class ScaleByLBFGSState(NamedTuple):
    """State of ``scale_by_lbfgs``.

    ``params`` and ``updates`` are those of the last call; the three memories
    are ring buffers of the last ``memory_size`` differences ``s_i = w_{i+1} - w_i``
    (``diff_params_memory``), ``y_i = g_{i+1} - g_i`` (``diff_updates_memory``),
    each leaf stacked on a leading axis, and the weights ``rho_i = 1 / <y_i, s_i>``
    (``weights_memory``; 0 marks an empty or skipped slot).
    """

    count: jax.Array
    params: Any
    updates: Any
    diff_params_memory: Any
    diff_updates_memory: Any
    weights_memory: jax.Array


def lbfgs_direction(updates, s_memory, y_memory, rhos, gamma, newest: jax.Array):
    """``H u`` by the two-loop recursion (Nocedal and Wright, Algorithm 7.4).

    ``H`` is the L-BFGS inverse-Hessian model built from the pairs in the ring
    buffers on ``gamma * I``; ``newest`` is the slot after the newest pair.
    """
    m = rhos.shape[0]
    order = (newest + jnp.arange(m, dtype=newest.dtype)) % m  # oldest pair first
    pair = lambda i: jax.tree.map(lambda x: x[i], (s_memory, y_memory))

    def newest_to_oldest(q, i):
        s, y = pair(i)
        alpha = rhos[i] * jnp.real(tree_vdot(s, q))
        return tree_cast_like(tree_add_scale(q, -alpha, y), q), alpha

    q, alphas = jax.lax.scan(newest_to_oldest, updates, order, reverse=True)
    r = tree_scale(gamma, q)

    def oldest_to_newest(r, i_alpha):
        i, alpha = i_alpha
        s, y = pair(i)
        beta = rhos[i] * jnp.real(tree_vdot(y, r))
        return tree_cast_like(tree_add_scale(r, alpha - beta, s), r), None

    r, _ = jax.lax.scan(oldest_to_newest, r, (order, alphas))
    return r


@checks_float_params
def scale_by_lbfgs(
    memory_size: int = 10, scale_init_precond: bool = True
) -> GradientTransformation:
    """Multiply the updates by the L-BFGS approximation of the inverse Hessian.

    At call ``k`` with params ``w_k`` and incoming updates (gradients) ``g_k``, the
    pair ``s = w_k - w_{k-1}``, ``y = g_k - g_{k-1}``, ``rho = 1 / <y, s>`` (0 when
    ``<y, s> = 0``) enters the ring buffer, and the output is ``H_k g_k`` with

        H = V_j^T H V_j + rho_j s_j s_j^T,  V_j = I - rho_j y_j s_j^T,

    applied over the stored pairs, oldest first, on ``H = gamma_k I``, where
    ``gamma_k = <s, y> / <y, y>`` (``scale_init_precond=True``; else 1) and, at the
    first call, ``gamma_0 = min(1, 1 / ||g_0||)`` (the first step then has length
    at most 1). The product costs ``4 * memory_size`` inner products; the memory
    holds ``2 * memory_size + 2`` copies of the params. Since the pair is added
    at the next call, chain it before a line search: the curvature pair then
    always comes from an accepted step. It does not negate: ``lbfgs`` adds
    ``scale(-1)`` and the line search.

    Args:
      memory_size: number of pairs kept, an int >= 1.
      scale_init_precond: scale the initial model by ``gamma_k`` as above.

    Returns:
      The transformation; its state is a ``ScaleByLBFGSState``.

    Raises:
      ValueError: ``memory_size`` < 1.

    References:
      Nocedal and Wright, Numerical Optimization, 2nd ed. 2006, Algorithms 7.4 and 7.5.
      Liu and Nocedal, On the limited memory BFGS method for large scale
      optimization, Math. Programming 1989.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> tx = gradtx.scale_by_lbfgs(memory_size=5)
      >>> x = jnp.array([3.0, 4.0])
      >>> u, state = tx.update(x, tx.init(x), x)
      >>> u  # the first call scales g by min(1, 1 / ||g||)
      Array([0.6, 0.8], dtype=float32)
    """
    check_int("scale_by_lbfgs", "memory_size", memory_size, 1)

    def init(params):
        stacked = lambda p: jax.tree.map(lambda x: zeros_stacked_like(x, memory_size), p)
        return ScaleByLBFGSState(
            count=zero_count(),
            params=tree_zeros_like(params),
            updates=tree_zeros_like(params),
            diff_params_memory=stacked(params),
            diff_updates_memory=stacked(params),
            weights_memory=jnp.zeros((memory_size,), widest_float_dtype(params)),
        )

    def update(updates, state, params=None, **extra_args):
        del extra_args
        require_params("scale_by_lbfgs", params)
        first = state.count == 0
        slot = (state.count - 1) % memory_size  # where the new pair goes
        s = tree_sub(params, state.params)
        y = tree_sub(updates, state.updates)
        sy = jnp.real(tree_vdot(y, s))
        rho = jnp.where(sy == 0.0, 0.0, 1.0 / sy)
        s, y, rho = jax.tree.map(lambda x: jnp.where(first, jnp.zeros_like(x), x), (s, y, rho))
        write = lambda mem, new: mem.at[slot].set(new.astype(mem.dtype))
        s_mem = jax.tree.map(write, state.diff_params_memory, s)
        y_mem = jax.tree.map(write, state.diff_updates_memory, y)
        rhos = write(state.weights_memory, rho)
        if scale_init_precond:
            yy = tree_sum_of_squares(y)
            gamma = jnp.where(yy > 0.0, jnp.real(tree_vdot(y, s)) / yy, 1.0)
            first_gamma = jnp.minimum(1.0, 1.0 / tree_norm(jax.lax.stop_gradient(updates)))
            gamma = jnp.where(first, first_gamma, gamma)
        else:
            gamma = 1.0
        direction = lbfgs_direction(updates, s_mem, y_mem, rhos, gamma, state.count % memory_size)
        new_state = ScaleByLBFGSState(
            count=safe_increment(state.count),
            params=params,
            updates=updates,
            diff_params_memory=s_mem,
            diff_updates_memory=y_mem,
            weights_memory=rhos,
        )
        return tree_cast_like(direction, updates), tree_cast_like(new_state, state)

    return GradientTransformation(init, update)


@validates_through_parts
@checks_float_params
def lbfgs(
    learning_rate: ScalarOrSchedule | None = None,
    memory_size: int = 10,
    scale_init_precond: bool = True,
    linesearch: GradientTransformation | None = QUASI_NEWTON_LINESEARCH,
) -> GradientTransformation:
    """L-BFGS: a quasi-Newton step ``-H_k g_k`` with its length set by a line search.

    ``chain(scale_by_lbfgs(memory_size, scale_init_precond), scale(-1) or
    scale_by_learning_rate(learning_rate), linesearch)``; see ``scale_by_lbfgs``
    for the inverse-Hessian model. The default line search is
    ``scale_by_zoom_linesearch(max_linesearch_steps=20,
    initial_guess_strategy="one")`` (strong Wolfe steps, which keep the model
    positive definite). For a deterministic objective, take each step's value
    and gradient from the state with ``value_and_grad_from_state``, or run the
    whole solve in one compiled loop with ``gradtx.solvers.minimize``.

    Complex params: supported.

    Args:
      learning_rate: a fixed factor or schedule on the direction; None (the
        default) leaves the step length to the line search.
      memory_size: number of curvature pairs kept, an int >= 1.
      scale_init_precond: scale the initial inverse-Hessian model (see ``scale_by_lbfgs``).
      linesearch: a line search transformation taking ``value``, ``grad`` and
        ``value_fn`` (zoom, Hager-Zhang or backtracking), or None for none.

    Returns:
      The transformation; ``update`` needs ``value=``, ``grad=`` and ``value_fn=``
      when a line search is used.

    Raises:
      ValueError: ``memory_size`` < 1 or an invalid learning rate.

    References:
      Nocedal and Wright, Numerical Optimization, 2nd ed. 2006, Algorithms 7.4 and 7.5.
      Liu and Nocedal, On the limited memory BFGS method for large scale
      optimization, Math. Programming 1989.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> f = lambda x: jnp.sum(x ** 2)
      >>> opt = gradtx.lbfgs()
      >>> params = jnp.array([1.0, 2.0, 3.0])
      >>> state = opt.init(params)
      >>> value_and_grad = gradtx.value_and_grad_from_state(f)
      >>> for _ in range(2):
      ...     value, grad = value_and_grad(params, state=state)
      ...     updates, state = opt.update(grad, state, params, value=value, grad=grad, value_fn=f)
      ...     params = gradtx.apply_updates(params, updates)
      ...     print(f"{f(params):.2E}")
      7.52E+00
      7.46E-14
    """
    direction = scale_by_lbfgs(memory_size=memory_size, scale_init_precond=scale_init_precond)
    return quasi_newton_chain("lbfgs", direction, learning_rate, linesearch)


def quasi_newton_chain(
    fn: str,
    direction: GradientTransformation,
    learning_rate: ScalarOrSchedule | None,
    linesearch: GradientTransformation | None,
) -> GradientTransformation:
    """``chain(direction, scale(-1) or scale_by_learning_rate(lr), linesearch or identity)``."""
    if learning_rate is None:
        step = scale(-1.0)
    else:
        check_learning_rate(fn, learning_rate, none=True)
        step = scale_by_learning_rate(learning_rate)
    return chain(direction, step, identity() if linesearch is None else linesearch)
