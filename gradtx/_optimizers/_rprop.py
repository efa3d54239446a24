"""Rprop: per-coordinate step sizes adapted from the sign of successive gradients."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, chain
from gradtx._core._numerics import safe_increment, zero_count
from gradtx._core._validate import (
    check_learning_rate,
    check_range,
    checks_float_params,
    concrete_values,
    format_value,
)
from gradtx.transforms._scaling import scale
from gradtx.tree_utils._construct import tree_full_like, tree_zeros_like
from gradtx.tree_utils._tree_math import zip_map

_DEFAULTS = {"eta_minus": 0.5, "eta_plus": 1.2, "min_step_size": 1e-6, "max_step_size": 50.0}


class ScaleByRpropState(NamedTuple):
    """State of ``scale_by_rprop``: count, per-coordinate ``step_sizes`` and the
    previous output ``prev_updates`` (whose sign is the previous gradient's)."""

    count: jax.Array
    step_sizes: Any
    prev_updates: Any


def _pair(fn: str, name: str, value: Any) -> tuple[Any, Any]:
    if not (isinstance(value, tuple | list) and len(value) == 2):
        raise ValueError(
            f"gradtx.{fn}({name}={value!r}): {name} must be a pair (low, high) as in "
            f"torch.optim.Rprop; got {value!r}."
        )
    return value[0], value[1]


def _is_default(value: Any, default: float) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == default


def _resolve(fn, eta_minus, eta_plus, min_step_size, max_step_size, etas, step_sizes):
    """Apply torch's ``etas=(minus, plus)`` and ``step_sizes=(min, max)`` spellings."""
    given = {
        "eta_minus": eta_minus,
        "eta_plus": eta_plus,
        "min_step_size": min_step_size,
        "max_step_size": max_step_size,
    }
    for pair_name, value, names in (
        ("etas", etas, ("eta_minus", "eta_plus")),
        ("step_sizes", step_sizes, ("min_step_size", "max_step_size")),
    ):
        if value is None:
            continue
        clash = [n for n in names if not _is_default(given[n], _DEFAULTS[n])]
        if clash:
            raise ValueError(
                f"gradtx.{fn}({pair_name}=..., {clash[0]}=...): give either {pair_name} "
                f"(torch's spelling) or {names[0]}/{names[1]}, not both."
            )
        given[names[0]], given[names[1]] = _pair(fn, pair_name, value)
    return given["eta_minus"], given["eta_plus"], given["min_step_size"], given["max_step_size"]


def _check_rprop_args(fn, learning_rate, eta_minus, eta_plus, min_step_size, max_step_size):
    check_learning_rate(fn, learning_rate, schedule=False)
    check_range(fn, "eta_minus", eta_minus, 0.0, 1.0, low_open=True)
    check_range(fn, "eta_plus", eta_plus, 1.0)
    check_range(fn, "min_step_size", min_step_size, 0.0)
    check_range(fn, "max_step_size", max_step_size, 0.0)
    lo, hi = concrete_values(min_step_size), concrete_values(max_step_size)
    if lo is not None and hi is not None and not (lo <= hi).all():
        raise ValueError(
            f"gradtx.{fn}(min_step_size={format_value(min_step_size)}, "
            f"max_step_size={format_value(max_step_size)}): min_step_size must be <= "
            f"max_step_size; swap them."
        )


@checks_float_params(complex_params=False)
def scale_by_rprop(
    learning_rate: float | jax.Array,
    eta_minus: float | jax.Array = 0.5,
    eta_plus: float | jax.Array = 1.2,
    min_step_size: float | jax.Array = 1e-6,
    max_step_size: float | jax.Array = 50.0,
    *,
    etas: tuple[float, float] | None = None,
    step_sizes: tuple[float, float] | None = None,
) -> GradientTransformation:
    """Step by a per-coordinate size in the gradient's sign direction, adapting the
    size from sign agreement (Rprop, the variant without backtracking).

    Each coordinate grows its step while the gradient keeps its sign and shrinks
    it (skipping that step) when the sign flips. Only the signs matter, so the
    method is insensitive to the gradients' scale; it suits full-batch problems.
    Memory: two buffers per param.

    Update rule (s_0 = learning_rate everywhere, h_0 = 0):
        c_t = g_t * h_{t-1}
        s_t = clip(s_{t-1} * eta_plus,  min_step_size, max_step_size)   where c_t > 0
              clip(s_{t-1} * eta_minus, min_step_size, max_step_size)   where c_t < 0
              s_{t-1}                                                   where c_t = 0
        h_t = 0 where c_t < 0, else s_t * sign(g_t)                     (prev_updates)
        u_t = h_t

    The output points uphill; ``rprop`` negates it. The step sizes and state are
    optax's; the output is the current ``h_t`` (optax 0.2.8 returns ``h_{t-1}``
    masked where ``c_t < 0``, a lag fixed by google-deepmind/optax PR 1725). For
    ``min_step_size <= learning_rate <= max_step_size`` this is torch.optim.Rprop's
    documented rule (torch also clamps the initial step into the bounds).

    Args:
        learning_rate: the initial step size, >= 0.
        eta_minus: factor in (0, 1] applied when the gradient changes sign.
        eta_plus: factor >= 1 applied when it keeps its sign.
        min_step_size: lower bound on a step size, >= 0.
        max_step_size: upper bound, >= min_step_size.
        etas: torch's spelling ``(eta_minus, eta_plus)``; exclusive with those two.
        step_sizes: torch's spelling ``(min_step_size, max_step_size)``;
            exclusive with those two.

    Returns:
        The transformation; its state is ``ScaleByRpropState``.

    Raises:
        ValueError: out-of-range concrete hyperparameters, or both spellings given.

    References:
        Riedmiller and Braun, A Direct Adaptive Method for Faster Backpropagation
        Learning: The RPROP Algorithm, ICNN 1993.
        Igel and Husken, Improving the Rprop Learning Algorithm, 2000 (Rprop-).
    """
    fn = "scale_by_rprop"
    eta_minus, eta_plus, min_step_size, max_step_size = _resolve(
        fn, eta_minus, eta_plus, min_step_size, max_step_size, etas, step_sizes
    )
    _check_rprop_args(fn, learning_rate, eta_minus, eta_plus, min_step_size, max_step_size)

    def init(params):
        return ScaleByRpropState(
            count=zero_count(),
            step_sizes=tree_full_like(params, learning_rate),
            prev_updates=tree_zeros_like(params),
        )

    def update(updates, state, params=None, **extra_args):
        del params, extra_args

        def leaf(g, s, h):
            c = g * h
            grown = jnp.clip(
                s * jnp.where(c > 0, eta_plus, eta_minus), min_step_size, max_step_size
            )
            new_s = jnp.where(c == 0, s, grown).astype(s.dtype)
            new_h = jnp.where(c < 0, jnp.zeros_like(g), new_s * jnp.sign(g)).astype(h.dtype)
            return new_h.astype(g.dtype), new_s, new_h

        updates, step_sizes_, prev = zip_map(
            "gradtx.scale_by_rprop",
            leaf,
            3,
            updates=updates,
            step_sizes=state.step_sizes,
            prev_updates=state.prev_updates,
        )
        return updates, ScaleByRpropState(
            count=safe_increment(state.count), step_sizes=step_sizes_, prev_updates=prev
        )

    return GradientTransformation(init, update)


@checks_float_params(complex_params=False)
def rprop(
    learning_rate: float | jax.Array,
    eta_minus: float | jax.Array = 0.5,
    eta_plus: float | jax.Array = 1.2,
    min_step_size: float | jax.Array = 1e-6,
    max_step_size: float | jax.Array = 50.0,
    *,
    etas: tuple[float, float] | None = None,
    step_sizes: tuple[float, float] | None = None,
) -> GradientTransformation:
    """Rprop: ``scale_by_rprop`` then ``scale(-1)`` (the step sizes are the rates).

        p_t = p_{t-1} - s_t * sign(g_t)   (0 where the gradient's sign flipped)

    torch.optim.Rprop(lr, etas=(a, b), step_sizes=(lo, hi)) is
    ``rprop(lr, etas=(a, b), step_sizes=(lo, hi))``, or positionally
    ``rprop(lr, a, b, lo, hi)``.

    Complex params: not supported; ``init`` raises TypeError (wrap the optimizer in
    ``contrib.split_real_and_imaginary`` to optimize real and imaginary parts).

    Args: see ``scale_by_rprop``.

    Example:
        >>> import gradtx
        >>> opt = gradtx.rprop(learning_rate=0.01, step_sizes=(1e-6, 50.0))
    """
    fn = "rprop"
    eta_minus, eta_plus, min_step_size, max_step_size = _resolve(
        fn, eta_minus, eta_plus, min_step_size, max_step_size, etas, step_sizes
    )
    _check_rprop_args(fn, learning_rate, eta_minus, eta_plus, min_step_size, max_step_size)
    return chain(
        scale_by_rprop(learning_rate, eta_minus, eta_plus, min_step_size, max_step_size),
        scale(-1.0),
    )
