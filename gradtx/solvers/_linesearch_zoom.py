"""The zoom line search (Nocedal and Wright, Algorithms 3.5 and 3.6): strong Wolfe steps."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation
from gradtx._core._validate import check_int, check_nonnegative, check_positive, check_range
from gradtx.solvers._interpolation import cubic_minimizer, quadratic_minimizer
from gradtx.solvers._objective import (
    LinePoint,
    line_objective,
    line_origin,
    line_trial,
    value_dtype,
)
from gradtx.tree_utils._arithmetic import tree_scale, tree_where
from gradtx.tree_utils._construct import tree_cast_like, tree_zeros_like


class ZoomLinesearchInfo(NamedTuple):
    """What the last zoom line search did, for diagnostics.

    ``decrease_error`` and ``curvature_error`` are how far the accepted step
    misses the sufficient-decrease and curvature conditions (0 when it meets
    them). A positive curvature error alone is mild (often a ``max_learning_rate``
    too small); a positive decrease error means the objective may not decrease.
    """

    num_linesearch_steps: jax.Array
    decrease_error: jax.Array
    curvature_error: jax.Array


class ScaleByZoomLinesearchState(NamedTuple):
    """State of ``scale_by_zoom_linesearch``.

    ``learning_rate`` is the accepted step size; ``value`` and ``grad`` are the
    objective and its gradient at the accepted point, which
    ``value_and_grad_from_state`` reuses for the next step; ``info`` is a
    ``ZoomLinesearchInfo``.
    """

    learning_rate: jax.Array
    value: jax.Array
    grad: Any
    info: ZoomLinesearchInfo


class _Search(NamedTuple):
    count: jax.Array
    current: LinePoint  # the last point tried
    grad: Any  # gradient at the last point tried
    decrease_error: jax.Array
    curvature_error: jax.Array
    bracketed: jax.Array  # phase 2 (zoom) once a bracket is known
    done: jax.Array
    failed: jax.Array
    low: LinePoint  # low and high bracket the step: value(low) <= value(high)
    high: LinePoint
    ref: LinePoint  # third point for cubic interpolation (slope unused)
    safe: LinePoint  # best point with sufficient decrease seen so far (t = 0: none)
    safe_grad: Any


def scale_by_zoom_linesearch(
    max_linesearch_steps: int,
    max_learning_rate: jax.typing.ArrayLike | None = None,
    tol: jax.typing.ArrayLike = 0.0,
    increase_factor: jax.typing.ArrayLike = 2.0,
    slope_rtol: jax.typing.ArrayLike = 1e-4,
    curv_rtol: jax.typing.ArrayLike = 0.9,
    approx_dec_rtol: jax.typing.ArrayLike | None = 1e-6,
    stepsize_precision: jax.typing.ArrayLike = 1e-5,
    initial_guess_strategy: str = "keep",
    verbose: bool = False,
) -> GradientTransformation:
    """Scale the update direction by a step size meeting the strong Wolfe conditions.

    With ``w`` the params, ``u`` the incoming update direction, ``f = value_fn``,
    ``phi(t) = f(w + t u)`` and ``phi'(t) = <grad f(w + t u), u>``, the step ``t``
    is accepted when (``eps = tol``)

        sufficient decrease:  phi(t) <= phi(0) + slope_rtol * t * phi'(0) + eps
        curvature:            |phi'(t)| <= curv_rtol * |phi'(0)| + eps

    Phase 1 tries ``t0`` (1, or the last accepted step with
    ``initial_guess_strategy="keep"``) and multiplies it by ``increase_factor``
    until a bracket is found; phase 2 shrinks the bracket by cubic, then
    quadratic interpolation, then bisection (the first whose point lies well
    inside the bracket). Near a minimizer, where ``phi(0)`` and ``phi(t)``
    agree to rounding, sufficient decrease is replaced by Hager and Zhang's
    approximate Wolfe condition ``phi'(t) <= (2 slope_rtol - 1) phi'(0)``,
    taken when ``phi(t) <= phi(0) + approx_dec_rtol |phi(0)|``. If the search
    runs out of steps, or the bracket is narrower than ``stepsize_precision``,
    it returns the best step with sufficient decrease (or step 0 if it met
    only non-finite values). Each trial costs one value-and-gradient
    evaluation, and the state keeps the accepted value and gradient for
    ``value_and_grad_from_state``.

    ``update`` takes the extra keyword arguments ``value`` (the objective at
    ``params``), ``grad`` (its gradient) and ``value_fn``; other extra
    arguments named in ``value_fn``'s signature are passed to it (data, say),
    and the rest are ignored.

    Args:
      max_linesearch_steps: most trial steps per search, an int >= 1.
      max_learning_rate: largest step size tried (> 0), or None for no bound.
      tol: slack ``eps`` in both conditions, >= 0.
      increase_factor: growth factor of the trial step in phase 1, > 0 (normally > 1).
      slope_rtol: ``c1`` of sufficient decrease, in [0, 1].
      curv_rtol: ``c2`` of the curvature condition, >= 0 (``inf`` turns it off).
      approx_dec_rtol: relative tolerance for switching to the approximate
        Wolfe condition, >= 0, or None to use only sufficient decrease.
      stepsize_precision: bracket width below which a step with sufficient
        decrease is accepted without the curvature condition, >= 0.
      initial_guess_strategy: ``"keep"`` (start from the last step; for SGD) or
        ``"one"`` (start from 1; for Newton and quasi-Newton directions).
      verbose: print a diagnostic (``jax.debug.print``) when a search fails.

    Returns:
      The transformation; its state is a ``ScaleByZoomLinesearchState``.

    Raises:
      ValueError: an argument outside its range, or an unknown strategy.

    References:
      Nocedal and Wright, Numerical Optimization, 2nd ed. 2006, Algorithms 3.5 and 3.6.
      Hager and Zhang, Algorithm 851: CG_DESCENT, ACM TOMS 2006,
      https://doi.org/10.1145/1132973.1132979

    Example:
      >>> import jax, jax.numpy as jnp
      >>> import gradtx
      >>> f = lambda x: jnp.sum((x - 1.0) ** 2)
      >>> opt = gradtx.chain(gradtx.sgd(1.0), gradtx.scale_by_zoom_linesearch(15))
      >>> x = jnp.zeros(3)
      >>> state = opt.init(x)
      >>> v, g = jax.value_and_grad(f)(x)
      >>> u, state = opt.update(g, state, x, value=v, grad=g, value_fn=f)
      >>> gradtx.apply_updates(x, u)
      Array([1., 1., 1.], dtype=float32)
    """
    fn = "scale_by_zoom_linesearch"
    check_int(fn, "max_linesearch_steps", max_linesearch_steps, 1)
    if max_learning_rate is not None:
        check_positive(fn, "max_learning_rate", max_learning_rate, none=True)
    check_nonnegative(fn, "tol", tol)
    check_positive(fn, "increase_factor", increase_factor)
    check_range(fn, "slope_rtol", slope_rtol, 0.0, 1.0)
    check_nonnegative(fn, "curv_rtol", curv_rtol)
    if approx_dec_rtol is not None:
        check_nonnegative(fn, "approx_dec_rtol", approx_dec_rtol, none=True)
    check_nonnegative(fn, "stepsize_precision", stepsize_precision)
    if initial_guess_strategy not in ("one", "keep"):
        raise ValueError(
            f"gradtx.{fn}(initial_guess_strategy={initial_guess_strategy!r}): "
            f"initial_guess_strategy must be 'one' or 'keep'; got {initial_guess_strategy!r}."
        )

    def errors(p: LinePoint, p0: LinePoint):
        dec = p.value - p0.value - slope_rtol * p.t * p0.slope
        if approx_dec_rtol is not None:
            approx = jnp.maximum(
                p.slope - (2.0 * slope_rtol - 1.0) * p0.slope,
                p.value - p0.value - approx_dec_rtol * jnp.abs(p0.value),
            )
            dec = jnp.minimum(dec, approx)
        curv = jnp.abs(p.slope) - curv_rtol * jnp.abs(p0.slope)
        clean = lambda e: jnp.where(jnp.isnan(e), jnp.inf, jnp.maximum(e, 0.0)).astype(p.t.dtype)
        return clean(dec), clean(curv)

    def init(params):
        dt = value_dtype(params)
        inf = lambda: jnp.full((), jnp.inf, dt)  # a fresh buffer per leaf (donatable state)
        return ScaleByZoomLinesearchState(
            learning_rate=jnp.ones((), dt),
            value=inf(),
            grad=tree_zeros_like(params),
            info=ZoomLinesearchInfo(jnp.zeros((), jnp.int32), inf(), inf()),
        )

    def update(updates, state, params=None, *, value=None, grad=None, value_fn=None, **extra):
        objective = line_objective(fn, params, value, grad, value_fn, extra)
        dt = value_dtype(params)
        trial = line_trial(objective, params, updates, grad, dt)
        p0 = line_origin(value, updates, grad, dt)
        guess = jnp.ones((), dt) if initial_guess_strategy == "one" else state.learning_rate
        inf = jnp.asarray(jnp.inf, dt)
        false = jnp.zeros((), bool)
        search0 = _Search(
            count=jnp.zeros((), jnp.int32),
            current=p0,
            grad=grad,
            decrease_error=inf,
            curvature_error=inf,
            bracketed=false,
            done=false,
            failed=false,
            low=p0,
            high=p0,
            ref=p0,
            safe=p0,
            safe_grad=grad,
        )

        def expand_step(s: _Search):
            # Phase 1 (Algorithm 3.5): grow the step until it brackets a Wolfe point.
            t = jnp.where(s.count == 0, guess, increase_factor * s.current.t).astype(dt)
            if max_learning_rate is None:
                return t, false
            return jnp.minimum(t, max_learning_rate).astype(dt), t >= max_learning_rate

        def expand(s: _Search, new: LinePoint, g, dec, curv, at_max) -> _Search:
            prev = s.current
            ok = jnp.maximum(dec, curv) <= tol
            safe, safe_grad = tree_where(dec <= tol, (new, g), (s.safe, s.safe_grad))
            high_is_new = (dec > 0.0) | ((new.value >= prev.value) & (s.count > 0))
            low_is_new = (new.slope >= 0.0) & ~high_is_new
            low, high = tree_where(low_is_new, (new, prev), (prev, new))
            bracketed = high_is_new | low_is_new | ok
            done = ok | (at_max & ~bracketed)
            return s._replace(
                bracketed=bracketed,
                done=done,
                failed=(s.count + 1 >= max_linesearch_steps) & ~done,
                low=low,
                high=high,
                ref=low,
                safe=safe,
                safe_grad=safe_grad,
            )

        def zoom_step(s: _Search):
            # Phase 2 (Algorithm 3.6): shrink [low, high] by interpolation: cubic, then
            # quadratic, then bisection, the first well inside the bracket.
            lo, hi, ref = s.low, s.high, s.ref
            width = jnp.abs(hi.t - lo.t)
            left, right = jnp.minimum(lo.t, hi.t), jnp.maximum(lo.t, hi.t)
            cubic = cubic_minimizer(lo.t, lo.value, lo.slope, hi.t, hi.value, ref.t, ref.value)
            quad = quadratic_minimizer(lo.t, lo.value, lo.slope, hi.t, hi.value)
            use_cubic = (cubic > left + 0.2 * width) & (cubic < right - 0.2 * width)
            use_quad = ~use_cubic & (quad > left + 0.1 * width) & (quad < right - 0.1 * width)
            t = jnp.where(use_cubic, cubic, jnp.where(use_quad, quad, (lo.t + hi.t) / 2.0))
            return t.astype(dt), width

        def zoom(s: _Search, mid: LinePoint, g, dec, curv, width) -> _Search:
            lo, hi = s.low, s.high
            done = jnp.maximum(dec, curv) <= tol
            better = (dec <= tol) & (mid.value < s.safe.value)
            safe, safe_grad = tree_where(better, (mid, g), (s.safe, s.safe_grad))
            high_is_mid = (dec > 0.0) | (mid.value >= lo.value)
            high_is_low = (mid.slope * (hi.t - lo.t) >= 0.0) & ~high_is_mid
            stuck = (s.count + 1 >= max_linesearch_steps) | (
                (width <= stepsize_precision) & (safe.t > 0.0)
            )
            return s._replace(
                done=done,
                failed=stuck & ~done,
                low=tree_where(high_is_mid, lo, mid),
                high=tree_where(high_is_mid, mid, tree_where(high_is_low, lo, hi)),
                ref=tree_where(high_is_mid | high_is_low, hi, lo),
                safe=safe,
                safe_grad=safe_grad,
            )

        def fall_back(s: _Search) -> _Search:
            # Out of steps: take the best step with sufficient decrease, or step 0
            # (where value and grad are known) when only non-finite values were met.
            use_safe = s.failed & ((s.safe.t > 0.0) | jnp.isinf(s.decrease_error))
            if verbose:
                jax.lax.cond(
                    s.failed,
                    lambda: jax.debug.print(
                        "gradtx.scale_by_zoom_linesearch: no step met the strong Wolfe "
                        "conditions in the steps allowed (slope at 0: {s0}, last step {t}, "
                        "decrease error {d}, curvature error {c}); taking step {ts}.",
                        s0=p0.slope,
                        t=s.current.t,
                        d=s.decrease_error,
                        c=s.curvature_error,
                        ts=jnp.where(use_safe, s.safe.t, s.current.t),
                    ),
                    lambda: None,
                )
            current, g = tree_where(use_safe, (s.safe, s.safe_grad), (s.current, s.grad))
            return s._replace(current=current, grad=g)

        def step(s: _Search) -> _Search:
            # One trial per iteration: both phases choose a step, one is evaluated.
            t_expand, at_max = expand_step(s)
            t_zoom, width = zoom_step(s)
            new, g = trial(jnp.where(s.bracketed, t_zoom, t_expand))
            dec, curv = errors(new, p0)
            s_expand = expand(s, new, g, dec, curv, at_max)
            s_zoom = zoom(s, new, g, dec, curv, width)
            s = tree_where(s.bracketed, s_zoom, s_expand)
            s = s._replace(
                count=s.count + 1, current=new, grad=g, decrease_error=dec, curvature_error=curv
            )
            return fall_back(s)

        final = jax.lax.while_loop(lambda s: ~(s.done | s.failed), step, search0)
        lr = final.current.t
        new_updates = tree_cast_like(tree_scale(lr, updates), updates)
        new_state = ScaleByZoomLinesearchState(
            learning_rate=lr,
            value=final.current.value,
            grad=final.grad,
            info=ZoomLinesearchInfo(final.count, final.decrease_error, final.curvature_error),
        )
        return new_updates, tree_cast_like(new_state, state)

    return GradientTransformation(init, update)


QUASI_NEWTON_LINESEARCH = scale_by_zoom_linesearch(
    max_linesearch_steps=20, initial_guess_strategy="one"
)
"""The default line search of ``lbfgs`` and ``bfgs`` (optax's default for ``lbfgs``)."""
