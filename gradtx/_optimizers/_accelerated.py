"""Accelerated and proximal gradient methods: Nesterov's method, ISTA and FISTA, with restart and backtracking."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, Params
from gradtx._core._numerics import (
    default_float_dtype,
    promoted,
    safe_increment,
    zero_count,
)
from gradtx._core._validate import (
    check_int,
    check_learning_rate,
    check_nonnegative,
    check_range,
    checks_float_params,
    require_param_values,
    require_params,
)
from gradtx._optimizers._accelerated_state import AcceleratedGradientState, widened
from gradtx._optimizers._weight_decay import as_scalar
from gradtx.tree_utils._tree_math import zip_map

RESTARTS = ("none", "function", "gradient")


def _dot(a, b) -> jax.Array:
    parts = [
        jnp.sum(widened(x) * widened(y)) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b))
    ]
    return functools.reduce(
        lambda a, b: promoted(jnp.add, a, b), parts, jnp.zeros((), default_float_dtype())
    )


def _sub(a, b):
    return jax.tree.map(lambda x, y: x - y.astype(x.dtype), a, b)


def _no_prox(x, hyperparams=None, scaling=1.0):
    del hyperparams, scaling
    return x


def _check_common(fn, learning_rate, restart, backtracking, shrink, max_backtracking):
    check_learning_rate(fn, learning_rate)
    if restart not in RESTARTS:
        raise ValueError(f"gradtx.{fn}(restart={restart!r}): restart must be one of {RESTARTS}.")
    if not isinstance(backtracking, bool):
        raise TypeError(f"gradtx.{fn}(backtracking={backtracking!r}): backtracking must be a bool.")
    if backtracking and callable(learning_rate):
        raise ValueError(
            f"gradtx.{fn}: with backtracking=True, learning_rate is the first trial step and "
            f"must be a number, not a schedule."
        )
    check_range(fn, "shrink", shrink, 0.0, 1.0, low_open=True, high_open=True)
    check_int(fn, "max_backtracking", max_backtracking, 0)


def _accelerated(
    fn: str,
    learning_rate,
    prox: Callable | None,
    prox_hyperparams: Any,
    *,
    momentum: bool,
    strong_convexity,
    restart: str,
    search: tuple,
    nonsmooth_fn: Callable | None = None,
) -> GradientTransformation:
    """The shared step: a (proximal) gradient step at y, then extrapolation.

    ``search`` is ``(backtracking, shrink, max_backtracking)``; ``nonsmooth_fn``
    is h, added to ``value_fn`` for function restart."""
    backtracking, shrink, max_backtracking = search
    prox = _no_prox if prox is None else prox

    def init(params):
        require_param_values(fn, params, "its iterates start at the params")
        return AcceleratedGradientState(
            count=zero_count(),
            x=jax.tree.map(lambda p: jnp.array(p, copy=True), params),
            t=jnp.ones((), default_float_dtype()),
            stepsize=jnp.asarray(
                0.0 if callable(learning_rate) else learning_rate, default_float_dtype()
            ),
            value=jnp.full((), jnp.finfo(default_float_dtype()).max, default_float_dtype()),
        )

    def prox_step(y, g, s):
        z = jax.tree.map(lambda p, gi: p - s.astype(p.dtype) * gi.astype(p.dtype), y, g)
        return jax.tree.map(lambda a, p: a.astype(p.dtype), prox(z, prox_hyperparams, s), y)

    def search(y, g, value, value_fn):
        """Shrink s until f(x) <= f(y) + <g, x - y> + |x - y|^2 / (2 s) (Beck-Teboulle)."""
        f_y = as_scalar(value_fn(y) if value is None else value).astype(default_float_dtype())

        def too_long(carry):
            i, s, x = carry
            d = _sub(x, y)
            model = f_y + _dot(g, d) + _dot(d, d) / (2 * s)
            slack = 8 * jnp.finfo(default_float_dtype()).eps * jnp.abs(f_y)
            return (i < max_backtracking) & (as_scalar(value_fn(x)) > model + slack)

        def body(carry):
            i, s, _ = carry
            s = s * shrink
            return i + 1, s, prox_step(y, g, s)

        return too_long, body

    def update(updates, state, params=None, *, value=None, value_fn=None, **extra_args):
        del extra_args
        require_params(fn, params)
        needs_fn = backtracking or restart == "function"
        if needs_fn and not callable(value_fn):
            raise ValueError(
                f"gradtx.{fn}: update needs value_fn= (params -> smooth loss) for "
                f"{'backtracking' if backtracking else 'function restart'}."
            )
        y, g = params, updates
        if backtracking:
            s = jnp.where(state.count == 0, as_scalar(learning_rate), state.stepsize)
            s = s.astype(default_float_dtype())
            too_long, body = search(y, g, value, value_fn)
            _, s, x_new = jax.lax.while_loop(too_long, body, (0, s, prox_step(y, g, s)))
        else:
            lr = learning_rate(state.count) if callable(learning_rate) else learning_rate
            s = as_scalar(lr).astype(default_float_dtype())
            x_new = prox_step(y, g, s)
        x_old = state.x
        new_value = state.value
        if not momentum:
            restart_now = jnp.zeros((), bool)
        elif restart == "gradient":
            restart_now = _dot(_sub(y, x_new), _sub(x_new, x_old)) > 0
        elif restart == "function":
            new_value = as_scalar(value_fn(x_new)).astype(default_float_dtype())
            if nonsmooth_fn is not None:
                new_value = new_value + as_scalar(nonsmooth_fn(x_new)).astype(new_value.dtype)
            restart_now = new_value > state.value
        else:
            restart_now = jnp.zeros((), bool)
        if not momentum:
            t_new, beta = state.t, jnp.zeros((), default_float_dtype())
        elif _is_positive(strong_convexity):
            q = jnp.sqrt(as_scalar(strong_convexity) * s)
            t_new, beta = state.t, ((1 - q) / (1 + q)).astype(default_float_dtype())
        else:
            t_new = (1 + jnp.sqrt(1 + 4 * state.t**2)) / 2
            beta = (state.t - 1) / t_new
        t_new = jnp.where(restart_now, jnp.ones_like(t_new), t_new)
        beta = jnp.where(restart_now, jnp.zeros_like(beta), beta)

        def leaf(gi, yi, xn, xo):
            dt = xn.dtype
            y_new = xn + beta.astype(dt) * (xn - xo.astype(dt))
            return (y_new - yi.astype(dt)).astype(gi.dtype)

        u = zip_map(f"gradtx.{fn}", leaf, g=g, y=y, x_new=x_new, x_old=x_old)
        new_state = AcceleratedGradientState(
            count=safe_increment(state.count),
            x=jax.tree.map(lambda a, b: a.astype(b.dtype), x_new, state.x),
            t=t_new.astype(state.t.dtype),
            stepsize=s.astype(state.stepsize.dtype),
            value=new_value.astype(state.value.dtype),
        )
        return u, new_state

    return GradientTransformation(init, update)


def _is_positive(x) -> bool:
    """True unless ``x`` is a concrete zero (a traced value counts as positive)."""
    return not (isinstance(x, int | float) and x == 0)


@checks_float_params
def accelerated_gradient(
    learning_rate: float | jax.Array | Callable = 1.0,
    *,
    strong_convexity: float | jax.Array = 0.0,
    restart: str = "none",
    backtracking: bool = False,
    shrink: float = 0.5,
    max_backtracking: int = 30,
) -> GradientTransformation:
    """Nesterov's accelerated gradient method, with the step and momentum of its theory.

    For an L-smooth convex ``f`` and ``learning_rate = 1 / L`` the main iterate
    reaches ``f(x_k) - f* <= 2 L |x_0 - x*|^2 / (k + 1)^2``, against ``O(1/k)``
    for gradient descent, and no first-order method does better in the worst
    case. The loop's params are the extrapolated points ``y_k`` (take the
    gradient there); the main iterate ``x_k`` is in the state. Unlike
    ``sgd(momentum=..., nesterov=True)`` the momentum follows the schedule
    of the theory, or the constant optimal for a known strong convexity.
    Memory: one copy of the params.

    Update rule (s the step; t_1 = 1; g = grad f(y_k) at the params y_k):
        x_{k+1} = y_k - s * g
        t_{k+1} = (1 + sqrt(1 + 4 t_k^2)) / 2,  beta = (t_k - 1) / t_{k+1}
                  (or beta = (1 - sqrt(mu s)) / (1 + sqrt(mu s)) if strong_convexity mu > 0)
        y_{k+1} = x_{k+1} + beta * (x_{k+1} - x_k);  updates = y_{k+1} - y_k

    Adaptive restart (O'Donoghue and Candes) sets ``t = 1`` and ``beta = 0``
    when momentum stops helping, which makes the method linear on strongly
    convex problems without knowing ``mu``:
        "function": f(x_{k+1}) > f(x_k)   (calls ``value_fn(x_{k+1})`` each step)
        "gradient": <y_k - x_{k+1}, x_{k+1} - x_k> > 0   (free)

    With ``backtracking=True`` the step starts at ``learning_rate`` and is
    multiplied by ``shrink`` until ``f(x_{k+1}) <= f(y_k) + <g, x_{k+1} - y_k>
    + |x_{k+1} - y_k|^2 / (2 s)``, for unknown L; it never grows again.
    Backtracking and function restart need ``value_fn`` (params -> loss) as an
    extra argument of ``update``; ``value=f(y_k)`` saves one call.

    Complex params: supported.

    Args:
        learning_rate: the step s > 0 (1 / L), a number, array or schedule;
            with backtracking, the first trial step.
        strong_convexity: mu >= 0; if positive, the constant momentum above.
        restart: "none", "function" or "gradient".
        backtracking: search the step as above.
        shrink: in (0, 1), the backtracking factor.
        max_backtracking: int >= 0, the most shrinks per step.

    Returns:
        The optimizer; its state is ``AcceleratedGradientState``.

    Raises:
        ValueError, TypeError: out-of-range or mistyped arguments; ``update``
            without params, or without ``value_fn`` when it is needed.

    References:
        Nesterov, A method for solving the convex programming problem with
        convergence rate O(1/k^2), Soviet Math. Dokl. 1983.
        O'Donoghue and Candes, Adaptive Restart for Accelerated Gradient
        Schemes, Found. Comput. Math. 2015.

    Example:
        >>> import gradtx, jax, jax.numpy as jnp
        >>> f = lambda p: 0.5 * jnp.sum(jnp.array([1.0, 0.01]) * p**2)
        >>> opt = gradtx.accelerated_gradient(1.0, restart="gradient")
        >>> y = jnp.array([1.0, 1.0])
        >>> state = opt.init(y)
        >>> for _ in range(200):
        ...     u, state = opt.update(jax.grad(f)(y), state, y)
        ...     y = gradtx.apply_updates(y, u)
        >>> bool(f(gradtx.accelerated_gradient_params(state)) < 1e-9)
        True
    """
    fn = "accelerated_gradient"
    _check_common(fn, learning_rate, restart, backtracking, shrink, max_backtracking)
    check_nonnegative(fn, "strong_convexity", strong_convexity)
    return _accelerated(
        fn,
        learning_rate,
        None,
        None,
        momentum=True,
        strong_convexity=strong_convexity,
        restart=restart,
        search=(backtracking, shrink, max_backtracking),
    )


@checks_float_params
def fista(
    learning_rate: float | jax.Array | Callable = 1.0,
    prox: Callable | None = None,
    prox_hyperparams: Any = None,
    *,
    restart: str = "none",
    backtracking: bool = False,
    shrink: float = 0.5,
    max_backtracking: int = 30,
    nonsmooth_fn: Callable[[Params], jax.Array] | None = None,
) -> GradientTransformation:
    """FISTA: accelerated proximal gradient for ``f(x) + h(x)``, f smooth, h with a cheap prox.

    Each step takes a gradient step on the smooth part at the extrapolated
    point and applies the prox of the non-smooth part (L1 for the lasso, a
    projection for constraints), then extrapolates as ``accelerated_gradient``
    does. Same ``O(1/k^2)`` rate on ``F = f + h``. ``prox(x, hyperparams,
    scaling)`` takes jaxopt's signature: the operators in ``gradtx.proximal``
    (``prox_lasso``, ``prox_elastic_net``, ...) fit, and ported jaxopt code
    keeps its prox functions. ``gradtx.proximal.fista_solve`` runs it to a
    tolerance.

    Update rule (s the step; g = grad f(y_k); t and beta as ``accelerated_gradient``):
        x_{k+1} = prox(y_k - s * g, prox_hyperparams, s)
        y_{k+1} = x_{k+1} + beta * (x_{k+1} - x_k);  updates = y_{k+1} - y_k

    Adaptive restart (O'Donoghue and Candes 2015) sets ``t = 1`` and ``beta =
    0`` when momentum stops helping; on a strongly convex ``f`` it turns the
    rippling ``O(1/k^2)`` decrease into a linear one without knowing ``mu``:
        "function": F(x_{k+1}) > F(x_k), F = f + h   (``value_fn`` is f and
                    ``nonsmooth_fn`` is h; one call of each per step)
        "gradient": <y_k - x_{k+1}, x_{k+1} - x_k> > 0   (free: the gradient
                    mapping ``(y_k - x_{k+1}) / s`` in place of the gradient)
    Backtracking (``value_fn`` = the smooth part f only) as in
    ``accelerated_gradient``.

    With ``gradtx.solvers.minimize(f, x0, fista(...))`` the loop passes
    ``value_fn=f``, stops when the gradient mapping's norm ``|y_k - x_{k+1}|
    / s`` (zero exactly at a minimiser of f + h) is at most ``tol``, and its
    ``params`` are the extrapolated point; read the main iterate with
    ``accelerated_gradient_params(sol.state)``.

    Complex params: supported.

    Args:
        learning_rate: the step s > 0 (1 / L of f), a number, array or
            schedule; with backtracking, the first trial step.
        prox: ``prox(x, hyperparams, scaling) -> x`` or None (no h).
        prox_hyperparams: passed to ``prox`` (e.g. the L1 strength).
        restart: "none", "function" or "gradient".
        backtracking, shrink, max_backtracking: as ``accelerated_gradient``.
        nonsmooth_fn: ``params -> h(params)``, the value of the non-smooth
            part, for ``restart="function"`` (needed then unless ``prox`` is
            None; e.g. ``lambda w: alpha * jnp.sum(jnp.abs(w))`` with
            ``prox_lasso``). Only function restart uses it.

    Returns:
        The optimizer; its state is ``AcceleratedGradientState``.

    Raises:
        ValueError, TypeError: out-of-range or mistyped arguments;
            ``restart="function"`` with a prox but no ``nonsmooth_fn``;
            ``update`` without params, or without ``value_fn`` when
            backtracking or restarting on the function value.

    References:
        Beck and Teboulle, A Fast Iterative Shrinkage-Thresholding Algorithm
        for Linear Inverse Problems, SIAM J. Imaging Sci. 2009.
        O'Donoghue and Candes, Adaptive Restart for Accelerated Gradient
        Schemes, Found. Comput. Math. 2015.

    Example:
        >>> import gradtx, jax, jax.numpy as jnp
        >>> f = lambda p: 0.5 * jnp.sum((p - jnp.array([2.0, 0.05])) ** 2)
        >>> opt = gradtx.proximal.fista(0.5, gradtx.proximal.prox_lasso, 0.1)
        >>> y = jnp.zeros(2)
        >>> state = opt.init(y)
        >>> for _ in range(100):
        ...     u, state = opt.update(jax.grad(f)(y), state, y)
        ...     y = gradtx.apply_updates(y, u)
        >>> gradtx.accelerated_gradient_params(state).round(4)  # soft-threshold at 0.1
        Array([1.9, 0. ], dtype=float32)
    """
    fn = "fista"
    _check_common(fn, learning_rate, restart, backtracking, shrink, max_backtracking)
    if prox is not None and not callable(prox):
        raise TypeError(f"gradtx.fista(prox={prox!r}): prox must be callable or None.")
    if nonsmooth_fn is not None and not callable(nonsmooth_fn):
        raise TypeError(
            f"gradtx.fista(nonsmooth_fn={nonsmooth_fn!r}): nonsmooth_fn must be callable or None."
        )
    if restart == "function" and prox is not None and nonsmooth_fn is None:
        raise ValueError(
            "gradtx.fista(restart='function'): function restart compares F = f + h, so it "
            "needs nonsmooth_fn= (params -> h(params), e.g. lambda w: alpha * "
            "jnp.sum(jnp.abs(w)) for prox_lasso); or use restart='gradient'."
        )
    return _accelerated(
        fn,
        learning_rate,
        prox,
        prox_hyperparams,
        momentum=True,
        strong_convexity=0.0,
        restart=restart,
        search=(backtracking, shrink, max_backtracking),
        nonsmooth_fn=nonsmooth_fn,
    )


@checks_float_params
def proximal_gradient(
    learning_rate: float | jax.Array | Callable = 1.0,
    prox: Callable | None = None,
    prox_hyperparams: Any = None,
    *,
    backtracking: bool = False,
    shrink: float = 0.5,
    max_backtracking: int = 30,
) -> GradientTransformation:
    """Proximal gradient descent (ISTA): a gradient step on f, then the prox of h.

    The unaccelerated method: ``O(1/k)`` on convex ``f + h``, linear when f is
    strongly convex, and monotone. The params are the iterates themselves.

    Update rule (s the step):
        x_{k+1} = prox(x_k - s * grad f(x_k), prox_hyperparams, s);  updates = x_{k+1} - x_k

    Complex params: supported.

    Args:
        learning_rate: the step s > 0 (1 / L of f), number, array or schedule;
            with backtracking, the first trial step.
        prox: ``prox(x, hyperparams, scaling) -> x`` (jaxopt's signature) or None.
        prox_hyperparams: passed to ``prox``.
        backtracking, shrink, max_backtracking: as ``accelerated_gradient``.

    Returns:
        The optimizer; its state is ``AcceleratedGradientState`` (``t`` stays 1).

    Raises:
        ValueError, TypeError: out-of-range or mistyped arguments; ``update``
            without params, or without ``value_fn`` when backtracking.

    References:
        Combettes and Wajs, Signal Recovery by Proximal Forward-Backward
        Splitting, Multiscale Model. Simul. 2005. Parikh and Boyd, Proximal
        Algorithms, Found. Trends Optim. 2014.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.proximal.proximal_gradient(1.0, gradtx.proximal.prox_lasso, 0.5)
        >>> x = jnp.array([2.0, 0.3])
        >>> u, _ = opt.update(jnp.zeros(2), opt.init(x), x)  # f = 0: one soft-threshold
        >>> x + u
        Array([1.5, 0. ], dtype=float32)
    """
    fn = "proximal_gradient"
    _check_common(fn, learning_rate, "none", backtracking, shrink, max_backtracking)
    if prox is not None and not callable(prox):
        raise TypeError(f"gradtx.proximal_gradient(prox={prox!r}): prox must be callable or None.")
    return _accelerated(
        fn,
        learning_rate,
        prox,
        prox_hyperparams,
        momentum=False,
        strong_convexity=0.0,
        restart="none",
        search=(backtracking, shrink, max_backtracking),
    )
