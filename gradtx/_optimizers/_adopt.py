"""Adam variants that change the second moment: AdaBelief, Yogi, ADOPT.

Novograd, Adan and AdEMAMix, which change the first moment, live in
``gradtx/_adam_variants2.py``."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain
from gradtx._core._numerics import (
    canonicalize_dtype,
    default_float_dtype,
    moving_average,
    promote_operands,
    promoted,
    safe_increment,
    zero_count,
)
from gradtx._core._validate import checks_float_params, reported_as, validates_through_parts
from gradtx._optimizers._adam import check_adam_args
from gradtx.transforms._scaling import scale_by_learning_rate
from gradtx.tree_utils._construct import tree_zeros_like
from gradtx.tree_utils._tree_math import abs_sq, zip_map

# ----------------------------------------------------------------------------- ADOPT


class ScaleByAdoptState(NamedTuple):
    """State of ``scale_by_adopt``: count, the momentum ``mu`` of normalised
    gradients, and the second moment ``nu`` (one step behind the gradient).

    (optax stores ADOPT's moments in a ``ScaleByAdamState``; the fields are the same.)
    """

    count: jax.Array
    mu: object
    nu: object


def _default_clip_value_fn(count: jax.Array) -> jax.Array:
    return count.astype(default_float_dtype()) ** 0.25


def _check_adopt_args(fn, b1, b2, eps, mu_dtype, clip_value_fn):
    check_adam_args(fn, b1, b2, eps, mu_dtype=mu_dtype)
    if not callable(clip_value_fn):
        raise TypeError(
            f"gradtx.{reported_as(fn)}(clip_value_fn={clip_value_fn!r}): clip_value_fn must be a "
            "function of the step count (for example lambda t: t**0.25); got "
            f"{type(clip_value_fn).__name__}. Use use_clipping=False to turn clipping off."
        )


@checks_float_params(complex_params=False)
def scale_by_adopt(
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.9999,
    eps: float | jax.Array = 1e-6,
    mu_dtype=None,
    *,
    nesterov: bool = False,
    use_clipping: bool = True,
    clip_value_fn: Callable[[jax.Array], jax.Array] = _default_clip_value_fn,
) -> GradientTransformation:
    """Normalise the gradient by the *previous* second moment, then take momentum.

    Adam divides ``g_t`` by a ``nu_t`` that already contains ``g_t``, which couples
    the two and makes Adam diverge for some ``b2``. ADOPT normalises by
    ``nu_{t-1}`` and applies momentum after the normalisation; it then converges
    at the optimal rate for any ``b2``. The first step only initialises ``nu``
    and returns a zero update. Memory: two buffers per param.

    Update rule (t counts from 0, the number of earlier updates):
        t = 0:   nu_0 = |g_0|^2,   mu_0 = 0,   u_0 = 0
        t >= 1:  x_t  = g_t / max(sqrt(nu_{t-1}), eps)
                 x_t  = clip(x_t, -c_t, c_t),  c_t = clip_value_fn(t)  (if use_clipping)
                 mu_t = b1 * mu_{t-1} + (1 - b1) * x_t
                 nu_t = b2 * nu_{t-1} + (1 - b2) * |g_t|^2
                 u_t  = mu_t,   or with nesterov=True  b1 * mu_t + (1 - b1) * x_t

    Args:
        b1: momentum decay in [0, 1).
        b2: second-moment decay in [0, 1). ADOPT tolerates any value; the paper
            uses 0.9999.
        eps: >= 0, a floor on ``sqrt(nu)`` (not added to it, as in Adam).
        mu_dtype: dtype of ``mu``; None uses each param's dtype.
        nesterov: use the look-ahead momentum.
        use_clipping: clip the normalised gradient to ``[-c_t, c_t]``. The paper
            (v2) recommends it for stability early in training.
        clip_value_fn: the clip bound ``c_t`` as a function of the int32 step
            count ``t``; default ``t ** 0.25``.

    Returns:
        The transformation; its state is ``ScaleByAdoptState``.

    Raises:
        ValueError: for a concrete hyperparameter out of its range.
        TypeError: if ``clip_value_fn`` is not callable.

    References:
        Taniguchi et al., ADOPT: Modified Adam Can Converge with Any beta2 with the
        Optimal Rate, NeurIPS 2024, https://arxiv.org/abs/2411.02853.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.scale_by_adopt()
        >>> g = jnp.array([2.0, -4.0])
        >>> u, state = tx.update(g, tx.init(g))
        >>> u  # the first step only initialises nu
        Array([0., 0.], dtype=float32)
        >>> tx.update(g, state)[0]  # clip bound 1 at t=1; then (1 - b1) * x_1
        Array([ 0.1, -0.1], dtype=float32)
    """
    _check_adopt_args("scale_by_adopt", b1, b2, eps, mu_dtype, clip_value_fn)
    mu_dtype = canonicalize_dtype(mu_dtype)

    def init(params):
        return ScaleByAdoptState(
            count=zero_count(),
            mu=tree_zeros_like(params, mu_dtype),
            nu=tree_zeros_like(params),
        )

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        first = state.count == 0
        clip_value = jnp.asarray(clip_value_fn(state.count)) if use_clipping else None

        def leaf(g, m, n):
            g2 = abs_sq(g)
            x = promoted(jnp.divide, g, jnp.maximum(jnp.sqrt(n), eps).astype(n.dtype))
            if use_clipping:
                c = clip_value.astype(x.real.dtype)
                x = jnp.clip(x, -c, c)
            # At t = 0 the momentum stays 0 and nu becomes g^2; `where` (rather than
            # b1 = 1, b2 = 0) keeps g / eps out of the result when eps is 0.
            new_m = jnp.where(first, *promote_operands(m, moving_average(m, x, b1))).astype(m.dtype)
            new_n = jnp.where(first, *promote_operands(g2, moving_average(n, g2, b2))).astype(
                n.dtype
            )
            if nesterov:
                u = jnp.where(first, *promote_operands(new_m, moving_average(new_m, x, b1)))
            else:
                u = new_m
            return u.astype(g.dtype), new_m, new_n

        updates, mu, nu = zip_map(
            "gradtx.scale_by_adopt", leaf, 3, updates=updates, mu=state.mu, nu=state.nu
        )
        return updates, ScaleByAdoptState(count=safe_increment(state.count), mu=mu, nu=nu)

    return GradientTransformation(init, update)


@checks_float_params(complex_params=False)
@validates_through_parts
def adopt(
    learning_rate: ScalarOrSchedule,
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.9999,
    eps: float | jax.Array = 1e-6,
    mu_dtype=None,
    *,
    nesterov: bool = False,
    use_clipping: bool = True,
    clip_value_fn: Callable[[jax.Array], jax.Array] = _default_clip_value_fn,
) -> GradientTransformation:
    """ADOPT: ``scale_by_adopt`` then ``scale_by_learning_rate``.

        p_t = p_{t-1} - learning_rate * u_t,  u_t as in ``scale_by_adopt``

    The first update is zero (it only measures ``g_0^2``). optax has this
    optimizer as ``optax.contrib.adopt``, with the same signature.

    Complex params: not supported; ``init`` raises TypeError (wrap the optimizer in
    ``contrib.split_real_and_imaginary`` to optimize real and imaginary parts).

    Args:
        learning_rate: >= 0, or a schedule of the step count.
        b1, b2, eps, mu_dtype, nesterov, use_clipping, clip_value_fn: see
            ``scale_by_adopt``.

    References:
        Taniguchi et al., ADOPT: Modified Adam Can Converge with Any beta2 with the
        Optimal Rate, NeurIPS 2024.

    Example:
        >>> import gradtx, jax, jax.numpy as jnp, numpy as np
        >>> opt = gradtx.adopt(learning_rate=0.1)
        >>> params = jnp.array([1.0, -2.0])
        >>> state = opt.init(params)
        >>> for _ in range(3):
        ...     updates, state = opt.update(jax.grad(lambda x: x @ x)(params), state)
        ...     params = gradtx.apply_updates(params, updates)
        >>> print(np.asarray(params).round(3))
        [ 0.971 -1.971]
    """
    return chain(
        scale_by_adopt(
            b1,
            b2,
            eps,
            mu_dtype,
            nesterov=nesterov,
            use_clipping=use_clipping,
            clip_value_fn=clip_value_fn,
        ),
        scale_by_learning_rate(learning_rate),
    )
