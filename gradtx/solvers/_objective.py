"""The objective seen by line searches and solvers: its extra arguments, and reuse of
the value and gradient a line search already computed (``value_and_grad_from_state``)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._numerics import real_dtype
from gradtx.tree_utils._arithmetic import tree_add_scale
from gradtx.tree_utils._construct import tree_cast_like
from gradtx.tree_utils._reductions import tree_vdot
from gradtx.tree_utils._state import tree_get
from gradtx.tree_utils._tree_math import leaf_dtype


def value_fn_kwargs(value_fn: Callable, extra_args: dict[str, Any]) -> dict[str, Any]:
    """The extra arguments that ``value_fn`` takes by name (its data, say).

    A chain hands every extra argument to every transformation, so the ones
    ``value_fn`` does not name are left out rather than rejected.
    """
    try:
        names = set(inspect.signature(value_fn).parameters)
    except (TypeError, ValueError):
        return {}
    return {k: v for k, v in extra_args.items() if k in names}


def value_dtype(params: Any) -> jnp.dtype:
    """The real dtype of objective values and step sizes: that of the first leaf."""
    return real_dtype(leaf_dtype(jax.tree.leaves(params)[0]))


class LinePoint(NamedTuple):
    """A step size on the search line with the value and slope there."""

    t: jax.Array
    value: jax.Array
    slope: jax.Array


def line_origin(value: Any, updates: Any, grad: Any, dt: jnp.dtype) -> LinePoint:
    """The point ``t = 0`` of the line ``params + t * updates``: the given value and slope."""
    return LinePoint(
        jnp.zeros((), dt), jnp.asarray(value, dt), jnp.real(tree_vdot(updates, grad)).astype(dt)
    )


def line_trial(
    objective: Callable, params: Any, updates: Any, grad: Any, dt: jnp.dtype
) -> Callable[[jax.Array], tuple[LinePoint, Any]]:
    """``trial(t) -> (point, gradient)`` on the line ``params + t * updates``.

    The gradient is cast like ``grad``; the point's value and slope are in ``dt``.
    """
    value_and_grad = jax.value_and_grad(objective)

    def trial(t):
        v, g = value_and_grad(tree_cast_like(tree_add_scale(params, t, updates), params))
        g = tree_cast_like(g, grad)
        return LinePoint(t, jnp.asarray(v, dt), jnp.real(tree_vdot(g, updates)).astype(dt)), g

    return trial


def line_objective(
    fn: str, params: Any, value: Any, grad: Any, value_fn: Any, extra_args: dict[str, Any]
) -> Callable[[Any], jax.Array]:
    """Check a line search's extra arguments; return ``value_fn`` with its data bound."""
    if params is None or value is None or grad is None:
        raise ValueError(
            f"gradtx.{fn}: update needs params, value= and grad= (the objective and "
            "its gradient at params) as well as value_fn=."
        )
    if not callable(value_fn):
        raise TypeError(
            f"gradtx.{fn}: update needs value_fn=, a callable returning the objective's "
            f"value at the params; got {type(value_fn).__name__}."
        )
    kwargs = value_fn_kwargs(value_fn, extra_args)
    return lambda p: value_fn(p, **kwargs)


def value_and_grad_from_state(value_fn: Callable[..., jax.Array]) -> Callable[..., Any]:
    """Return ``value_and_grad(params, *args, state, **kwargs)`` that reuses the line search's.

    A line search that ends on an accepted step has already evaluated the
    objective and its gradient there; it keeps them in its state as ``value``
    and ``grad``. The returned function reads them from ``state`` (found by name
    anywhere in the optimizer state) and calls ``jax.value_and_grad(value_fn)``
    only when the stored value is not finite (at the first step, whose stored
    value is ``inf``). Use it only for deterministic objectives: with a new
    mini-batch each step the stored values belong to the previous batch.

    Args:
      value_fn: the objective, ``value_fn(params, *args, **kwargs)`` returning a scalar.

    Returns:
      ``value_and_grad(params, *args, state, **kwargs) -> (value, grad)``.

    Raises:
      ValueError: (when called) if ``state`` holds no ``value`` or ``grad``.

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
      ...     updates, state = opt.update(
      ...         grad, state, params, value=value, grad=grad, value_fn=f
      ...     )
      ...     params = gradtx.apply_updates(params, updates)
      >>> print(f"{f(params):.1e}")
      7.5e-14
    """
    if not callable(value_fn):
        raise TypeError(
            f"gradtx.value_and_grad_from_state(value_fn={value_fn!r}): value_fn must be a "
            f"callable; got {type(value_fn).__name__}."
        )

    def value_and_grad(params: Any, *fn_args: Any, state: Any, **fn_kwargs: Any):
        value = tree_get(state, "value")
        grad = tree_get(state, "grad")
        if value is None or grad is None:
            raise ValueError(
                "gradtx.value_and_grad_from_state: the optimizer state holds no `value` "
                "and `grad`; use it with an optimizer whose line search stores them "
                "(lbfgs, scale_by_zoom_linesearch, or scale_by_backtracking_linesearch("
                "store_grad=True))."
            )
        return jax.lax.cond(
            jnp.isfinite(value),
            lambda p, a, kw: (value, grad),
            lambda p, a, kw: jax.value_and_grad(value_fn)(p, *a, **kw),
            params,
            fn_args,
            fn_kwargs,
        )

    return value_and_grad
