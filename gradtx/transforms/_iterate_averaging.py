"""Iterate averaging: Polyak-Ruppert, a debiased EMA of the params, and SWA.

Each is a transformation that leaves the updates as they are and keeps an
average of the iterates ``x_k = params + updates`` in its state; read it with
``polyak_averaged_params``, ``ema_averaged_params`` or ``swa_averaged_params``.
All three run the same recursion ``a_k = a_{k-1} + w_k (x_k - a_{k-1})`` with
their own weights ``w_k``. Put them last in a chain, after the learning rate.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, OptState, Params
from gradtx._core._lookup import find_unique_state
from gradtx._core._numerics import safe_increment, zero_count
from gradtx._core._validate import check_decay, check_int, require_param_values, require_params
from gradtx.tree_utils._tree_math import zip_map


class PolyakAveragingState(NamedTuple):
    """State of ``polyak_averaging``: the step count and the running average."""

    count: jax.Array
    average: Any


class ParamsEmaState(NamedTuple):
    """State of ``params_ema``: the step count and the (debiased) moving average."""

    count: jax.Array
    ema: Any


class SwaState(NamedTuple):
    """State of ``swa``: the step count, the number of iterates averaged so far
    and their average (the current iterate until the first one is averaged)."""

    count: jax.Array
    num_averaged: jax.Array
    average: Any


def _copy(fn: str, params):
    require_param_values(fn, params, "the average starts at the params")
    return jax.tree.map(lambda p: jnp.array(p, copy=True), params)


def _average_step(fn: str, updates, params, average, weight: jax.Array):
    """``a + w (params + updates - a)`` leafwise, in each average's dtype."""

    def leaf(u, p, a):
        dt = jnp.result_type(u, p, a)
        x = p.astype(dt) + u.astype(dt)
        return (a.astype(dt) + weight.astype(dt) * (x - a.astype(dt))).astype(a.dtype)

    return zip_map(f"gradtx.{fn}", leaf, updates=updates, params=params, average=average)


def _float(x) -> jax.Array:
    return jnp.asarray(x, jnp.result_type(float))


def polyak_averaging(start_step: int = 0) -> GradientTransformation:
    """Keep the Polyak-Ruppert average of the iterates after ``start_step`` burn-in steps.

    With steps decaying more slowly than ``1/k`` (``eta_k = c k^-alpha``,
    ``1/2 < alpha < 1``) SGD's last iterate wanders at the scale of the step,
    while the plain average of the iterates reaches the optimal ``O(1/k)``
    mean squared error on strongly convex problems, whatever ``c``. Memory:
    one copy of the params.

    Update rule (k counts the iterates from 1; s = start_step):
        x_k = params + updates
        a_k = x_k                               for k <= s + 1
        a_k = a_{k-1} + (x_k - a_{k-1}) / (k - s)   for k > s + 1
    so after step k > s, ``a_k = mean(x_{s+1}, ..., x_k)``. The updates pass
    through unchanged.

    Args:
        start_step: int >= 0, the iterates ``x_1 .. x_s`` left out of the average.

    Returns:
        The transformation; its state is ``PolyakAveragingState``. Read the
        average with ``polyak_averaged_params(state)``.

    Raises:
        TypeError, ValueError: ``start_step`` not an int >= 0.
        ValueError: ``update`` without params.

    References:
        Polyak and Juditsky, Acceleration of Stochastic Approximation by
        Averaging, SIAM J. Control Optim. 1992. Ruppert, Efficient Estimations
        from a Slowly Convergent Robbins-Monro Process, 1988.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.chain(gradtx.sgd(1.0), gradtx.polyak_averaging())
        >>> params = jnp.array([0.0])
        >>> state = opt.init(params)
        >>> for g in (-1.0, -1.0, 2.0):  # iterates 1, 2, 0
        ...     updates, state = opt.update(jnp.array([g]), state, params)
        ...     params = gradtx.apply_updates(params, updates)
        >>> gradtx.polyak_averaged_params(state)
        Array([1.], dtype=float32)
    """
    check_int("polyak_averaging", "start_step", start_step, 0)

    def init(params):
        return PolyakAveragingState(count=zero_count(), average=_copy("polyak_averaging", params))

    def update(updates, state, params=None, **extra_args):
        del extra_args
        require_params("polyak_averaging", params)
        k = _float(state.count) + 1
        weight = 1 / jnp.maximum(k - start_step, 1)
        avg = _average_step("polyak_averaging", updates, params, state.average, weight)
        return updates, PolyakAveragingState(count=safe_increment(state.count), average=avg)

    return GradientTransformation(init, update)


