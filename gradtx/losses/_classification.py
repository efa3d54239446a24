"""Binary and margin classification losses: logistic, focal, hinge, perceptron, sparsemax.

The binary losses are elementwise, so they take no ``axis``; their ``where``
(a gradtx addition) zeroes masked entries, in value and gradient, whatever the
inputs hold there. The multiclass margin losses reduce over a class ``axis``
and take a ``where`` mask of the classes.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from gradtx.losses._common import (
    broadcast_like,
    check_floating,
    check_integer,
    expand_where,
    mask_fill,
    normalize_axes,
    weighted_log,
    zero_rows_without_kept,
)
from gradtx.projections._simplex import projection_simplex


def _binary_inputs(fn: str, logits, labels, where, *, float_labels: bool = True):
    if float_labels:
        check_floating(fn, "logits", logits)
    logits = jnp.asarray(logits)
    labels = broadcast_like(fn, "labels", labels, logits)
    if float_labels:
        labels = labels.astype(logits.dtype)
    if where is not None:
        where = broadcast_like(fn, "where", jnp.asarray(where, bool), logits)
        logits, labels = mask_fill(where, logits, 0), mask_fill(where, labels, 0)
    return logits, labels, where


def sigmoid_binary_cross_entropy(
    logits: jax.typing.ArrayLike,
    labels: jax.typing.ArrayLike,
    *,
    where: jax.typing.ArrayLike | None = None,
) -> jax.Array:
    """The binary cross-entropy between ``labels`` and ``sigmoid(logits)``, elementwise.

        loss = -labels * log_sigmoid(logits) - (1 - labels) * log_sigmoid(-logits)

    computed with ``log_sigmoid``, which does not overflow. Equals
    ``torch.nn.functional.binary_cross_entropy_with_logits(..., reduction="none")``.
    For multi-label classification, one independent binary problem per entry.

    Args:
      logits: floating array of any shape.
      labels: array broadcastable to ``logits``' shape, in [0, 1] (cast to the
        logits' dtype).
      where: optional boolean mask (gradtx addition); masked entries give 0 with
        a zero gradient.

    Returns:
      the losses, with ``logits``' shape.

    Differences from optax: a ``-inf`` logit with label 0, and a ``+inf`` logit
    with label 1, give loss 0 with gradient 0 (optax: NaN from ``0 * -inf``).

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> logits = jnp.array([0.0, -jnp.inf])
      >>> print(gradtx.losses.sigmoid_binary_cross_entropy(logits, jnp.array([1.0, 0.0])))
      [0.6931472 0.       ]
    """
    logits, labels, where = _binary_inputs("sigmoid_binary_cross_entropy", logits, labels, where)
    loss = -weighted_log(labels, jax.nn.log_sigmoid(logits)) - weighted_log(
        1.0 - labels, jax.nn.log_sigmoid(-logits)
    )
    return mask_fill(where, loss, 0)


def sigmoid_focal_loss(
    logits: jax.typing.ArrayLike,
    labels: jax.typing.ArrayLike,
    *,
    alpha: jax.typing.ArrayLike | None = None,
    gamma: jax.typing.ArrayLike = 2.0,
    where: jax.typing.ArrayLike | None = None,
) -> jax.Array:
    """The focal loss: the binary cross-entropy down-weighted on well-classified entries.

    With ``p = sigmoid(logits)`` and ``1 - p_t = labels * (1 - p) + (1 - labels) * p``:
        loss = (1 - p_t)**gamma * BCE(logits, labels)
        loss *= alpha * labels + (1 - alpha) * (1 - labels)      if alpha is not None

    Equals ``torchvision.ops.sigmoid_focal_loss(..., reduction="none")``.

    Args:
      logits: floating array of any shape.
      labels: array broadcastable to ``logits``' shape, in [0, 1].
      alpha: optional weight of the positive class, in [0, 1]; None: no weighting.
      gamma: the focusing exponent, >= 0; 0 gives the cross-entropy.
      where: optional boolean mask (gradtx addition); masked entries give 0.

    Returns:
      the losses, with ``logits``' shape.

    References:
      Lin et al., Focal Loss for Dense Object Detection, ICCV 2017,
      https://arxiv.org/abs/1708.02002

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> print(gradtx.losses.sigmoid_focal_loss(jnp.array([0.0]), jnp.array([1.0])))
      [0.1732868]
    """
    fn = "sigmoid_focal_loss"
    logits, labels, where = _binary_inputs(fn, logits, labels, where)
    ce = sigmoid_binary_cross_entropy(logits, labels)
    one_minus_pt = labels * jax.nn.sigmoid(-logits) + (1.0 - labels) * jax.nn.sigmoid(logits)
    # (1 - p_t)**gamma, with the gradient at 1 - p_t = 0 taken as 0 (NaN for gamma = 0 otherwise).
    positive = one_minus_pt > 0
    safe_base = jnp.where(positive, one_minus_pt, jnp.ones((), one_minus_pt.dtype))
    at_zero = jnp.where(jnp.asarray(gamma) == 0, 1.0, 0.0).astype(one_minus_pt.dtype)
    loss = ce * jnp.where(positive, safe_base**gamma, at_zero)
    if alpha is not None:
        loss = (alpha * labels + (1.0 - alpha) * (1.0 - labels)) * loss
    return mask_fill(where, loss, 0)


def hinge_loss(
    predictor_outputs: jax.typing.ArrayLike,
    targets: jax.typing.ArrayLike,
    *,
    where: jax.typing.ArrayLike | None = None,
) -> jax.Array:
    """The binary hinge loss ``max(0, 1 - predictor_outputs * targets)``, elementwise.

    Args:
      predictor_outputs: the scores of the positive class, any shape.
      targets: the labels in {-1, +1}, broadcastable to ``predictor_outputs``.
      where: optional boolean mask (gradtx addition); masked entries give 0.

    Returns:
      the losses, with ``predictor_outputs``' shape.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> print(gradtx.losses.hinge_loss(jnp.array([0.5, 2.0]), jnp.array([1.0, -1.0])))
      [0.5 3. ]
    """
    x, y, where = _binary_inputs(
        "hinge_loss", predictor_outputs, targets, where, float_labels=False
    )
    return mask_fill(where, jnp.maximum(0, 1 - x * y), 0)


def perceptron_loss(
    predictor_outputs: jax.typing.ArrayLike,
    targets: jax.typing.ArrayLike,
    *,
    where: jax.typing.ArrayLike | None = None,
) -> jax.Array:
    """The binary perceptron loss ``max(0, -predictor_outputs * targets)``, elementwise.

    Args:
      predictor_outputs: the scores of the positive class, any shape.
      targets: the labels in {-1, +1}, broadcastable to ``predictor_outputs``.
      where: optional boolean mask (gradtx addition); masked entries give 0.

    Returns:
      the losses, with ``predictor_outputs``' shape.

    References:
      Rosenblatt, The perceptron: A probabilistic model for information storage
      and organization in the brain, Psychological Review 1958.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> print(gradtx.losses.perceptron_loss(jnp.array([0.5, 2.0]), jnp.array([1.0, -1.0])))
      [0. 2.]
    """
    x, y, where = _binary_inputs(
        "perceptron_loss", predictor_outputs, targets, where, float_labels=False
    )
    return mask_fill(where, jnp.maximum(0, -x * y), 0)


def _sparse_plus(x: jax.Array) -> jax.Array:
    """0 for x <= -1, (x + 1)^2 / 4 on (-1, 1), x for x >= 1; finite gradients at +-inf."""
    inside = jnp.abs(x) < 1
    x_in = jnp.where(inside, x, jnp.zeros((), x.dtype))
    return jnp.where(inside, (x_in + 1) ** 2 / 4, jnp.where(x >= 1, x, jnp.zeros((), x.dtype)))


def sparsemax_loss(
    logits: jax.typing.ArrayLike,
    labels: jax.typing.ArrayLike,
    *,
    where: jax.typing.ArrayLike | None = None,
) -> jax.Array:
    """The binary sparsemax loss, elementwise: ``sparse_plus(-logits if labels else logits)``.

    With ``sparse_plus(x) = 0`` for ``x <= -1``, ``(x + 1)**2 / 4`` for ``|x| < 1`` and
    ``x`` for ``x >= 1``: the Fenchel-Young loss of the binary sparsemax, a smooth
    hinge loss. Its gradient is ``sparse_sigmoid(logits) - labels``.

    Args:
      logits: floating array of any shape.
      labels: binary labels (0 or 1), broadcastable to ``logits``' shape.
      where: optional boolean mask (gradtx addition); masked entries give 0.

    Returns:
      the losses, with ``logits``' shape.

    Differences from optax: finite gradients at infinite logits (optax's
    ``jax.nn.sparse_plus`` gives NaN there).

    References:
      Martins and Astudillo, From Softmax to Sparsemax, ICML 2016,
      https://arxiv.org/abs/1602.02068

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> print(gradtx.losses.sparsemax_loss(jnp.array([0.0, 3.0]), jnp.array([1, 1])))
      [0.25 0.  ]
    """
    check_floating("sparsemax_loss", "logits", logits)
    x, y, where = _binary_inputs("sparsemax_loss", logits, labels, where, float_labels=False)
    return mask_fill(where, _sparse_plus(jnp.where(y != 0, -x, x)), 0)


def _class_inputs(fn: str, scores, labels, axis, where):
    check_floating(fn, "scores", scores)
    check_integer(fn, "labels", labels)
    scores, labels = jnp.asarray(scores), jnp.asarray(labels)
    (ax,) = normalize_axes(axis, scores.ndim)
    where = expand_where(fn, where, scores, ax)
    label_scores = jnp.take_along_axis(scores, jnp.expand_dims(labels, ax), axis=ax)
    one_hot = jnp.expand_dims(labels, ax) == jnp.expand_dims(
        jnp.arange(scores.shape[ax]), tuple(a for a in range(scores.ndim) if a != ax)
    )
    return scores, label_scores, one_hot.astype(scores.dtype), ax, where


def _masked_max_minus_label(scores, label_scores, ax, where):
    top = jnp.max(mask_fill(where, scores, -jnp.inf), axis=ax, keepdims=True)
    return zero_rows_without_kept(jnp.squeeze(top - label_scores, ax), where, ax)


def multiclass_hinge_loss(
    scores: jax.typing.ArrayLike,
    labels: jax.typing.ArrayLike,
    *,
    axis: int = -1,
    where: jax.typing.ArrayLike | None = None,
) -> jax.Array:
    """The multiclass hinge loss: ``max_k (scores_k + 1[k != label]) - scores[label]``.

    Zero exactly when the labelled class beats every other by a margin of 1
    (Crammer-Singer). Equals ``torch.nn.functional.multi_margin_loss`` only for two
    classes; torch's loss sums the hinge over classes instead of taking the max.

    Args:
      scores: floating array ``[..., num_classes]``.
      labels: integer array of the batch shape.
      axis: the class axis (gradtx addition).
      where: optional boolean mask of the classes to include (gradtx addition);
        a row with no kept class gives 0.

    Returns:
      the losses, of the batch shape.

    References:
      Crammer and Singer, On the Algorithmic Implementation of Multiclass
      Kernel-based Vector Machines, JMLR 2001.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> print(gradtx.losses.multiclass_hinge_loss(jnp.array([2.0, 1.5]), jnp.array(0)))
      0.5
    """
    scores, label_scores, one_hot, ax, where = _class_inputs(
        "multiclass_hinge_loss", scores, labels, axis, where
    )
    return _masked_max_minus_label(scores + 1.0 - one_hot, label_scores, ax, where)


def multiclass_perceptron_loss(
    scores: jax.typing.ArrayLike,
    labels: jax.typing.ArrayLike,
    *,
    axis: int = -1,
    where: jax.typing.ArrayLike | None = None,
) -> jax.Array:
    """The multiclass perceptron loss: ``max_k scores_k - scores[label]``, >= 0.

    Args:
      scores: floating array ``[..., num_classes]``.
      labels: integer array of the batch shape.
      axis: the class axis (gradtx addition).
      where: optional boolean mask of the classes to include (gradtx addition).

    Returns:
      the losses, of the batch shape.

    References:
      Collins, Discriminative Training Methods for Hidden Markov Models: Theory
      and Experiments with Perceptron Algorithms, EMNLP 2002.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> print(gradtx.losses.multiclass_perceptron_loss(jnp.array([2.0, 1.5]), jnp.array(1)))
      0.5
    """
    scores, label_scores, _, ax, where = _class_inputs(
        "multiclass_perceptron_loss", scores, labels, axis, where
    )
    return _masked_max_minus_label(scores, label_scores, ax, where)


def _sparsemax_loss_1d(scores: jax.Array, label: jax.Array) -> jax.Array:
    proba = projection_simplex(scores)
    shifted = scores - scores[label]
    return jnp.dot(proba, jnp.where(proba > 0, shifted, 0.0)) + 0.5 * (1.0 - jnp.dot(proba, proba))


def multiclass_sparsemax_loss(
    scores: jax.typing.ArrayLike, labels: jax.typing.ArrayLike
) -> jax.Array:
    """The multiclass sparsemax loss: the Fenchel-Young loss of the Gini entropy.

    With ``p = sparsemax(scores)`` (the Euclidean projection onto the simplex):
        loss = <p, scores> + (1 - |p|^2) / 2 - scores[label]

    It is >= 0, zero when ``p`` is the one-hot label, and its gradient is
    ``p - one_hot(label)``: sparse probabilities, unlike softmax.

    Args:
      scores: floating array ``[..., num_classes]`` (any number of batch axes; optax
        takes exactly one).
      labels: integer array of the batch shape.

    Returns:
      the losses, of the batch shape.

    References:
      Martins and Astudillo, From Softmax to Sparsemax, ICML 2016,
      https://arxiv.org/abs/1602.02068

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> print(gradtx.losses.multiclass_sparsemax_loss(jnp.array([[3.0, 0.0]]), jnp.array([0])))
      [0.]
    """
    fn = "multiclass_sparsemax_loss"
    check_floating(fn, "scores", scores)
    check_integer(fn, "labels", labels)
    return jnp.vectorize(_sparsemax_loss_1d, signature="(n),()->()")(
        jnp.asarray(scores), jnp.asarray(labels)
    )
