"""Softmax cross-entropies: with probability labels, integer labels, and the poly-1 variant.

All of them stay finite, in value and gradient, at ``-inf`` logits whose label
is 0 and at entries masked out by ``where`` (whatever those entries hold). optax
gives NaN in both cases for ``softmax_cross_entropy`` and ``poly_loss_cross_entropy``.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from gradtx.losses._common import (
    broadcast_like,
    check_floating,
    check_integer,
    expand_where,
    log_softmax_masked,
    logsumexp_masked,
    mask_fill,
    normalize_axes,
    sum_masked,
    weighted_log,
    zero_rows_without_kept,
)


def _log_probs(fn: str, logits, labels, axis, where):
    check_floating(fn, "logits", logits)
    logits = jnp.asarray(logits)
    axes = normalize_axes(axis, logits.ndim)
    labels = broadcast_like(fn, "labels", labels, logits)
    where = expand_where(fn, where, logits, axes)
    return log_softmax_masked(logits, axes, where), mask_fill(where, labels, 0), axes, where


def softmax_cross_entropy(
    logits: jax.typing.ArrayLike,
    labels: jax.typing.ArrayLike,
    axis: int | Sequence[int] | None = -1,
    where: jax.typing.ArrayLike | None = None,
) -> jax.Array:
    """The cross-entropy between ``labels`` and ``softmax(logits)`` along ``axis``.

        loss = -sum_i labels_i * log_softmax(logits)_i

    where the softmax and the sum run over the entries kept by ``where``.
    Equals ``torch.nn.functional.cross_entropy`` with probability targets and
    ``reduction="none"``.

    Args:
      logits: floating array of unnormalised log-probabilities ``[..., num_classes]``.
      labels: array broadcastable to ``logits``' shape; usually a probability
        distribution (one-hot, or smoothed) along ``axis``.
      axis: axis or axes of the classes (None: all axes).
      where: optional boolean mask of the classes to include, of ``logits``' shape
        (or of the batch shape with ``axis`` omitted, then broadcast along it).

    Returns:
      the losses, with ``axis`` reduced.

    Differences from optax: a ``-inf`` logit whose label is 0 contributes 0 (optax:
    NaN, from ``0 * -inf``), and its gradient is 0; masked entries never reach the
    arithmetic, so NaN or inf there leaves value and gradient finite; a row whose
    entries are all masked gives 0.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> logits = jnp.array([[1.0, 2.0, -jnp.inf]])
      >>> labels = jnp.array([[0.0, 1.0, 0.0]])
      >>> print(gradtx.losses.softmax_cross_entropy(logits, labels))
      [0.31326163]
    """
    log_p, labels, axes, _ = _log_probs("softmax_cross_entropy", logits, labels, axis, where)
    return -jnp.sum(weighted_log(labels, log_p), axis=axes)


def safe_softmax_cross_entropy(
    logits: jax.typing.ArrayLike,
    labels: jax.typing.ArrayLike,
    *,
    axis: int | Sequence[int] | None = -1,
    where: jax.typing.ArrayLike | None = None,
) -> jax.Array:
    """The softmax cross-entropy, finite at ``-inf`` logits whose label is 0.

    optax keeps this as a separate function because its ``softmax_cross_entropy``
    gives NaN there; in gradtx ``softmax_cross_entropy`` is already safe, and this
    is the same computation (``axis`` and ``where`` are gradtx additions).

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> logits = jnp.array([-jnp.inf, 0.0, 0.0])
      >>> print(gradtx.losses.safe_softmax_cross_entropy(logits, jnp.array([0.0, 1.0, 0.0])))
      0.6931472
    """
    log_p, labels, axes, _ = _log_probs("safe_softmax_cross_entropy", logits, labels, axis, where)
    return -jnp.sum(weighted_log(labels, log_p), axis=axes)


def _flatten_class_axes(fn: str, logits, where, axis):
    """Move the class axes to the end and merge them into one (labels index the merged axis)."""
    if isinstance(axis, bool) or not isinstance(axis, int | tuple):
        raise ValueError(
            f"gradtx.losses.{fn}(axis={axis!r}): axis must be an int or a tuple of ints; "
            f"got {type(axis).__name__}."
        )
    if isinstance(axis, int):
        return logits, where, normalize_axes(axis, logits.ndim)[0]
    normalize_axes(axis, logits.ndim)  # bounds check
    axes = tuple(a % logits.ndim for a in axis)  # the given order of the class axes
    batch = tuple(a for a in range(logits.ndim) if a not in axes)
    perm = batch + axes
    shape = tuple(logits.shape[a] for a in batch) + (-1,)
    logits = logits.transpose(perm).reshape(shape)
    where = None if where is None else where.transpose(perm).reshape(shape)
    return logits, where, len(batch)


def softmax_cross_entropy_with_integer_labels(
    logits: jax.typing.ArrayLike,
    labels: jax.typing.ArrayLike,
    axis: int | tuple[int, ...] = -1,
    where: jax.typing.ArrayLike | None = None,
) -> jax.Array:
    """The softmax cross-entropy with integer class labels.

        loss = logsumexp(logits) - logits[label]

    over the classes kept by ``where``; it equals ``softmax_cross_entropy`` with
    one-hot labels, without building them. Equals
    ``torch.nn.functional.cross_entropy(..., reduction="none")``.

    Args:
      logits: floating array ``[..., num_classes]``.
      labels: integer array of the batch shape (``logits`` without ``axis``), in
        ``[0, num_classes)``. With a tuple ``axis`` the class axes are merged in
        the given order and labels index the merged axis.
      axis: the class axis, or a tuple of class axes.
      where: optional boolean mask of the classes to include (``logits``' shape, or
        the batch shape); a row with no kept class gives 0.

    Returns:
      the losses, of the batch shape.

    Raises:
      TypeError: non-floating ``logits`` or non-integer ``labels``.
      ValueError: ``axis`` neither an int nor a tuple.

    Differences from optax: rows with every class masked, and masked entries that
    hold NaN or inf, give finite gradients (optax: NaN).

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> logits = jnp.array([[1.0, 2.0, -jnp.inf]])
      >>> print(gradtx.losses.softmax_cross_entropy_with_integer_labels(logits, jnp.array([1])))
      [0.3132615]
    """
    fn = "softmax_cross_entropy_with_integer_labels"
    check_floating(fn, "logits", logits)
    check_integer(fn, "labels", labels)
    logits, labels = jnp.asarray(logits), jnp.asarray(labels)
    where = expand_where(fn, where, logits, axis) if where is not None else None
    logits, where, ax = _flatten_class_axes(fn, logits, where, axis)
    label_logits = jnp.take_along_axis(logits, jnp.expand_dims(labels, ax), axis=ax)
    log_normalizers = logsumexp_masked(logits, (ax,), where)
    return zero_rows_without_kept(jnp.squeeze(log_normalizers - label_logits, ax), where, ax)


def poly_loss_cross_entropy(
    logits: jax.typing.ArrayLike,
    labels: jax.typing.ArrayLike,
    *,
    epsilon: jax.typing.ArrayLike = 2.0,
    axis: int | Sequence[int] | None = -1,
    where: jax.typing.ArrayLike | None = None,
) -> jax.Array:
    """The Poly-1 loss: the cross-entropy plus ``epsilon`` times the first polynomial term.

        loss = CE(logits, labels) + epsilon * sum_i labels_i * (1 - softmax(logits)_i)

    ``epsilon > 0`` puts more weight on confident mistakes; ``epsilon = -1`` removes
    the leading term of the cross-entropy's Taylor series in ``1 - p``; ``epsilon = 0``
    is the plain cross-entropy.

    Args:
      logits: floating array ``[..., num_classes]``.
      labels: floating array of the same shape, a distribution along ``axis``.
      epsilon: the coefficient of the first polynomial term (any real).
      axis: axis or axes of the classes.
      where: optional boolean mask of the classes to include.

    Returns:
      the losses, with ``axis`` reduced.

    References:
      Leng et al., PolyLoss: A Polynomial Expansion Perspective of Classification
      Loss Functions, ICLR 2022, https://arxiv.org/abs/2204.12511

    Differences from optax: finite at ``-inf`` logits with label 0 and at masked
    entries (optax: NaN).

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> logits, labels = jnp.array([0.0, 0.0]), jnp.array([1.0, 0.0])
      >>> print(gradtx.losses.poly_loss_cross_entropy(logits, labels))
      1.6931472
    """
    fn = "poly_loss_cross_entropy"
    check_floating(fn, "labels", labels)
    log_p, labels, axes, where = _log_probs(fn, logits, labels, axis, where)
    cross_entropy = -jnp.sum(weighted_log(labels, log_p), axis=axes)
    one_minus_pt = sum_masked(labels * (1 - jnp.exp(log_p)), axes, where)
    return cross_entropy + epsilon * one_minus_pt
