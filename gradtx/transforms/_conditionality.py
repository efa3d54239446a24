"""Routing parts of the params to different transformations, and related wrappers.

``partition`` sends each leaf to the transformation of its label; ``labels_by_regex``
and ``mask_by_regex`` build labels and masks from the leaves' paths; ``freeze``
zeroes chosen leaves; ``flatten`` runs a transformation on one raveled vector;
``conditionally_transform`` and ``conditionally_mask`` run it only at some steps."""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, with_extra_args_support
from gradtx._core._numerics import safe_increment, zero_count


class ConditionFn(Protocol):
    def __call__(self, step: jax.Array, **extra_args: Any) -> jax.Array: ...


class ConditionallyTransformState(NamedTuple):
    """State of ``conditionally_transform``: the number of updates so far and the
    inner state. ``step`` is the same counter under optax's name."""

    count: jax.Array
    inner_state: Any

    @property
    def step(self) -> jax.Array:
        return self.count


class ConditionallyMaskState(NamedTuple):
    """State of ``conditionally_mask``: the number of updates so far and the inner
    state. ``step`` is the same counter under optax's name."""

    count: jax.Array
    inner_state: Any

    @property
    def step(self) -> jax.Array:
        return self.count


def _conditional(fn, inner, should_transform_fn, forward_extra_args, state_cls, zero_rejected):
    if not callable(should_transform_fn):
        raise TypeError(
            f"gradtx.{fn}(should_transform_fn=...): must be a function of the step count "
            f"returning a boolean scalar; got {type(should_transform_fn).__name__}."
        )
    inner = with_extra_args_support(inner)

    def init(params):
        return state_cls(count=zero_count(), inner_state=inner.init(params))

    def update(updates, state, params=None, **extra_args):
        kwargs = extra_args if forward_extra_args else {}
        pred = jnp.asarray(should_transform_fn(state.count, **kwargs))
        if pred.shape != () or pred.dtype != jnp.bool_:
            raise ValueError(
                f"gradtx.{fn}: should_transform_fn must return a boolean scalar; got "
                f"shape {pred.shape} and dtype {pred.dtype}."
            )

        def apply(_):
            new, s = inner.update(updates, state.inner_state, params, **extra_args)
            new = jax.tree.map(lambda u, g: u.astype(g.dtype), new, updates)
            return new, s

        def skip(_):
            new = jax.tree.map(jnp.zeros_like, updates) if zero_rejected else updates
            return new, state.inner_state

        new, inner_state = jax.lax.cond(pred, apply, skip, None)
        return new, state_cls(count=safe_increment(state.count), inner_state=inner_state)

    return GradientTransformation(init, update)


def conditionally_transform(
    inner: GradientTransformation,
    should_transform_fn: ConditionFn,
    forward_extra_args: bool = False,
) -> GradientTransformation:
    """Run ``inner`` only at the steps where ``should_transform_fn(step)`` is True.

    At other steps the updates pass through unchanged and ``inner``'s state
    does not move. ``step`` counts the previous calls to ``update`` (0 first).
    Use ``conditionally_mask`` to get zero updates at the skipped steps instead.

    Args:
        inner: the transformation to run conditionally.
        should_transform_fn: ``f(step) -> bool scalar`` (a jnp expression; it is
            traced). With ``forward_extra_args=True`` it also receives the extra
            args of ``update`` as keywords.
        forward_extra_args: pass the extra args to ``should_transform_fn``.

    Returns:
        The transformation; its state is ``ConditionallyTransformState``.

    Example:
        >>> import gradtx
        >>> every_other = gradtx.conditionally_transform(
        ...     gradtx.scale(0.5), lambda step: step % 2 == 0)
    """
    return _conditional(
        "conditionally_transform",
        inner,
        should_transform_fn,
        forward_extra_args,
        ConditionallyTransformState,
        zero_rejected=False,
    )


def conditionally_mask(
    inner: GradientTransformation,
    should_transform_fn: ConditionFn,
    forward_extra_args: bool = False,
) -> GradientTransformation:
    """Run ``inner`` only where ``should_transform_fn(step)`` is True; zero the updates
    at the other steps (``inner``'s state does not move then).

    Arguments as in ``conditionally_transform``.

    Returns:
        The transformation; its state is ``ConditionallyMaskState``.
    """
    return _conditional(
        "conditionally_mask",
        inner,
        should_transform_fn,
        forward_extra_args,
        ConditionallyMaskState,
        zero_rejected=True,
    )
