"""Ranking losses: the listwise softmax cross-entropy."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from gradtx.losses._common import (
    broadcast_like,
    check_floating,
    log_softmax_masked,
    mask_fill,
    weighted_log,
    zero_rows_without_kept,
)


def ranking_softmax_loss(
    logits: jax.typing.ArrayLike,
    labels: jax.typing.ArrayLike,
    *,
    where: jax.typing.ArrayLike | None = None,
    weights: jax.typing.ArrayLike | None = None,
    reduce_fn: Callable[..., jax.typing.ArrayLike] | None = jnp.mean,
) -> jax.Array:
    """The listwise softmax loss for learning to rank (ListNet's top-one cross-entropy).

    Per list (the last axis holds the items):
        loss = -sum_i weights_i * labels_i * log_softmax(logits)_i

    with the softmax and the sum over the items kept by ``where``. The labels are
    relevance grades, not normalised. The per-list losses are then reduced with
    ``reduce_fn`` over the lists with at least one kept item.

    Args:
      logits: floating array ``[..., list_size]`` of item scores.
      labels: relevance labels of the same shape (cast to the logits' dtype).
      where: optional boolean mask of the valid items.
      weights: optional per-item weights, broadcastable to ``logits``.
      reduce_fn: a reduction taking ``where=`` (``jnp.mean``, ``jnp.sum``), or None
        for per-list losses (masked-out lists give 0). With ``jnp.mean``, the mean
        over no list is 0, not NaN.

    Returns:
      the reduced loss, or the per-list losses if ``reduce_fn`` is None.

    Differences from optax: finite gradients at ``-inf`` logits with label 0 and
    at masked items that hold NaN or inf.

    References:
      Cao et al., Learning to Rank: From Pairwise Approach to Listwise Approach,
      ICML 2007.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> logits, labels = jnp.array([[0.0, 0.0]]), jnp.array([[1.0, 0.0]])
      >>> print(gradtx.losses.ranking_softmax_loss(logits, labels))
      0.6931472
    """
    fn = "ranking_softmax_loss"
    check_floating(fn, "logits", logits)
    logits = jnp.asarray(logits)
    labels = broadcast_like(fn, "labels", labels, logits).astype(logits.dtype)
    if where is not None:
        where = broadcast_like(fn, "where", jnp.asarray(where, bool), logits)
        labels = mask_fill(where, labels, 0)
    if weights is not None:
        labels = labels * broadcast_like(fn, "weights", weights, logits)
    log_p = log_softmax_masked(logits, (logits.ndim - 1,), where)
    loss = -jnp.sum(weighted_log(labels, log_p), axis=-1)
    lists = None if where is None else jnp.any(where, axis=-1)
    if reduce_fn is None:
        return zero_rows_without_kept(loss, where, -1)
    out = reduce_fn(loss, where=lists)
    if reduce_fn is jnp.mean and lists is not None:
        out = jnp.where(jnp.any(lists), out, jnp.zeros((), loss.dtype))
    return out
