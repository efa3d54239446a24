"""Polyak step sizes, gradient noise, and two safety transforms (non-negativity, NaNs)."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import EmptyState, GradientTransformation, init_empty_state
from gradtx._core._validate import require_params
from gradtx.tree_utils._tree_math import zip_map

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
