"""Matrix-free curvature products: Hessian-, Gauss-Newton- and Fisher-vector products.

Each product takes the params and a vector ``v`` as pytrees of the same structure
and returns a pytree of that structure, without ever forming a matrix. All are
pure functions of their arguments, so they work under ``jax.jit`` and
``jax.vmap`` (over ``v`` for several products at once, or over problems).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp


def _check_callable(fn: str, name: str, f: Any) -> None:
    if not callable(f):
        raise TypeError(
            f"gradtx.curvature.{fn}({name}={f!r}): {name} must be a callable; "
            f"got {type(f).__name__}."
        )


def hvp(
    fun: Callable, params: Any, v: Any, *args: Any, has_aux: bool = False, **kwargs: Any
) -> Any:
    """Hessian-vector product ``H(params) v`` of a scalar ``fun(params, *args, **kwargs)``.

    Computed forward-over-reverse (``jax.jvp`` of ``jax.grad``): one product costs
    about as much as two or three gradient evaluations and needs no more memory
    than one.

    Args:
      fun: a scalar function of the params (and of ``args``, for example a batch).
      params: the point at which the Hessian is taken (any pytree of float arrays).
      v: the vector, a pytree with the structure, shapes and dtypes of ``params``.
      *args, **kwargs: passed to ``fun``; not differentiated.
      has_aux: ``fun`` returns ``(value, aux)``; ``aux`` is ignored.

    Returns:
      ``H v``, a pytree like ``params``.

    Example:
      >>> import jax.numpy as jnp
      >>> from gradtx.curvature import hvp
      >>> f = lambda x: jnp.sum(x ** 3)
      >>> hvp(f, jnp.array([1.0, 2.0]), jnp.array([1.0, 0.0]))
      Array([6., 0.], dtype=float32)
    """
    _check_callable("hvp", "fun", fun)
    grad = jax.grad(lambda p: fun(p, *args, **kwargs), has_aux=has_aux)
    if has_aux:
        return jax.jvp(lambda p: grad(p)[0], (params,), (v,))[1]
    return jax.jvp(grad, (params,), (v,))[1]


def gnvp(
    model_fn: Callable,
    params: Any,
    v: Any,
    *args: Any,
    loss_fn: Callable | None = None,
    **kwargs: Any,
) -> Any:
    """Gauss-Newton-vector product ``J^T H_L J v`` of ``loss_fn(model_fn(params, *args))``.

    ``J`` is the Jacobian of ``model_fn`` (outputs with respect to params) and
    ``H_L`` the Hessian of ``loss_fn`` with respect to the outputs. Without a
    ``loss_fn``, ``model_fn`` returns residuals ``r`` of ``0.5 * ||r||^2`` and the
    product is ``J^T J v``. The Gauss-Newton matrix is positive semi-definite
    whenever ``loss_fn`` is convex, which is what makes it a safe curvature model
    for Newton-CG and Levenberg-Marquardt.

    Args:
      model_fn: ``model_fn(params, *args, **kwargs)`` returns an array or pytree of outputs.
      params: the point (a pytree of float arrays).
      v: a pytree like ``params``.
      *args, **kwargs: passed to ``model_fn`` (for example the inputs of a batch).
      loss_fn: ``loss_fn(outputs)`` returns a scalar; None means ``0.5 * sum(outputs ** 2)``.

    Returns:
      ``J^T H_L J v``, a pytree like ``params``.
    """
    _check_callable("gnvp", "model_fn", model_fn)
    f = lambda p: model_fn(p, *args, **kwargs)
    out, jv = jax.jvp(f, (params,), (v,))
    if loss_fn is not None:
        _check_callable("gnvp", "loss_fn", loss_fn)
        jv = hvp(loss_fn, out, jv)
    _, vjp = jax.vjp(f, params)
    return vjp(jv)[0]


def fisher_vp(logits_fn: Callable, params: Any, v: Any, *args: Any, **kwargs: Any) -> Any:
    """Fisher-vector product of a categorical model: ``J^T (diag(p) - p p^T) J v``, averaged.

    ``logits_fn(params, *args, **kwargs)`` returns logits of shape
    ``(batch, classes)`` (or ``(classes,)``), and ``p = softmax(logits)``. This is
    the Fisher information of the model's predictive distribution, which for
    softmax cross-entropy equals its Gauss-Newton matrix; it is averaged over the
    batch, as the mean cross-entropy's Hessian is.

    Returns:
      ``F v``, a pytree like ``params``.
    """
    _check_callable("fisher_vp", "logits_fn", logits_fn)
    f = lambda p: logits_fn(p, *args, **kwargs)
    logits, jv = jax.jvp(f, (params,), (v,))
    probs = jax.nn.softmax(logits, axis=-1)
    fjv = probs * jv - probs * jnp.sum(probs * jv, axis=-1, keepdims=True)
    batch = logits.shape[0] if logits.ndim > 1 else 1
    _, vjp = jax.vjp(f, params)
    return vjp(fjv / batch)[0]


def empirical_fisher_vp(
    per_example_loss_fn: Callable, params: Any, v: Any, *args: Any, **kwargs: Any
) -> Any:
    """Empirical Fisher-vector product ``(1/N) sum_i g_i (g_i . v)``.

    ``per_example_loss_fn(params, *args, **kwargs)`` returns the vector of the
    ``N`` per-example losses of a batch; ``g_i`` is the gradient of the i-th. This
    is the "Fisher" of the outer product of gradients, cheap and always positive
    semi-definite, but it is not the true Fisher (Kunstner et al., 2019).

    Returns:
      ``F_emp v``, a pytree like ``params``.
    """
    _check_callable("empirical_fisher_vp", "per_example_loss_fn", per_example_loss_fn)
    f = lambda p: per_example_loss_fn(p, *args, **kwargs)
    losses, jv = jax.jvp(f, (params,), (v,))  # jv_i = g_i . v
    _, vjp = jax.vjp(f, params)
    return vjp(jv / losses.shape[0])[0]
