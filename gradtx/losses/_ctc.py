"""Connectionist temporal classification (CTC): the loss of aligning a label sequence to frames."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from gradtx.losses._common import check_floating, log_softmax_masked


def _check_ctc_inputs(logits, logit_paddings, labels, label_paddings) -> None:
    fn = "ctc_loss"
    check_floating(fn, "logits", logits)
    if np.ndim(logits) != 3:
        raise ValueError(
            f"gradtx.losses.{fn}: logits must have shape [batch, frames, classes]; "
            f"got shape {np.shape(logits)}."
        )
    if np.ndim(labels) != 2:
        raise ValueError(
            f"gradtx.losses.{fn}: labels must have shape [batch, max_label_length]; "
            f"got shape {np.shape(labels)}."
        )
    if np.shape(label_paddings) != np.shape(labels):
        raise ValueError(
            f"gradtx.losses.{fn}: label_paddings must have labels' shape {np.shape(labels)}; "
            f"got {np.shape(label_paddings)}."
        )
    if np.shape(logit_paddings) != np.shape(logits)[:2]:
        raise ValueError(
            f"gradtx.losses.{fn}: logit_paddings must have shape [batch, frames] = "
            f"{np.shape(logits)[:2]}; got {np.shape(logit_paddings)}."
        )
    if np.shape(labels)[0] != np.shape(logits)[0]:
        raise ValueError(
            f"gradtx.losses.{fn}: labels must have batch size {np.shape(logits)[0]}; "
            f"got {np.shape(labels)[0]}."
        )


def ctc_loss_with_forward_probs(
    logits: jax.typing.ArrayLike,
    logit_paddings: jax.typing.ArrayLike,
    labels: jax.typing.ArrayLike,
    label_paddings: jax.typing.ArrayLike,
    *,
    blank_id: int = 0,
    log_epsilon: jax.typing.ArrayLike = -1e5,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """The CTC loss, with the forward (alpha) log-probabilities of the two state kinds.

    An alignment emits, at each unpadded frame, either the blank or the next (or
    the current) label; collapsing repeats and removing blanks must give the
    label sequence. The loss is ``-log sum_{alignments} prod_t p_t(symbol_t)``,
    computed by the forward recursion over two kinds of states per prefix length
    ``n``:

    - ``phi[t, b, n]``: ``n`` labels done, frame ``t`` is a blank (or, in the last
      row, the sequence may also end on the ``n``-th label);
    - ``emit[t, b, n]``: frame ``t`` emits label ``n`` (0-based).

    A label equal to the previous one can only follow it through a blank.
    Transitions that are impossible carry ``log_epsilon`` instead of ``-inf``.

    Args:
      logits: floating array ``[batch, frames, classes]`` of unnormalised
        log-probabilities.
      logit_paddings: ``[batch, frames]``, 1.0 on padding frames, 0.0 elsewhere.
      labels: integer array ``[batch, max_label_length]``.
      label_paddings: ``[batch, max_label_length]``, 1.0 on padding labels
        (which must come after the real ones).
      blank_id: the class index of the blank.
      log_epsilon: the log-probability standing for an impossible transition.

    Returns:
      ``(per_seq_loss, logalpha_phi, logalpha_emit)`` with shapes ``[batch]``,
      ``[frames, batch, max_label_length + 1]`` and ``[frames, batch, max_label_length]``.

    Differences from optax: log-probabilities below ``log_epsilon`` count as
    ``log_epsilon`` (no change in the value), so that a ``-inf`` logit gives finite
    gradients instead of NaN.

    References:
      Graves et al., Connectionist Temporal Classification: Labelling Unsegmented
      Sequence Data with Recurrent Neural Networks, ICML 2006.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> logits = jnp.zeros((1, 2, 2))  # two frames, blank and one symbol, uniform
      >>> loss, phi, emit = gradtx.losses.ctc_loss_with_forward_probs(
      ...     logits, jnp.zeros((1, 2)), jnp.array([[1]]), jnp.zeros((1, 1)))
      >>> print(loss, phi.shape, emit.shape)  # 3 alignments of probability 1/4
      [0.2876821] (2, 1, 2) (2, 1, 1)
    """
    _check_ctc_inputs(logits, logit_paddings, labels, label_paddings)
    logits, labels = jnp.asarray(logits), jnp.asarray(labels)
    batch, _, _ = logits.shape
    max_len = labels.shape[1]
    dtype = logits.dtype
    log_eps = jnp.asarray(log_epsilon, dtype)

    log_probs = jnp.maximum(log_softmax_masked(logits, (2,), None), log_eps)
    label_lengths = max_len - jnp.sum(label_paddings, axis=1).astype(jnp.int32)
    # same[b, n]: label n + 1 repeats label n, so emit n -> phi n + 1 needs a blank frame.
    same = jnp.pad((labels[:, :-1] == labels[:, 1:]).astype(dtype), ((0, 0), (0, 1)))

    # Frame-major inputs: [T, B, N] emission log-probs of each label, [T, B, 1] blank.
    emit_lp = jnp.take_along_axis(log_probs, labels[:, None, :], axis=2).transpose(1, 0, 2)
    blank_lp = log_probs[:, :, blank_id : blank_id + 1].transpose(1, 0, 2)
    pads = jnp.asarray(logit_paddings, dtype).T[:, :, None]

    def absorb(phi, extra):
        """phi[:, n + 1] += extra[:, n] in log space (phi[:, 0] has no predecessor)."""
        return jnp.concatenate([phi[:, :1], jnp.logaddexp(phi[:, 1:], extra)], axis=1)

    def step(carry, frame):
        phi, emit = carry
        e_lp, b_lp, pad = frame
        # A finished label n becomes "n + 1 labels done" without a frame, unless repeated.
        phi_eps = absorb(phi, emit + log_eps * same)
        new_emit = jnp.logaddexp(phi_eps[:, :-1], emit) + e_lp
        new_phi = absorb(phi_eps + b_lp, emit + b_lp + log_eps * (1.0 - same))
        new_phi = pad * phi + (1.0 - pad) * new_phi
        new_emit = pad * emit + (1.0 - pad) * new_emit
        return (new_phi, new_emit), (new_phi, new_emit)

    phi0 = jnp.full((batch, max_len + 1), log_eps, dtype).at[:, 0].set(0.0)
    emit0 = jnp.full((batch, max_len), log_eps, dtype)
    _, (phis, emits) = jax.lax.scan(step, (phi0, emit0), (emit_lp, blank_lp, pads))
    last = absorb(phis[-1], emits[-1])  # the sequence may end on its last label
    phis = phis.at[-1].set(last)
    per_seq_loss = -jnp.take_along_axis(last, label_lengths[:, None], axis=1)[:, 0]
    return per_seq_loss, phis, emits


def ctc_loss(
    logits: jax.typing.ArrayLike,
    logit_paddings: jax.typing.ArrayLike,
    labels: jax.typing.ArrayLike,
    label_paddings: jax.typing.ArrayLike,
    *,
    blank_id: int = 0,
    log_epsilon: jax.typing.ArrayLike = -1e5,
) -> jax.Array:
    """The CTC loss per sequence: ``-log p(labels | logits)`` summed over alignments.

    See ``ctc_loss_with_forward_probs`` for the recursion. Equals
    ``torch.nn.functional.ctc_loss(log_softmax(logits), ..., reduction="none")``.

    Args:
      logits: floating array ``[batch, frames, classes]``.
      logit_paddings: ``[batch, frames]``, 1.0 on padding frames.
      labels: integer array ``[batch, max_label_length]``.
      label_paddings: ``[batch, max_label_length]``, 1.0 on padding labels.
      blank_id: the class index of the blank.
      log_epsilon: the log-probability standing for an impossible transition.

    Returns:
      the losses, shape ``[batch]``. An impossible alignment (labels longer than
      the frames allow) gives a loss of order ``-log_epsilon``.

    Example:
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> logits = jnp.zeros((1, 2, 2))
      >>> print(gradtx.losses.ctc_loss(logits, jnp.zeros((1, 2)), jnp.array([[1]]), jnp.zeros((1, 1))))
      [0.2876821]
    """
    per_seq_loss, _, _ = ctc_loss_with_forward_probs(
        logits, logit_paddings, labels, label_paddings, blank_id=blank_id, log_epsilon=log_epsilon
    )
    return per_seq_loss
