"""Gradient accumulation: MultiSteps (a big batch from k small ones) and apply_every."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

import jax
import jax.numpy as jnp
from jax import lax

from gradtx._core._contract import GradientTransformation, with_extra_args_support
from gradtx._core._numerics import canonicalize_dtype, promoted_dtype, safe_increment, zero_count
from gradtx._core._param_updates import null_updates
from gradtx._core._validate import check_dtype, check_range
from gradtx.tree_utils._construct import tree_cast_like
from gradtx.tree_utils._reductions import tree_sum_of_squares


class ShouldSkipUpdateFunction(Protocol):
    """``f(updates, gradient_step, params) -> (skip, skip_state)`` for ``MultiSteps``.

    ``skip`` is a bool scalar: True drops this mini-step as if it never happened.
    ``skip_state`` is any tree (same structure every call), kept in
    ``MultiStepsState.skip_state`` for logging.
    """

    def __call__(
        self, updates: Any, gradient_step: jax.Array, params: Any
    ) -> tuple[jax.Array, Any]: ...


def skip_not_finite(updates: Any, gradient_step: jax.Array, params: Any) -> tuple[jax.Array, dict]:
    """Skip a mini-step whose updates hold an inf or a NaN (for ``MultiSteps``).

    Returns:
        ``(skip, {"should_skip": skip, "num_not_finite": int32 count})``.
    """
    del gradient_step, params
    counts = [jnp.sum(~jnp.isfinite(x), dtype=jnp.int32) for x in jax.tree.leaves(updates)]
    num = functools.reduce(jnp.add, counts, jnp.zeros((), jnp.int32))
    skip = num > 0
    return skip, {"should_skip": skip, "num_not_finite": num}


def skip_large_updates(
    updates: Any, gradient_step: jax.Array, params: Any, max_squared_norm: float | jax.Array
) -> tuple[jax.Array, dict]:
    """Skip a mini-step whose squared global norm is not below ``max_squared_norm``.

    Use with ``functools.partial(skip_large_updates, max_squared_norm=...)``. A
    NaN norm is skipped too.

    Returns:
        ``(skip, {"should_skip": skip, "norm_squared": float scalar})``.
    """
    del gradient_step, params
    norm_sq = tree_sum_of_squares(updates)
    skip = jnp.logical_not(norm_sq < max_squared_norm)
    return skip, {"should_skip": skip, "norm_squared": norm_sq}


def _never_skip(updates, gradient_step, params):
    del updates, gradient_step, params
    return jnp.asarray(False), ()


def _accumulator_dtype(leaf, dtype):
    """The accumulator's dtype for one leaf: ``dtype``, or float32 widened to the leaf's."""
    if dtype is not None:
        return dtype
    d = jnp.result_type(leaf)
    if jnp.issubdtype(d, jnp.inexact):
        return canonicalize_dtype(promoted_dtype(d, jnp.float32))
    return d


class MultiStepsState(NamedTuple):
    """State of ``MultiSteps``.

    Attributes:
        mini_step: int32 mini-steps accumulated since the last emitted update.
        gradient_step: int32 number of updates emitted (inner optimizer steps).
        inner_opt_state: the wrapped optimizer's state.
        acc_grads: the accumulated gradients (mean or sum so far).
        skip_state: what ``should_skip_update_fn`` returned last (``()`` if none).
    """

    mini_step: jax.Array
    gradient_step: jax.Array
    inner_opt_state: Any
    acc_grads: Any
    skip_state: Any = ()


class MultiSteps:
    """Accumulate gradients over k mini-steps, then take one step of the wrapped optimizer.

    Training with ``MultiSteps(opt, k)`` on batches of size B follows ``opt``
    trained on batches of size k*B (with ``use_grad_mean=True``): the inner
    optimizer sees the mean of the k gradients, and its state advances once per
    k mini-steps. On the other mini-steps the updates are zeros (``-0.0``, so
    ``apply_updates`` leaves every param bit as it was). The only extra memory
    is one accumulator the size of the params; the inner optimizer runs only on
    the emitting mini-step (under ``jit``; under ``vmap`` both branches are
    computed and selected).

    Update rule (n = mini_step, k = every_k_schedule(gradient_step)):
        acc_n = acc_{n-1} + (g - acc_{n-1}) / (n + 1)   (running mean; or acc + g)
        n = k - 1:  u = inner(acc_n), acc = 0, gradient_step += 1
        otherwise:  u = 0
        n = (n + 1) mod k

    Args:
        opt: the wrapped optimizer.
        every_k_schedule: an int >= 1, or a function of ``gradient_step``
            returning the number of mini-steps per update (a growing batch size).
        use_grad_mean: average the mini-step gradients (default); else sum them.
        should_skip_update_fn: optional ``ShouldSkipUpdateFunction``; a skipped
            mini-step changes nothing but ``skip_state`` (see
            ``skip_not_finite``, ``skip_large_updates``).
        accumulator_dtype: dtype of the accumulator; None uses float32, or the
            gradient's dtype where it is wider.

    Use ``.init``/``.update`` directly or ``.gradient_transformation()``;
    ``has_updated(state)`` tells whether the last call emitted an update.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.MultiSteps(gradtx.sgd(0.1), every_k_schedule=2)
        >>> state = opt.init(jnp.zeros(2))
        >>> u, state = opt.update(jnp.ones(2), state)
        >>> u, state = opt.update(3 * jnp.ones(2), state)
        >>> u, bool(opt.has_updated(state))
        (Array([-0.2, -0.2], dtype=float32), True)
    """

    def __init__(
        self,
        opt: GradientTransformation,
        every_k_schedule: int | Callable[[jax.Array], jax.Array],
        use_grad_mean: bool = True,
        should_skip_update_fn: ShouldSkipUpdateFunction | None = None,
        accumulator_dtype: Any = None,
    ):
        if not callable(every_k_schedule):
            check_range("MultiSteps", "every_k_schedule", every_k_schedule, 1)
            k = every_k_schedule
            every_k_schedule = lambda step: k  # noqa: E731
        check_dtype("MultiSteps", "accumulator_dtype", accumulator_dtype)
        self._opt = with_extra_args_support(opt)
        self._every_k_schedule = every_k_schedule
        self._use_grad_mean = use_grad_mean
        self._should_skip_update_fn = should_skip_update_fn or _never_skip
        self._accumulator_dtype = canonicalize_dtype(accumulator_dtype)

    @property
    def inner_opt(self) -> GradientTransformation:
        return self._opt

    def init(self, params: Any) -> MultiStepsState:
        acc = jax.tree.map(
            lambda p: jnp.zeros_like(p, _accumulator_dtype(p, self._accumulator_dtype)),
            params,
        )
        gradient_step = zero_count()
        zeros = jax.tree.map(jnp.zeros_like, params)
        _, skip_state = self._should_skip_update_fn(zeros, gradient_step, params)
        return MultiStepsState(
            mini_step=zero_count(),
            gradient_step=gradient_step,
            inner_opt_state=self._opt.init(params),
            acc_grads=acc,
            skip_state=skip_state,
        )

    def update(
        self, updates: Any, state: MultiStepsState, params: Any = None, **extra_args: Any
    ) -> tuple[Any, MultiStepsState]:
        k = self._every_k_schedule(state.gradient_step)
        skip, skip_state = self._should_skip_update_fn(updates, state.gradient_step, params)
        skip = jnp.asarray(skip)
        if skip.dtype != jnp.bool_ or skip.shape != ():
            raise ValueError(
                "gradtx.MultiSteps(should_skip_update_fn=...): the function must return a "
                f"bool scalar first; got dtype {skip.dtype} and shape {skip.shape}."
            )
        n = state.mini_step
        emit = jnp.logical_and(n == k - 1, jnp.logical_not(skip))

        def accumulate(g, a):
            g = g.astype(a.dtype)
            return a + (g - a) / (n + 1).astype(a.dtype) if self._use_grad_mean else a + g

        acc = jax.tree.map(accumulate, updates, state.acc_grads)

        def step(_):
            inner_in = jax.tree.map(lambda a, g: a.astype(g.dtype), acc, updates)
            u, s = self._opt.update(inner_in, state.inner_opt_state, params, **extra_args)
            return tree_cast_like(u, updates), tree_cast_like(s, state.inner_opt_state)

        def hold(_):
            return null_updates(updates), state.inner_opt_state

        new_updates, inner_state = lax.cond(emit, step, hold, None)
        new_acc = jax.tree.map(
            lambda a_new, a_old: jnp.where(skip, a_old, jnp.where(emit, 0, a_new)).astype(
                a_old.dtype
            ),
            acc,
            state.acc_grads,
        )
        mini_step = jnp.where(skip, n, safe_increment(n) % k).astype(n.dtype)
        gradient_step = jnp.where(emit, safe_increment(state.gradient_step), state.gradient_step)
        return new_updates, MultiStepsState(
            mini_step=mini_step,
            gradient_step=gradient_step,
            inner_opt_state=inner_state,
            acc_grads=new_acc,
            skip_state=skip_state,
        )

    def has_updated(self, state: MultiStepsState | Any) -> jax.Array:
        """True iff the last ``update`` emitted a step of the inner optimizer."""
        return jnp.logical_and(state.mini_step == 0, state.gradient_step > 0)

    def gradient_transformation(self) -> GradientTransformation:
        """This wrapper as a plain ``GradientTransformation`` (for ``chain``)."""
        return GradientTransformation(self.init, self.update)


class ApplyEveryState(NamedTuple):
    """State of ``apply_every``: ``count`` (mini-steps mod k) and the sum ``grad_acc``."""

    count: jax.Array
    grad_acc: Any


ApplyEvery = ApplyEveryState  # optax's name for this state


def apply_every(k: int | jax.Array = 1) -> GradientTransformation:
    """Sum the updates over k steps and emit the sum every k-th step, zeros otherwise.

    Unlike ``MultiSteps``, transformations before ``apply_every`` in a chain
    still advance every step, so this is not the same as a k times larger
    batch; use ``MultiSteps`` for that.

    Update rule (c = count mod k):
        acc = g if c == 0 else acc + g
        u = acc if c == k - 1 else 0

    Args:
        k: the period, an int >= 1 (or an integer array).

    Returns:
        The transformation; its state is ``ApplyEveryState`` (``ApplyEvery``).

    Raises:
        ValueError: a concrete ``k`` below 1.
    """
    check_range("apply_every", "k", k, 1)

    def init(params):
        return ApplyEveryState(count=zero_count(), grad_acc=jax.tree.map(jnp.zeros_like, params))

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        c = state.count % k
        emit = c == k - 1
        acc = jax.tree.map(
            lambda g, a: jnp.where(c != 0, a + g, g).astype(a.dtype), updates, state.grad_acc
        )
        out = jax.tree.map(lambda a, g: jnp.where(emit, a, 0).astype(g.dtype), acc, updates)
        count = (safe_increment(state.count) % k).astype(state.count.dtype)
        return out, ApplyEveryState(count=count, grad_acc=acc)

    return GradientTransformation(init, update)
