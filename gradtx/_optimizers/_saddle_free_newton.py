"""Saddle-free Newton: Newton's step with the Hessian's eigenvalues replaced by their absolute values."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from gradtx._core._contract import (
    GradientTransformation,
    ScalarOrSchedule,
    chain,
    init_empty_state,
)
from gradtx._core._validate import (
    check_int,
    check_learning_rate,
    check_nonnegative,
    checks_float_params,
    require_params,
    validates_through_parts,
)
from gradtx.curvature._eigen import krylov_eigh
from gradtx.curvature._flat import FlatView
from gradtx.curvature._inputs import require_obj_fn
from gradtx.transforms._scaling import scale_by_learning_rate


def scale_by_saddle_free_newton(
    damping: float | jax.Array = 1e-4, order: int = 10
) -> GradientTransformation:
    """Precondition the gradient by ``(|H| + damping I)^{-1}`` in a Krylov subspace.

    Newton's step ``H^{-1} g`` is attracted to saddles: along a direction of
    negative curvature it moves uphill. Saddle-free Newton replaces each
    eigenvalue of ``H`` by its absolute value, so it moves downhill along
    every eigendirection with Newton's scaling. ``order`` Lanczos steps from
    ``g`` (one Hessian-vector product each) build an orthonormal basis ``Q`` of
    the Krylov subspace ``span{g, H g, ..}`` and ``T = Q^T H Q = S diag(theta) S^T``;
    the step is taken there, where ``g`` lies. With ``order`` equal to the
    number of parameters it is the exact saddle-free Newton step. At ``g = 0``
    the step is zero (wrap it in ``saddle_perturbation`` to leave an exact saddle).
    Memory: ``order`` vectors of the params' size, for the duration of a step.

    Update rule:
        d = Q S diag(1 / (|theta| + damping)) S^T Q^T g

    ``update(grads, state, params, obj_fn=f)`` needs the params and the extra
    argument ``obj_fn``, the loss as a function of the params alone (close
    over the batch), where the Hessian is taken. Follow with a learning rate
    (``saddle_free_newton`` does) to descend.

    Args:
        damping: >= 0, added to every ``|theta|``; keep it positive when the
            Hessian may be singular (the paper picks it by line search).
        order: an int >= 1, the Krylov dimension (clipped to the number of params).

    Returns:
        The transformation; its state is ``EmptyState``.

    Raises:
        ValueError: negative ``damping``, ``order`` < 1; at update, missing
            ``params`` or ``obj_fn``.

    References:
        Dauphin, Pascanu, Gulcehre, Cho, Ganguli and Bengio, Identifying and
        Attacking the Saddle Point Problem in High-Dimensional Non-Convex
        Optimization, NeurIPS 2014, https://arxiv.org/abs/1406.2572.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> loss = lambda p: 0.5 * (4.0 * p[0] ** 2 - 2.0 * p[1] ** 2)  # H = diag(4, -2)
        >>> tx = gradtx.scale_by_saddle_free_newton(damping=0.0)
        >>> p = jnp.array([1.0, 1.0])
        >>> g = jnp.array([4.0, -2.0])
        >>> d, _ = tx.update(g, tx.init(p), p, obj_fn=loss)
        >>> [round(float(x), 4) for x in d]  # |H|^{-1} g
        [1.0, -1.0]
    """
    fn = "scale_by_saddle_free_newton"
    check_nonnegative(fn, "damping", damping)
    check_int(fn, "order", order, 1)

    def update(updates, state, params=None, obj_fn: Callable | None = None, **extra_args):
        del extra_args
        require_params(fn, params)
        obj_fn = require_obj_fn(fn, obj_fn)
        view = FlatView(params)
        g = view.flatten(updates)
        norm = jnp.linalg.norm(g)
        start = view.unflatten(jnp.where(norm > 0, g, jnp.ones_like(g)))
        m = min(order, view.size)
        theta, s, basis, _ = krylov_eigh(obj_fn, params, (), m, start=start)
        coeff = s.T @ (basis @ g)
        d = basis.T @ (s @ (coeff / (jnp.abs(theta) + damping)))
        out = view.unflatten(d)
        return jax.tree.map(lambda x, u: x.astype(u.dtype), out, updates), state

    return GradientTransformation(init_empty_state, update)


@validates_through_parts
@checks_float_params(complex_params=False)
def saddle_free_newton(
    learning_rate: ScalarOrSchedule = 1.0, damping: float | jax.Array = 1e-4, order: int = 10
) -> GradientTransformation:
    """Saddle-free Newton (Dauphin et al. 2014): ``p <- p - learning_rate (|H| + damping)^{-1} g``.

    ``chain(scale_by_saddle_free_newton(damping, order),
    scale_by_learning_rate(learning_rate))``; see ``scale_by_saddle_free_newton``
    for the Krylov approximation. Near a saddle, where Newton's method is
    attracted to it, saddle-free Newton is repelled; near a minimum it is
    Newton's method (quadratic convergence with ``learning_rate = 1``, no
    damping and a full Krylov subspace).

    Complex params: not supported; ``init`` raises TypeError (wrap the optimizer in
    ``contrib.split_real_and_imaginary`` to optimize real and imaginary parts).

    Args:
        learning_rate: a non-negative number, array or schedule (1 is Newton's step).
        damping: >= 0, added to the absolute eigenvalues.
        order: an int >= 1, the Krylov dimension.

    Returns:
        The chained transformation; ``update`` needs params and the extra
        argument ``obj_fn``.

    References:
        Dauphin, Pascanu, Gulcehre, Cho, Ganguli and Bengio, Identifying and
        Attacking the Saddle Point Problem in High-Dimensional Non-Convex
        Optimization, NeurIPS 2014, https://arxiv.org/abs/1406.2572.

    Example:
        >>> import jax, gradtx, jax.numpy as jnp
        >>> loss = lambda p: p[0] ** 2 / 2 - p[1] ** 2 / 2 + p[1] ** 4 / 4  # saddle at 0
        >>> opt = gradtx.saddle_free_newton(1.0, damping=0.0)
        >>> params = jnp.array([0.5, 0.1])
        >>> state = opt.init(params)
        >>> for _ in range(10):
        ...     g = jax.grad(loss)(params)
        ...     u, state = opt.update(g, state, params, obj_fn=loss)
        ...     params = gradtx.apply_updates(params, u)
        >>> [round(float(x), 4) for x in params]  # the minimum (0, 1), not the saddle
        [0.0, 1.0]
    """
    check_learning_rate("saddle_free_newton", learning_rate)
    return chain(scale_by_saddle_free_newton(damping, order), scale_by_learning_rate(learning_rate))
