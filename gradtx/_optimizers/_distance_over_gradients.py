"""Distance over gradients (layer-wise DoG): a learning-rate-free step size per leaf."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation
from gradtx._core._validate import (
    check_dtype,
    check_nonnegative,
    check_range,
    checks_float_params,
    require_param_values,
    require_params,
)
from gradtx.tree_utils._construct import tree_cast
from gradtx.tree_utils._reductions import accumulation_dtype
from gradtx.tree_utils._tree_math import abs_sq, check_same_structure, map_leaves_with_stats


class ScaleByDistanceOverGradientsState(NamedTuple):
    """State of ``scale_by_distance_over_gradients`` (optax's fields): per leaf, the largest
    distance from the initial params, the running sum of squared gradient norms, and the
    initial params."""

    max_dist: Any
    grad_sum_of_squares: Any
    init_params: Any


@checks_float_params
def scale_by_distance_over_gradients(
    reps_rel: jax.typing.ArrayLike = 1e-6,
    eps: jax.typing.ArrayLike = 1e-8,
    param_dtype: Any = jnp.float32,
    global_scale: jax.typing.ArrayLike = 1.0,
) -> GradientTransformation:
    """Scale each leaf by the distance travelled over the root of summed squared gradients (L-DoG).

    Layer-wise "Distance over Gradients": each leaf (layer) gets the step size
    ``r_t / sqrt(G_t)``, where ``r_t`` is the farthest the leaf has moved from
    its initial value and ``G_t`` the sum of its squared gradient norms so far,
    so no learning rate needs tuning. The output has the gradient's sign:
    chain it with ``scale(-1)`` (or ``scale_by_learning_rate(1.0)``) to descend.
    Needs params. Memory: a copy of the initial params plus two scalars per leaf.

    Update rule (per leaf; x_0 the initial params):
        r_t = max(r_{t-1}, ||x_t - x_0||),   r_0 = reps_rel * (1 + ||x_0||)
        G_t = G_{t-1} + ||g_t||^2
        u_t = global_scale * r_t / sqrt(G_t + eps) * g_t

    Args:
        reps_rel: the initial distance, relative to ``1 + ||x_0||``; > 0.
        eps: >= 0, added under the root.
        param_dtype: dtype of the stored initial params.
        global_scale: a multiplier of every step size.

    Returns:
        The transformation; its state is ``ScaleByDistanceOverGradientsState``.
        (optax stores each ``G`` with shape ``(1,)``; gradtx uses a scalar, so
        scalar params keep their shape.)

    Raises:
        ValueError: out-of-range concrete hyperparameters, or ``update`` without params.

    References:
        Ivgi et al., DoG is SGD's Best Friend: A Parameter-Free Dynamic Step
        Size Schedule, ICML 2023, https://arxiv.org/abs/2302.12022.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.scale_by_distance_over_gradients()
        >>> params = jnp.array([3.0, 4.0])
        >>> u, _ = tx.update(jnp.array([1.0, 0.0]), tx.init(params), params)
        >>> u
        Array([6.e-06, 0.e+00], dtype=float32)
    """
    fn = "scale_by_distance_over_gradients"
    check_nonnegative(fn, "reps_rel", reps_rel)
    check_nonnegative(fn, "eps", eps)
    check_range(fn, "global_scale", global_scale)
    check_dtype(fn, "param_dtype", param_dtype)

    def norm(x):
        return jnp.sqrt(jnp.sum(abs_sq(x)))

    def init(params):
        require_param_values(
            "scale_by_distance_over_gradients",
            params,
            "its first step is sized by the params' norms",
        )
        return ScaleByDistanceOverGradientsState(
            max_dist=jax.tree.map(lambda x: reps_rel * (1 + norm(x)), params),
            grad_sum_of_squares=jax.tree.map(
                lambda x: jnp.zeros((), accumulation_dtype(jnp.result_type(x))), params
            ),
            init_params=tree_cast(params, param_dtype),
        )

    def update(updates, state, params=None, **extra_args):
        del extra_args
        require_params(fn, params)

        def leaf(g, p, d, s, x0):
            new_d = jnp.maximum(d, norm(p - x0)).astype(jnp.result_type(d))
            new_s = (s + jnp.sum(abs_sq(g))).astype(jnp.result_type(s))
            u = global_scale * (new_d / jnp.sqrt(new_s + eps)) * g
            return u.astype(g.dtype), new_d, new_s

        check_same_structure(f"gradtx.{fn}", updates=updates, params=params)
        updates, max_dist, g_sos = map_leaves_with_stats(
            f"gradtx.{fn}",
            leaf,
            3,
            updates,
            params,
            state.max_dist,
            state.grad_sum_of_squares,
            state.init_params,
        )
        return updates, ScaleByDistanceOverGradientsState(max_dist, g_sos, state.init_params)

    return GradientTransformation(init, update)
