"""Kullback-Leibler divergences, and label smoothing.

Every divergence follows ``0 * log 0 = 0``: a zero target contributes 0, in value
and gradient, even where the log-prediction is ``-inf``; masked entries never
reach the arithmetic.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import jax
import jax.numpy as jnp

from gradtx.losses._common import (
    broadcast_like,
    check_floating,
    expand_where,
    mask_fill,
    normalize_axes,
    sum_masked,
)


def _inputs(fn: str, log_predictions, targets, targets_name: str, axis, where):
    check_floating(fn, "log_predictions", log_predictions)
    check_floating(fn, targets_name, targets)
    log_p = jnp.asarray(log_predictions)
    targets = broadcast_like(fn, targets_name, targets, log_p)
    axes = normalize_axes(axis, log_p.ndim)
    where = expand_where(fn, where, log_p, axes)
    return mask_fill(where, log_p, 0), mask_fill(where, targets, 0), axes, where


def _kl_terms(log_p: jax.Array, targets: jax.Array) -> jax.Array:
    """``t * (log t - log_p)`` with 0 where ``t == 0`` (value and gradient)."""
    nonzero = targets != 0
    safe_t = jnp.where(nonzero, targets, jnp.ones((), targets.dtype))
    safe_log_p = jnp.where(nonzero, log_p, jnp.zeros((), log_p.dtype))
    return targets * jnp.where(nonzero, jnp.log(safe_t) - safe_log_p, 0)


def kl_divergence(
    log_predictions: jax.typing.ArrayLike,
    targets: jax.typing.ArrayLike,
    axis: int | Sequence[int] | None = -1,
    where: jax.typing.ArrayLike | None = None,
) -> jax.Array:
    """The Kullback-Leibler divergence ``KL(targets || predictions)`` along ``axis``.

        loss = sum_i targets_i * (log targets_i - log_predictions_i),   0 log 0 = 0

    Equals ``torch.nn.functional.kl_div(log_predictions, targets, reduction="none")``
    summed over ``axis``.

    Args:
      log_predictions: floating array of log-probabilities ``[..., dim]``.
      targets: floating array of probabilities, broadcastable to the same shape.
      axis: axis or axes of the distributions (None: all).
      where: optional boolean mask of the entries to include.

    Returns:
      the divergences, with ``axis`` reduced.

    Differences from optax: a zero target with a ``-inf`` log-prediction gives 0
    (optax: NaN), and gradients are finite there and at masked entries.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> log_p = jnp.log(jnp.array([0.5, 0.5, 0.0]))
      >>> print(gradtx.losses.kl_divergence(log_p, jnp.array([1.0, 0.0, 0.0])))
      0.6931472
    """
    log_p, targets, axis, where = _inputs(
        "kl_divergence", log_predictions, targets, "targets", axis, where
    )
    return jnp.sum(_kl_terms(log_p, targets), axis=axis)


def kl_divergence_with_log_targets(
    log_predictions: jax.typing.ArrayLike,
    log_targets: jax.typing.ArrayLike,
    axis: int | Sequence[int] | None = -1,
    where: jax.typing.ArrayLike | None = None,
) -> jax.Array:
    """The Kullback-Leibler divergence with targets given as log-probabilities.

        loss = sum_i exp(log_targets_i) * (log_targets_i - log_predictions_i)

    Equals ``torch.nn.functional.kl_div(..., reduction="none", log_target=True)``
    summed over ``axis``.

    Args:
      log_predictions: floating array of log-probabilities ``[..., dim]``.
      log_targets: floating array of log-probabilities, the same shape.
      axis: axis or axes of the distributions.
      where: optional boolean mask of the entries to include.

    Returns:
      the divergences, with ``axis`` reduced.

    Differences from optax: a ``-inf`` log-target contributes 0 (optax: NaN).

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> log_p = jnp.log(jnp.array([0.5, 0.5]))
      >>> log_t = jnp.array([0.0, -jnp.inf])
      >>> print(gradtx.losses.kl_divergence_with_log_targets(log_p, log_t))
      0.6931472
    """
    log_p, log_t, axis, where = _inputs(
        "kl_divergence_with_log_targets", log_predictions, log_targets, "log_targets", axis, where
    )
    finite = log_t > -jnp.inf
    safe_log_t = jnp.where(finite, log_t, jnp.zeros((), log_t.dtype))
    safe_log_p = jnp.where(finite, log_p, jnp.zeros((), log_p.dtype))
    terms = jnp.where(finite, jnp.exp(safe_log_t) * (safe_log_t - safe_log_p), 0)
    return jnp.sum(terms, axis=axis)


def generalized_kl_divergence(
    log_predictions: jax.typing.ArrayLike,
    targets: jax.typing.ArrayLike,
    axis: int | Sequence[int] | None = -1,
    where: jax.typing.ArrayLike | None = None,
) -> jax.Array:
    """The generalized KL divergence between non-negative vectors (not necessarily normalised).

        loss = sum_i targets_i * (log targets_i - log_predictions_i)
               + sum_i (exp(log_predictions_i) - targets_i)

    It is >= 0, zero only when predictions equal targets, and convex in the
    predictions; for probability vectors it is the KL divergence.

    Args:
      log_predictions: floating array of log-values ``[..., dim]``.
      targets: non-negative floating array, broadcastable to the same shape.
      axis: axis or axes to reduce.
      where: optional boolean mask of the entries to include.

    Returns:
      the divergences, with ``axis`` reduced.

    References:
      Lee and Seung, Algorithms for Non-negative Matrix Factorization, NeurIPS 2000.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> print(gradtx.losses.generalized_kl_divergence(jnp.log(jnp.array([2.0])), jnp.array([1.0])))
      0.30685282
    """
    log_p, targets, axis, where = _inputs(
        "generalized_kl_divergence", log_predictions, targets, "targets", axis, where
    )
    kl = jnp.sum(_kl_terms(log_p, targets), axis=axis)
    return kl + sum_masked(jnp.exp(log_p) - targets, axis, where)


def convex_kl_divergence(
    log_predictions: jax.typing.ArrayLike,
    targets: jax.typing.ArrayLike,
    axis: int | Sequence[int] | None = -1,
    where: jax.typing.ArrayLike | None = None,
) -> jax.Array:
    """Deprecated name of ``generalized_kl_divergence`` (as in optax); warns and calls it.

    Example:
      >>> import warnings
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> with warnings.catch_warnings():
      ...     warnings.simplefilter("ignore")
      ...     print(gradtx.losses.convex_kl_divergence(jnp.zeros(2), jnp.ones(2)))
      0.0
    """
    warnings.warn(
        "gradtx.losses.convex_kl_divergence is deprecated (as in optax); "
        "use gradtx.losses.generalized_kl_divergence.",
        DeprecationWarning,
        stacklevel=2,
    )
    return generalized_kl_divergence(log_predictions, targets, axis=axis, where=where)


def smooth_labels(
    labels: jax.typing.ArrayLike,
    alpha: jax.typing.ArrayLike,
    *,
    axis: int | Sequence[int] | None = -1,
    where: jax.typing.ArrayLike | None = None,
) -> jax.Array:
    """Label smoothing: mix the labels with the uniform distribution over the classes.

        smoothed = (1 - alpha) * labels + alpha / num_classes

    where ``num_classes`` counts the classes kept by ``where`` along ``axis``.

    Args:
      labels: floating array of one-hot (or probability) labels ``[..., num_classes]``.
      alpha: the smoothing factor, in [0, 1].
      axis: the class axis or axes.
      where: optional boolean mask of the classes to include.

    Returns:
      the smoothed labels, with ``labels``' shape.

    Differences from optax: entries masked out by ``where`` are 0 (optax gives them
    ``alpha / num_classes`` too), so the kept entries of each row still sum to 1
    and the result feeds ``softmax_cross_entropy(..., where=where)`` directly.

    References:
      Szegedy et al., Rethinking the Inception Architecture for Computer Vision,
      CVPR 2016, https://arxiv.org/abs/1512.00567

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> print(gradtx.losses.smooth_labels(jnp.array([0.0, 1.0]), 0.2))
      [0.1        0.90000004]
    """
    fn = "smooth_labels"
    check_floating(fn, "labels", labels)
    labels = jnp.asarray(labels)
    axes = normalize_axes(axis, labels.ndim)
    if where is None:
        num_classes = math.prod(labels.shape[a] for a in axes)
        return (1.0 - alpha) * labels + alpha / num_classes
    where = expand_where(fn, where, labels, axes)
    num_classes = jnp.sum(where, axis=axes, keepdims=True)
    smoothed = (1.0 - alpha) * mask_fill(where, labels, 0) + alpha / num_classes
    return mask_fill(where, smoothed, 0)
