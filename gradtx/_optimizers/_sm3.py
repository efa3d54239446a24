"""Memory-light second moments: Adafactor's factored RMS and SM3's covers."""

from __future__ import annotations

from functools import reduce
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain
from gradtx._core._numerics import real_dtype, safe_increment, zero_count
from gradtx._core._validate import (
    check_decay,
    check_learning_rate,
    check_nonnegative,
    check_range,
    checks_float_params,
)
from gradtx.transforms._scaling import scale_by_learning_rate
from gradtx.tree_utils._moments import moment_update
from gradtx.tree_utils._sharding import zeros_reduced_like
from gradtx.tree_utils._tree_math import abs_sq, leaf_dtype, map_leaves_with_stats, zip_map

# ---------------------------------------------------------------------------
# SM3


class ScaleBySM3State(NamedTuple):
    """State of ``scale_by_sm3``: count, momentum ``mu`` and the covers ``nu``.

    ``nu`` holds, per leaf, a list of accumulators: one vector per axis for
    leaves of rank >= 2 (``nu[i]`` has the length of axis i), or a single
    full-shape accumulator for scalars and vectors.
    """

    count: jax.Array
    mu: Any
    nu: Any


def _axis_shape(rank: int, axis: int, size: int) -> tuple[int, ...]:
    return (1,) * axis + (size,) + (1,) * (rank - axis - 1)


@checks_float_params
def scale_by_sm3(
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 1.0,
    eps: float | jax.Array = 1e-8,
) -> GradientTransformation:
    """Scale by SM3's cover-based estimate of the accumulated squared gradients.

    SM3 is AdaGrad with sublinear memory: for a leaf of rank k >= 2 it keeps one
    accumulator per slice along each axis (n + m numbers for an (n, m) matrix)
    and bounds each entry's sum of squared gradients by the smallest
    accumulator covering it. Scalars and vectors keep a full accumulator.

    Update rule (SM3-II; for a leaf of rank k >= 2, nu^i has the shape of axis i):
        a_t = c * |g_t|^2 + b2 * min_i nu^i_{t-1}    (c = 1 if b2 == 1 else 1 - b2)
        nu^i_t = max of a_t over all axes but i
        v_t = g_t / sqrt(a_t + eps)                  (0 where a_t = 0)
        mu_t = b1 * mu_{t-1} + (1 - b1) * v_t
        u_t = mu_t
    For scalars and vectors ``a_t = c * |g_t|^2 + b2 * nu_{t-1}`` and ``nu_t = a_t``.

    Args:
        b1: momentum decay in [0, 1); 0 turns momentum off (mu_t = v_t).
        b2: in [0, 1]; 1 (the paper) sums squared gradients, < 1 averages them.
        eps: >= 0, added inside the root.

    Returns:
        The transformation; its state is ``ScaleBySM3State``.

    References:
        Anil, Gupta, Koren and Singer, Memory-Efficient Adaptive Optimization,
        NeurIPS 2019, https://arxiv.org/abs/1901.11150.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.scale_by_sm3()
        >>> [a.shape for a in tx.init(jnp.zeros((3, 2))).nu]
        [(3,), (2,)]
    """
    fn = "scale_by_sm3"
    check_decay(fn, "b1", b1)
    check_range(fn, "b2", b2, 0.0, 1.0)
    check_nonnegative(fn, "eps", eps)

    def init(params):
        def leaf(p):
            dtype = real_dtype(leaf_dtype(p))
            if jnp.ndim(p) < 2:
                nu = [jnp.zeros_like(p, dtype)]
            else:
                others = lambda i: tuple(j for j in range(jnp.ndim(p)) if j != i)
                nu = [zeros_reduced_like(p, others(i), dtype) for i in range(jnp.ndim(p))]
            return jnp.zeros_like(p, leaf_dtype(p)), nu

        mu, nu = zip_map(f"gradtx.{fn}", leaf, 2, params=params)
        return ScaleBySM3State(count=zero_count(), mu=mu, nu=nu)

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        c = jnp.where(jnp.asarray(b2) == 1.0, 1.0, 1.0 - b2)

        def leaf(g, m, nu):
            k = g.ndim
            if k < 2:
                a = c * abs_sq(g) + b2 * nu[0]
                new_nu = [a.astype(nu[0].dtype)]
            else:
                covers = [jnp.reshape(n, _axis_shape(k, i, g.shape[i])) for i, n in enumerate(nu)]
                a = c * abs_sq(g) + b2 * reduce(jnp.minimum, covers)
                # a >= 0, so a max starting at 0 is exact and defined on zero-size slices
                new_nu = [
                    jnp.max(a, axis=tuple(j for j in range(k) if j != i), initial=0.0).astype(
                        n.dtype
                    )
                    for i, n in enumerate(nu)
                ]
            v = g * jnp.where(a > 0, jax.lax.rsqrt(a + eps), 0.0)
            new_m = moment_update(m, v, b1)
            return new_m.astype(g.dtype), new_m, new_nu

        updates, mu, nu = map_leaves_with_stats(
            f"gradtx.{fn}", leaf, 3, updates, state.mu, state.nu
        )
        return updates, ScaleBySM3State(count=safe_increment(state.count), mu=mu, nu=nu)

    return GradientTransformation(init, update)


@checks_float_params
def sm3(
    learning_rate: ScalarOrSchedule, momentum: float | jax.Array | None = 0.9
) -> GradientTransformation:
    """SM3: ``scale_by_sm3(b1=momentum)`` then the learning rate.

        p_t = p_{t-1} - learning_rate * mu_t

    See ``scale_by_sm3`` for ``mu_t``. ``momentum=None`` means no momentum
    (b1 = 0). Unlike optax, the learning rate may be a schedule.

    Complex params: supported (accumulators of |g|^2).

    Example:
        >>> import gradtx
        >>> opt = gradtx.sm3(learning_rate=0.1)
    """
    check_learning_rate("sm3", learning_rate)
    if momentum is not None:
        check_decay("sm3", "momentum", momentum, none=True)
    return chain(
        scale_by_sm3(0.0 if momentum is None else momentum),
        scale_by_learning_rate(learning_rate),
    )
