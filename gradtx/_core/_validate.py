"""Construction-time validation of hyperparameters, with messages that say how to fix them.

Types first (``check_scalar``): a real hyperparameter is a Python int or float, a
NumPy scalar or 0-d array, or a JAX array (0-d when concrete; tracers pass, so that
jit, vmap and ``inject_hyperparams`` keep working); a schedule (a callable) only
where the argument documents one; None only where the argument documents what None
means. Strings, bytes, bools, complex numbers, lists, tuples, dicts and non-scalar
arrays raise TypeError. Then ranges (``check_range``), on concrete values only.
Params dtypes are checked at ``init`` by ``check_float_params``."""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
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

    @functools.wraps(factory)
    def wrapper(*args, **kwargs):
        if _REPORTED_AS.get() is not None:
            return factory(*args, **kwargs)
        token = _REPORTED_AS.set(public_name(factory))
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


def _type_name(value: Any) -> str:
    if isinstance(value, np.ndarray | np.generic | jax.Array):
        arr_dtype = value.dtype
        shape = tuple(value.shape)
        return f"{arr_dtype} scalar" if shape == () else f"{arr_dtype} array of shape {shape}"
    return type(value).__name__


def _shown(value: Any) -> str:
    """The value as an error message's head shows it: ``adam(learning_rate='0.1')``."""
    if callable(value) and not isinstance(value, np.ndarray | jax.Array):
        return "..."
    if isinstance(value, np.ndarray | np.generic | jax.Array) and np.ndim(value) > 0:
        return f"<{_type_name(value)}>"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_real_dtype(dtype: Any) -> bool:
    """Integer or real floating (bfloat16 and the other ml_dtypes floats included)."""
    return bool(jnp.issubdtype(dtype, jnp.integer) or jnp.issubdtype(dtype, jnp.floating))


def check_scalar(
    fn: str,
    name: str,
    value: Any,
    *,
    schedule: bool = False,
    none: bool = False,
    array: bool = False,
) -> None:
    """Raise TypeError unless ``value`` is a real scalar hyperparameter.

    Accepted: Python int and float, NumPy integer/float scalars and 0-d arrays,
    JAX arrays of those dtypes (0-d when concrete; tracers of any shape pass),
    a callable when ``schedule`` (the argument takes a schedule of the step
    count), None when ``none`` (the argument documents what None means).
    Rejected: str, bytes, bool (``True`` is never a meant learning rate or
    decay), complex numbers, lists, tuples, dicts and arrays with more than one
    element (unless ``array``: the few arguments documented as elementwise, such
    as ``coordinate_descent``'s per-coordinate steps).
    """
    if value is None:
        if none:
            return
        got = "None"
    elif isinstance(value, jax.core.Tracer):
        return
    elif isinstance(value, bool | np.bool_):
        got = f"bool {value!r}"
    elif isinstance(value, int | float) and not isinstance(value, complex):
        return
    elif isinstance(value, np.ndarray | np.generic | jax.Array):
        real = _is_real_dtype(value.dtype)
        if real and (np.ndim(value) == 0 or array):
            return
        got = _type_name(value)
        if real and np.ndim(value) > 0:
            got += " (a hyperparameter here is one number; vmap over it for several)"
    elif callable(value):
        if schedule:
            return
        got = f"function {getattr(value, '__name__', type(value).__name__)}"
    elif isinstance(value, str | bytes):
        got = f"{type(value).__name__} {value!r}"
    else:
        text = repr(value)
        got = f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"
    wanted = "a float, a scalar array or a schedule" if schedule else "a float or a scalar array"
    if none:
        wanted += " (or None)"
    raise TypeError(
        f"gradtx.{reported_as(fn)}({name}={_shown(value)}): {name} must be {wanted}; got {got}."
    )


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
    schedule: bool = False,
    none: bool = False,
    array: bool = False,
) -> None:
    """Raise TypeError unless ``check_scalar`` accepts ``value``, then ValueError if a
    concrete ``value`` lies outside the given interval.

    ``fn`` is the public function name without the package (``"adam"``);
    ``schedule`` and ``none`` say whether a callable or None is a valid value.
    """
    check_scalar(fn, name, value, schedule=schedule, none=none, array=array)
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


def check_nonnegative(
    fn: str, name: str, value: Any, *, schedule: bool = False, none: bool = False
) -> None:
    check_range(fn, name, value, 0.0, schedule=schedule, none=none)


def check_positive(
    fn: str, name: str, value: Any, *, schedule: bool = False, none: bool = False
) -> None:
    check_range(fn, name, value, 0.0, low_open=True, schedule=schedule, none=none)


def check_decay(
    fn: str, name: str, value: Any, *, schedule: bool = False, none: bool = False
) -> None:
    """Decay rates (b1, b2, momentum, ...) live in [0, 1)."""
    check_range(fn, name, value, 0.0, 1.0, high_open=True, schedule=schedule, none=none)


