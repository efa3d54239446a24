"""A run loop for proximal gradient and FISTA: minimise ``fun(x) + h(x)`` to a tolerance."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import apply_updates
from gradtx._core._validate import check_int, check_positive
from gradtx._optimizers._accelerated import fista, proximal_gradient
from gradtx._optimizers._accelerated_state import AcceleratedGradientState, gradient_mapping_norm


class FistaSolveResult(NamedTuple):
    """What ``fista_solve`` returns: the solution, why it stopped and the final state.

    ``params`` is the last main iterate ``x``; ``error`` the norm of the last
    gradient mapping ``|x - y| / s`` (zero exactly at a minimiser); ``converged``
    is True when ``error <= tol`` stopped the loop, False when ``maxiter`` did.
    """

    params: Any
    num_steps: jax.Array
    error: jax.Array
    converged: jax.Array
    state: AcceleratedGradientState


def fista_solve(
    fun: Callable,
    init_params: Any,
    prox: Callable | None = None,
    prox_hyperparams: Any = None,
    *,
    stepsize: float | jax.Array | None = None,
    maxiter: int = 1000,
    tol: float = 1e-6,
    restart: str = "gradient",
    acceleration: bool = True,
) -> FistaSolveResult:
    """Minimise ``fun(x) + h(x)`` with FISTA (or ISTA) until the gradient mapping is below ``tol``.

    Runs ``gradtx.proximal.fista`` (or ``proximal_gradient`` with
    ``acceleration=False``) in one ``lax.while_loop``, so it runs under
    ``jit`` and ``vmap``, never raises inside them, and says why it stopped.
    The error is the norm of the gradient mapping ``(y_k - x_{k+1}) / s``,
    which is the gradient when there is no prox and vanishes exactly at the
    minimisers of ``fun + h``.

    Args:
        fun: the smooth part, ``params -> scalar`` (differentiable with ``jax.grad``).
        init_params: the starting point (a pytree).
        prox: ``prox(x, hyperparams, scaling)`` of h, or None (h = 0).
        prox_hyperparams: passed to ``prox``.
        stepsize: > 0, a constant step (1 / L of ``fun``), or None to search it
            by backtracking from 1.
        maxiter: int >= 1, the most steps.
        tol: > 0, the tolerance on the gradient mapping's norm.
        restart: "gradient" (default) or "none".
        acceleration: FISTA if True, proximal gradient descent if False.

    Returns:
        A ``FistaSolveResult``.

    Raises:
        ValueError, TypeError: out-of-range concrete arguments.

    References:
        Beck and Teboulle, A Fast Iterative Shrinkage-Thresholding Algorithm
        for Linear Inverse Problems, SIAM J. Imaging Sci. 2009.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> A = jnp.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]); b = jnp.array([1.0, 2.0, 0.1])
        >>> fun = lambda w: 0.5 * jnp.sum((A @ w - b) ** 2)
        >>> res = gradtx.proximal.fista_solve(fun, jnp.zeros(2), gradtx.proximal.prox_lasso, 0.5,
        ...                                   stepsize=0.25, tol=1e-5)
        >>> bool(res.converged), res.params.round(3)
        (True, Array([0.  , 0.72], dtype=float32))
    """
    check_int("proximal.fista_solve", "maxiter", maxiter, 1)
    check_positive("proximal.fista_solve", "tol", tol)
    if stepsize is not None:
        check_positive("proximal.fista_solve", "stepsize", stepsize, none=True)
    backtracking = stepsize is None
    lr = 1.0 if backtracking else stepsize
    if acceleration:
        tx = fista(lr, prox, prox_hyperparams, restart=restart, backtracking=backtracking)
    else:
        tx = proximal_gradient(lr, prox, prox_hyperparams, backtracking=backtracking)
    value_and_grad = jax.value_and_grad(fun)

    def step(carry):
        y, state, k, _ = carry
        value, g = value_and_grad(y)
        u, state = tx.update(g, state, y, value=value, value_fn=fun)
        error = gradient_mapping_norm(state, y)
        return apply_updates(y, u), state, k + 1, error

    def keep_going(carry):
        _, _, k, error = carry
        return (k < maxiter) & (error > tol)

    state0 = tx.init(init_params)
    carry0 = (
        init_params,
        state0,
        jnp.zeros((), jnp.int32),
        jnp.full((), jnp.inf, state0.stepsize.dtype),
    )
    _, state, k, error = jax.lax.while_loop(keep_going, step, carry0)
    return FistaSolveResult(
        params=state.x, num_steps=k, error=error, converged=error <= tol, state=state
    )
