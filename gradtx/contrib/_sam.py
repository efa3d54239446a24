"""SAM: sharpness-aware minimisation as an outer optimizer around adversarial steps."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import (
    EmptyState,
    GradientTransformation,
    apply_updates,
    with_extra_args_support,
)
from gradtx._core._numerics import widest_float_dtype
from gradtx._core._validate import check_int, require_param_values, require_params
from gradtx.tree_utils._arithmetic import tree_where
from gradtx.tree_utils._reductions import tree_sum_of_squares

NormalizeState = EmptyState


def normalize() -> GradientTransformation:
    """Divide the updates by their global L2 norm. Stateless.

    SAM's adversarial step is ``rho * g / |g|``: chain this with ``sgd(rho)``.

    Update rule (the norm over all leaves, accumulated in at least float32):
        u = g / |g|        (u = g when |g| = 0)

    Difference from optax: an all-zero gradient stays zero (optax returns NaN).

    Returns:
        The transformation; its state is ``NormalizeState`` (an ``EmptyState``).

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.contrib.normalize()
        >>> tx.update(jnp.array([3.0, 4.0]), tx.init(None))[0]
        Array([0.6, 0.8], dtype=float32)
    """

    def init(params):
        del params
        return NormalizeState()

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        norm = jnp.sqrt(tree_sum_of_squares(updates, widest_float_dtype(updates)))
        norm = jnp.where(norm > 0, norm, 1.0)
        return jax.tree.map(lambda g: (g / norm).astype(g.dtype), updates), state

    return GradientTransformation(init, update)


class SAMState(NamedTuple):
    """State of ``sam`` (optax's names and order).

    Fields:
        steps_since_sync: adversarial steps since the last outer update (int32).
        opt_state: the outer optimizer's state.
        adv_state: the adversarial optimizer's state.
        cache: the params of the last outer update (None in opaque mode).
    """

    steps_since_sync: jax.Array
    opt_state: Any
    adv_state: Any
    cache: Any | None


def _as_tx(fn, name, tx):
    if not (isinstance(tx, tuple) and len(tx) == 2 and all(map(callable, tx))):
        raise TypeError(
            f"gradtx.{fn}({name}=...): {name} must be a GradientTransformation; "
            f"got {type(tx).__name__}."
        )
    return with_extra_args_support(GradientTransformation(*tx))


def _negate(tree):
    return jax.tree.map(jnp.negative, tree)


def sam(
    optimizer: GradientTransformation,
    adv_optimizer: GradientTransformation,
    sync_period: int = 2,
    reset_state: bool = True,
    opaque_mode: bool = False,
    batch_axis_name: str | None = None,
) -> GradientTransformation:
    """Sharpness-Aware Minimisation: take the outer step with gradients at an adversarial point.

    SAM looks for params whose whole neighbourhood has low loss. Each outer
    step starts with ``sync_period - 1`` ascent steps of ``adv_optimizer`` (the
    drop-in SAM of the paper: ``chain(normalize(), sgd(rho))``, one step), then
    applies ``optimizer`` to the gradient at the perturbed point, starting
    from the params before the perturbation.

    Update rule (transparent mode; one call per gradient; n = sync_period,
    c = the cached params of the last outer step):
        steps 1 .. n-1 of a cycle:  x <- x - adv_optimizer(g)     (ascent)
        step n:                     x <- c + optimizer(g; params c)
    so ``apply_updates`` sees the perturbations, and the gradient at step ``n``
    is taken at the perturbed params. In ``opaque_mode`` each call runs the whole
    cycle itself, calling ``grad_fn(params, i)`` for the adversarial gradients,
    and returns only the outer update (use it when a step has side effects,
    such as batch-norm statistics).

    The same extra arguments (``value=`` ...) reach both inner optimizers (optax
    passes none). Difference from optax: the state switch uses ``where``
    instead of ``c * a + (1 - c) * b``, so an ``inf`` in the unused branch does
    not turn the state into NaN.

    Args:
        optimizer: the outer optimizer.
        adv_optimizer: the adversarial optimizer; its updates are negated (it
            ascends).
        sync_period: int >= 1, calls per outer step (2: one adversarial step).
        reset_state: re-initialise ``adv_optimizer`` after each outer step.
        opaque_mode: run the adversarial steps inside one call; ``update`` then
            needs ``grad_fn=``, a function ``(params, i) -> gradients``.
        batch_axis_name: in opaque mode under ``pmap``/``shard_map``, the axis
            over which the adversarial gradients are averaged.

    Returns:
        The transformation; its state is ``SAMState``. ``update`` needs params.

    Raises:
        ValueError: ``sync_period < 1``; at update, no params, or no
            ``grad_fn`` in opaque mode.
        TypeError: a non-transformation optimizer, or a non-int ``sync_period``.

    References:
        Foret et al., Sharpness-Aware Minimization for Efficiently Improving
        Generalization, ICLR 2021, https://arxiv.org/abs/2010.01412.

    Example:
        >>> import gradtx, jax, jax.numpy as jnp
        >>> def f(x): return jnp.sum(x ** 2)
        >>> opt = gradtx.contrib.sam(
        ...     gradtx.sgd(0.1), gradtx.chain(gradtx.contrib.normalize(), gradtx.sgd(0.05)))
        >>> params = jnp.array([1.0, 2.0])
        >>> state = opt.init(params)
        >>> for _ in range(100):  # 50 adversarial and 50 outer steps
        ...     updates, state = opt.update(jax.grad(f)(params), state, params)
        ...     params = gradtx.apply_updates(params, updates)
        >>> bool(f(state.cache) < 1e-2)
        True
    """
    fn = "contrib.sam"
    opt = _as_tx(fn, "optimizer", optimizer)
    adv = _as_tx(fn, "adv_optimizer", adv_optimizer)
    check_int(fn, "sync_period", sync_period, low=1)

    def init(params):
        if not opaque_mode:
            require_param_values("contrib.sam", params, "it caches the params")
        return SAMState(
            steps_since_sync=jnp.zeros((), jnp.int32),
            opt_state=opt.init(params),
            adv_state=adv.init(params),
            cache=None if opaque_mode else jax.tree.map(lambda p: jnp.array(p, copy=True), params),
        )

    def transparent_update(updates, state, params=None, *, grad_fn=None, **extra_args):
        del grad_fn
        require_params(fn, params)
        first = state.steps_since_sync == 0
        last = state.steps_since_sync == sync_period - 1
        adv_updates, adv_state = adv.update(updates, state.adv_state, params, **extra_args)
        opt_updates, opt_state = opt.update(updates, state.opt_state, state.cache, **extra_args)
        outer = jax.tree.map(
            lambda c, p, u: (c - p + u).astype(u.dtype), state.cache, params, opt_updates
        )
        new_updates = tree_where(last, outer, _negate(adv_updates))
        keep_adv = adv.init(params) if reset_state else state.adv_state
        return new_updates, SAMState(
            steps_since_sync=(state.steps_since_sync + 1) % sync_period,
            opt_state=tree_where(last, opt_state, state.opt_state),
            adv_state=tree_where(last, keep_adv, adv_state),
            cache=tree_where(first, params, state.cache),
        )

    def opaque_update(updates, state, params=None, *, grad_fn=None, **extra_args):
        require_params(fn, params)
        if grad_fn is None:
            raise ValueError(
                f"gradtx.{fn}(opaque_mode=True): update needs grad_fn=, a function "
                "(params, i) -> gradients for the adversarial steps."
            )
        adv_params, adv_grads, adv_state = params, updates, state.adv_state
        for i in range(sync_period - 1):
            adv_updates, adv_state = adv.update(adv_grads, adv_state, adv_params, **extra_args)
            adv_params = apply_updates(adv_params, _negate(adv_updates))
            adv_grads = grad_fn(adv_params, i)
            if batch_axis_name is not None:
                adv_grads = jax.lax.pmean(adv_grads, axis_name=batch_axis_name)
        if reset_state:
            adv_state = adv.init(params)
        new_updates, opt_state = opt.update(adv_grads, state.opt_state, params, **extra_args)
        return new_updates, SAMState(jnp.zeros((), jnp.int32), opt_state, adv_state, None)

    return GradientTransformation(init, opaque_update if opaque_mode else transparent_update)
