"""Construction-time validation of hyperparameters, with messages that say how to fix them.

Only concrete values are checked: Python numbers, NumPy values and concrete JAX
arrays. Tracers and schedules (callables) are accepted as they are, so that jit,
vmap and ``inject_hyperparams`` keep working."""

from __future__ import annotations

import math
from typing import Any

import jax
import numpy as np


def concrete_values(value: Any) -> np.ndarray | None:
    """The value as a NumPy array if it is concrete and numeric, else None."""
    if value is None or callable(value) or isinstance(value, jax.core.Tracer):
        return None
    try:
        arr = np.asarray(value)
    except Exception:  # noqa: BLE001 - anything not array-like is not checked here
        return None
    if arr.dtype.kind not in "biuf":
        return None
    return arr


def format_value(value: Any) -> str:
    if isinstance(value, float | int):
        return repr(value)
    arr = np.asarray(value)
    return repr(arr.item()) if arr.size == 1 else f"array with values in [{arr.min()}, {arr.max()}]"


def check_range(
    fn: str,
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    """Raise ValueError if a concrete ``value`` lies outside the given interval.

    ``fn`` is the public function name without the package (``"adam"``).
    """
    arr = concrete_values(value)
    if arr is None:
        return
    ok = ~np.isnan(arr) if arr.dtype.kind == "f" else np.ones(arr.shape, bool)
    if low is not None:
        ok &= (arr > low) if low_open else (arr >= low)
    if high is not None:
        ok &= (arr < high) if high_open else (arr <= high)
    if np.all(ok):
        return
    lo = "(-inf" if low is None else ("(" if low_open else "[") + f"{low:g}"
    hi = "inf)" if high is None else f"{high:g}" + (")" if high_open else "]")
    raise ValueError(
        f"gradtx.{fn}({name}={format_value(value)}): {name} must be in {lo}, {hi}; got {format_value(value)}."
    )


def check_nonnegative(fn: str, name: str, value: Any) -> None:
    check_range(fn, name, value, 0.0)


def check_positive(fn: str, name: str, value: Any) -> None:
    check_range(fn, name, value, 0.0, low_open=True)


def check_decay(fn: str, name: str, value: Any) -> None:
    """Decay rates (b1, b2, momentum, ...) live in [0, 1)."""
    check_range(fn, name, value, 0.0, 1.0, high_open=True)


def check_learning_rate(fn: str, value: Any) -> None:
    """A learning rate is a schedule or a finite non-negative number."""
    check_range(fn, "learning_rate", value, 0.0)
    arr = concrete_values(value)
    if arr is not None and not np.all(np.isfinite(arr)):
        raise ValueError(
            f"gradtx.{fn}(learning_rate={format_value(value)}): learning_rate must be finite; "
            f"got {format_value(value)}."
        )


def check_int(fn: str, name: str, value: Any, low: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(
            f"gradtx.{fn}({name}={value!r}): {name} must be an int; got {type(value).__name__}."
        )
    if low is not None and value < low:
        raise ValueError(f"gradtx.{fn}({name}={value}): {name} must be >= {low}; got {value}.")


def check_dtype(fn: str, name: str, value: Any) -> None:
    if value is None:
        return
    try:
        np.dtype(value)
    except TypeError:
        raise TypeError(f"gradtx.{fn}({name}={value!r}): {name} must be a dtype or None.") from None


def is_finite_number(x: Any) -> bool:
    return isinstance(x, float | int) and math.isfinite(x)


def require_params(fn: str, params: Any) -> None:
    """Raise a clear ValueError when a transformation that reads params gets none."""
    if params is None:
        raise ValueError(f"gradtx.{fn}: update needs params (pass params= to update).")


def require_param_values(fn: str, params: Any, why: str) -> None:
    """Raise a clear TypeError when an ``init`` that copies the params gets abstract ones.

    Most ``init`` functions read only the params' shapes and dtypes and accept
    ``jax.ShapeDtypeStruct`` leaves; the few whose state starts at the params'
    values (``why`` says which part) cannot, and say how to get the abstract
    state instead.
    """
    for path, x in jax.tree_util.tree_flatten_with_path(params)[0]:
        if isinstance(x, jax.ShapeDtypeStruct):
            where = jax.tree_util.keystr(path) or "<root>"
            raise TypeError(
                f"gradtx.{fn}: init needs the params' values ({why}); got a "
                f"jax.ShapeDtypeStruct at {where}. For the state's shapes, dtypes and "
                "shardings without materialising it, use jax.eval_shape(tx.init, params) "
                "or gradtx.tree_utils.state_shardings(tx, params)."
            )
