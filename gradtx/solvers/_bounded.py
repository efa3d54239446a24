"""Projected L-BFGS for box bounds ``lower <= params <= upper``: ``minimize(..., bounds=...)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from gradtx.solvers._lbfgs import lbfgs_direction
from gradtx.solvers._solution import Reason, Solution

MAX_BACKTRACKS = 30
ARMIJO = 1e-4


class _Carry(NamedTuple):
    x: jax.Array
    value: jax.Array
    grad: jax.Array
    pg_norm: jax.Array  # ||x - P(x - g)||_2
    s_mem: jax.Array
    y_mem: jax.Array
    rhos: jax.Array
    gamma: jax.Array
    pairs: jax.Array  # curvature pairs stored so far
    step: jax.Array
    evals: jax.Array
    done: jax.Array
    reason: jax.Array
    history: Any


def flat_bounds(fn: str, bounds: Any, params: Any) -> tuple[jax.Array, jax.Array]:
    """``(lower, upper)`` as flat arrays like ``ravel_pytree(params)``; each side a
    scalar or a pytree like ``params`` (None: unbounded)."""
    if not (isinstance(bounds, tuple | list) and len(bounds) == 2):
        raise ValueError(
            f"gradtx.{fn}: bounds must be a pair (lower, upper) of scalars or pytrees like "
            f"params; got {type(bounds).__name__}."
        )
    x, _ = ravel_pytree(params)

    def side(b, fill):
        if b is None:
            return jnp.full_like(x, fill)
        if len(jax.tree.leaves(b)) == 1 and jnp.ndim(jax.tree.leaves(b)[0]) == 0:
            return jnp.full_like(x, jax.tree.leaves(b)[0])  # a scalar for every entry
        try:
            full = jax.tree.map(
                lambda p, v: jnp.broadcast_to(jnp.asarray(v, p.dtype), p.shape), params, b
            )
        except ValueError as err:
            raise ValueError(
                f"gradtx.{fn}: each bound must be a scalar, None or a pytree like params ({err})."
            ) from None
        return ravel_pytree(full)[0]

    lower, upper = side(bounds[0], -jnp.inf), side(bounds[1], jnp.inf)
    try:
        crossed = np.flatnonzero(np.asarray(lower) > np.asarray(upper))
    except jax.errors.TracerArrayConversionError:  # traced bounds: not checked
        crossed = ()
    if len(crossed):
        i = int(crossed[0])
        raise ValueError(
            f"gradtx.{fn}: bounds must have lower <= upper; got lower {float(lower[i])} > "
            f"upper {float(upper[i])} at flat index {i} of the params."
        )
    return lower, upper


def projected_lbfgs(
    value_fn: Callable[[Any], jax.Array],
    params: Any,
    lower: jax.Array,
    upper: jax.Array,
    *,
    max_steps: int,
    tol: float,
    ftol: float,
    history: bool,
    memory_size: int = 10,
) -> Solution:
    """Minimize ``value_fn`` over the box by projected L-BFGS (see ``minimize``)."""
    x0, unravel = ravel_pytree(params)
    dt = x0.dtype
    x0 = jnp.clip(x0, lower, upper)
    f = lambda x: value_fn(unravel(x))
    value_and_grad = jax.value_and_grad(f)
    project = lambda x: jnp.clip(x, lower, upper)

    def pg_norm(x, g):
        return jnp.linalg.norm(x - project(x - g))

    v0, g0 = value_and_grad(x0)
    n0 = pg_norm(x0, g0)
    finite0 = jnp.isfinite(v0) & jnp.all(jnp.isfinite(g0))
    stop0 = ~finite0 | (n0 <= tol)
    hist0 = None
    if history:
        nan = jnp.full((max_steps + 1,), jnp.nan, dt)
        hist0 = {"value": nan.at[0].set(v0), "grad_norm": nan.at[0].set(n0)}
    zeros = jnp.zeros((memory_size, x0.size), dt)
    carry0 = _Carry(
        x=x0,
        value=v0,
        grad=g0,
        pg_norm=n0,
        s_mem=zeros,
        y_mem=zeros,
        rhos=jnp.zeros((memory_size,), dt),
        gamma=jnp.ones((), dt),
        pairs=jnp.zeros((), jnp.int32),
        step=jnp.zeros((), jnp.int32),
        evals=jnp.ones((), jnp.int32),
        done=stop0,
        reason=jnp.where(
            stop0, jnp.where(finite0, Reason.CONVERGED, Reason.NONFINITE), Reason.MAX_STEPS
        ).astype(jnp.int32),
        history=hist0,
    )

    def body(c: _Carry) -> _Carry:
        # Variables at a bound whose gradient points out of the box stay fixed.
        binding = ((c.x <= lower) & (c.grad > 0)) | ((c.x >= upper) & (c.grad < 0))
        free = ~binding
        g_free = jnp.where(free, c.grad, 0.0)
        # The model on the free variables: the pairs restricted to them (pairs whose
        # restriction lost its curvature are left out).
        s_free = jnp.where(free, c.s_mem, 0.0)
        y_free = jnp.where(free, c.y_mem, 0.0)
        sy = jnp.sum(s_free * y_free, axis=1)
        yy = jnp.sum(y_free * y_free, axis=1)
        usable = (c.rhos != 0.0) & (sy > 1e-10 * yy)
        rhos = jnp.where(usable, 1.0 / jnp.where(usable, sy, 1.0), 0.0)
        last = (c.pairs - 1) % memory_size
        gamma = jnp.where(usable[last], sy[last] / jnp.where(usable[last], yy[last], 1.0), c.gamma)
        gamma = jnp.where(c.pairs == 0, jnp.minimum(1.0, 1.0 / jnp.linalg.norm(g_free)), gamma)
        newest = c.pairs % memory_size
        d = -jnp.where(free, lbfgs_direction(g_free, s_free, y_free, rhos, gamma, newest), 0.0)
        d = jnp.where(jnp.vdot(g_free, d) < 0.0, d, -gamma * g_free)  # keep a descent direction

        def trial(t, k):
            x = project(c.x + t * d)
            v, g = value_and_grad(x)
            ok = jnp.isfinite(v) & (v <= c.value + ARMIJO * jnp.vdot(c.grad, x - c.x))
            return t, x, v, g, k, ok

        def halve(s):
            return trial(s[0] / 2.0, s[4] + 1)

        t, x1, v1, g1, k, ok = jax.lax.while_loop(
            lambda s: ~s[5] & (s[4] < MAX_BACKTRACKS), halve, trial(jnp.ones((), dt), 1)
        )
        finite = jnp.isfinite(v1) & jnp.all(jnp.isfinite(g1))
        accept = ok & finite
        s, y = x1 - c.x, g1 - c.grad
        sy = jnp.vdot(s, y)
        store = accept & (sy > 1e-10 * jnp.vdot(y, y))  # curvature pairs only
        slot = c.pairs % memory_size
        s_mem = jnp.where(store, c.s_mem.at[slot].set(s), c.s_mem)
        y_mem = jnp.where(store, c.y_mem.at[slot].set(y), c.y_mem)
        rhos = jnp.where(store, c.rhos.at[slot].set(1.0 / sy), c.rhos)
        gamma = jnp.where(store, sy / jnp.vdot(y, y), c.gamma)
        n1 = pg_norm(x1, g1)
        converged = accept & (n1 <= tol)
        if ftol > 0:
            scale = jnp.maximum(jnp.maximum(jnp.abs(c.value), jnp.abs(v1)), 1.0)
            converged |= accept & (c.value - v1 <= ftol * scale)
        unmoved = accept & jnp.all(x1 == c.x)
        stuck = ~finite | ~ok | unmoved
        reason = jnp.where(
            converged,
            Reason.CONVERGED,
            jnp.where(
                ~finite & ~ok,
                Reason.NONFINITE,
                jnp.where(stuck, Reason.LINESEARCH_FAILED, Reason.MAX_STEPS),
            ),
        ).astype(jnp.int32)
        keep = lambda new, old: jnp.where(accept, new, old)
        n = c.step + accept.astype(jnp.int32)
        hist = c.history
        if history:
            hist = {
                "value": hist["value"].at[n].set(keep(v1, c.value)),
                "grad_norm": hist["grad_norm"].at[n].set(keep(n1, c.pg_norm)),
            }
        return _Carry(
            x=keep(x1, c.x),
            value=keep(v1, c.value),
            grad=keep(g1, c.grad),
            pg_norm=keep(n1, c.pg_norm),
            s_mem=s_mem,
            y_mem=y_mem,
            rhos=rhos,
            gamma=gamma,
            pairs=c.pairs + store.astype(jnp.int32),
            step=n,
            evals=c.evals + k,
            done=converged | stuck,
            reason=reason,
            history=hist,
        )

    final = jax.lax.while_loop(lambda c: ~c.done & (c.step < max_steps), body, carry0)
    return Solution(
        params=unravel(final.x),
        value=final.value,
        grad_norm=final.pg_norm,
        num_steps=final.step,
        num_fun_evals=final.evals,
        num_grad_evals=final.evals,
        converged=final.reason == Reason.CONVERGED,
        reason=final.reason,
        history=final.history,
    )
