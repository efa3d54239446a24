"""Segmentation losses: the soft Dice (Tversky) loss and its generalised and binary forms."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from gradtx.losses._common import check_same_shape


def _reduce(fn: str, loss: jax.Array, reduction: str) -> jax.Array:
    if reduction == "mean":
        return jnp.mean(loss, axis=-1)
    if reduction == "sum":
        return jnp.sum(loss, axis=-1)
    if reduction == "none":
        return loss
    raise ValueError(
        f"gradtx.losses.{fn}(reduction={reduction!r}): reduction must be 'mean', 'sum' or "
        f"'none'; got {reduction!r}."
    )


def _check_probabilities(fn: str, probs) -> None:
    """With apply_softmax=False the inputs must sum to 1 over classes (checked when concrete)."""
    if isinstance(probs, jax.core.Tracer):
        return
    sums = np.sum(np.asarray(probs, np.float64), axis=-1)
    if not np.allclose(sums, 1.0, rtol=1e-5):
        raise ValueError(
            f"gradtx.losses.{fn}(apply_softmax=False): predictions must be probability "
            f"distributions over the last axis; their sums range over "
            f"[{sums.min():.6f}, {sums.max():.6f}]."
        )


def _tversky(probs, targets, smooth, alpha, beta, axis) -> jax.Array:
    """Per-class ``1 - (I + smooth) / (I + alpha FP + beta FN + smooth)`` summed over ``axis``."""
    if axis is None:
        axis = tuple(range(1, probs.ndim - 1))
    intersection = jnp.sum(probs * targets, axis=axis)
    false_pos = jnp.sum(probs, axis=axis) - intersection
    false_neg = jnp.sum(targets, axis=axis) - intersection
    return 1.0 - (intersection + smooth) / (
        intersection + alpha * false_pos + beta * false_neg + smooth
    )


def dice_loss(
    predictions: jax.typing.ArrayLike,
    targets: jax.typing.ArrayLike,
    *,
    class_weights: jax.typing.ArrayLike | None = None,
    smooth: jax.typing.ArrayLike = 1.0,
    alpha: jax.typing.ArrayLike = 0.5,
    beta: jax.typing.ArrayLike = 0.5,
    apply_softmax: bool = True,
    reduction: str = "mean",
    ignore_background: bool = False,
    axis: int | tuple[int, ...] | None = None,
) -> jax.Array:
    """The soft Dice loss per class, with Tversky weights on false positives and negatives.

    With probabilities ``p`` (softmax of the logits over the last axis, or sigmoid
    for a single channel) and targets ``t``, summed over the spatial ``axis``:
        I_c = sum p_c t_c,   P_c = sum p_c,   T_c = sum t_c
        loss_c = 1 - (I_c + smooth) / (I_c + alpha (P_c - I_c) + beta (T_c - I_c) + smooth)

    ``alpha = beta = 1/2`` is the Dice loss; ``alpha > beta`` penalises false
    positives more (the Tversky loss). The per-class losses are weighted by
    ``class_weights``, optionally without class 0, and reduced over classes.

    Args:
      predictions: logits ``[batch, ..., classes]``, or ``[batch, ...]`` /
        ``[batch, ..., 1]`` for binary segmentation.
      targets: one-hot (or binary) targets of the same shape.
      class_weights: optional weights ``[classes]``.
      smooth: added to numerator and denominator, >= 0.
      alpha: weight of the false positives.
      beta: weight of the false negatives.
      apply_softmax: apply softmax (sigmoid for one channel); False: ``predictions``
        are probabilities, checked to sum to 1 over classes when concrete.
      reduction: ``'mean'`` or ``'sum'`` over classes, or ``'none'``.
      ignore_background: drop class 0 (when there are several classes).
      axis: the axes to sum over; None: all but the first and the last.

    Returns:
      ``[batch]`` losses, or ``[batch, classes]`` with ``reduction='none'``.

    Raises:
      ValueError: shapes differ, an unknown ``reduction``, or non-normalised
        probabilities with ``apply_softmax=False``.

    References:
      Milletari et al., V-Net: Fully Convolutional Neural Networks for Volumetric
      Medical Image Segmentation, 3DV 2016; Salehi et al., Tversky loss function
      for image segmentation using 3D fully convolutional deep networks, 2017.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> logits = jnp.array([[[5.0, -5.0], [-5.0, 5.0]]])  # 1 image, 2 pixels, 2 classes
      >>> targets = jnp.array([[[1.0, 0.0], [0.0, 1.0]]])
      >>> print(gradtx.losses.dice_loss(logits, targets).round(5))
      [2.e-05]
    """
    fn = "dice_loss"
    predictions, targets = jnp.asarray(predictions), jnp.asarray(targets)
    if predictions.ndim == targets.ndim - 1:
        predictions = predictions[..., None]
    if targets.ndim == predictions.ndim - 1:
        targets = targets[..., None]
    check_same_shape(fn, "predictions", predictions, "targets", targets)
    num_classes = predictions.shape[-1]
    if apply_softmax:
        if num_classes == 1:
            probs = jax.nn.sigmoid(predictions)
        else:
            probs = jax.nn.softmax(predictions, axis=-1)
    else:
        _check_probabilities(fn, predictions)
        probs = predictions
    loss = _tversky(probs, targets, smooth, alpha, beta, axis)
    if class_weights is not None:
        class_weights = jnp.asarray(class_weights)
        if class_weights.ndim != 1:
            raise ValueError(
                f"gradtx.losses.{fn}: class_weights must have shape [classes]; "
                f"got shape {class_weights.shape}."
            )
        loss = loss * jnp.broadcast_to(class_weights, loss.shape)
    if ignore_background and num_classes > 1:
        loss = loss[..., 1:]
    return _reduce(fn, loss, reduction)


def multiclass_generalized_dice_loss(
    predictions: jax.typing.ArrayLike,
    targets: jax.typing.ArrayLike,
    *,
    smooth: jax.typing.ArrayLike = 1.0,
    apply_softmax: bool = True,
    ignore_background: bool = False,
) -> jax.Array:
    """The generalised Dice loss: per-class Dice losses weighted by inverse squared class volume.

        w_c = 1 / (V_c**2 + 1e-7),   V_c = sum of targets of class c over the whole batch
        w   = w * num_classes / sum(w)
        loss = mean over batch and classes of w_c * dice_loss_c

    Rare classes get large weights, against class imbalance.

    Args:
      predictions: logits ``[batch, ..., classes]``.
      targets: one-hot targets of the same shape.
      smooth: as in ``dice_loss``.
      apply_softmax: as in ``dice_loss``.
      ignore_background: drop class 0.

    Returns:
      the scalar loss.

    References:
      Sudre et al., Generalised Dice overlap as a deep learning loss function for
      highly unbalanced segmentations, DLMIA 2017, https://arxiv.org/abs/1707.03237

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> logits = jnp.array([[[5.0, -5.0], [-5.0, 5.0]]])
      >>> targets = jnp.array([[[1.0, 0.0], [0.0, 1.0]]])
      >>> print(gradtx.losses.multiclass_generalized_dice_loss(logits, targets).round(5))
      2e-05
    """
    fn = "multiclass_generalized_dice_loss"
    predictions, targets = jnp.asarray(predictions), jnp.asarray(targets)
    check_same_shape(fn, "predictions", predictions, "targets", targets)
    volumes = jnp.sum(targets, axis=tuple(range(targets.ndim - 1)))
    weights = 1.0 / (volumes**2 + 1e-7)
    weights = weights * weights.shape[0] / jnp.sum(weights)
    per_class = dice_loss(
        predictions,
        targets,
        class_weights=weights,
        smooth=smooth,
        apply_softmax=apply_softmax,
        reduction="none",
        ignore_background=ignore_background,
    )
    return jnp.mean(per_class)


def binary_dice_loss(
    predictions: jax.typing.ArrayLike,
    targets: jax.typing.ArrayLike,
    *,
    smooth: jax.typing.ArrayLike = 1.0,
    apply_sigmoid: bool = True,
) -> jax.Array:
    """The Dice loss of a binary segmentation: ``dice_loss`` on one sigmoid channel.

    Args:
      predictions: logits ``[batch, ...]`` or ``[batch, ..., 1]``.
      targets: binary targets of the same shape.
      smooth: as in ``dice_loss``.
      apply_sigmoid: apply the sigmoid; False: ``predictions`` are probabilities.

    Returns:
      ``[batch]`` losses.

    Differences from optax: with ``apply_sigmoid=False`` optax checks that the
    single channel sums to 1 over classes and so rejects almost every input;
    gradtx takes the channel as the probability of the positive class.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> logits = jnp.array([[5.0, -5.0]])
      >>> print(gradtx.losses.binary_dice_loss(logits, jnp.array([[1.0, 0.0]])).round(3))
      [0.003]
    """
    predictions, targets = jnp.asarray(predictions), jnp.asarray(targets)
    if predictions.ndim == targets.ndim and predictions.shape[-1] != 1:
        predictions, targets = predictions[..., None], targets[..., None]
    if apply_sigmoid:
        return dice_loss(predictions, targets, smooth=smooth, apply_softmax=True, reduction="mean")
    return jnp.mean(_tversky(predictions, targets, smooth, 0.5, 0.5, None), axis=-1)
