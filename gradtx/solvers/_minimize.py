"""``minimize``: run a transformation to convergence in one ``lax.while_loop``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, apply_updates, with_extra_args_support
from gradtx._core._validate import check_int, check_nonnegative
from gradtx._optimizers._accelerated_state import gradient_mapping_norm
from gradtx.curvature._products import hvp
from gradtx.solvers._bounded import flat_bounds, projected_lbfgs
from gradtx.solvers._lbfgs import lbfgs
from gradtx.solvers._solution import Reason, Solution
from gradtx.tree_utils._arithmetic import tree_where
from gradtx.tree_utils._construct import tree_cast_like
from gradtx.tree_utils._reductions import tree_norm
from gradtx.tree_utils._state import tree_get_all_with_path


class _Carry(NamedTuple):
    params: Any
    value: jax.Array
    grad: Any
    grad_norm: jax.Array
    state: Any
    step: jax.Array
    fun_evals: jax.Array
    grad_evals: jax.Array
    done: jax.Array
    reason: jax.Array
    history: Any


def stored_point(state: Any) -> tuple[Any, Any] | None:
    """``(value, grad)`` that the optimizer's last transformation keeps at the point
    it stepped to (a line search), or None when it keeps none.

    Only the last transformation of a (nested) chain counts: the updates of any
    transformation after it would move the params away from that point.
    """
    while isinstance(state, tuple) and not hasattr(state, "_fields") and state:
        state = state[-1]
    fields = getattr(state, "_fields", ())
    if "value" in fields and "grad" in fields and state.grad is not None:
        return state.value, state.grad
    return None


def linesearch_evals(state: Any) -> tuple[jax.Array, jax.Array]:
    """Objective and gradient evaluations the line searches in ``state`` made in their last search.

    Zoom and Hager-Zhang trials evaluate value and gradient; backtracking trials
    only the value, plus one gradient when it stores it. Works for gradtx's and
    optax's states alike (it matches state classes by name).
    """
    n_f = n_g = jnp.zeros((), jnp.int32)
    for key in ("ZoomLinesearchInfo", "HagerZhangLinesearchInfo"):
        for _, info in tree_get_all_with_path(state, key):
            n = jnp.asarray(info.num_linesearch_steps, jnp.int32)
            n_f, n_g = n_f + n, n_g + n
            if hasattr(info, "num_value_evals"):  # Hager-Zhang's value-only probe
                n_f = n_f + jnp.asarray(info.num_value_evals, jnp.int32)
    for _, s in tree_get_all_with_path(state, "ScaleByBacktrackingLinesearchState"):
        n_f = n_f + jnp.asarray(s.info.num_linesearch_steps, jnp.int32)
        if s.grad is not None:
            n_g = n_g + 1
    return n_f, n_g


def implicit_solution(fun: Callable, has_aux: bool, params: Any, args: tuple) -> Any:
    """``params`` (a minimizer of ``fun(., *args)``), differentiable in ``args`` by the
    implicit function theorem: ``d params / d args = -H^{-1} d^2 fun / (d params d args)``.

    The backward pass solves ``H w = cotangent`` by conjugate gradients on
    Hessian-vector products, so it needs ``H`` positive definite at ``params``.
    """

    def grad_in_params(p, a):
        return jax.grad(lambda q: fun(q, *a), has_aux=has_aux)(p)

    def grad_only(p, a):
        g = grad_in_params(p, a)
        return g[0] if has_aux else g

    @jax.custom_vjp
    def solution(p, a):
        return p

    def fwd(p, a):
        return p, (p, a)

    def bwd(res, ct):
        p, a = res
        matvec = lambda v: hvp(fun, p, v, *a, has_aux=has_aux)
        w, _ = jax.scipy.sparse.linalg.cg(matvec, ct)
        _, vjp = jax.vjp(lambda aa: grad_only(p, aa), a)
        (da,) = vjp(w)
        neg = lambda t: t if t.dtype == jax.dtypes.float0 else -t
        return jax.tree.map(jnp.zeros_like, p), jax.tree.map(neg, da)

    solution.defvjp(fwd, bwd)
    return solution(jax.lax.stop_gradient(params), args)


def minimize(
    fun: Callable[..., Any],
    params: Any,
    optimizer: GradientTransformation | None = None,
    *,
    args: tuple = (),
    has_aux: bool = False,
    max_steps: int = 500,
    tol: float = 1e-6,
    ftol: float = 0.0,
    history: bool = False,
    implicit_diff: bool = True,
    bounds: tuple | None = None,
) -> Solution:
    """Minimize ``fun(params, *args)`` with a transformation, in one compiled ``lax.while_loop``.

    Each step calls ``optimizer.update(grad, state, params, value=value,
    grad=grad, value_fn=...)`` and applies the updates, so any gradtx or optax
    transformation runs: L-BFGS (the default, ``gradtx.lbfgs()``), BFGS, a
    line-searched first-order method, or a plain ``adam``. When the optimizer's
    last transformation keeps the value and gradient at the accepted point (the
    zoom line search does), the next step reuses them, so an accepted step costs
    only its line-search trials (usually one). Nothing raises inside ``jit``: the loop
    stops at the first of

      - ``CONVERGED``: ``||grad||_2 <= tol`` (for ``fista``,
        ``proximal_gradient`` and ``accelerated_gradient``, whose ``fun`` is the
        smooth part only, the norm of the last step's gradient mapping instead,
        tested from the first step on; see ``fista``), or, with ``ftol > 0``, a relative
        decrease ``(f_old - f_new) <= ftol * max(|f_old|, |f_new|, 1)``;
      - ``LINESEARCH_FAILED``: the optimizer holds a line search and its step
        left the params unchanged or increased the objective by more than
        ``1e-6 * |f|`` (then it is undone);
      - ``NONFINITE``: a NaN or infinite value, gradient or param (the step is undone);
      - ``MAX_STEPS``.

    ``jax.vmap`` over starting points (or over ``args``) gives the separate runs'
    results; the loop runs until every member has stopped and each keeps its own
    stopping point. Wrap the call in ``jax.jit`` to compile it once for repeated
    solves.

    With ``implicit_diff=True`` the returned ``params`` are differentiable with
    respect to the float leaves of ``args`` by the implicit function theorem
    (the loop itself is not differentiated): the backward pass solves one
    linear system in the Hessian at the solution by conjugate gradients on
    Hessian-vector products. Differentiate ``fun(sol.params, *args)`` rather
    than ``sol.value`` to get the value's gradient.

    With ``bounds=(lower, upper)`` (each a scalar, None for no bound, or a
    pytree like ``params``; entries may be ``-inf`` / ``inf``) the default
    optimizer becomes a projected L-BFGS, a simpler relative of L-BFGS-B: the
    start is clipped into the box; at each step the variables at a bound whose
    gradient points out of the box are held fixed, the L-BFGS direction (the
    model built from all pairs, as in ``scale_by_lbfgs``) is restricted to the
    others, and a projected backtracking search takes the first
    ``t = 1, 1/2, ...`` with ``f(P(x + t d)) <= f(x) + 1e-4 <g, P(x + t d) - x>``
    (``P`` clips into the box; one value-and-gradient per trial, at most 30).
    Curvature pairs with ``<s, y> <= 1e-10 ||y||^2`` are skipped. There is no
    Cauchy point or subspace minimisation, so the active set is found by the
    projections. ``grad_norm`` and ``tol`` then refer to the projected
    gradient ``||x - P(x - g)||_2``; ``state`` is None and ``implicit_diff``
    is ignored (the solution is not differentiated through the bounds).

    Args:
      fun: the objective, ``fun(params, *args)`` returning a scalar (or
        ``(scalar, aux)`` with ``has_aux=True``).
      params: the starting point, any pytree of float arrays.
      optimizer: the transformation to run; None means ``gradtx.lbfgs()``.
      args: extra positional arguments of ``fun`` (data, hyperparameters).
      has_aux: ``fun`` returns ``(value, aux)``; ``aux`` at the solution is
        returned in the ``Solution`` (one more evaluation after the loop).
      max_steps: most steps taken, an int >= 0.
      tol: gradient-norm tolerance, >= 0.
      ftol: relative-decrease tolerance, >= 0 (0 turns the test off).
      history: record the value and gradient norm after every step.
      implicit_diff: make ``params`` differentiable in ``args`` (see above).
      bounds: ``(lower, upper)`` box bounds for the projected L-BFGS (see
        above), or None; needs ``optimizer=None``.

    Returns:
      A ``Solution``.

    Raises:
      TypeError: ``fun`` is not callable or ``optimizer`` is not a transformation.
      ValueError: ``max_steps``, ``tol`` or ``ftol`` out of range, malformed
        ``bounds``, or ``bounds`` with an ``optimizer``.

    References:
      Nocedal and Wright, Numerical Optimization, 2nd ed. 2006, chapters 3 and 7.
      Blondel et al., Efficient and Modular Implicit Differentiation, NeurIPS
      2022, https://arxiv.org/abs/2105.15183

    Example:
      >>> import jax.numpy as jnp
      >>> from gradtx.solvers import minimize
      >>> rosenbrock = lambda x: (1.0 - x[0]) ** 2 + 100.0 * (x[1] - x[0] ** 2) ** 2
      >>> sol = minimize(rosenbrock, jnp.array([-1.2, 1.0]))
      >>> sol.reason_name, bool(sol.converged), sol.params.round(4)
      ('CONVERGED', True, Array([1., 1.], dtype=float32))
    """
    fn = "solvers.minimize"
    if not callable(fun):
        raise TypeError(
            f"gradtx.{fn}(fun={fun!r}): fun must be a callable; got {type(fun).__name__}."
        )
    if bounds is not None and optimizer is not None:
        raise ValueError(
            f"gradtx.{fn}: bounds= runs minimize's projected L-BFGS and takes no optimizer; "
            f"got optimizer={type(optimizer).__name__} (pass optimizer=None)."
        )
    if optimizer is None:
        optimizer = lbfgs()
    elif not (isinstance(optimizer, tuple) and len(optimizer) == 2 and callable(optimizer[1])):
        raise TypeError(
            f"gradtx.{fn}: optimizer must be a GradientTransformation (an (init, update) "
            f"pair) or None; got {type(optimizer).__name__}."
        )
    check_int(fn, "max_steps", max_steps, 0)
    check_nonnegative(fn, "tol", tol)
    check_nonnegative(fn, "ftol", ftol)
    if not isinstance(args, tuple):
        args = (args,)
    opt = with_extra_args_support(GradientTransformation(*optimizer))

    def value_fn(p):
        out = fun(p, *args)
        return out[0] if has_aux else out

    if bounds is not None:
        lower, upper = flat_bounds(fn, bounds, params)
        sol = projected_lbfgs(
            value_fn, params, lower, upper, max_steps=max_steps, tol=tol, ftol=ftol, history=history
        )
        return sol._replace(aux=fun(sol.params, *args)[1] if has_aux else None)

    value_and_grad = jax.value_and_grad(value_fn)
    state0 = opt.init(params)
    reuse = stored_point(state0) is not None
    has_linesearch = bool(tree_get_all_with_path(state0, "num_linesearch_steps"))

    v0, g0 = value_and_grad(params)
    gn0 = tree_norm(g0)
    finite0 = jnp.isfinite(v0) & jnp.isfinite(gn0)
    # A proximal method's stopping measure needs one step; grad f = 0 is no optimum of f + h.
    proximal = gradient_mapping_norm(state0, params) is not None
    stop0 = ~finite0 if proximal else ~finite0 | (gn0 <= tol)
    reason0 = jnp.where(finite0, Reason.CONVERGED, Reason.NONFINITE)
    one = jnp.ones((), jnp.int32)
    hist0 = None
    if history:
        nan = jnp.full((max_steps + 1,), jnp.nan, v0.dtype)
        hist0 = {"value": nan.at[0].set(v0), "grad_norm": nan.astype(gn0.dtype).at[0].set(gn0)}
    carry0 = _Carry(
        params=params,
        value=v0,
        grad=g0,
        grad_norm=gn0,
        state=state0,
        step=jnp.zeros((), jnp.int32),
        fun_evals=one,
        grad_evals=one,
        done=stop0,
        reason=jnp.where(stop0, reason0, Reason.MAX_STEPS).astype(jnp.int32),
        history=hist0,
    )

    def step(c: _Carry) -> _Carry:
        updates, state = opt.update(
            c.grad, c.state, c.params, value=c.value, grad=c.grad, value_fn=value_fn
        )
        new_params = apply_updates(c.params, updates)
        ls_f, ls_g = linesearch_evals(state)
        if reuse:  # the line search evaluated the new point already
            v, g = stored_point(state)
            extra = jnp.zeros((), jnp.int32)
        else:
            v, g = value_and_grad(new_params)
            extra = one
        v = jnp.asarray(v, c.value.dtype)
        g = tree_cast_like(g, c.grad)
        gn = tree_norm(g)
        params_finite = jnp.all(
            jnp.asarray([jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves(new_params)])
        )
        finite = jnp.isfinite(v) & jnp.isfinite(gn) & params_finite
        # Near a minimizer the zoom search's approximate Wolfe test accepts rounding-level
        # increases (up to approx_dec_rtol = 1e-6 relative); only larger ones are undone.
        worse = has_linesearch & (v > c.value + 1e-6 * jnp.abs(c.value))
        accept = finite & ~worse
        # A proximal method (fista, proximal_gradient) stops on its gradient mapping,
        # which vanishes at a minimiser of f + h where grad f need not.
        mapping = gradient_mapping_norm(state, c.params)
        converged = (gn if mapping is None else mapping) <= tol
        if ftol > 0:
            scale = jnp.maximum(jnp.maximum(jnp.abs(c.value), jnp.abs(v)), 1.0)
            converged |= (v <= c.value) & (c.value - v <= ftol * scale)
        converged &= accept
        unmoved = jnp.all(
            jnp.asarray(
                [
                    jnp.all(a == b)
                    for a, b in zip(jax.tree.leaves(new_params), jax.tree.leaves(c.params))
                ]
            )
        )
        no_progress = has_linesearch & (worse | unmoved) & ~converged
        n = c.step + 1
        reason = jnp.where(
            ~finite,
            Reason.NONFINITE,
            jnp.where(
                converged,
                Reason.CONVERGED,
                jnp.where(no_progress, Reason.LINESEARCH_FAILED, Reason.MAX_STEPS),
            ),
        ).astype(jnp.int32)
        done = ~finite | converged | no_progress
        kept = tree_where(accept, (new_params, v, g, gn), (c.params, c.value, c.grad, c.grad_norm))
        hist = c.history
        if history:
            hist = {
                "value": hist["value"].at[n].set(kept[1]),
                "grad_norm": hist["grad_norm"].at[n].set(kept[3]),
            }
        return _Carry(
            params=kept[0],
            value=kept[1],
            grad=kept[2],
            grad_norm=kept[3],
            state=state,
            step=jnp.where(accept, n, c.step).astype(jnp.int32),
            fun_evals=c.fun_evals + ls_f + extra,
            grad_evals=c.grad_evals + ls_g + extra,
            done=done,
            reason=reason,
            history=hist,
        )

    def running(c: _Carry) -> jax.Array:
        return ~c.done & (c.step < max_steps)

    final = jax.lax.while_loop(running, step, carry0)
    out_params = final.params
    if implicit_diff and jax.tree.leaves(args):
        out_params = implicit_solution(fun, has_aux, out_params, args)
    aux = fun(final.params, *args)[1] if has_aux else None
    return Solution(
        params=out_params,
        value=final.value,
        grad_norm=final.grad_norm,
        num_steps=final.step,
        num_fun_evals=final.fun_evals,
        num_grad_evals=final.grad_evals,
        converged=final.reason == Reason.CONVERGED,
        reason=final.reason,
        state=final.state,
        aux=aux,
        history=final.history,
    )
