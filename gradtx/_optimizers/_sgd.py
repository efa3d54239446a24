"""Momentum (trace), exponential moving averages, and SGD."""

from __future__ import annotations

import jax

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain, identity
from gradtx._core._validate import (
    check_decay,
    check_learning_rate,
    check_nonnegative,
    check_range,
    checks_float_params,
)
from gradtx.transforms._momentum import trace
from gradtx.transforms._scaling import scale, scale_by_learning_rate
from gradtx.transforms._weight_decay import add_decayed_weights


@checks_float_params
def sgd(
    learning_rate: ScalarOrSchedule,
    momentum: float | jax.Array | None = None,
    nesterov: bool = False,
    accumulator_dtype=None,
    *,
    dampening: float | jax.Array | None = None,
    weight_decay: ScalarOrSchedule | None = None,
    maximize: bool = False,
) -> GradientTransformation:
    """Stochastic gradient descent, optionally with (Nesterov) momentum.

    Chains ``scale(-1)`` (when ``maximize``), ``add_decayed_weights(weight_decay)``
    (unless None), ``trace(momentum, nesterov, dampening=dampening)``
    (when ``momentum`` is not None) and ``scale_by_learning_rate(learning_rate)``:
        g'_t = +-g_t + weight_decay * p_{t-1}
        mu_t = g'_t + momentum * mu_{t-1};  p_t = p_{t-1} - learning_rate * mu_t

    With the keyword-only arguments this is torch.optim.SGD exactly:
    ``SGD(lr, momentum=m, dampening=d, weight_decay=w, nesterov=n, maximize=x)``
    is ``sgd(lr, m, n, dampening=d, weight_decay=w, maximize=x)`` (docs/torch.md).

    Complex params: supported.

    Args:
        learning_rate: non-negative number, array or schedule.
        momentum: in [0, 1), or None for plain SGD (no state).
        nesterov: Nesterov momentum.
        accumulator_dtype: dtype of the momentum buffer.
        dampening: None (default) or in [0, 1]; see ``trace``. Ignored when ``momentum`` is None
            (as torch ignores it when momentum is 0).
        weight_decay: None (the default) adds no decay term; else >= 0 (0 included,
            which keeps the term in the chain whatever the number's type);
            L2 regularisation added to the gradient before the
            momentum (torch.optim.SGD's ``weight_decay``).
        maximize: ascend instead of descend: the gradient is negated first, so
            the weight decay still pulls towards zero (torch's implementation).

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.sgd(0.1, momentum=0.9)
        >>> params = jnp.array([1.0, 2.0])
        >>> state = opt.init(params)
        >>> updates, state = opt.update(params, state)  # gradient of |p|^2/2 is p
        >>> gradtx.apply_updates(params, updates)
        Array([0.9, 1.8], dtype=float32)
    """
    check_learning_rate("sgd", learning_rate)
    if momentum is not None:
        check_decay("sgd", "momentum", momentum, none=True)
    check_range("sgd", "dampening", dampening, 0.0, 1.0, none=True)
    check_nonnegative("sgd", "weight_decay", weight_decay, none=True, schedule=True)
    if not isinstance(maximize, bool):
        raise TypeError(
            f"gradtx.sgd(maximize={maximize!r}): maximize must be a bool; "
            f"got {type(maximize).__name__}."
        )
    head = []
    if maximize:
        head.append(scale(-1.0))
    if weight_decay is not None:
        head.append(add_decayed_weights(weight_decay))
    if momentum is not None:
        damp = {} if dampening is None else {"dampening": dampening}
        core = trace(momentum, nesterov, accumulator_dtype, **damp)
    else:
        core = identity()
    return chain(*head, core, scale_by_learning_rate(learning_rate))