def params_ema(decay: float | jax.Array = 0.999, *, debias: bool = True) -> GradientTransformation:
    """Keep an exponential moving average of the params (not of the updates, as ``ema`` does).

    The usual "EMA of weights" used to evaluate and ship a model: it smooths
    the last iterates with a horizon of about ``1 / (1 - decay)`` steps.
    Memory: one copy of the params.

    Update rule (k counts from 1; x_k = params + updates):
        debias=True:   e_k = decay * e_{k-1} + (1 - decay) * x_k,  e_0 = 0,
                       reported a_k = e_k / (1 - decay^k)
        debias=False:  a_k = decay * a_{k-1} + (1 - decay) * x_k,  a_0 = x_0
    The debiased average is kept directly, as
    ``a_k = a_{k-1} + w_k (x_k - a_{k-1})`` with ``w_k = (1 - decay) / (1 - decay^k)``,
    so it never divides by a small number. The updates pass through unchanged.

    Args:
        decay: in [0, 1), the weight of the past average.
        debias: remove the bias toward the zero start (Adam's correction);
            without it the average starts at the initial params.

    Returns:
        The transformation; its state is ``ParamsEmaState``. Read the average
        with ``ema_averaged_params(state)``.

    Raises:
        ValueError: ``decay`` outside [0, 1); ``update`` without params.
        TypeError: ``debias`` not a bool.

    References:
        Polyak and Juditsky 1992 (averaging); Kingma and Ba, Adam, ICLR 2015
        (the debiasing, and its Section 7.2 on temporal averaging of params).

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.chain(gradtx.sgd(1.0), gradtx.params_ema(0.5))
        >>> params = jnp.array([0.0])
        >>> state = opt.init(params)
        >>> for g in (-1.0, -3.0):  # iterates 1, 4
        ...     updates, state = opt.update(jnp.array([g]), state, params)
        ...     params = gradtx.apply_updates(params, updates)
        >>> gradtx.ema_averaged_params(state)  # (0.25 * 1 + 0.5 * 4) / 0.75
        Array([3.], dtype=float32)
    """
    check_decay("params_ema", "decay", decay)
    if not isinstance(debias, bool):
        raise TypeError(f"gradtx.params_ema(debias={debias!r}): debias must be a bool.")

    def init(params):
        return ParamsEmaState(count=zero_count(), ema=_copy("params_ema", params))

    def update(updates, state, params=None, **extra_args):
        del extra_args
        require_params("params_ema", params)
        d = _float(decay)
        if debias:
            weight = (1 - d) / (1 - d ** (_float(state.count) + 1))
        else:
            weight = 1 - d
        ema = _average_step("params_ema", updates, params, state.ema, weight)
        return updates, ParamsEmaState(count=safe_increment(state.count), ema=ema)

    return GradientTransformation(init, update)


def swa(every_k: int = 1, start_step: int = 0) -> GradientTransformation:
    """Stochastic weight averaging: average one iterate every ``every_k`` steps after ``start_step``.

    Run SGD with a constant or a cyclic learning rate (``cyclic_schedule`` or
    ``sgdr_schedule`` with period ``every_k``, so the averaged iterates are the
    ends of the cycles) and evaluate at the average, which lies in a flatter
    region than the iterates themselves. Memory: one copy of the params. For
    networks with batch norm, recompute its statistics at the average (this
    transformation sees only params).

    Update rule (k counts the iterates from 1; x_k = params + updates; n_k the
    number of iterates averaged so far):
        averaged step:  k > start_step and (k - start_step) % every_k == 0
            n_k = n_{k-1} + 1;  a_k = a_{k-1} + (x_k - a_{k-1}) / n_k
        other steps:    a_k = x_k while n_k = 0, else a_k = a_{k-1}
    The updates pass through unchanged. With ``every_k=1`` this is
    ``polyak_averaging(start_step)``.

    Args:
        every_k: int >= 1, the steps between averaged iterates (the cycle length).
        start_step: int >= 0, the steps before averaging starts.

    Returns:
        The transformation; its state is ``SwaState``. Read the average with
        ``swa_averaged_params(state)``.

    Raises:
        TypeError, ValueError: arguments not ints in range.
        ValueError: ``update`` without params.

    References:
        Izmailov, Podoprikhin, Garipov, Vetrov and Wilson, Averaging Weights
        Leads to Wider Optima and Better Generalization, UAI 2018.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.chain(gradtx.sgd(1.0), gradtx.swa(every_k=2))
        >>> params = jnp.array([0.0])
        >>> state = opt.init(params)
        >>> for g in (-1.0, -1.0, -1.0, -1.0):  # iterates 1, 2, 3, 4; averages 2 and 4
        ...     updates, state = opt.update(jnp.array([g]), state, params)
        ...     params = gradtx.apply_updates(params, updates)
        >>> gradtx.swa_averaged_params(state)
        Array([3.], dtype=float32)
    """
    check_int("swa", "every_k", every_k, 1)
    check_int("swa", "start_step", start_step, 0)

    def init(params):
        return SwaState(count=zero_count(), num_averaged=zero_count(), average=_copy("swa", params))

    def update(updates, state, params=None, **extra_args):
        del extra_args
        require_params("swa", params)
        k = safe_increment(state.count)  # count + 1, saturating at the int32 limit
        take = (k > start_step) & ((k - start_step) % every_k == 0)
        n = jnp.where(take, safe_increment(state.num_averaged), state.num_averaged)
        weight = jnp.where(take, 1 / _float(jnp.maximum(n, 1)), _float(n == 0))
        avg = _average_step("swa", updates, params, state.average, weight)
        return updates, SwaState(count=safe_increment(state.count), num_averaged=n, average=avg)

    return GradientTransformation(init, update)


def polyak_averaged_params(opt_state: OptState) -> Params:
    """The Polyak-Ruppert average kept by ``polyak_averaging``, found anywhere in ``opt_state``.

    Raises:
        ValueError: ``opt_state`` holds no ``PolyakAveragingState``, or several.
    """
    return find_unique_state("polyak_averaged_params", opt_state, PolyakAveragingState).average


def ema_averaged_params(opt_state: OptState) -> Params:
    """The (debiased) moving average kept by ``params_ema``, found anywhere in ``opt_state``.

    Raises:
        ValueError: ``opt_state`` holds no ``ParamsEmaState``, or several.
    """
    return find_unique_state("ema_averaged_params", opt_state, ParamsEmaState).ema


def swa_averaged_params(opt_state: OptState) -> Params:
    """The SWA average kept by ``swa``, found anywhere in ``opt_state``.

    Raises:
        ValueError: ``opt_state`` holds no ``SwaState``, or several.
    """
    return find_unique_state("swa_averaged_params", opt_state, SwaState).average
