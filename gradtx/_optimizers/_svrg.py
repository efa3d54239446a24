"""SVRG: stochastic variance-reduced gradient, with a snapshot and its full gradient."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain
from gradtx._core._numerics import safe_increment, zero_count
from gradtx._core._validate import (
    check_int,
    check_learning_rate,
    checks_float_params,
    require_params,
)
from gradtx.transforms._scaling import scale_by_learning_rate
from gradtx.tree_utils._construct import tree_cast_like
from gradtx.tree_utils._tree_math import zip_map


class ScaleBySvrgState(NamedTuple):
    """State of ``scale_by_svrg``: the step count, the snapshot params and the
    full gradient at the snapshot (zeros before the first update)."""

    count: jax.Array
    snapshot: Any
    full_grad: Any


@checks_float_params
def scale_by_svrg(update_frequency: int) -> GradientTransformation:
    """Replace a batch gradient by SVRG's variance-reduced estimate of the full gradient.

    Every ``update_frequency`` steps (and at the first) the params become the
    snapshot ``s`` and the full gradient ``mu = grad F(s)`` is computed once;
    in between, the batch gradient ``g_B(x)`` is corrected by the same batch's
    gradient at the snapshot, which is unbiased for ``grad F(x)`` and whose
    variance vanishes as ``x`` and ``s`` approach the optimum. Memory: two
    copies of the params; cost: two batch gradients a step plus one full
    gradient every ``update_frequency`` steps.

    Update rule (t counts from 0; m = update_frequency):
        if t % m == 0:  s = x_t;  mu = full_grad_fn(x_t);  u_t = mu
        else:           u_t = g_t - batch_grad_fn(s) + mu

    The training loop passes the two functions as extra arguments of
    ``update``; both map params to a gradient tree:
        ``batch_grad_fn``: the gradient of the current batch's loss (the batch
        ``g_t`` was computed on), e.g. ``lambda p: jax.grad(loss)(p, batch)``;
        ``full_grad_fn``: the gradient of the whole finite-sum objective.

    Where it helps and where it does not: variance reduction pays off on
    finite sums of smooth, (strongly) convex losses -- regularised linear and
    logistic regression, GLMs, small convex models -- where it converges
    linearly with a constant step, as full-batch gradient descent does, at the
    per-step cost of SGD. On deep networks it is usually no better than SGD
    with momentum: the snapshot goes stale within a few steps, data
    augmentation, dropout and batch norm make the per-example functions change
    between visits, and the variance it removes is a small part of the noise
    (Defazio and Bottou, On the Ineffectiveness of Variance Reduced
    Optimization for Deep Learning, NeurIPS 2019).

    Args:
        update_frequency: int >= 1, the steps between snapshots (Johnson and
            Zhang use about 2 epochs for convex problems, i.e. 2 n / batch size).

    Returns:
        The transformation; its state is ``ScaleBySvrgState``.

    Raises:
        TypeError, ValueError: ``update_frequency`` not an int >= 1.
        ValueError: ``update`` without params, ``batch_grad_fn`` or ``full_grad_fn``.

    References:
        Johnson and Zhang, Accelerating Stochastic Gradient Descent using
        Predictive Variance Reduction, NeurIPS 2013.

    Example:
        >>> import gradtx, jax, jax.numpy as jnp
        >>> a = jnp.array([[1.0, 2.0], [3.0, -1.0], [0.0, 1.0]])  # f_i = |x - a_i|^2 / 2
        >>> full = lambda p: p - a.mean(0)
        >>> opt = gradtx.svrg(0.5, update_frequency=3)
        >>> x = jnp.zeros(2)
        >>> state = opt.init(x)
        >>> batch_grads = [lambda p, a_i=a_i: p - a_i for a_i in a]  # one per example
        >>> for t in range(30):
        ...     grad_i = batch_grads[t % 3]
        ...     u, state = opt.update(grad_i(x), state, x, batch_grad_fn=grad_i,
        ...                           full_grad_fn=full)
        ...     x = gradtx.apply_updates(x, u)
        >>> bool(jnp.allclose(x, a.mean(0)))
        True
    """
    check_int("scale_by_svrg", "update_frequency", update_frequency, 1)

    def init(params):
        zeros = jax.tree.map(jnp.zeros_like, params)
        return ScaleBySvrgState(
            count=zero_count(), snapshot=jax.tree.map(jnp.zeros_like, params), full_grad=zeros
        )

    def update(updates, state, params=None, *, batch_grad_fn=None, full_grad_fn=None, **extra):
        del extra
        require_params("scale_by_svrg", params)
        for name, fn in (("batch_grad_fn", batch_grad_fn), ("full_grad_fn", full_grad_fn)):
            if not callable(fn):
                raise ValueError(
                    f"gradtx.scale_by_svrg: update needs {name}= (a function from params to a "
                    f"gradient tree); got {type(fn).__name__}."
                )

        def refresh(_):
            mu = tree_cast_like(full_grad_fn(params), state.full_grad)
            snap = tree_cast_like(params, state.snapshot)
            return tree_cast_like(mu, updates), snap, mu

        def correct(_):
            g_snap = batch_grad_fn(state.snapshot)

            def leaf(g, gs, mu):
                dt = jnp.result_type(g, gs, mu)
                return (g.astype(dt) - gs.astype(dt) + mu.astype(dt)).astype(g.dtype)

            u = zip_map("gradtx.scale_by_svrg", leaf, g=updates, gs=g_snap, mu=state.full_grad)
            return u, state.snapshot, state.full_grad

        is_refresh = state.count % update_frequency == 0
        u, snap, mu = jax.lax.cond(is_refresh, refresh, correct, None)
        return u, ScaleBySvrgState(count=safe_increment(state.count), snapshot=snap, full_grad=mu)

    return GradientTransformation(init, update)


@checks_float_params
def svrg(learning_rate: ScalarOrSchedule, update_frequency: int) -> GradientTransformation:
    """SVRG with a constant (or scheduled) step: ``scale_by_svrg`` then ``-learning_rate``.

    For an L-smooth finite sum whose terms are each L-smooth and which is
    mu-strongly convex, a constant step of about ``0.1 / L`` with
    ``update_frequency`` of a few epochs converges linearly (Johnson and
    Zhang, Theorem 1). Pass ``batch_grad_fn`` and ``full_grad_fn`` to
    ``update`` (see ``scale_by_svrg``).

    Complex params: supported.

    Args:
        learning_rate: non-negative number, array or schedule.
        update_frequency: int >= 1, steps between snapshots.

    Returns:
        The optimizer; its state is ``(ScaleBySvrgState, ScaleByScheduleState or EmptyState)``.

    Raises:
        ValueError: out-of-range hyperparameters.

    References:
        Johnson and Zhang, Accelerating Stochastic Gradient Descent using
        Predictive Variance Reduction, NeurIPS 2013.

    Example:
        >>> import gradtx
        >>> opt = gradtx.svrg(0.1, update_frequency=100)
    """
    check_learning_rate("svrg", learning_rate)
    check_int("svrg", "update_frequency", update_frequency, 1)
    return chain(scale_by_svrg(update_frequency), scale_by_learning_rate(learning_rate))
