"""Sign-based methods: signSGD, Signum and Lion."""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain
from gradtx._core._numerics import (
    canonicalize_dtype,
    moving_average,
    safe_increment,
    zero_count,
)
from gradtx._core._validate import (
    check_decay,
    check_dtype,
    check_positive,
    check_range,
    checks_float_params,
    reported_as,
    validates_through_parts,
)
from gradtx.transforms._scaling import scale_by_learning_rate
from gradtx.transforms._weight_decay import add_decayed_weights
from gradtx.tree_utils._construct import tree_zeros_like
from gradtx.tree_utils._tree_math import zip_map


class ScaleByLionState(NamedTuple):
    """State of ``scale_by_lion``: step count and the momentum ``mu``."""

    count: jax.Array
    mu: Any


_LION_MODES = ("hard", "smooth", "refined")


@checks_float_params
def scale_by_lion(
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.99,
    mu_dtype: Any | None = None,
    *,
    mode: Literal["hard", "smooth", "refined"] = "hard",
    smooth_beta: float | jax.Array = 1.0,
) -> GradientTransformation:
    """Take the sign of an interpolation between the momentum and the gradient (Lion).

    Lion keeps one momentum buffer (half of Adam's memory) and outputs a vector
    of +-1 entries, so its steps are larger than Adam's for the same learning
    rate: use a learning rate 3-10x smaller than AdamW's. Two decays play
    different roles: ``b1`` mixes the current gradient into the direction of
    this step, ``b2`` sets how long the momentum remembers.

    Update rule (mu_0 = 0):
        c_t  = b1 * mu_{t-1} + (1 - b1) * g_t
        u_t  = sign(c_t)                             (mode="hard", the paper's)
             = tanh(smooth_beta * c_t)               (mode="smooth")
             = c_t if |c_t| < 1 else sign(c_t)       (mode="refined")
        mu_t = b2 * mu_{t-1} + (1 - b2) * g_t

    Args:
        b1: interpolation weight of the momentum in this step's direction, in [0, 1].
        b2: decay of the momentum, in [0, 1).
        mu_dtype: dtype of ``mu``; None uses each param's dtype.
        mode: "hard" (sign), "smooth" (tanh) or "refined" (identity inside
            [-1, 1], sign outside).
        smooth_beta: slope of the tanh in mode="smooth", > 0.

    Returns:
        The transformation; its state is ``ScaleByLionState``.

    Raises:
        ValueError: concrete hyperparameters out of range, or an unknown ``mode``.

    References:
        Chen et al., Symbolic Discovery of Optimization Algorithms, NeurIPS 2023,
        https://arxiv.org/abs/2302.06675.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.scale_by_lion(b1=0.9, b2=0.99)
        >>> state = tx.init(jnp.zeros(2))
        >>> updates, state = tx.update(jnp.array([0.3, -2.0]), state)
        >>> updates, state.mu
        (Array([ 1., -1.], dtype=float32), Array([ 0.003, -0.02 ], dtype=float32))
    """
    fn = "scale_by_lion"
    check_range(fn, "b1", b1, 0.0, 1.0)
    check_decay(fn, "b2", b2)
    check_dtype(fn, "mu_dtype", mu_dtype)
    check_positive(fn, "smooth_beta", smooth_beta)
    if mode not in _LION_MODES:
        raise ValueError(
            f"gradtx.{reported_as(fn)}(mode={mode!r}): mode must be one of {_LION_MODES}; got {mode!r}."
        )
    mu_dtype = canonicalize_dtype(mu_dtype)

    def direction(c):
        if mode == "hard":
            return jnp.sign(c)
        if mode == "smooth":
            return jnp.tanh(smooth_beta * c)
        return jnp.where(jnp.abs(c) < 1.0, c, jnp.sign(c))

    def init(params):
        return ScaleByLionState(count=zero_count(), mu=tree_zeros_like(params, mu_dtype))

    def update(updates, state, params=None, **extra_args):
        del params, extra_args

        def leaf(g, m):
            u = direction(moving_average(m, g, b1))
            new_m = moving_average(m, g, b2)
            return u.astype(g.dtype), new_m.astype(m.dtype)

        updates, mu = zip_map(f"gradtx.{fn}", leaf, 2, updates=updates, mu=state.mu)
        return updates, ScaleByLionState(count=safe_increment(state.count), mu=mu)

    return GradientTransformation(init, update)


@checks_float_params
@validates_through_parts
def lion(
    learning_rate: ScalarOrSchedule,
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.99,
    mu_dtype: Any | None = None,
    weight_decay: ScalarOrSchedule = 1e-3,
    mask: Any | None = None,
) -> GradientTransformation:
    """Lion: ``scale_by_lion``, decoupled weight decay, then the learning rate.

        p_t = p_{t-1} - learning_rate * (sign(c_t) + weight_decay * p_{t-1})

    with ``c_t`` as in ``scale_by_lion``. The decay is multiplied by the
    learning rate (as in torch and the paper's code), so since Lion's learning
    rate is 3-10x smaller than AdamW's, its ``weight_decay`` should be 3-10x
    larger to keep ``learning_rate * weight_decay`` the same.

    Complex params: supported (the sign of a complex entry is its phase, g/|g|).

    Args:
        learning_rate: non-negative number, array or schedule.
        b1: in [0, 1]; see ``scale_by_lion``.
        b2: in [0, 1); see ``scale_by_lion``.
        mu_dtype: dtype of the momentum; None uses each param's dtype.
        weight_decay: non-negative number, array or schedule.
        mask: tree of bools (or a function of the params returning one)
            choosing the leaves to decay; None decays all.

    Returns:
        The optimizer; its state is ``(ScaleByLionState, <decay state>,
        <learning-rate state>)``.

    References:
        Chen et al., Symbolic Discovery of Optimization Algorithms, NeurIPS 2023,
        https://arxiv.org/abs/2302.06675.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.lion(learning_rate=0.01, weight_decay=0.0)
        >>> params = jnp.array([1.0, -2.0])
        >>> updates, _ = opt.update(params, opt.init(params), params)
        >>> gradtx.apply_updates(params, updates)
        Array([ 0.99, -1.99], dtype=float32)
    """
    return chain(
        scale_by_lion(b1, b2, mu_dtype),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )
