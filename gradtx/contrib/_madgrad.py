"""MADGRAD: momentumised, adaptive, dual-averaged gradient descent."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain
from gradtx._core._numerics import (
    default_float_dtype,
    promoted,
    promoted_dtype,
    real_dtype,
    safe_increment,
    scale_leaf,
    zero_count,
)
from gradtx._core._validate import (
    check_decay,
    check_learning_rate,
    check_nonnegative,
    checks_float_params,
    require_param_values,
    require_params,
)
from gradtx.transforms._weight_decay import add_decayed_weights
from gradtx.tree_utils._construct import tree_zeros_like
from gradtx.tree_utils._tree_math import abs_sq, zip_map


class MadgradState(NamedTuple):
    """State of ``scale_by_madgrad`` (optax's names and order).

    Fields:
        count: number of updates so far (int32).
        grad_sum_sq: ``v``, the lambda-weighted sum of squared gradients.
        s: the lambda-weighted sum of gradients.
        x0: the initial params (the dual-averaging anchor).
    """

    count: jax.Array
    grad_sum_sq: Any
    s: Any
    x0: Any


@checks_float_params(complex_params=False)
def scale_by_madgrad(
    learning_rate: ScalarOrSchedule,
    momentum: float = 0.9,
    eps: float = 1e-6,
) -> GradientTransformation:
    """MADGRAD's step: dual averaging with a cube-root preconditioner and momentum.

    Dual averaging moves from the initial params ``x_0`` along the weighted sum
    of all gradients, divided by the cube root of the weighted sum of squared
    gradients (AdaGrad-like, but the cube root suits dual averaging). Momentum
    is an average of the iterates. The weights ``lambda_k = lr_k sqrt(k + 1)``
    grow, so recent gradients count more. The updates already include the step
    size and sign. Memory: three buffers per param.

    Update rule (k = 0, 1, ...; lr_k = learning_rate at count k; x = params):
        lambda_k = (lr_k + eps) * sqrt(k + 1)
        s_k = s_{k-1} + lambda_k * g_k
        v_k = v_{k-1} + lambda_k * g_k^2
        z_k = x_0 - s_k / (cbrt(v_k) + eps)
        x_{k+1} = momentum * x_k + (1 - momentum) * z_k
        u_k = x_{k+1} - x_k

    Difference from optax: optax takes ``sqrt(k + 1)`` of the int32 count in
    float32 even for float64 params (a relative error of ~1e-7 in every weight);
    gradtx computes it in the default float dtype (float64 under x64), so
    float64 runs agree with optax.contrib to about 1e-5, float32 runs exactly.

    Args:
        learning_rate: a number >= 0 or a schedule of the 0-based count.
        momentum: iterate-averaging weight in [0, 1); 0 is plain dual averaging.
        eps: >= 0, added to the learning rate and to the cube root.

    Returns:
        The transformation (a full step); its state is ``MadgradState``.
        ``update`` needs params.

    Raises:
        ValueError: a concrete hyperparameter out of its range, or no params.

    References:
        Defazio and Jelassi, Adaptivity without Compromise: A Momentumized,
        Adaptive, Dual Averaged Gradient Method for Stochastic Optimization,
        JMLR 2022, https://arxiv.org/abs/2101.11075.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.contrib.scale_by_madgrad(1.0, momentum=0.0, eps=0.0)
        >>> p = jnp.array([1.0, -1.0])
        >>> u, _ = tx.update(jnp.array([8.0, -1.0]), tx.init(p), p)
        >>> u  # -g / cbrt(g^2) = -cbrt(g)
        Array([-2.,  1.], dtype=float32)
    """
    _check_madgrad("contrib.scale_by_madgrad", learning_rate, momentum, eps)
    return _scale_by_madgrad(learning_rate, momentum, eps)


def _check_madgrad(fn, learning_rate, momentum, eps):
    check_learning_rate(fn, learning_rate)
    check_decay(fn, "momentum", momentum)
    check_nonnegative(fn, "eps", eps)


def _scale_by_madgrad(learning_rate, momentum, eps) -> GradientTransformation:
    def init(params):
        require_param_values("contrib.madgrad", params, "it keeps the initial params x0")
        return MadgradState(
            count=zero_count(),
            grad_sum_sq=tree_zeros_like(params),
            s=tree_zeros_like(params),
            x0=jax.tree.map(lambda p: jnp.array(p, copy=True), params),
        )

    def update(updates, state, params=None, **extra_args):
        del extra_args
        require_params("contrib.scale_by_madgrad", params)
        lr = learning_rate(state.count) if callable(learning_rate) else learning_rate
        root = jnp.sqrt(state.count.astype(default_float_dtype()) + 1.0)
        lamb = promoted(jnp.multiply, lr + eps, root)

        def leaf(g, v, s, x0, x):
            lamb_g = lamb.astype(promoted_dtype(lr, eps, real_dtype(g.dtype)))
            v = v + scale_leaf(lamb_g, abs_sq(g)).astype(v.dtype)
            s = s + scale_leaf(lamb_g, g).astype(s.dtype)
            z = x0 - s / (jnp.cbrt(v) + eps)
            x_new = (1 - momentum) * z + momentum * x
            return (x_new - x).astype(g.dtype), v, s

        new_updates, v, s = zip_map(
            "gradtx.contrib.scale_by_madgrad",
            leaf,
            3,
            updates=updates,
            grad_sum_sq=state.grad_sum_sq,
            s=state.s,
            x0=state.x0,
            params=params,
        )
        return new_updates, MadgradState(safe_increment(state.count), v, s, state.x0)

    return GradientTransformation(init, update)


@checks_float_params(complex_params=False)
def madgrad(
    learning_rate: ScalarOrSchedule,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    eps: float = 1e-6,
) -> GradientTransformation:
    """The MADGRAD optimizer: L2 weight decay, then ``scale_by_madgrad``.

    Update rule (see ``scale_by_madgrad``; x = params):
        x_{k+1} = x_k + scale_by_madgrad(g_k + weight_decay * x_k)

    Matches SGD with momentum on vision and Adam on language tasks in the paper;
    its learning rate is typically smaller than SGD's (the cube root makes the
    step scale like ``lr^(2/3)``).

    Complex params: not supported; ``init`` raises TypeError (wrap the optimizer in
    ``contrib.split_real_and_imaginary`` to optimize real and imaginary parts).

    Args:
        learning_rate: a number >= 0 or a schedule of the 0-based count.
        momentum: iterate-averaging weight in [0, 1).
        weight_decay: >= 0, L2 regularisation added to the gradient (as in the
            authors' code).
        eps: >= 0, stabiliser of the learning rate and of the cube root.

    Returns:
        The optimizer; its state is ``(AddDecayedWeightsState, MadgradState)``.
        ``update`` needs params.

    Raises:
        ValueError: a concrete hyperparameter out of its range.

    References:
        Defazio and Jelassi, Adaptivity without Compromise: A Momentumized,
        Adaptive, Dual Averaged Gradient Method for Stochastic Optimization,
        JMLR 2022, https://arxiv.org/abs/2101.11075.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.contrib.madgrad(0.1)
        >>> params = jnp.array([1.0, -2.0])
        >>> state = opt.init(params)
        >>> for _ in range(100):
        ...     updates, state = opt.update(params, state, params)  # grad of |p|^2 / 2
        ...     params = gradtx.apply_updates(params, updates)
        >>> bool(jnp.abs(params).max() < 0.1)
        True
    """
    fn = "contrib.madgrad"
    _check_madgrad(fn, learning_rate, momentum, eps)
    check_nonnegative(fn, "weight_decay", weight_decay)
    return chain(add_decayed_weights(weight_decay), _scale_by_madgrad(learning_rate, momentum, eps))
