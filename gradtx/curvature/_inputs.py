"""Arguments the curvature transformations share: PRNG keys and the ``obj_fn`` extra argument."""

from __future__ import annotations

from collections.abc import Callable

import jax
import numpy as np

from gradtx._core._keys import check_key


def as_key(fn: str, key: int | jax.Array) -> jax.Array:
    """An int seed as ``jax.random.PRNGKey(seed)``; a key (checked by ``check_key``) as it is."""
    check_key(fn, key)
    return jax.random.PRNGKey(key) if isinstance(key, int | np.integer) else key


def require_obj_fn(fn: str, obj_fn: Callable | None) -> Callable:
    if obj_fn is None:
        raise ValueError(
            f"gradtx.{fn}: update needs the extra argument obj_fn, a function of the "
            "params returning the scalar loss; call update(grads, state, params, "
            "obj_fn=lambda p: loss(p, batch))."
        )
    return obj_fn


def inner_update_with_objective(
    fn: str, inner, updates, inner_state, params, obj_fn: Callable | None, extra_args: dict
):
    """Check ``params`` and ``obj_fn``, run ``inner`` (passing ``obj_fn`` on): ``(obj_fn, updates, state)``."""
    if params is None:
        raise ValueError(f"gradtx.{fn}: update needs params (pass params= to update).")
    obj_fn = require_obj_fn(fn, obj_fn)
    new_updates, new_state = inner.update(updates, inner_state, params, obj_fn=obj_fn, **extra_args)
    return obj_fn, new_updates, new_state
