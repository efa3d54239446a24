"""The Hager-Zhang line search (CG_DESCENT): Wolfe or approximate Wolfe steps by
bracketing, double secant and bisection."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation
from gradtx._core._validate import check_int, check_nonnegative, check_positive, check_range
from gradtx.solvers._objective import (
    LinePoint,
    line_objective,
    line_origin,
    line_trial,
    value_dtype,
)
from gradtx.tree_utils._arithmetic import tree_add_scale, tree_scale, tree_where
from gradtx.tree_utils._construct import tree_cast_like, tree_zeros_like

_STRATEGIES = ("one", "keep", "hager-zhang")
# Stages of the search: which step of the algorithm the next trial point belongs to.
_BRACKET, _SECANT, _SECANT_BAR, _BISECT, _SHRINK = range(5)


class HagerZhangLinesearchInfo(NamedTuple):
    """What the last Hager-Zhang line search did, for diagnostics.

    ``num_linesearch_steps`` counts value-and-gradient trials, ``num_value_evals``
    the value-only evaluation of the ``"hager-zhang"`` initial guess (0 or 1).
    ``decrease_error`` and ``curvature_error`` are how far the accepted step
    misses the (approximate) Wolfe decrease condition and the curvature
    condition (0 when it meets them).
    """

    num_linesearch_steps: jax.Array
    num_value_evals: jax.Array
    decrease_error: jax.Array
    curvature_error: jax.Array


class ScaleByHagerZhangLinesearchState(NamedTuple):
    """State of ``scale_by_hager_zhang_linesearch``.

    ``learning_rate`` is the accepted step size; ``value`` and ``grad`` are the
    objective and its gradient at the accepted point (``value`` is ``inf``
    before the first search), which ``value_and_grad_from_state`` and
    ``minimize`` reuse; ``info`` is a ``HagerZhangLinesearchInfo``.
    """

    learning_rate: jax.Array
    value: jax.Array
    grad: Any
    info: HagerZhangLinesearchInfo


class _Search(NamedTuple):
    count: jax.Array
    stage: jax.Array  # the step the trial at next_t belongs to
    back: jax.Array  # during _SHRINK: the stage whose update started it
    next_t: jax.Array
    secant_t: jax.Array  # the point of step S1 of the current double secant
    current: LinePoint
    grad: Any
    a: LinePoint  # the bracket [a, b] (during _SHRINK: [a_hat, b_hat] of step U3)
    b: LinePoint
    a0: LinePoint  # the bracket at the start of the current double secant
    b0: LinePoint
    good: LinePoint  # the last bracketing trial with phi <= phi(0) + eps_k
    safe: LinePoint  # the lowest point seen (t = 0: none below phi(0))
    safe_grad: Any
    decrease_error: jax.Array
    curvature_error: jax.Array
    done: jax.Array
    failed: jax.Array


def _secant(a: LinePoint, b: LinePoint) -> jax.Array:
    """The zero of the linear interpolant of ``phi'`` through a and b."""
    return (a.t * b.slope - b.t * a.slope) / (b.slope - a.slope)


def _inside(t, a: LinePoint, b: LinePoint) -> jax.Array:
    return (t > a.t) & (t < b.t)


