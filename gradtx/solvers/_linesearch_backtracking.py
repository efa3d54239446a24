"""Backtracking (Armijo) line search."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation
from gradtx._core._validate import check_int, check_nonnegative, check_positive, check_range
from gradtx.solvers._objective import line_objective, value_dtype
from gradtx.tree_utils._arithmetic import tree_add_scale, tree_scale
from gradtx.tree_utils._construct import tree_cast_like, tree_zeros_like
from gradtx.tree_utils._reductions import tree_vdot


class BacktrackingLinesearchInfo(NamedTuple):
    """What the last backtracking search did: trials made, and the decrease error
    of the accepted step (0 when it decreases enough)."""

    num_linesearch_steps: jax.Array
    decrease_error: jax.Array


class ScaleByBacktrackingLinesearchState(NamedTuple):
    """State of ``scale_by_backtracking_linesearch``.

    ``learning_rate`` is the accepted step size (the next search starts from it
    times ``increase_factor``); ``value`` the objective there; ``grad`` its
    gradient with ``store_grad=True`` (else None); ``info`` a
    ``BacktrackingLinesearchInfo``.
    """

    learning_rate: jax.Array
    value: jax.Array
    grad: Any
    info: BacktrackingLinesearchInfo


class _Search(NamedTuple):
    learning_rate: jax.Array
    value: jax.Array
    decrease_error: jax.Array
    iter_num: jax.Array


def scale_by_backtracking_linesearch(
    max_backtracking_steps: int,
    slope_rtol: jax.typing.ArrayLike = 1e-4,
    decrease_factor: jax.typing.ArrayLike = 0.8,
    increase_factor: jax.typing.ArrayLike = 1.5,
    max_learning_rate: jax.typing.ArrayLike = 1.0,
    atol: jax.typing.ArrayLike = 0.0,
    rtol: jax.typing.ArrayLike = 0.0,
    store_grad: bool = False,
    verbose: bool = False,
) -> GradientTransformation:
    """Scale the update direction by the first step size that decreases the objective enough.

    With ``w`` the params, ``u`` the incoming direction and ``f = value_fn``, the
    step ``eta`` is accepted when

        f(w + eta u) <= (1 + rtol) f(w) + eta * slope_rtol * <u, grad f(w)> + atol

    starting from ``eta = min(increase_factor * eta_prev, max_learning_rate)``
    and multiplying by ``decrease_factor`` after each failure. After
    ``max_backtracking_steps`` failures the last step tried is taken anyway,
    unless every value was non-finite, in which case the step is 0. ``u`` must
    be a descent direction (``<u, grad f(w)> < 0``; true of plain gradient
    descent, not necessarily of momentum or Adam). Each trial costs one
    objective evaluation; with ``store_grad=True`` one gradient is added at the
    accepted point and kept for ``value_and_grad_from_state``.

    ``update`` takes the extra keyword arguments ``value``, ``grad`` and
    ``value_fn``; other extra arguments named in ``value_fn``'s signature are
    passed to it, and the rest are ignored.

    Args:
      max_backtracking_steps: most step reductions per search, an int >= 0.
      slope_rtol: ``c`` of the Armijo condition, in [0, 1].
      decrease_factor: factor shrinking the step after a failure, in (0, 1].
      increase_factor: factor growing the previous step to make the first guess, > 0.
      max_learning_rate: cap on the first guess, > 0.
      atol: absolute slack of the condition, >= 0.
      rtol: relative slack on ``f(w)``, >= 0.
      store_grad: also compute and keep the gradient at the accepted point.
      verbose: print a diagnostic (``jax.debug.print``) when a search fails.

    Returns:
      The transformation; its state is a ``ScaleByBacktrackingLinesearchState``.

    Raises:
      ValueError: an argument outside its range.

    References:
      Armijo, Minimization of functions having Lipschitz continuous first
      partial derivatives, Pacific J. Math. 1966.
      Vaswani et al., Painless Stochastic Gradient, NeurIPS 2019, https://arxiv.org/abs/1905.09997

    Example:
      >>> import jax, jax.numpy as jnp
      >>> import gradtx
      >>> f = lambda x: jnp.sum(x ** 2)
      >>> opt = gradtx.chain(gradtx.sgd(1.0), gradtx.scale_by_backtracking_linesearch(15))
      >>> x = jnp.array([1.0, 2.0, 3.0])
      >>> state = opt.init(x)
      >>> v, g = jax.value_and_grad(f)(x)
      >>> u, state = opt.update(g, state, x, value=v, grad=g, value_fn=f)
      >>> print(f"{f(gradtx.apply_updates(x, u)):.2f}")
      5.04
    """
    fn = "scale_by_backtracking_linesearch"
    check_int(fn, "max_backtracking_steps", max_backtracking_steps, 0)
    check_range(fn, "slope_rtol", slope_rtol, 0.0, 1.0)
    check_range(fn, "decrease_factor", decrease_factor, 0.0, 1.0, low_open=True)
    check_positive(fn, "increase_factor", increase_factor)
    check_positive(fn, "max_learning_rate", max_learning_rate)
    check_nonnegative(fn, "atol", atol)
    check_nonnegative(fn, "rtol", rtol)

    def init(params):
        dt = value_dtype(params)
        return ScaleByBacktrackingLinesearchState(
            learning_rate=jnp.ones((), dt),
            value=jnp.full((), jnp.inf, dt),
            grad=tree_zeros_like(params) if store_grad else None,
            info=BacktrackingLinesearchInfo(jnp.zeros((), jnp.int32), jnp.full((), jnp.inf, dt)),
        )

    def update(updates, state, params=None, *, value=None, grad=None, value_fn=None, **extra):
        objective = line_objective(fn, params, value, grad, value_fn, extra)
        dt = value_dtype(params)
        value0 = jnp.asarray(value, dt)
        slope = jnp.real(tree_vdot(grad, updates)).astype(dt)
        point = lambda lr: tree_cast_like(tree_add_scale(params, lr, updates), params)

        def body(s: _Search) -> _Search:
            lr = jnp.where(s.iter_num > 0, decrease_factor * s.learning_rate, s.learning_rate)
            lr = lr.astype(dt)
            v = jnp.asarray(objective(point(lr)), dt)
            err = v - (1.0 + rtol) * value0 - lr * slope_rtol * slope
            err = jnp.where(jnp.isnan(err), jnp.inf, jnp.maximum(err, 0.0)).astype(dt)
            return _Search(lr, v, err, s.iter_num + 1)

        first = jnp.minimum(increase_factor * state.learning_rate, max_learning_rate).astype(dt)
        start = _Search(first, value0, jnp.asarray(jnp.inf, dt), jnp.zeros((), jnp.int32))
        final = jax.lax.while_loop(
            lambda s: ~(s.decrease_error <= atol) & (s.iter_num <= max_backtracking_steps),
            body,
            start,
        )
        failed = jnp.isinf(final.decrease_error)
        lr = jnp.where(failed, 0.0, final.learning_rate).astype(dt)
        if verbose:
            jax.lax.cond(
                final.decrease_error > atol,
                lambda: jax.debug.print(
                    "gradtx.scale_by_backtracking_linesearch: no step decreased the objective "
                    "enough (value {v}, slope {s}, last step {t}, decrease error {e}).",
                    v=value0,
                    s=slope,
                    t=final.learning_rate,
                    e=final.decrease_error,
                ),
                lambda: None,
            )
        new_grad = None
        if store_grad:
            new_grad = tree_cast_like(jax.grad(objective)(point(final.learning_rate)), grad)
        new_state = ScaleByBacktrackingLinesearchState(
            learning_rate=lr,
            value=final.value,
            grad=new_grad,
            info=BacktrackingLinesearchInfo(final.iter_num, final.decrease_error),
        )
        new_updates = tree_cast_like(tree_scale(lr, updates), updates)
        return new_updates, tree_cast_like(new_state, state)

    return GradientTransformation(init, update)
