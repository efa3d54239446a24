"""Regression losses: squared, absolute, Huber, log-cosh errors and cosine similarity."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from gradtx.losses._common import (
    broadcast_like,
    check_floating,
    expand_where,
    mask_fill,
    sum_masked,
)


def _errors(fn: str, predictions, targets, where) -> jax.Array:
    """``predictions - targets``, with masked entries set to 0 before the subtraction."""
    check_floating(fn, "predictions", predictions)
    p = jnp.asarray(predictions)
    t = None if targets is None else broadcast_like(fn, "targets", targets, p)
    if where is not None:
        where = broadcast_like(fn, "where", jnp.asarray(where, bool), p)
        p = mask_fill(where, p, 0)
        t = None if t is None else mask_fill(where, t, 0)
    return p if t is None else p - t


def squared_error(
    predictions: jax.typing.ArrayLike,
    targets: jax.typing.ArrayLike | None = None,
    *,
    where: jax.typing.ArrayLike | None = None,
) -> jax.Array:
    """The elementwise squared error ``(predictions - targets)**2``.

    The mean squared error is ``squared_error(p, t).mean()``.

    Args:
      predictions: floating array of any shape.
      targets: array broadcastable to ``predictions``' shape; None means zeros.
      where: optional boolean mask broadcastable to ``predictions``' shape; masked
        entries give 0 and a zero gradient, even where the inputs are NaN or inf.

    Returns:
      the squared errors, with ``predictions``' shape.

    Raises:
      TypeError: ``predictions`` does not have a floating dtype.
      ValueError: ``targets`` does not broadcast to ``predictions``.

    Differences from optax: optax requires equal shapes; gradtx broadcasts
    ``targets`` explicitly (as optax's docstring says). ``where`` is a gradtx
    addition.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> print(gradtx.losses.squared_error(jnp.array([1.0, 3.0]), jnp.array([0.0, 1.0])))
      [1. 4.]
    """
    return jnp.square(_errors("squared_error", predictions, targets, where))


def l2_loss(
    predictions: jax.typing.ArrayLike,
    targets: jax.typing.ArrayLike | None = None,
    *,
    where: jax.typing.ArrayLike | None = None,
) -> jax.Array:
    """Half the squared error: ``0.5 * (predictions - targets)**2``, elementwise.

    The factor 0.5 (Bishop's convention) makes the gradient ``predictions - targets``.

    Args:
      predictions: floating array of any shape.
      targets: array broadcastable to ``predictions``' shape; None means zeros.
      where: optional boolean mask; masked entries give 0 and a zero gradient.

    Returns:
      the losses, with ``predictions``' shape.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> print(gradtx.losses.l2_loss(jnp.array([1.0, 3.0])))
      [0.5 4.5]
    """
    return 0.5 * jnp.square(_errors("l2_loss", predictions, targets, where))


def absolute_error(
    predictions: jax.typing.ArrayLike,
    targets: jax.typing.ArrayLike | None = None,
    *,
    where: jax.typing.ArrayLike | None = None,
) -> jax.Array:
    """The elementwise absolute error ``|predictions - targets|`` (the L1 loss).

    Robust to outliers: each error contributes linearly. Its gradient is
    ``sign(predictions - targets)``, taken as 0 at a zero error (as in torch's
    ``l1_loss``). The mean absolute error is ``absolute_error(p, t).mean()``.
    optax has no such loss; ``l1_loss`` is an alias.

    Args:
      predictions: floating array of any shape.
      targets: array broadcastable to ``predictions``' shape; None means zeros.
      where: optional boolean mask; masked entries give 0 and a zero gradient.

    Returns:
      the absolute errors, with ``predictions``' shape.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> print(gradtx.losses.absolute_error(jnp.array([1.0, -3.0]), jnp.array([0.5, 1.0])))
      [0.5 4. ]
    """
    errors = _errors("absolute_error", predictions, targets, where)
    return errors * jnp.sign(errors)  # |e| with gradient sign(e), 0 at 0 (jnp.abs gives 1)


def l1_loss(
    predictions: jax.typing.ArrayLike,
    targets: jax.typing.ArrayLike | None = None,
    *,
    where: jax.typing.ArrayLike | None = None,
) -> jax.Array:
    """The elementwise absolute error ``|predictions - targets|``; same as ``absolute_error``.

    Named as in ``torch.nn.functional.l1_loss`` (with ``reduction="none"``).

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> print(gradtx.losses.l1_loss(jnp.array([2.0, -1.0])))
      [2. 1.]
    """
    return absolute_error(predictions, targets, where=where)


def huber_loss(
    predictions: jax.typing.ArrayLike,
    targets: jax.typing.ArrayLike | None = None,
    *,
    delta: jax.typing.ArrayLike = 1.0,
    where: jax.typing.ArrayLike | None = None,
) -> jax.Array:
    """The Huber loss: quadratic for small errors, linear beyond ``delta``.

    With ``e = |predictions - targets|``:
        loss = 0.5 * e**2                      if e <= delta
        loss = delta * (e - 0.5 * delta)       otherwise

    Gradient descent on it equals gradient descent on ``l2_loss`` with the
    gradient clipped to ``[-delta, delta]``. Equals torch's
    ``huber_loss(..., delta=delta)``.

    Args:
      predictions: floating array of any shape.
      targets: array broadcastable to ``predictions``' shape; None means zeros.
      delta: the threshold between the quadratic and the linear part, > 0.
      where: optional boolean mask; masked entries give 0 and a zero gradient.

    Returns:
      the losses, with ``predictions``' shape.

    References:
      Huber, Robust Estimation of a Location Parameter, Annals of Mathematical
      Statistics 1964.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> print(gradtx.losses.huber_loss(jnp.array([0.5, 3.0])))
      [0.125 2.5  ]
    """
    abs_errors = jnp.abs(_errors("huber_loss", predictions, targets, where))
    quadratic = jnp.minimum(abs_errors, delta)
    return 0.5 * quadratic**2 + delta * (abs_errors - quadratic)


def log_cosh(
    predictions: jax.typing.ArrayLike,
    targets: jax.typing.ArrayLike | None = None,
    *,
    where: jax.typing.ArrayLike | None = None,
) -> jax.Array:
    """The log-cosh loss ``log(cosh(predictions - targets))``, elementwise.

    About ``e**2 / 2`` for small errors ``e`` and ``|e| - log 2`` for large ones:
    a twice-differentiable Huber loss. Computed as ``logaddexp(e, -e) - log 2``,
    which does not overflow for large errors.

    Args:
      predictions: floating array of any shape.
      targets: array broadcastable to ``predictions``' shape; None means zeros.
      where: optional boolean mask; masked entries give 0 and a zero gradient.

    Returns:
      the losses, with ``predictions``' shape.

    References:
      Chen et al., Log Hyperbolic Cosine Loss Improves Variational
      Auto-Encoder, 2019, https://openreview.net/pdf?id=rkglvsC9Ym

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> print(gradtx.losses.log_cosh(jnp.array([0.0, 100.0])))
      [ 0.       99.306854]
    """
    errors = _errors("log_cosh", predictions, targets, where)
    return jnp.logaddexp(errors, -errors) - jnp.log(2.0).astype(errors.dtype)


def cosine_similarity(
    predictions: jax.typing.ArrayLike,
    targets: jax.typing.ArrayLike,
    *,
    epsilon: jax.typing.ArrayLike = 0.0,
    axis: int | Sequence[int] | None = -1,
    where: jax.typing.ArrayLike | None = None,
) -> jax.Array:
    """The cosine of the angle between ``predictions`` and ``targets`` along ``axis``.

        cos = <p, t> / (max(|p|^2, epsilon)^(1/2) * max(|t|^2, epsilon)^(1/2))

    Args:
      predictions: floating array ``[..., dim]``.
      targets: floating array of the same shape.
      epsilon: lower bound on the squared norms in the denominator, >= 0; with
        the default 0 a zero vector gives NaN, as in optax.
      axis: axis or axes holding the vectors.
      where: optional mask of the entries to include; masked entries give zero
        gradients, even where the inputs are NaN or inf.

    Returns:
      the cosine similarities, with ``axis`` reduced.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> print(gradtx.losses.cosine_similarity(jnp.array([1.0, 0.0]), jnp.array([1.0, 1.0])))
      0.70710677
    """
    fn = "cosine_similarity"
    check_floating(fn, "predictions", predictions)
    check_floating(fn, "targets", targets)
    a, b = jnp.asarray(predictions), jnp.asarray(targets)
    where = expand_where(fn, where, a, axis)
    a, b = mask_fill(where, a, 0), mask_fill(where, b, 0)
    a_norm = jnp.sqrt(jnp.sum(jnp.square(a), axis=axis, keepdims=True).clip(epsilon))
    b_norm = jnp.sqrt(jnp.sum(jnp.square(b), axis=axis, keepdims=True).clip(epsilon))
    return sum_masked((a / a_norm) * (b / b_norm), axis, where)


def cosine_distance(
    predictions: jax.typing.ArrayLike,
    targets: jax.typing.ArrayLike,
    *,
    epsilon: jax.typing.ArrayLike = 0.0,
    axis: int | Sequence[int] | None = -1,
    where: jax.typing.ArrayLike | None = None,
) -> jax.Array:
    """One minus the cosine similarity: ``1 - cos(angle(predictions, targets))``, in [0, 2].

    Args: as ``cosine_similarity``.

    Returns:
      the cosine distances, with ``axis`` reduced.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> print(gradtx.losses.cosine_distance(jnp.array([1.0, 0.0]), jnp.array([-1.0, 0.0])))
      2.0
    """
    return 1.0 - cosine_similarity(predictions, targets, epsilon=epsilon, axis=axis, where=where)
