"""Construction-time validation of hyperparameters, with messages that say how to fix them.

Only concrete values are checked: Python numbers, NumPy values and concrete JAX
arrays. Tracers and schedules (callables) are accepted as they are, so that jit,
vmap and ``inject_hyperparams`` keep working."""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from typing import Any

import jax
import numpy as np

# The public factory whose construction is under way: a building block that checks
# its arguments while an optimizer builds it reports the optimizer's name, so each
# argument is validated once, where it is used, under the name the user called.
_REPORTED_AS: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "gradtx_reported_as", default=None
)


def reported_as(fn: str) -> str:
    """The name to put in an error message: the outermost factory being built, else ``fn``."""
    return _REPORTED_AS.get() or fn


def validates_through_parts(factory: Callable) -> Callable:
    """Mark an optimizer whose arguments are checked by the building blocks it builds.

    While the decorated factory runs, the ``check_*`` helpers name it instead of
    the building block (``gradtx.adam(b1=1.2): ...`` rather than
    ``gradtx.scale_by_adam(b1=1.2): ...``), so the factory need not check the
    same arguments a second time. Use it only where the factory passes its
    arguments on under the same names.
    """
    name = factory.__name__

    @functools.wraps(factory)
    def wrapper(*args, **kwargs):
        if _REPORTED_AS.get() is not None:
            return factory(*args, **kwargs)
        token = _REPORTED_AS.set(name)
        try:
            return factory(*args, **kwargs)
        finally:
            _REPORTED_AS.reset(token)

    return wrapper


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
    # A missing bound is an open infinite one: [0, inf) excludes inf. Pass
    # ``high=math.inf`` (closed) where inf is a meaningful value: [0, inf].
    low_open = low_open or low is None
    high_open = high_open or high is None
    low = -np.inf if low is None else low
    high = np.inf if high is None else high
    ok = ~np.isnan(arr) if arr.dtype.kind == "f" else np.ones(arr.shape, bool)
    ok &= (arr > low) if low_open else (arr >= low)
    ok &= (arr < high) if high_open else (arr <= high)
    if np.all(ok):
        return
    lo = ("(" if low_open else "[") + f"{low:g}"
    hi = f"{high:g}" + (")" if high_open else "]")
    raise ValueError(
        f"gradtx.{reported_as(fn)}({name}={format_value(value)}): {name} must be in {lo}, {hi}; got {format_value(value)}."
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
    arr = concrete_values(value)
    if arr is not None and np.any(np.isposinf(arr)):
        raise ValueError(
            f"gradtx.{reported_as(fn)}(learning_rate={format_value(value)}): learning_rate must be finite; "
            f"got {format_value(value)}."
        )
    check_range(fn, "learning_rate", value, 0.0)


def check_int(fn: str, name: str, value: Any, low: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(
            f"gradtx.{reported_as(fn)}({name}={value!r}): {name} must be an int; got {type(value).__name__}."
        )
    if low is not None and value < low:
        raise ValueError(
            f"gradtx.{reported_as(fn)}({name}={value}): {name} must be >= {low}; got {value}."
        )


def check_dtype(fn: str, name: str, value: Any) -> None:
    if value is None:
        return
    try:
        np.dtype(value)
    except TypeError:
        raise TypeError(
            f"gradtx.{reported_as(fn)}({name}={value!r}): {name} must be a dtype or None."
        ) from None


def require_params(fn: str, params: Any) -> None:
    """Raise a clear ValueError when a transformation that reads params gets none."""
    if params is None:
        raise ValueError(f"gradtx.{reported_as(fn)}: update needs params (pass params= to update).")


def check_betas(fn: str, betas: Any) -> tuple[Any, Any]:
    """Check a ``betas=(b1, b2)`` pair of decays in [0, 1); return it unpacked."""
    if not (isinstance(betas, tuple | list) and len(betas) == 2):
        raise TypeError(
            f"gradtx.{reported_as(fn)}(betas={betas!r}): betas must be a pair (b1, b2)."
        )
    b1, b2 = betas
    check_decay(fn, "betas[0]", b1)
    check_decay(fn, "betas[1]", b2)
    return b1, b2


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
                f"gradtx.{reported_as(fn)}: init needs the params' values ({why}); got a "
                f"jax.ShapeDtypeStruct at {where}. For the state's shapes, dtypes and "
                "shardings without materialising it, use jax.eval_shape(tx.init, params) "
                "or gradtx.tree_utils.state_shardings(tx, params)."
            )
