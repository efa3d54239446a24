"""Moving one tree of parameters towards another (Polyak averaging, periodic copies), or not at all."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from gradtx.tree_utils._tree_math import is_none


def incremental_update(new_tensors: Any, old_tensors: Any, step_size: ArrayLike) -> Any:
    """Move ``old_tensors`` a fraction ``step_size`` of the way to ``new_tensors`` (Polyak averaging).

    Update rule (leafwise):
        out = step_size * new + (1 - step_size) * old

    The usual soft update of a target network (``step_size`` = tau, e.g. 0.005).
    A None leaf of ``new_tensors`` stays None.

    Args:
        new_tensors: the tree to move towards (the online params).
        old_tensors: the tree to move (the target params), same structure.
        step_size: in [0, 1]: 0 keeps ``old_tensors``, 1 copies ``new_tensors``.

    Returns:
        The updated tree.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.incremental_update(jnp.array([1.0]), jnp.array([0.0]), 0.25)
        Array([0.25], dtype=float32)
    """
    return jax.tree.map(
        lambda new, old: None if new is None else step_size * new + (1.0 - step_size) * old,
        new_tensors,
        old_tensors,
        is_leaf=is_none,
    )


def periodic_update(
    new_tensors: Any, old_tensors: Any, steps: ArrayLike, update_period: ArrayLike
) -> Any:
    """``new_tensors`` every ``update_period`` steps (when ``steps % update_period == 0``), else ``old_tensors``.

    The hard update of a target network. Works with traced ``steps`` (a
    ``lax.cond``, so only the chosen tree is materialised).

    Args:
        new_tensors: the tree to copy on an update step.
        old_tensors: the tree to keep otherwise (same structure).
        steps: the current step (an int, traced or not).
        update_period: the period, an int > 0.

    Returns:
        One of the two trees.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> gradtx.periodic_update(jnp.array([1.0]), jnp.array([0.0]), 10, 5)
        Array([1.], dtype=float32)
    """
    return jax.lax.cond(
        jnp.mod(steps, update_period) == 0, lambda: new_tensors, lambda: old_tensors
    )


def null_updates(updates: Any) -> Any:
    """Updates that leave every param bit as it was: ``-0.0`` in each float leaf.

    What a step that is skipped (a non-finite gradient, a spike, a mini-step that
    only accumulates) returns. ``-0.0`` is the additive identity of IEEE floats:
    ``p + (-0.0)`` is ``p`` for every ``p``, ``-0.0`` and NaN payloads included,
    whereas ``-0.0 + 0.0`` is ``+0.0``. It compares equal to ``0.0``. Complex
    leaves get ``-0.0 - 0.0j``, integer and bool leaves zeros.

    Args:
        updates: the updates a step would have returned (only shapes and dtypes
            are read).

    Returns:
        A tree of the same structure, shapes and dtypes.

    Example:
        >>> import jax.numpy as jnp
        >>> from gradtx._core._param_updates import null_updates
        >>> p = jnp.array([-0.0, 1.0])
        >>> jnp.signbit(p + null_updates(p))
        Array([ True, False], dtype=bool)
    """

    def null(x):
        dtype = jnp.result_type(x)
        if jnp.issubdtype(dtype, jnp.complexfloating):
            return jnp.full_like(x, complex(-0.0, -0.0))
        if jnp.issubdtype(dtype, jnp.floating):
            return jnp.full_like(x, -0.0)
        return jnp.zeros_like(x)

    return jax.tree.map(null, updates)
