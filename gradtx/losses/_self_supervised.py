"""Contrastive and metric-learning losses: NT-Xent and the triplet margin loss."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from gradtx.losses._common import check_floating, logsumexp_masked
from gradtx.losses._regression import cosine_similarity


def ntxent(
    embeddings: jax.typing.ArrayLike,
    labels: jax.typing.ArrayLike,
    temperature: jax.typing.ArrayLike = 0.07,
) -> jax.Array:
    """The normalized temperature-scaled cross-entropy (NT-Xent) of SimCLR.

    With ``s_ij = cos(e_i, e_j) / temperature``, positives ``P = {(i, j): i != j,
    labels_i = labels_j}`` and negatives ``N_i = {k: labels_k != labels_i}``:
        loss = mean_{(i, j) in P} -log(exp(s_ij) / (exp(s_ij) + sum_{k in N_i} exp(s_ik)))

    Each positive pair is contrasted with the anchor's negatives only.

    Args:
      embeddings: floating array ``[batch, dim]``.
      labels: integer array ``[batch]``; equal labels mark positive pairs.
      temperature: the softmax temperature, > 0.

    Returns:
      the scalar loss.

    Raises:
      ValueError: ``labels`` and ``embeddings`` have different leading sizes.

    Differences from optax: a batch without positive pairs gives 0 (optax: NaN).

    References:
      Chen et al., A Simple Framework for Contrastive Learning of Visual
      Representations, ICML 2020, https://arxiv.org/abs/2002.05709

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> e = jnp.array([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0]])
      >>> print(gradtx.losses.ntxent(e, jnp.array([0, 0, 1]), temperature=1.0))
      0.32852292
    """
    fn = "ntxent"
    check_floating(fn, "embeddings", embeddings)
    embeddings, labels = jnp.asarray(embeddings), jnp.asarray(labels)
    if labels.shape[0] != embeddings.shape[0]:
        raise ValueError(
            f"gradtx.losses.{fn}: labels and embeddings must have the same leading size; "
            f"got {labels.shape[0]} for labels and {embeddings.shape[0]} for embeddings."
        )
    eps = jnp.finfo(embeddings.dtype).eps
    sims = cosine_similarity(embeddings[None, :, :], embeddings[:, None, :], epsilon=eps)
    sims = sims / temperature
    same = labels[:, None] == labels[None, :]
    positives = same & ~np.eye(labels.shape[0], dtype=bool)
    log_negatives = logsumexp_masked(sims, (1,), ~same)  # [B, 1]
    safe_sims = jnp.where(positives, sims, jnp.zeros((), sims.dtype))
    per_pair = jnp.logaddexp(safe_sims, log_negatives) - safe_sims
    total = jnp.sum(jnp.where(positives, per_pair, 0.0))
    return total / jnp.maximum(jnp.sum(positives), 1)


def triplet_margin_loss(
    anchors: jax.typing.ArrayLike,
    positives: jax.typing.ArrayLike,
    negatives: jax.typing.ArrayLike,
    axis: int = -1,
    norm_degree: jax.typing.ArrayLike = 2,
    margin: jax.typing.ArrayLike = 1.0,
    eps: jax.typing.ArrayLike = 1e-6,
) -> jax.Array:
    """The triplet margin loss: the anchor should be nearer its positive than its negative.

    With ``d(x, y) = (sum_i |x_i - y_i|**norm_degree + eps)**(1 / norm_degree)``
    along ``axis``:
        loss = max(d(anchor, positive) - d(anchor, negative) + margin, 0)

    Args:
      anchors: floating array ``[..., dim]``.
      positives: floating array of the same shape.
      negatives: floating array of the same shape.
      axis: the axis of the embedding dimension.
      norm_degree: the p of the p-norm, > 0.
      margin: the required gap between the distances.
      eps: added inside the root; keeps the gradient finite at zero distance.

    Returns:
      the losses, with ``axis`` reduced.

    Differences from optax: the distance uses ``|x_i - y_i|``; optax raises the
    signed difference to ``norm_degree``, which is wrong for odd degrees (the
    default 2 agrees). torch's ``triplet_margin_loss`` puts ``eps`` inside the
    difference instead.

    References:
      Schroff et al., FaceNet: A Unified Embedding for Face Recognition and
      Clustering, CVPR 2015, https://arxiv.org/abs/1503.03832

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> a, p, n = jnp.array([[0.0, 0.0]]), jnp.array([[1.0, 0.0]]), jnp.array([[3.0, 0.0]])
      >>> print(gradtx.losses.triplet_margin_loss(a, p, n))
      [0.]
    """
    fn = "triplet_margin_loss"
    for name, x in (("anchors", anchors), ("positives", positives), ("negatives", negatives)):
        check_floating(fn, name, x)

    def distance(x, y):
        return (jnp.sum(jnp.abs(x - y) ** norm_degree, axis=axis) + eps) ** (1 / norm_degree)

    return jnp.maximum(distance(anchors, positives) - distance(anchors, negatives) + margin, 0)
