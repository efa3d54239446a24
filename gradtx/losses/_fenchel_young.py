"""Fenchel-Young losses: a loss from any regularised max function."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import jax
import jax.numpy as jnp


class MaxFun(Protocol):
    """A (regularised) max function: scores ``[n]`` (and extra arguments) to a scalar."""

    def __call__(self, scores, *args, **kwargs: Any) -> jax.typing.ArrayLike: ...


def make_fenchel_young_loss(max_fun: MaxFun) -> Callable[..., jax.Array]:
    """Build the Fenchel-Young loss of a regularised max function.

    For a convex regulariser ``Omega`` with conjugate ``max_fun = Omega*``:
        loss(scores, targets) = max_fun(scores) + Omega(targets) - <targets, scores>

    The constant ``Omega(targets)`` is dropped, so the loss is
    ``max_fun(scores) - <targets, scores>``, with gradient
    ``grad max_fun(scores) - targets``. With ``max_fun = logsumexp`` it is the
    softmax cross-entropy up to the targets' entropy.

    Args:
      max_fun: a function of a score vector ``[n]`` (and optional extra arguments)
        returning a scalar; it is vectorised over leading axes.

    Returns:
      ``loss(scores, targets, *args, **kwargs)``, taking ``[..., n]`` scores and
      targets and returning ``[...]`` losses; extra arguments go to ``max_fun``.

    References:
      Blondel et al., Learning with Fenchel-Young Losses, JMLR 2020,
      https://arxiv.org/abs/1901.02324

    Example:
      >>> import jax.numpy as jnp
      >>> import jax.scipy.special
      >>> import gradtx
      >>> loss = gradtx.losses.make_fenchel_young_loss(jax.scipy.special.logsumexp)
      >>> print(loss(jnp.array([[0.0, 0.0]]), jnp.array([[1.0, 0.0]])))
      [0.6931472]
    """
    vdot_last = jnp.vectorize(jnp.vdot, signature="(n),(n)->()")
    max_last = jnp.vectorize(max_fun, signature="(n)->()")

    def fenchel_young_loss(scores, targets, *args, **kwargs):
        return max_last(scores, *args, **kwargs) - vdot_last(targets, scores)

    return fenchel_young_loss
