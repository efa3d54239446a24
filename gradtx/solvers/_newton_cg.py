"""Newton-CG (truncated Newton, Hessian-free): CG on Hessian-vector products."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, chain
from gradtx._core._numerics import safe_increment, zero_count
from gradtx._core._validate import (
    check_int,
    check_nonnegative,
    checks_float_params,
    concrete_values,
    format_value,
    reported_as,
    require_params,
    validates_through_parts,
)
from gradtx.curvature._products import hvp
from gradtx.solvers._linesearch_zoom import QUASI_NEWTON_LINESEARCH
from gradtx.solvers._objective import value_dtype, value_fn_kwargs
from gradtx.transforms._scaling import scale
from gradtx.tree_utils._arithmetic import tree_add_scale, tree_sub, tree_where
from gradtx.tree_utils._construct import tree_cast_like, tree_zeros_like
from gradtx.tree_utils._reductions import tree_norm, tree_vdot


class ScaleByNewtonCGState(NamedTuple):
    """State of ``scale_by_newton_cg``: the step count, the last CG solution
    (the warm start), the CG iterations of the last call, the damping
    ``lambda`` for the next call and the reduction ratio ``rho`` of the last
    call (0 where undefined: without ``damping_adjustment``, at ``g = 0``, or
    when ``f(w - p)`` is not finite)."""

    count: jax.Array
    solution: Any
    cg_steps: jax.Array
    damping: jax.Array
    reduction_ratio: jax.Array


class _CG(NamedTuple):
    z: Any
    r: Any
    d: Any
    rr: jax.Array
    j: jax.Array
    done: jax.Array
    negative: jax.Array


@checks_float_params(complex_params=False)
def scale_by_newton_cg(
    damping: float = 0.0,
    cg_max_steps: int = 50,
    warm_start: bool = False,
    *,
    damping_adjustment: str | None = None,
) -> GradientTransformation:
    """Replace the gradient ``g`` by an approximate Newton direction ``p ~ (H + damping I)^{-1} g``.

    ``H`` is the Hessian of ``value_fn`` (an extra argument of ``update``, with
    its data) at the params, used only through Hessian-vector products
    (``gradtx.curvature.hvp``, forward over reverse). The system is solved by
    truncated conjugate gradients (Nocedal and Wright, Algorithm 7.1): CG stops
    when ``||r|| <= min(0.5, sqrt(||g||)) ||g||``, after ``cg_max_steps``
    iterations, or at the first direction of non-positive curvature (then the
    iterate so far is returned, or ``g`` itself at the first iteration), so the
    output is a descent direction for ``-p``. With ``warm_start=True`` CG starts
    from the last call's solution (useful when consecutive systems are close,
    as on mini-batches); a warm start that is not a descent direction is
    replaced by ``g``. Each CG iteration costs one Hessian-vector product
    (about two gradient evaluations). It does not negate: ``newton_cg`` adds
    ``scale(-1)`` and a line search.

    ``damping`` is a Tikhonov term, fixed by default. With
    ``damping_adjustment="martens"`` it is the starting ``lambda`` of Martens'
    Levenberg-Marquardt rule: after each solve, the reduction ratio of the
    full step ``-p``,

        rho = (f(w - p) - f(w)) / (q(-p) - q(0)),  q(-p) - q(0) = -<g, p> + 0.5 <p, H p>,

    (``q`` the undamped quadratic model of ``f`` at ``w``) sets the damping of
    the next call: ``lambda *= 3/2`` if ``rho < 1/4``, ``lambda *= 2/3`` if
    ``rho > 3/4`` (``lambda`` grows too when ``f(w - p)`` is not finite or the
    model predicts no decrease, ``q(-p) > q(0)``, as a truncated or
    warm-started CG step can on an indefinite Hessian). This
    costs one more objective evaluation (none when ``update`` gets ``value=``
    at the params, as in ``minimize``) and one more Hessian-vector product
    per call; Martens pairs it with ``warm_start=True``. The ratio is that of
    the CG step before the line search, as in Martens' method, whose
    backtracking acts on the step afterwards.

    Args:
      damping: ``lambda`` added to the Hessian, >= 0.
      cg_max_steps: most CG iterations per call, an int >= 1.
      warm_start: start CG from the previous solution.
      damping_adjustment: None (fixed ``damping``) or ``"martens"`` (see
        above; needs ``damping > 0``).

    Returns:
      The transformation; ``update`` needs ``value_fn=``; its state is a
      ``ScaleByNewtonCGState``.

    Raises:
      ValueError: an argument out of range, an unknown ``damping_adjustment``,
        or ``damping = 0`` with ``"martens"``.

    References:
      Nocedal and Wright, Numerical Optimization, 2nd ed. 2006, Algorithm 7.1.
      Martens, Deep learning via Hessian-free optimization, ICML 2010.

    Example:
      >>> import jax.numpy as jnp
      >>> from gradtx.solvers import minimize, newton_cg
      >>> f = lambda x: jnp.sum(jnp.cosh(x - 1.0))
      >>> minimize(f, jnp.zeros(3), newton_cg()).params.round(4)
      Array([1., 1., 1.], dtype=float32)
    """
    fn = "solvers.scale_by_newton_cg"
    check_nonnegative(fn, "damping", damping)
    check_int(fn, "cg_max_steps", cg_max_steps, 1)
    if damping_adjustment not in (None, "martens"):
        raise ValueError(
            f"gradtx.{fn}(damping_adjustment={damping_adjustment!r}): damping_adjustment "
            f"must be None or 'martens'; got {damping_adjustment!r}."
        )
    damping_values = concrete_values(damping)
    if damping_adjustment == "martens" and damping_values is not None and damping_values <= 0:
        raise ValueError(
            f"gradtx.{reported_as(fn)}(damping={format_value(damping)}): damping must be in "
            "(0, inf) with damping_adjustment='martens', which scales it; "
            f"got {format_value(damping)}."
        )

    def init(params):
        dt = value_dtype(params)
        return ScaleByNewtonCGState(
            zero_count(),
            tree_zeros_like(params),
            zero_count(),
            jnp.full((), damping, dt),
            jnp.zeros((), dt),
        )

    def update(updates, state, params=None, *, value_fn=None, **extra_args):
        require_params(fn, params)
        if not callable(value_fn):
            raise TypeError(
                f"gradtx.{fn}: update needs value_fn=, the objective; got {value_fn!r}."
            )
        kwargs = value_fn_kwargs(value_fn, extra_args)
        objective = lambda p: value_fn(p, **kwargs)
        g = updates
        lam = state.damping

        def matvec(v):
            hv = tree_cast_like(hvp(objective, params, v), v)
            return tree_cast_like(tree_add_scale(hv, lam, v), v)

        gnorm = tree_norm(g)
        threshold = jnp.minimum(0.5, jnp.sqrt(gnorm)) * gnorm
        z0 = state.solution if warm_start else tree_zeros_like(g)
        r0 = tree_sub(g, matvec(z0)) if warm_start else g
        rr0 = jnp.real(tree_vdot(r0, r0))
        done0 = jnp.sqrt(rr0) <= threshold
        start = _CG(z0, r0, r0, rr0, zero_count(), done0, jnp.zeros((), bool))

        def body(c: _CG) -> _CG:
            hd = matvec(c.d)
            curvature = jnp.real(tree_vdot(c.d, hd))
            negative = curvature <= 0.0
            alpha = c.rr / jnp.where(negative, 1.0, curvature)
            z = tree_add_scale(c.z, alpha, c.d)
            r = tree_add_scale(c.r, -alpha, hd)
            rr = jnp.real(tree_vdot(r, r))
            d = tree_add_scale(r, rr / c.rr, c.d)
            new = tree_cast_like(_CG(z, r, d, rr, c.j + 1, jnp.sqrt(rr) <= threshold, negative), c)
            # at non-positive curvature keep the iterate reached so far
            return tree_where(negative, c._replace(j=c.j + 1, done=True, negative=True), new)

        final = jax.lax.while_loop(lambda c: ~c.done & (c.j < cg_max_steps), body, start)
        p = final.z
        useless = (final.negative & (final.j == 1) & (not warm_start)) | (
            jnp.real(tree_vdot(g, p)) <= 0.0
        )
        p = tree_cast_like(tree_where(useless, g, p), updates)
        rho, new_lam = state.reduction_ratio, lam
        if damping_adjustment == "martens":
            rho, new_lam = _martens_damping(objective, params, g, p, lam, extra_args.get("value"))
        new_state = ScaleByNewtonCGState(safe_increment(state.count), p, final.j, new_lam, rho)
        return p, tree_cast_like(new_state, state)

    return GradientTransformation(init, update)


def _martens_damping(objective, params, g, p, lam, value=None):
    """Martens' rule: ``(rho, lambda')`` for the step ``-p`` from ``params``."""
    dt = lam.dtype
    f0 = objective(params) if value is None else value
    p = tree_cast_like(p, params)
    f1 = objective(tree_cast_like(tree_add_scale(params, -1.0, p), params))
    hp = hvp(objective, params, p)
    predicted = -jnp.real(tree_vdot(g, p)) + 0.5 * jnp.real(tree_vdot(p, hp))
    actual = jnp.asarray(f1, dt) - jnp.asarray(f0, dt)
    rho = jnp.where(jnp.isfinite(actual), actual / predicted, -jnp.inf).astype(dt)
    factor = jnp.where(rho < 0.25, 1.5, jnp.where(rho > 0.75, 2.0 / 3.0, 1.0))
    # a model predicting no decrease is a poor one (grow), unless g = 0 (keep)
    factor = jnp.where(predicted > 0.0, 1.5, jnp.where(predicted == 0.0, 1.0, factor))
    return jnp.where(jnp.isfinite(rho), rho, 0.0).astype(dt), (lam * factor).astype(dt)


@validates_through_parts
@checks_float_params(complex_params=False)
def newton_cg(
    damping: float = 0.0,
    cg_max_steps: int = 50,
    warm_start: bool = False,
    linesearch: GradientTransformation | None = QUASI_NEWTON_LINESEARCH,
    *,
    damping_adjustment: str | None = None,
) -> GradientTransformation:
    """Newton-CG: a truncated Newton step ``-p`` (see ``scale_by_newton_cg``) with a line search.

    ``chain(scale_by_newton_cg(damping, cg_max_steps, warm_start), scale(-1),
    linesearch)``; the default line search is the zoom search with first guess 1
    (the Newton step). ``update`` needs ``value=``, ``grad=`` and ``value_fn=``;
    or run it with ``gradtx.solvers.minimize(fun, params, newton_cg())``.

    Complex params: not supported; ``init`` raises TypeError (wrap the optimizer in
    ``contrib.split_real_and_imaginary`` to optimize real and imaginary parts).

    Args:
      damping: see ``scale_by_newton_cg``.
      cg_max_steps: see ``scale_by_newton_cg``.
      warm_start: see ``scale_by_newton_cg``.
      linesearch: the line search, or None for a unit step.
      damping_adjustment: see ``scale_by_newton_cg`` (``"martens"``: Martens'
        Levenberg-Marquardt adjustment of ``damping``).

    Returns:
      The transformation.

    Raises:
      ValueError: as ``scale_by_newton_cg``.

    References:
      Nocedal and Wright, Numerical Optimization, 2nd ed. 2006, Algorithm 7.1.

    Example:
      >>> import jax.numpy as jnp
      >>> from gradtx.solvers import minimize, newton_cg
      >>> f = lambda x: (1.0 - x[0]) ** 2 + 100.0 * (x[1] - x[0] ** 2) ** 2
      >>> minimize(f, jnp.array([-1.2, 1.0]), newton_cg()).reason_name
      'CONVERGED'
    """
    direction = scale_by_newton_cg(
        damping, cg_max_steps, warm_start, damping_adjustment=damping_adjustment
    )
    parts = [direction, scale(-1.0)]
    return chain(*parts, *(() if linesearch is None else (linesearch,)))
