"""Polyak step sizes, gradient noise, and two safety transforms (non-negativity, NaNs)."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gradtx._base import (
    EmptyState,
    GradientTransformation,
    ScalarOrSchedule,
    chain,
    init_empty_state,
)
from gradtx._numerics import safe_increment, zero_count
from gradtx._scaling import scale_by_learning_rate
from gradtx._tree import abs_sq, zip_map
from gradtx._validate import check_learning_rate, check_nonnegative, check_range, require_params

# ---------------------------------------------------------------------------
# Polyak step size

_POLYAK_VARIANTS = ("sps", "sps+")


def _check_polyak_args(fn, f_min, max_learning_rate, eps, variant):
    check_range(fn, "f_min", f_min)  # rejects NaN only
    check_nonnegative(fn, "max_learning_rate", max_learning_rate)
    check_nonnegative(fn, "eps", eps)
    if variant not in _POLYAK_VARIANTS:
        raise ValueError(
            f"gradtx.{fn}(variant={variant!r}): variant must be one of "
            f"{', '.join(repr(v) for v in _POLYAK_VARIANTS)}; got {variant!r}."
        )


def _sum_of_squares(tree) -> jax.Array:
    """sum |x|^2 over all leaves, accumulated in at least float32."""
    parts = [
        jnp.sum(abs_sq(x), dtype=jnp.promote_types(_real(x.dtype), jnp.float32))
        for x in jax.tree.leaves(tree)
    ]
    if not parts:
        return jnp.zeros((), jnp.float32)
    return sum(parts[1:], parts[0])


def _real(dtype):
    dtype = jnp.dtype(dtype)
    return jnp.finfo(dtype).dtype if jnp.issubdtype(dtype, jnp.complexfloating) else dtype


def scale_by_polyak(
    f_min: float | jax.Array = 0.0,
    max_learning_rate: float | jax.Array = 1.0,
    eps: float | jax.Array = 0.0,
    variant: str = "sps",
) -> GradientTransformation:
    """Scale the updates by Polyak's step size, computed from the loss value. Stateless.

    The step is the one that would reach ``f_min`` if the loss were linear
    along the gradient, capped at ``max_learning_rate``. It needs the current
    loss: call ``update(grads, state, params, value=loss)``.

    Update rule (norms over the whole tree):
        gap = value - f_min                  ("sps")
            = max(value - f_min, 0)          ("sps+")
        step = min(gap / (||g||^2 + eps), max_learning_rate)
             = 0 if ||g||^2 + eps <= 2.2e-16 (float64 machine epsilon)
        u = step * g

    Args:
        f_min: a lower bound on the loss (its minimum if known; 0 for models that
            interpolate the data). Too high a value stalls, too low overshoots.
        max_learning_rate: >= 0, the cap on the step.
        eps: >= 0, added to the squared gradient norm.
        variant: ``"sps"`` (Loizou et al.) or ``"sps+"`` (Garrigos et al.), which
            never steps uphill when ``value < f_min``.

    Returns:
        The transformation; its state is ``EmptyState``.

    Raises:
        ValueError: out-of-range concrete hyperparameters, an unknown variant,
            or ``update`` called without ``value``.

    References:
        Polyak, Introduction to Optimization, 1987, sec. 5.3.
        Loizou et al., Stochastic Polyak Step-size for SGD: An Adaptive Learning
        Rate for Fast Convergence, AISTATS 2021, https://arxiv.org/abs/2002.10542.
        Garrigos et al., Function Value Learning: Adaptive Learning Rates Based on
        the Polyak Stepsize and Function Splitting in ERM, 2023,
        https://arxiv.org/abs/2307.14528.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.scale_by_polyak()
        >>> x = jnp.array([3.0, 4.0])            # loss 0.5 * |x|^2 = 12.5, grad x
        >>> tx.update(x, tx.init(x), value=12.5)[0]
        Array([1.5, 2. ], dtype=float32)
    """
    fn = "scale_by_polyak"
    _check_polyak_args(fn, f_min, max_learning_rate, eps, variant)

    def update(updates, state, params=None, *, value=None, **extra_args):
        del params, extra_args
        if value is None:
            raise ValueError(
                f"gradtx.{fn}: update needs the loss; call update(grads, state, params, "
                "value=loss)."
            )
        sq_norm = _sum_of_squares(updates)
        gap = jnp.asarray(value - f_min).astype(sq_norm.dtype)
        if variant == "sps+":
            gap = jnp.maximum(gap, 0.0)
        denom = sq_norm + eps
        tiny = denom <= np.finfo(np.float64).eps
        step = jnp.where(
            tiny, 0.0, jnp.minimum(gap / jnp.where(tiny, 1.0, denom), max_learning_rate)
        )
        return jax.tree.map(lambda g: (step * g).astype(g.dtype), updates), state

    return GradientTransformation(init_empty_state, update)


def polyak_sgd(
    max_learning_rate: float | jax.Array = 1.0,
    scaling: ScalarOrSchedule = 1.0,
    f_min: float | jax.Array = 0.0,
    eps: float | jax.Array = 0.0,
    variant: str = "sps",
) -> GradientTransformation:
    """SGD with Polyak's step size: ``scale_by_polyak`` then ``scaling`` as a learning rate.

        p_t = p_{t-1} - scaling * min(gap / (||g||^2 + eps), max_learning_rate) * g

    Pass the loss at every step: ``update(grads, state, params, value=loss)``.
    With ``f_min`` the true minimum of a convex loss this converges without
    tuning a learning rate.

    Note: this follows the formula above, which optax documents too. optax
    0.2.8 computes the step from ``scaling * g`` instead of ``g``, so the two
    agree exactly when ``scaling == 1`` (the default) and differ otherwise.

    Example:
        >>> import gradtx, jax, jax.numpy as jnp
        >>> opt = gradtx.polyak_sgd()
        >>> f = lambda x: jnp.sum(x**2)
        >>> x = jnp.array([1.0, 2.0, 3.0])
        >>> value, grad = jax.value_and_grad(f)(x)
        >>> updates, state = opt.update(grad, opt.init(x), x, value=value)
        >>> f(gradtx.apply_updates(x, updates))
        Array(3.5, dtype=float32)
    """
    _check_polyak_args("polyak_sgd", f_min, max_learning_rate, eps, variant)
    check_learning_rate("polyak_sgd", scaling)
    return chain(
        scale_by_polyak(f_min, max_learning_rate, eps, variant), scale_by_learning_rate(scaling)
    )


# ---------------------------------------------------------------------------
# Gradient noise


class AddNoiseState(NamedTuple):
    """State of ``add_noise``: the step count and the PRNG key of the next step."""

    count: jax.Array
    rng_key: jax.Array


def _check_key(fn: str, key: Any) -> None:
    if isinstance(key, bool):
        raise TypeError(f"gradtx.{fn}(key={key!r}): key must be an int or a JAX PRNG key.")
    if isinstance(key, int | np.integer):
        return
    dtype = getattr(key, "dtype", None)
    shape = tuple(getattr(key, "shape", ()))
    if dtype is not None and jnp.issubdtype(dtype, jax.dtypes.prng_key) and shape == ():
        return
    if dtype is not None and jnp.dtype(dtype) == jnp.uint32 and shape == (2,):
        return
    if dtype is not None and jnp.issubdtype(dtype, jnp.integer) and shape == ():
        return
    raise TypeError(
        f"gradtx.{fn}(key=...): key must be an int, a scalar typed PRNG key "
        f"(jax.random.key) or a raw uint32[2] key; got {type(key).__name__}"
        + (f" of dtype {dtype} and shape {shape}." if dtype is not None else ".")
    )


def _to_key(key) -> jax.Array:
    if isinstance(key, int | np.integer):
        return jax.random.key(key)
    dtype = key.dtype
    if jnp.issubdtype(dtype, jax.dtypes.prng_key):
        return key
    if jnp.dtype(dtype) == jnp.uint32 and tuple(key.shape) == (2,):
        return jax.random.wrap_key_data(jnp.asarray(key))
    return jax.random.key(key)


def add_noise(
    eta: float | jax.Array,
    gamma: float | jax.Array,
    key: int | jax.Array | None = None,
    *,
    seed: int | None = None,
) -> GradientTransformation:
    """Add annealed Gaussian noise to the updates.

    Noise helps very deep or badly initialised networks escape plateaus and
    poor regions early; its variance decays so that it fades out later.

    Update rule (t counts from 1):
        sigma_t^2 = eta / t^gamma
        u_t = g_t + sigma_t * n_t,   n_t ~ N(0, I) independent per element

    The noise is deterministic given ``key`` (or ``seed``): each step splits
    the state key into the next state key and a sampling key, which is split
    once per leaf (in tree-flattening order). This is optax's stream, so
    ``gradtx.noisy_sgd`` reproduces ``optax.noisy_sgd`` with the same key.
    Under ``vmap`` with an unbatched key every batch member gets the same noise.

    Args:
        eta: >= 0, the variance at the first step (the paper tries 0.01, 0.3, 1).
        gamma: >= 0, the annealing exponent (0.55 in the paper).
        key: an int seed, a typed key (``jax.random.key``) or a raw uint32[2]
            key. None (with no ``seed``) means seed 0.
        seed: an int seed, the older spelling of ``key``; give at most one.

    Returns:
        The transformation; its state is ``AddNoiseState``.

    Raises:
        ValueError: negative concrete ``eta`` or ``gamma``, or both ``key`` and
            ``seed`` given.

    References:
        Neelakantan et al., Adding Gradient Noise Improves Learning for Very Deep
        Networks, 2015, https://arxiv.org/abs/1511.06807.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.add_noise(eta=0.01, gamma=0.55, key=0)
        >>> u, state = tx.update(jnp.zeros(3), tx.init(jnp.zeros(3)))
    """
    fn = "add_noise"
    check_nonnegative(fn, "eta", eta)
    check_nonnegative(fn, "gamma", gamma)
    if seed is not None:
        if key is not None:
            raise ValueError(
                f"gradtx.{fn}(key=..., seed={seed!r}): give key or seed, not both "
                "(seed is the older name of key)."
            )
        key = seed
    key = 0 if key is None else key
    _check_key(fn, key)

    def init(params):
        del params
        return AddNoiseState(count=zero_count(), rng_key=_to_key(key))

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        count = safe_increment(state.count)
        std = jnp.sqrt(eta / count**gamma)
        next_key, sample_key = jax.random.split(state.rng_key)
        leaves, treedef = jax.tree.flatten(updates)
        keys = jax.random.split(sample_key, len(leaves))
        noisy = [
            (g + std * jax.random.normal(k, jnp.shape(g), jnp.asarray(g).dtype)).astype(g.dtype)
            for g, k in zip(leaves, keys, strict=True)
        ]
        return treedef.unflatten(noisy), AddNoiseState(count=count, rng_key=next_key)

    return GradientTransformation(init, update)


def noisy_sgd(
    learning_rate: ScalarOrSchedule,
    eta: float | jax.Array = 0.01,
    gamma: float | jax.Array = 0.55,
    key: int | jax.Array | None = None,
    *,
    seed: int | None = None,
) -> GradientTransformation:
    """SGD on noisy gradients: ``add_noise(eta, gamma, key)`` then the learning rate.

        p_t = p_{t-1} - learning_rate * (g_t + sqrt(eta / t^gamma) * n_t)

    Same key, same trajectory as ``optax.noisy_sgd``.

    Example:
        >>> import gradtx
        >>> opt = gradtx.noisy_sgd(learning_rate=0.01, key=0)
    """
    check_learning_rate("noisy_sgd", learning_rate)
    check_nonnegative("noisy_sgd", "eta", eta)
    check_nonnegative("noisy_sgd", "gamma", gamma)
    return chain(add_noise(eta, gamma, key, seed=seed), scale_by_learning_rate(learning_rate))


# ---------------------------------------------------------------------------
# Safety transforms

NonNegativeParamsState = EmptyState


def keep_params_nonnegative() -> GradientTransformation:
    """Clip the updates so that the params stay >= 0. Stateless.

    Update rule (elementwise):
        u = -p  where p + u < 0,  else u

    Put it last in a chain. Params that are already negative are moved to 0.
    Needs params.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.keep_params_nonnegative()
        >>> p = jnp.array([1.0, 0.5])
        >>> tx.update(jnp.array([-2.0, 0.1]), tx.init(p), p)[0]
        Array([-1. ,  0.1], dtype=float32)
    """

    def update(updates, state, params=None, **extra_args):
        del extra_args
        require_params("keep_params_nonnegative", params)

        def leaf(u, p):
            if u is None or p is None:
                return u
            return jnp.where(p + u < 0.0, -p, u).astype(u.dtype)

        return zip_map(
            "gradtx.keep_params_nonnegative", leaf, updates=updates, params=params
        ), state

    return GradientTransformation(init_empty_state, update)


class ZeroNansState(NamedTuple):
    """State of ``zero_nans``: per leaf, a bool scalar, True if the last update had a NaN."""

    found_nan: Any


def zero_nans() -> GradientTransformation:
    """Replace NaNs in the updates by zeros, and record which leaves had any.

    Update rule (elementwise):
        u = 0 where g is NaN, else g
        found_nan[leaf] = any(isnan(g[leaf]))

    The state is for monitoring only; it does not change later updates.
    Infinities are left alone (combine with ``clip`` for those).

    Returns:
        The transformation; its state is ``ZeroNansState``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.zero_nans()
        >>> g = jnp.array([1.0, jnp.nan])
        >>> u, state = tx.update(g, tx.init(g))
        >>> u, state.found_nan
        (Array([1., 0.], dtype=float32), Array(True, dtype=bool))
    """

    def init(params):
        return ZeroNansState(found_nan=jax.tree.map(lambda p: jnp.zeros((), jnp.bool_), params))

    def update(updates, state, params=None, **extra_args):
        del params, extra_args

        del state
        new = jax.tree.map(lambda g: jnp.where(jnp.isnan(g), jnp.zeros_like(g), g), updates)
        found = jax.tree.map(lambda g: jnp.any(jnp.isnan(g)), updates)
        return new, ZeroNansState(found_nan=found)

    return GradientTransformation(init, update)