def check_learning_rate(
    fn: str,
    value: Any,
    *,
    none: bool = False,
    schedule: bool = True,
    array: bool = False,
    name: str = "learning_rate",
) -> None:
    """A learning rate is a schedule or a finite non-negative number.

    None is accepted only with ``none=True``, for the few factories that document
    what a missing learning rate means (optax's ``Optional`` learning rates:
    ``scale_by_learning_rate``, ``adadelta``, ``adafactor``, ``lbfgs``, ...);
    ``schedule=False`` for the few whose learning rate is an initial value only
    (``rprop``'s first step size, schedule-free's peak rate).
    """
    check_scalar(fn, name, value, schedule=schedule, none=none, array=array)
    arr = concrete_values(value)
    if arr is not None and np.any(np.isposinf(arr)):
        raise ValueError(
            f"gradtx.{reported_as(fn)}({name}={format_value(value)}): {name} must be finite; "
            f"got {format_value(value)}."
        )
    check_range(fn, name, value, 0.0, schedule=schedule, none=none, array=array)


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


def check_scalars(fn: str, *, none: tuple[str, ...] = (), **values: Any) -> None:
    """``check_scalar`` on each keyword (real scalars, no schedules); names in ``none``
    may also be None."""
    for name, value in values.items():
        check_scalar(fn, name, value, none=name in none)


def check_axes(fn: str, name: str, value: Any) -> None:
    """An axis argument: an int or a non-empty sequence of ints (bools are not axes)."""
    items = value if isinstance(value, list | tuple) and value else [value]
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int | np.integer):
            raise TypeError(
                f"gradtx.{reported_as(fn)}({name}={_shown(value)}): {name} must be an int or a "
                f"sequence of ints; got {_type_name(value)} {_shown(value)}."
            )


def public_name(factory: Callable) -> str:
    """The name error messages give a public factory: ``adam``, ``contrib.dog``, ``solvers.bfgs``.

    The top-level name when ``gradtx`` re-exports the factory there, else the
    namespace that does. Looked up when first needed (at a call, once gradtx is
    imported), not at decoration time.
    """
    import sys

    target = inspect.unwrap(factory)
    root = sys.modules.get("gradtx")
    for ns in ("", "contrib.", "solvers.", "proximal.", "curvature.", "experimental.aggregating."):
        mod = sys.modules.get(f"gradtx.{ns}".rstrip(".")) if ns else root
        obj = getattr(mod, factory.__name__, None) if mod is not None else None
        if obj is not None and inspect.unwrap(obj) is target:
            return ns + factory.__name__
    return factory.__name__


def check_float_params(fn: str, params: Any, *, complex_params: bool = True) -> None:
    """Raise TypeError at ``init`` when a param leaf is not floating point.

    Integer and boolean params cannot take a fractional step: the update would be
    truncated back to the param's dtype (or fail later inside ``update``). Complex
    leaves pass when ``complex_params``; where they are not supported they raise
    here rather than misbehave. ``fn`` is used as given (capture it with
    ``reported_as`` at construction: ``init`` runs after the factory returned).
    """
    for path, x in jax.tree_util.tree_flatten_with_path(params)[0]:
        dtype = x.dtype if hasattr(x, "dtype") else np.result_type(x)
        if jnp.issubdtype(dtype, jnp.floating):
            continue
        where = jax.tree_util.keystr(path) or "<root>"
        if jnp.issubdtype(dtype, jnp.complexfloating):
            if complex_params:
                continue
            raise TypeError(
                f"gradtx.{fn}: init does not support complex params; got {dtype} at {where}. "
                "Optimize the real and imaginary parts as separate real params with "
                f"gradtx.contrib.split_real_and_imaginary(gradtx.{fn}(...))."
            )
        kind = "floating-point (or complex)" if complex_params else "real floating-point"
        raise TypeError(
            f"gradtx.{fn}: init needs {kind} params; got {dtype} at {where}. Cast the params "
            "(jax.tree.map(lambda p: p.astype(jnp.float32), params)), or keep integer leaves out "
            "of the optimizer (gradtx.partition({'train': opt, 'frozen': gradtx.set_to_zero()}, "
            "labels))."
        )


def checks_float_params(
    factory: Callable | None = None, *, complex_params: bool = True
) -> Callable:
    """Mark a factory whose ``init`` needs floating-point params (``check_float_params``).

    The returned transformation's ``init`` checks the params' dtypes first, under
    the factory's public name, then builds the state as before. Used bare
    (``@checks_float_params``) complex params pass; with
    ``@checks_float_params(complex_params=False)`` they raise at ``init`` too.
    Stateless combinators (``chain``, ``masked``, ``partition``, ``set_to_zero``)
    are not marked, so integer leaves routed around an optimizer still work.
    """

    def decorate(factory: Callable) -> Callable:
        @functools.wraps(factory)
        def wrapper(*args, **kwargs):
            name = public_name(factory)
            tx = factory(*args, **kwargs)
            inner_init = tx.init

            def init(params):
                check_float_params(name, params, complex_params=complex_params)
                return inner_init(params)

            return tx._replace(init=init)

        return wrapper

    return decorate if factory is None else decorate(factory)
