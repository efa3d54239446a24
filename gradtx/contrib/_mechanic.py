"""Mechanic: learn the scale of any base optimizer's updates by online betting."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, with_extra_args_support
from gradtx._core._numerics import safe_increment, widest_float_dtype, zero_count
from gradtx._core._validate import (
    check_int,
    check_nonnegative,
    check_positive,
    checks_float_params,
    require_param_values,
    require_params,
)
from gradtx.tree_utils._arithmetic import tree_where
from gradtx.tree_utils._construct import tree_cast
from gradtx.tree_utils._reductions import tree_sum_of_squares, tree_vdot


class MechanicState(NamedTuple):
    """State of ``mechanize`` (optax's names and order).

    Fields:
        base_optimizer_state: the base optimizer's state.
        count: number of updates so far (int32).
        r: per-beta wealth gained (``num_betas`` values).
        m: per-beta running max of ``|h|``.
        v: per-beta discounted sum of ``h^2``.
        s: per-beta scale; the applied scale is ``sum(s)``.
        x0: the params at the first update (the anchor).
    """

    base_optimizer_state: Any
    count: jax.Array
    r: jax.Array
    m: jax.Array
    v: jax.Array
    s: jax.Array
    x0: Any


@checks_float_params(complex_params=False)
def mechanize(
    base_optimizer: GradientTransformation,
    weight_decay: jax.typing.ArrayLike = 1e-2,
    eps: jax.typing.ArrayLike = 1e-8,
    s_init: jax.typing.ArrayLike = 1e-6,
    num_betas: int = 6,
) -> GradientTransformation:
    """Wrap an optimizer so that the scale of its updates (the learning rate) is learned.

    Mechanic treats the sum of the base optimizer's updates as a direction
    ``delta`` from the first params ``x_0`` and bets, with coin-betting wealth
    ``r``, on how far to move along it: ``x = x_0 + S * delta``. Several betting
    horizons (``betas = 1 - 0.1^i``, i = 1..num_betas) run at once and their
    scales add up. Keep the base optimizer's learning rate at 1.0 (a schedule
    peaking at 1.0 still helps). Memory: one copy of the params, plus the base
    optimizer's state.

    Update rule (k = 0, 1, ...; x = params, g = gradient, u = base update,
    S_k = sum_i s_{k,i}; max/clip elementwise over the betas):
        g'_k  = g_k + weight_decay * S_k * |g_k| / (|x_k| + eps) * x_k
        p_k   = (x_0 - x_k) / (S_k + eps)
        h_k   = <g'_k, p_k>
        m_k   = max(beta * m_{k-1}, |h_k| + eps)
        v_k   = beta^2 * v_{k-1} + h_k^2
        r_k   = beta * r_{k-1} + clip(h_k, -m_{k-1}, m_{k-1}) * s_k
        s_{k+1} = (s_init / num_betas * m_k + max(r_k, 0)) / (sqrt(v_k) + eps)
        x_{k+1} = x_0 - S_{k+1} * (p_k - u_k)

    Norms and inner products are global; the betting scalars are kept in the
    widest float dtype of the params, at least float32 (optax: the lowest).

    Complex params: not supported; ``init`` raises TypeError (wrap the optimizer in
    ``contrib.split_real_and_imaginary`` to optimize real and imaginary parts).

    Args:
        base_optimizer: the optimizer whose updates are rescaled (a
            GradientTransformation; its extra args are passed on).
        weight_decay: >= 0, Mechanic's own decay (not the base optimizer's);
            reduces the variance between seeds.
        eps: >= 0, stabiliser of the divisions.
        s_init: > 0, the initial scale ``s_0`` of each beta.
        num_betas: int >= 1, the number of betting horizons.

    Returns:
        The wrapped optimizer; its state is ``MechanicState``. ``update`` needs
        params.

    Raises:
        ValueError: a concrete hyperparameter out of its range.
        TypeError: ``num_betas`` is not an int, or ``base_optimizer`` not a
            transformation.

    References:
        Cutkosky, Defazio and Mehta, Mechanic: A Learning Rate Tuner, NeurIPS
        2023, https://arxiv.org/abs/2306.00144.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.contrib.mechanize(gradtx.adam(1.0))
        >>> params = jnp.array([1.0, -2.0])
        >>> state = opt.init(params)
        >>> for _ in range(200):
        ...     updates, state = opt.update(params, state, params)  # grad of |p|^2 / 2
        ...     params = gradtx.apply_updates(params, updates)
        >>> bool(jnp.abs(params).max() < 0.1)
        True
    """
    fn = "contrib.mechanize"
    if not (isinstance(base_optimizer, tuple) and len(base_optimizer) == 2):
        raise TypeError(
            f"gradtx.{fn}(base_optimizer=...): base_optimizer must be a GradientTransformation; "
            f"got {type(base_optimizer).__name__}."
        )
    check_nonnegative(fn, "weight_decay", weight_decay)
    check_nonnegative(fn, "eps", eps)
    check_positive(fn, "s_init", s_init)
    check_int(fn, "num_betas", num_betas, low=1)
    base = with_extra_args_support(GradientTransformation(*base_optimizer))

    def init(params):
        require_param_values("contrib.mechanize", params, "it keeps the initial params x0")
        sdt = widest_float_dtype(params)
        return MechanicState(
            base_optimizer_state=base.init(params),
            count=zero_count(),
            r=jnp.zeros((num_betas,), sdt),
            m=jnp.zeros((num_betas,), sdt),
            v=jnp.zeros((num_betas,), sdt),
            s=jnp.full((num_betas,), s_init, sdt),
            x0=jax.tree.map(lambda p: jnp.array(p, copy=True), params),
        )

    def update(updates, state, params=None, **extra_args):
        require_params(fn, params)
        sdt = state.s.dtype
        base_updates, base_state = base.update(
            updates, state.base_optimizer_state, params, **extra_args
        )
        x0 = tree_where(state.count == 0, params, state.x0)
        s_sum = jnp.sum(state.s)
        wd = weight_decay * s_sum * jnp.sqrt(tree_sum_of_squares(updates, sdt))
        wd = wd / (jnp.sqrt(tree_sum_of_squares(params, sdt)) + eps)
        decayed = jax.tree.map(lambda g, x: g.astype(sdt) + wd * x.astype(sdt), updates, params)
        direction = jax.tree.map(lambda x, a: (a.astype(sdt) - x) / (s_sum + eps), params, x0)
        h = tree_vdot(tree_cast(decayed, sdt), tree_cast(direction, sdt))
        betas = jnp.asarray([1.0 - 0.1**i for i in range(1, num_betas + 1)], sdt)
        m = jnp.maximum(betas * state.m, jnp.abs(h) + eps)
        v = betas**2 * state.v + h**2
        r = betas * state.r + jnp.clip(h, -state.m, state.m) * state.s
        s = ((s_init / num_betas) * m + jnp.maximum(r, 0.0)) / (jnp.sqrt(v) + eps)
        s_new = jnp.sum(s)

        def step(g, x, a, p, u):
            x_new = a.astype(sdt) - s_new * (p - u.astype(sdt))
            return (x_new - x.astype(sdt)).astype(g.dtype)

        new_updates = jax.tree.map(step, updates, params, x0, direction, base_updates)
        return new_updates, MechanicState(base_state, safe_increment(state.count), r, m, v, s, x0)

    return GradientTransformation(init, update)