def scale_by_hager_zhang_linesearch(
    max_linesearch_steps: int = 30,
    delta: jax.typing.ArrayLike = 0.1,
    sigma: jax.typing.ArrayLike = 0.9,
    epsilon: jax.typing.ArrayLike = 1e-6,
    theta: jax.typing.ArrayLike = 0.5,
    gamma: jax.typing.ArrayLike = 0.66,
    rho: jax.typing.ArrayLike = 5.0,
    *,
    initial_guess_strategy: str = "one",
    psi0: jax.typing.ArrayLike = 0.01,
    psi1: jax.typing.ArrayLike = 0.1,
    psi2: jax.typing.ArrayLike = 2.0,
    verbose: bool = False,
) -> GradientTransformation:
    """Scale the update direction by a step size meeting Hager and Zhang's (approximate) Wolfe conditions.

    With ``w`` the params, ``u`` the incoming update direction (a descent
    direction), ``phi(t) = value_fn(w + t u)``, ``phi'(t) = <grad(w + t u), u>``
    and ``eps_k = epsilon * |phi(0)|``, a trial step ``t`` is accepted when it
    meets the Wolfe conditions (T1) or the approximate Wolfe conditions (T2):

        T1:  phi(t) <= phi(0) + delta * t * phi'(0)   and  phi'(t) >= sigma * phi'(0)
        T2:  (2 delta - 1) phi'(0) >= phi'(t) >= sigma * phi'(0)
             and phi(t) <= phi(0) + eps_k

    T2 is what makes the search accurate near a minimizer, where ``phi(t) -
    phi(0)`` is at the level of rounding errors and T1's decrease test cannot
    be checked; the slope test it uses instead is exact there for a quadratic.
    The search (Hager and Zhang 2005, steps L0-L3) keeps a bracket ``[a, b]``
    with ``phi'(a) < 0``, ``phi(a) <= phi(0) + eps_k`` and ``phi'(b) >= 0``:

      - bracket (B0-B3): try ``c`` (the initial guess) and multiply it by
        ``rho`` until ``phi'(c) >= 0`` (then ``[a, b]`` = the last trial with
        ``phi <= phi(0) + eps_k`` and ``c``) or ``phi(c) > phi(0) + eps_k``
        (then shrink as in U3);
      - double secant (S1-S4): the secant point ``c`` of ``phi'`` on ``[a, b]``
        updates the bracket, and when ``c`` became an end of it, a second
        secant point from that end and the old one updates it again;
      - bisection (L2): when the double secant has not shrunk the bracket to
        ``gamma`` times its width, ``(a + b) / 2`` updates it once more;
      - update (U1-U3) of ``[a, b]`` by a point ``c`` inside it: ``b = c`` when
        ``phi'(c) >= 0``, ``a = c`` when ``phi(c) <= phi(0) + eps_k``, else
        ``[a, c]`` is shrunk by ``d = (1 - theta) a + theta c`` until
        ``phi'(d) >= 0``.

    Every trial costs one value-and-gradient evaluation and ends the search if
    it meets T1 or T2. Departures from the paper, for a fixed-shape loop: a
    secant point outside the bracket (or NaN) is replaced by the midpoint, the
    U3 shrink after bracketing starts from the last good trial rather than 0,
    and T1 or T2 is tested at every trial (the paper's switch to T2 after small
    decreases, CG_DESCENT's ``AWolfe``, is not used). The search fails when it
    runs out of trials, when the bracket can shrink no further in floating
    point, or at once when ``phi'(0) >= 0`` (no descent direction); it then
    returns the lowest point seen, or step 0 when none is below ``phi(0)``
    (``minimize`` then stops with ``LINESEARCH_FAILED``).

    Initial guess: ``"one"`` (1; for Newton and quasi-Newton directions),
    ``"keep"`` (the last accepted step), or ``"hager-zhang"`` (for nonlinear
    CG and gradient directions; steps I0-I2): at the first call ``psi0 *
    ||w||_inf / ||u||_inf`` (or ``psi0 * |phi(0)| / |phi'(0)|`` when ``w = 0``,
    or 1 when that is 0 too); later, with ``r = psi1 * t_prev``, the minimizer
    of the quadratic through ``phi(0)``, ``phi'(0)`` and ``phi(r)`` (one
    value-only evaluation) when ``phi(r) <= phi(0)`` and it is convex, else
    ``psi2 * t_prev``.

    ``update`` takes the extra keyword arguments ``value`` (the objective at
    ``params``), ``grad`` (its gradient) and ``value_fn``, like
    ``scale_by_zoom_linesearch``; other extra arguments named in ``value_fn``'s
    signature are passed to it, and the rest are ignored.

    Args:
      max_linesearch_steps: most value-and-gradient trials per search, an int >= 1.
      delta: decrease constant of T1 and T2, in (0, 0.5).
      sigma: curvature constant, in (0, 1) (normally >= delta).
      epsilon: relative tolerance ``eps_k / |phi(0)|`` of T2 and of the
        bracket's upper limit, >= 0.
      theta: bisection weight of U3, in (0, 1).
      gamma: required shrink factor of one double secant before bisecting, in (0, 1).
      rho: growth factor of the bracketing trials, > 1.
      initial_guess_strategy: ``"one"``, ``"keep"`` or ``"hager-zhang"`` (see above).
      psi0: first-call factor of the ``"hager-zhang"`` guess, > 0.
      psi1: factor of the quadratic-step probe, in (0, 1).
      psi2: growth of the last step when the quadratic step is not taken, > 0.
      verbose: print a diagnostic (``jax.debug.print``) when a search fails.

    Returns:
      The transformation; its state is a ``ScaleByHagerZhangLinesearchState``.

    Raises:
      ValueError: an argument outside its range, or an unknown strategy.

    References:
      Hager and Zhang, A new conjugate gradient method with guaranteed descent
      and an efficient line search, SIAM J. Optim. 2005,
      https://doi.org/10.1137/030601880
      Hager and Zhang, Algorithm 851: CG_DESCENT, ACM TOMS 2006,
      https://doi.org/10.1145/1132973.1132979

    Example:
      >>> import jax, jax.numpy as jnp
      >>> import gradtx
      >>> f = lambda x: jnp.sum((x - 1.0) ** 2)
      >>> opt = gradtx.chain(gradtx.sgd(1.0), gradtx.scale_by_hager_zhang_linesearch())
      >>> x = jnp.zeros(3)
      >>> state = opt.init(x)
      >>> v, g = jax.value_and_grad(f)(x)
      >>> u, state = opt.update(g, state, x, value=v, grad=g, value_fn=f)
      >>> gradtx.apply_updates(x, u)
      Array([1., 1., 1.], dtype=float32)
    """
    fn = "scale_by_hager_zhang_linesearch"
    check_int(fn, "max_linesearch_steps", max_linesearch_steps, 1)
    check_range(fn, "delta", delta, 0.0, 0.5, low_open=True, high_open=True)
    check_range(fn, "sigma", sigma, 0.0, 1.0, low_open=True, high_open=True)
    check_nonnegative(fn, "epsilon", epsilon)
    check_range(fn, "theta", theta, 0.0, 1.0, low_open=True, high_open=True)
    check_range(fn, "gamma", gamma, 0.0, 1.0, low_open=True, high_open=True)
    check_range(fn, "rho", rho, 1.0, None, low_open=True)
    check_positive(fn, "psi0", psi0)
    check_range(fn, "psi1", psi1, 0.0, 1.0, low_open=True, high_open=True)
    check_positive(fn, "psi2", psi2)
    if initial_guess_strategy not in _STRATEGIES:
        raise ValueError(
            f"gradtx.{fn}(initial_guess_strategy={initial_guess_strategy!r}): "
            f"initial_guess_strategy must be one of {_STRATEGIES}; got {initial_guess_strategy!r}."
        )

    def init(params):
        dt = value_dtype(params)
        inf = lambda: jnp.full((), jnp.inf, dt)  # a fresh buffer per leaf (donatable state)
        zero = lambda: jnp.zeros((), jnp.int32)
        return ScaleByHagerZhangLinesearchState(
            learning_rate=jnp.ones((), dt),
            value=inf(),
            grad=tree_zeros_like(params),
            info=HagerZhangLinesearchInfo(zero(), zero(), inf(), inf()),
        )

    def update(updates, state, params=None, *, value=None, grad=None, value_fn=None, **extra):
        objective = line_objective(fn, params, value, grad, value_fn, extra)
        dt = value_dtype(params)
        trial = line_trial(objective, params, updates, grad, dt)
        p0 = line_origin(value, updates, grad, dt)
        limit = p0.value + epsilon * jnp.abs(p0.value)  # phi(0) + eps_k

        def errors(p: LinePoint):
            wolfe = p.value - p0.value - delta * p.t * p0.slope
            approx = jnp.maximum(p.slope - (2.0 * delta - 1.0) * p0.slope, p.value - limit)
            curv = sigma * p0.slope - p.slope
            clean = lambda e: jnp.where(jnp.isnan(e), jnp.inf, jnp.maximum(e, 0.0)).astype(dt)
            return clean(jnp.minimum(wolfe, approx)), clean(curv)

        guess, n_value = initial_guess(state, params, updates, p0, objective, dt)
        inf = jnp.asarray(jnp.inf, dt)
        false = jnp.zeros((), bool)
        stage0 = jnp.asarray(_BRACKET, jnp.int32)
        search0 = _Search(
            count=jnp.zeros((), jnp.int32),
            stage=stage0,
            back=stage0,
            next_t=guess,
            secant_t=guess,
            current=p0,
            grad=grad,
            a=p0,
            b=p0,
            a0=p0,
            b0=p0,
            good=p0,
            safe=p0,
            safe_grad=grad,
            decrease_error=inf,
            curvature_error=inf,
            done=false,
            failed=~(p0.slope < 0.0),  # not a descent direction: step 0
        )

        def double_secant(s: _Search, a: LinePoint, b: LinePoint) -> _Search:
            # L1 / S1: a new double secant on [a, b].
            c = _secant(a, b)
            c = jnp.where(_inside(c, a, b), c, (a.t + b.t) / 2.0).astype(dt)
            stage = jnp.asarray(_SECANT, jnp.int32)
            return s._replace(stage=stage, next_t=c, secant_t=c, a=a, b=b, a0=a, b0=b)

        def after_double_secant(s: _Search, a: LinePoint, b: LinePoint) -> _Search:
            # L2: bisect when the double secant did not shrink the bracket enough.
            wide = (b.t - a.t) > gamma * (s.b0.t - s.a0.t)
            mid = ((a.t + b.t) / 2.0).astype(dt)
            bisect = s._replace(stage=jnp.asarray(_BISECT, jnp.int32), next_t=mid, a=a, b=b)
            return tree_where(wide, bisect, double_secant(s, a, b))

        def after_secant(s: _Search, a: LinePoint, b: LinePoint) -> _Search:
            # S2-S4: if c became an end of the bracket, a secant from that end and the old one.
            on_b, on_a = s.secant_t == b.t, s.secant_t == a.t
            c = jnp.where(on_b, _secant(s.b0, b), _secant(s.a0, a)).astype(dt)
            again = (on_a | on_b) & _inside(c, a, b)
            second = s._replace(stage=jnp.asarray(_SECANT_BAR, jnp.int32), next_t=c, a=a, b=b)
            return tree_where(again, second, after_double_secant(s, a, b))

        def updated(s: _Search, origin, a: LinePoint, b: LinePoint) -> _Search:
            # The update of the bracket started by the stage `origin` gave [a, b].
            return tree_where(
                origin == _SECANT,
                after_secant(s, a, b),
                tree_where(
                    origin == _SECANT_BAR,
                    after_double_secant(s, a, b),
                    double_secant(s, a, b),  # after bracketing or bisection
                ),
            )

        def step(s: _Search) -> _Search:
            c, g = trial(s.next_t)
            dec, curv = errors(c)
            done = jnp.maximum(dec, curv) <= 0.0
            lower = c.value < s.safe.value
            safe, safe_grad = tree_where(lower, (c, g), (s.safe, s.safe_grad))
            s = s._replace(
                count=s.count + 1,
                current=c,
                grad=g,
                decrease_error=dec,
                curvature_error=curv,
                safe=safe,
                safe_grad=safe_grad,
            )
            rising = c.slope >= 0.0
            low = c.value <= limit  # False for NaN
            in_bracket, in_shrink = s.stage == _BRACKET, s.stage == _SHRINK
            left = tree_where(in_bracket, s.good, s.a)
            # U1 (phi'(c) >= 0): [left, c]; U2 (phi(c) low): [c, b]; bracketing goes on after U2.
            finished = rising | (low & ~in_bracket & ~in_shrink)
            origin = jnp.where(in_shrink, s.back, s.stage)
            out_a, out_b = tree_where(rising, (left, c), (c, s.b))
            s_finished = updated(s, origin, out_a, out_b)
            # U3: shrink [a_hat, b_hat] towards the low end until phi' >= 0.
            hat_a, hat_b = tree_where(low, (c, s.b), (left, c))
            s_shrink = s._replace(
                stage=jnp.asarray(_SHRINK, jnp.int32),
                back=origin,
                next_t=((1.0 - theta) * hat_a.t + theta * hat_b.t).astype(dt),
                a=hat_a,
                b=hat_b,
            )
            s_grow = s._replace(next_t=(rho * c.t).astype(dt), good=c)  # B3
            grow = in_bracket & ~rising & low
            s = tree_where(finished, s_finished, tree_where(grow, s_grow, s_shrink))
            stuck = (s.stage != _BRACKET) & ~_inside(s.next_t, s.a, s.b)
            out_of_steps = s.count >= max_linesearch_steps
            return s._replace(done=done, failed=~done & (stuck | out_of_steps))

        final = jax.lax.while_loop(lambda s: ~(s.done | s.failed), step, search0)
        if verbose:
            jax.lax.cond(
                final.failed,
                lambda: jax.debug.print(
                    "gradtx.scale_by_hager_zhang_linesearch: no step met the (approximate) "
                    "Wolfe conditions in {n} trials (slope at 0: {s0}, last step {t}, "
                    "decrease error {d}, curvature error {c}); taking step {ts}.",
                    n=final.count,
                    s0=p0.slope,
                    t=final.current.t,
                    d=final.decrease_error,
                    c=final.curvature_error,
                    ts=final.safe.t,
                ),
                lambda: None,
            )
        accepted, g = tree_where(
            final.failed, (final.safe, final.safe_grad), (final.current, final.grad)
        )
        new_state = ScaleByHagerZhangLinesearchState(
            learning_rate=accepted.t,
            value=accepted.value,
            grad=g,
            info=HagerZhangLinesearchInfo(final.count, n_value, *errors(accepted)),
        )
        new_updates = tree_cast_like(tree_scale(accepted.t, updates), updates)
        return new_updates, tree_cast_like(new_state, state)

    def initial_guess(state, params, updates, p0, objective, dt):
        """The first trial step and the number of value-only evaluations it cost."""
        none = jnp.zeros((), jnp.int32)
        if initial_guess_strategy == "one":
            return jnp.ones((), dt), none
        if initial_guess_strategy == "keep":
            return jnp.asarray(state.learning_rate, dt), none
        # I0 at the first call (no accepted value stored yet), else I1 / I2.
        first = jnp.isinf(state.value)
        max_abs = lambda tree: jnp.max(
            jnp.asarray(
                [jnp.max(jnp.abs(x).astype(dt), initial=0.0) for x in jax.tree.leaves(tree)]
            )
        )
        w_inf, u_inf = max_abs(params), max_abs(updates)
        by_value = jnp.where(p0.value != 0.0, psi0 * jnp.abs(p0.value) / -p0.slope, 1.0)
        i0 = jnp.where(w_inf != 0.0, psi0 * w_inf / u_inf, by_value)
        prev = jnp.asarray(state.learning_rate, dt)

        def quad_step():
            r = psi1 * prev
            v = jnp.asarray(
                objective(tree_cast_like(tree_add_scale(params, r, updates), params)), dt
            )
            curvature = (v - p0.value - p0.slope * r) / (r * r)
            use = (v <= p0.value) & (curvature > 0.0)
            return jnp.where(use, -p0.slope / (2.0 * curvature), psi2 * prev).astype(dt)

        later = jax.lax.cond(first, lambda: jnp.zeros((), dt), quad_step)
        guess = jnp.where(first, i0, later).astype(dt)
        guess = jnp.where(jnp.isfinite(guess) & (guess > 0.0), guess, jnp.ones((), dt))
        return guess, jnp.where(first, 0, 1).astype(jnp.int32)

    return GradientTransformation(init, update)
