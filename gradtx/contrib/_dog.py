"""DoG and DoWG: parameter-free step sizes from the distance travelled over the gradients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import (
    GradientTransformation,
    ScalarOrSchedule,
    chain,
    identity,
)
from gradtx._core._numerics import widest_float_dtype
from gradtx._core._validate import (
    check_learning_rate,
    check_nonnegative,
    check_positive,
    checks_float_params,
    require_param_values,
    require_params,
)
from gradtx.transforms._scaling import scale_by_learning_rate
from gradtx.transforms._weight_decay import add_decayed_weights
from gradtx.tree_utils._reductions import tree_sum_of_squares

_INIT_STEPS = ("distance", "learning_rate", "heuristic")


class DoGState(NamedTuple):
    """State of ``dog`` (optax's names and order).

    Fields:
        is_init_step: True until the first update (bool).
        init_params: the initial params ``x_0``.
        max_dist: ``r_k``, the largest distance ``|x_i - x_0|`` seen (or ``r_eps``).
        sum_sq_norm_grads: ``G_k``, the sum of squared gradient norms.
    """

    is_init_step: jax.Array
    init_params: Any
    max_dist: jax.Array
    sum_sq_norm_grads: jax.Array


class DoWGState(NamedTuple):
    """State of ``dowg`` (optax's names and order).

    Fields:
        init_params: the initial params ``x_0``.
        weighted_sq_norm_grads: ``v_k``, the sum of ``r_i^2 |g_i|^2``.
        estim_sq_dist: ``r_k^2``, the largest squared distance seen.
    """

    init_params: Any
    weighted_sq_norm_grads: jax.Array
    estim_sq_dist: jax.Array


def _sq_dist(a, b, dtype) -> jax.Array:
    return tree_sum_of_squares(
        jax.tree.map(lambda x, y: x.astype(dtype) - y.astype(dtype), a, b), dtype
    )


def _copy(params):
    return jax.tree.map(lambda p: jnp.array(p, copy=True), params)


def _scale(lr, updates):
    return jax.tree.map(lambda g: (lr * g).astype(g.dtype), updates)


def _decay_or_identity(weight_decay, mask):
    return identity() if weight_decay is None else add_decayed_weights(weight_decay, mask)


def _scale_by_dog(init_step, eps) -> GradientTransformation:
    kind, value = init_step

    def init(params):
        sdt = widest_float_dtype(params)
        if kind == "distance":
            r_eps = jnp.asarray(value, sdt)
        elif kind == "heuristic":
            require_param_values(
                "contrib.dog", params, "its first step is sized by the params' norm"
            )
            r_eps = value * (1 + jnp.sqrt(tree_sum_of_squares(params, sdt)))
        else:
            r_eps = jnp.zeros((), sdt)
        return DoGState(
            is_init_step=jnp.asarray(True),
            init_params=_copy(params),
            max_dist=jnp.asarray(r_eps, sdt),
            sum_sq_norm_grads=jnp.zeros((), sdt),
        )

    def update(updates, state, params=None, **extra_args):
        del extra_args
        require_params("contrib.dog", params)
        sdt = state.max_dist.dtype
        max_dist = jnp.maximum(state.max_dist, jnp.sqrt(_sq_dist(state.init_params, params, sdt)))
        big_g = state.sum_sq_norm_grads + tree_sum_of_squares(updates, sdt)
        lr = max_dist / jnp.sqrt(big_g + eps)
        if kind == "learning_rate":
            lr = jnp.where(state.is_init_step, jnp.asarray(value, sdt), lr)
        new_state = DoGState(jnp.asarray(False), state.init_params, max_dist, big_g)
        return _scale(lr, updates), new_state

    return GradientTransformation(init, update)


@checks_float_params
def dog(
    learning_rate: ScalarOrSchedule = 1.0,
    init_step: tuple[Literal["distance", "learning_rate", "heuristic"], jax.typing.ArrayLike] = (
        "heuristic",
        1e-6,
    ),
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: jax.typing.ArrayLike | None = None,
    mask: Any | Callable[[Any], Any] | None = None,
) -> GradientTransformation:
    """Distance over Gradients: SGD whose step is the distance travelled over the gradients' RMS sum.

    DoG needs no learning rate: its step is the largest distance from the
    initial point so far divided by the root of the summed squared gradient
    norms, which grows towards the right scale as the iterates move.
    ``learning_rate`` is a unitless multiplier (keep 1.0). Memory: one copy of
    the params. The authors recommend averaging the iterates.

    Update rule (k = 0, 1, ...; x = params, g = gradient (+ weight_decay * x)):
        r_k = max(r_{k-1}, |x_k - x_0|)              (r_{-1} = r_eps)
        G_k = G_{k-1} + |g_k|^2
        eta_k = r_k / sqrt(G_k + eps)                 (eta_0 = value for "learning_rate")
        x_{k+1} = x_k - learning_rate_k * eta_k * g_k

    Norms are global (over all leaves) and accumulated in the widest float dtype
    of the params, at least float32 (optax uses the lowest, so bfloat16 params
    would keep a bfloat16 distance).

    Complex params: supported.

    Args:
        learning_rate: a number >= 0 or a schedule of the 0-based count; 1.0 by
            default.
        init_step: ``(kind, value)`` with value > 0: ``("distance", r)`` sets
            ``r_eps = r``; ``("heuristic", a)`` sets ``r_eps = a * (1 + |x_0|)``
            (suggested a = 1e-6, 1e-4 with batch norm; ``init`` must then get
            the real params); ``("learning_rate", eta)`` makes the first step
            ``eta`` (``r_eps = 0``).
        eps: >= 0, added to ``G`` under the root.
        weight_decay: None (no decay) or >= 0, L2 decay added to the gradient.
        mask: tree of bools (or a function of params) choosing the decayed leaves.

    Returns:
        The optimizer; its state is the chain's tuple
        ``(decay state, DoGState, scale state)``. ``update`` needs params.

    Raises:
        ValueError: an unknown ``init_step`` kind or a concrete value out of
            range. TypeError: ``init_step`` is not a pair.

    References:
        Ivgi, Hinder and Carmon, DoG is SGD's Best Friend: A Parameter-Free
        Dynamic Step Size Schedule, ICML 2023, https://arxiv.org/abs/2302.12022.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.contrib.dog(init_step=("distance", 0.1))
        >>> params = jnp.array([1.0, -2.0])
        >>> state = opt.init(params)
        >>> for _ in range(50):
        ...     updates, state = opt.update(params, state, params)  # grad of |p|^2 / 2
        ...     params = gradtx.apply_updates(params, updates)
        >>> bool(jnp.abs(params).max() < 0.1)
        True
    """
    fn = "contrib.dog"
    check_learning_rate(fn, learning_rate)
    if not (isinstance(init_step, tuple | list) and len(init_step) == 2):
        raise TypeError(
            f"gradtx.{fn}(init_step={init_step!r}): init_step must be a pair (kind, value) "
            f"with kind one of {_INIT_STEPS}."
        )
    if init_step[0] not in _INIT_STEPS:
        raise ValueError(
            f"gradtx.{fn}(init_step={tuple(init_step)!r}): init_step[0] must be one of "
            f"{_INIT_STEPS}; got {init_step[0]!r}."
        )
    check_positive(fn, "init_step[1]", init_step[1])
    check_nonnegative(fn, "eps", eps)
    if weight_decay is not None:
        check_nonnegative(fn, "weight_decay", weight_decay, none=True)
    return chain(
        _decay_or_identity(weight_decay, mask),
        _scale_by_dog(tuple(init_step), eps),
        scale_by_learning_rate(learning_rate),
    )


def _scale_by_dowg(init_estim_sq_dist, eps) -> GradientTransformation:
    r2_init = eps if init_estim_sq_dist is None else init_estim_sq_dist

    def init(params):
        require_param_values("contrib.dowg", params, "it keeps the initial params")
        sdt = widest_float_dtype(params)
        return DoWGState(
            init_params=_copy(params),
            weighted_sq_norm_grads=jnp.zeros((), sdt),
            estim_sq_dist=jnp.asarray(r2_init, sdt),
        )

    def update(updates, state, params=None, **extra_args):
        del extra_args
        require_params("contrib.dowg", params)
        sdt = state.estim_sq_dist.dtype
        r2 = jnp.maximum(state.estim_sq_dist, _sq_dist(state.init_params, params, sdt))
        v = r2 * tree_sum_of_squares(updates, sdt) + state.weighted_sq_norm_grads
        lr = r2 / (jnp.sqrt(v) + eps)
        return _scale(lr, updates), DoWGState(state.init_params, v, r2)

    return GradientTransformation(init, update)


@checks_float_params
def dowg(
    learning_rate: ScalarOrSchedule = 1.0,
    init_estim_sq_dist: jax.typing.ArrayLike | None = None,
    eps: jax.typing.ArrayLike = 1e-4,
    weight_decay: jax.typing.ArrayLike | None = None,
    mask: Any | Callable[[Any], Any] | None = None,
) -> GradientTransformation:
    """Distance over Weighted Gradients: DoG with distance-weighted gradient sums.

    DoWG weights each squared gradient norm by the current squared distance
    estimate, which makes it adapt to smooth and non-smooth problems alike
    (universal) without knowing which. ``learning_rate`` is a multiplier
    (keep 1.0). Memory: one copy of the params.

    Update rule (k = 0, 1, ...; x = params, g = gradient (+ weight_decay * x)):
        r2_k = max(r2_{k-1}, |x_k - x_0|^2)          (r2_{-1} = init_estim_sq_dist)
        v_k  = v_{k-1} + r2_k * |g_k|^2
        eta_k = r2_k / (sqrt(v_k) + eps)
        x_{k+1} = x_k - learning_rate_k * eta_k * g_k

    Norms are global and accumulated in the widest float dtype of the params
    (at least float32).

    Complex params: supported.

    Args:
        learning_rate: a number >= 0 or a schedule of the 0-based count.
        init_estim_sq_dist: > 0, initial guess of the squared distance to a
            solution; None uses ``eps``.
        eps: > 0, added to the denominator (and the default initial guess).
        weight_decay: None (no decay) or >= 0, L2 decay added to the gradient.
        mask: tree of bools (or a function of params) choosing the decayed leaves.

    Returns:
        The optimizer; its state is the chain's tuple
        ``(decay state, DoWGState, scale state)``. ``update`` needs params.

    Raises:
        ValueError: a concrete hyperparameter out of its range.

    References:
        Khaled, Mishchenko and Jin, DoWG Unleashed: An Efficient Universal
        Parameter-Free Gradient Descent Method, NeurIPS 2023,
        https://arxiv.org/abs/2305.16284.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.contrib.dowg()
        >>> params = jnp.array([1.0, -2.0])
        >>> state = opt.init(params)
        >>> for _ in range(50):
        ...     updates, state = opt.update(params, state, params)  # grad of |p|^2 / 2
        ...     params = gradtx.apply_updates(params, updates)
        >>> bool(jnp.abs(params).max() < 0.1)
        True
    """
    fn = "contrib.dowg"
    check_learning_rate(fn, learning_rate)
    if init_estim_sq_dist is not None:
        check_positive(fn, "init_estim_sq_dist", init_estim_sq_dist, none=True)
    check_positive(fn, "eps", eps)
    if weight_decay is not None:
        check_nonnegative(fn, "weight_decay", weight_decay, none=True)
    return chain(
        _decay_or_identity(weight_decay, mask),
        _scale_by_dowg(init_estim_sq_dist, eps),
        scale_by_learning_rate(learning_rate),
    )
