"""optax.second_order's functions (``hvp``, ``hessian_diag``, ``fisher_diag``), kept and not deprecated.

They take a loss ``loss(params, inputs, targets)`` and flat vectors, as optax's
do; ``gradtx.curvature`` has the pytree-native tools they are built on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.flatten_util
import jax.numpy as jnp

from gradtx.curvature._operators import flat_curvature_operator
from gradtx.curvature._trace import exact_diagonal_flat


def hvp(loss: Callable, v: jax.Array, params: Any, inputs: jax.Array, targets: jax.Array) -> Any:
    """Hessian of ``loss`` at ``(params, inputs, targets)`` times a flat vector ``v``.

    optax.second_order.hvp's signature and result (without its deprecation
    warning): ``v`` is a vector of the size of the flattened params
    (``jax.flatten_util.ravel_pytree`` order), and the product is returned as a
    tree like ``params`` (an array when ``params`` is one). One product costs
    about two gradients (forward over reverse mode).

    Args:
        loss: ``loss(params, inputs, targets)`` returns a scalar.
        v: a vector of size ``ravel(params).size``.
        params: the point.
        inputs, targets: passed to ``loss``; not differentiated.

    Returns:
        ``H v`` as a tree like ``params``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> loss = lambda p, x, y: jnp.sum((p * x - y) ** 2)  # H = diag(2 x^2)
        >>> gradtx.second_order.hvp(loss, jnp.ones(2), jnp.ones(2), jnp.array([1.0, 2.0]), 0.0)
        Array([2., 8.], dtype=float32)
    """
    _, unravel = jax.flatten_util.ravel_pytree(params)
    grad = jax.grad(lambda p: loss(p, inputs, targets))
    return jax.jvp(grad, (params,), (unravel(v),))[1]


def hessian_diag(loss: Callable, params: Any, inputs: jax.Array, targets: jax.Array) -> jax.Array:
    """The exact diagonal of the Hessian of ``loss`` at ``(params, inputs, targets)``, flat.

    optax.second_order.hessian_diag's signature and result: a vector of the
    size of the flattened params, from one Hessian-vector product per
    parameter (linearised once, 32 at a time), so for small models only;
    ``gradtx.curvature.hessian_diagonal`` estimates it for large ones.

    Args:
        loss: ``loss(params, inputs, targets)`` returns a scalar.
        params: the point.
        inputs, targets: passed to ``loss``.

    Returns:
        ``diag(H)``, a vector of size ``ravel(params).size``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> loss = lambda p, x, y: jnp.sum((p * x - y) ** 2)
        >>> gradtx.second_order.hessian_diag(loss, jnp.ones(2), jnp.array([1.0, 2.0]), 0.0)
        Array([2., 8.], dtype=float32)
    """
    view, op = flat_curvature_operator(loss, params, (inputs, targets))
    dtype = jax.flatten_util.ravel_pytree(params)[0].dtype
    return exact_diagonal_flat(op, view.size, view.dtype).astype(dtype)


def fisher_diag(
    negative_log_likelihood: Callable, params: Any, inputs: jax.Array, targets: jax.Array
) -> jax.Array:
    """The diagonal of the observed (empirical) Fisher: the squared gradient, flat.

    optax.second_order.fisher_diag's signature and result: the square of the
    flattened gradient of ``negative_log_likelihood(params, inputs, targets)``.
    For the gradient of a summed or averaged batch loss this is the outer
    product of the batch gradient, not the mean of per-example outer products;
    ``gradtx.curvature.hessian_diagonal(..., matrix="empirical_fisher")``
    estimates the latter.

    Args:
        negative_log_likelihood: ``nll(params, inputs, targets)`` returns a scalar.
        params: the point.
        inputs, targets: passed to it.

    Returns:
        ``ravel(grad) ** 2``, a vector of size ``ravel(params).size``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> nll = lambda p, x, y: jnp.sum((p * x - y) ** 2)
        >>> gradtx.second_order.fisher_diag(nll, jnp.ones(2), jnp.array([1.0, 2.0]), 0.0)
        Array([ 4., 64.], dtype=float32)
    """
    grad = jax.grad(negative_log_likelihood)(params, inputs, targets)
    return jnp.square(jax.flatten_util.ravel_pytree(grad)[0])
