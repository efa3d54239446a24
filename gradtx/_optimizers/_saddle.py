"""Escaping saddle points: perturbed gradient descent and negative-curvature steps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from gradtx._core._contract import (
    GradientTransformation,
    ScalarOrSchedule,
    with_extra_args_support,
)
from gradtx._core._numerics import safe_increment, zero_count
from gradtx._core._validate import (
    check_int,
    check_nonnegative,
    checks_float_params,
    validates_through_parts,
)
from gradtx._optimizers._sgd import sgd
from gradtx.curvature._eigen import hessian_eigenvalues
from gradtx.curvature._inputs import as_key, inner_update_with_objective
from gradtx.tree_utils._arithmetic import tree_where
from gradtx.tree_utils._reductions import tree_norm, tree_vdot


def uniform_ball_like(key: jax.Array, tree: Any, radius) -> Any:
    """A sample from the uniform distribution on the ball of ``radius`` in the space of ``tree``."""
    leaves, treedef = jax.tree.flatten(tree)
    n = sum(int(np.prod(jnp.shape(x))) for x in leaves)
    key_dir, key_rad, *keys = jax.random.split(key, len(leaves) + 2)
    dirs = [jax.random.normal(k, jnp.shape(x), jnp.float32) for k, x in zip(keys, leaves)]
    norm = tree_norm(dirs)
    r = radius * jax.random.uniform(key_rad, (), jnp.float32) ** (1.0 / max(n, 1))
    del key_dir
    return treedef.unflatten(
        [(r / norm * d).astype(jnp.asarray(x).dtype) for d, x in zip(dirs, leaves)]
    )


class SaddlePerturbationState(NamedTuple):
    """State of ``saddle_perturbation``.

    Attributes:
        count: int32 steps taken.
        last_perturbation: int32 step of the last perturbation (``-wait_steps``
            before the first).
        perturbations: int32 perturbations added so far.
        key: the PRNG key of the next perturbation.
        inner_state: the wrapped transformation's state.
    """

    count: jax.Array
    last_perturbation: jax.Array
    perturbations: jax.Array
    key: jax.Array
    inner_state: Any


def saddle_perturbation(
    inner: GradientTransformation,
    radius: float | jax.Array = 0.01,
    grad_threshold: float | jax.Array = 1e-3,
    wait_steps: int = 10,
    *,
    key: int | jax.Array = 0,
) -> GradientTransformation:
    """Add a random kick from a ball to ``inner``'s updates when the gradient is small.

    The perturbation of perturbed gradient descent (Jin et al.): near a strict
    saddle the gradient vanishes and plain descent stalls, but a small random
    displacement has a component along the negative-curvature directions,
    which descent then amplifies. A kick is added only when the incoming
    gradient's norm is at most ``grad_threshold`` and none was added in the
    last ``wait_steps`` steps, so near a minimum the method is plain descent
    with a kick every ``wait_steps`` steps at most. Memory: a key and three counters.

    Update rule (``t`` counts from 0, ``g_t`` the incoming gradient):
        kick_t = ||g_t|| <= grad_threshold and t - last >= wait_steps
        u_t = inner(g_t) + xi_t if kick_t else inner(g_t),  xi_t ~ Uniform(Ball(radius))
        last = t if kick_t

    ``inner`` produces the step (put the learning rate in it), so ``radius``
    is in units of the params. The gradient at the kicked point is used by
    the next step.

    Args:
        inner: the transformation making the step, e.g. ``gradtx.sgd(lr)``.
        radius: >= 0, radius of the ball (the paper's ``r``).
        grad_threshold: >= 0, the gradient norm below which to kick (``g_thres``).
        wait_steps: an int >= 0, the fewest steps between kicks (``t_thres``).
        key: an int seed or a PRNG key.

    Returns:
        The transformation; its state is ``SaddlePerturbationState``.

    Raises:
        ValueError: negative ``radius``, ``grad_threshold`` or ``wait_steps``.

    References:
        Jin, Ge, Netrapalli, Kakade and Jordan, How to Escape Saddle Points
        Efficiently, ICML 2017, https://arxiv.org/abs/1703.00887.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.saddle_perturbation(gradtx.sgd(0.1), radius=0.1)
        >>> params = jnp.zeros(2)  # a saddle of x^2 - y^2: the gradient is zero
        >>> u, state = opt.update(jnp.zeros(2), opt.init(params), params)
        >>> int(state.perturbations), bool(0 < jnp.linalg.norm(u) <= 0.1)
        (1, True)
    """
    fn = "saddle_perturbation"
    check_nonnegative(fn, "radius", radius)
    check_nonnegative(fn, "grad_threshold", grad_threshold)
    check_int(fn, "wait_steps", wait_steps, 0)
    key0 = as_key(fn, key)
    inner = with_extra_args_support(inner)

    def init(params):
        return SaddlePerturbationState(
            count=zero_count(),
            last_perturbation=jnp.asarray(-wait_steps, jnp.int32),
            perturbations=zero_count(),
            key=key0,
            inner_state=inner.init(params),
        )

    def update(updates, state, params=None, **extra_args):
        kick = (tree_norm(updates) <= grad_threshold) & (
            state.count - state.last_perturbation >= wait_steps
        )
        new_updates, inner_state = inner.update(updates, state.inner_state, params, **extra_args)
        next_key, sample_key = jax.random.split(state.key)
        xi = uniform_ball_like(sample_key, new_updates, radius)
        kicked = jax.tree.map(lambda u, x: u + x, new_updates, xi)
        return tree_where(kick, kicked, new_updates), SaddlePerturbationState(
            count=safe_increment(state.count),
            last_perturbation=jnp.where(kick, state.count, state.last_perturbation),
            perturbations=state.perturbations + kick.astype(jnp.int32),
            key=next_key,
            inner_state=inner_state,
        )

    return GradientTransformation(init, update)


@validates_through_parts
@checks_float_params
def perturbed_gd(
    learning_rate: ScalarOrSchedule,
    radius: float | jax.Array = 0.01,
    grad_threshold: float | jax.Array = 1e-3,
    wait_steps: int = 10,
    *,
    key: int | jax.Array = 0,
) -> GradientTransformation:
    """Perturbed gradient descent (Jin et al. 2017): SGD that kicks itself off saddles.

    ``saddle_perturbation(sgd(learning_rate), radius, grad_threshold,
    wait_steps, key=key)``; see there for the rule. The paper's choices, for
    an ``l``-smooth, ``rho``-Hessian-Lipschitz loss and target accuracy
    ``epsilon``, are ``learning_rate = 1/l``, ``grad_threshold ~ epsilon``,
    ``radius ~ epsilon / l`` and ``wait_steps ~ l / sqrt(rho epsilon)`` (up
    to logarithms).

    Complex params: supported.

    Args:
        learning_rate: a non-negative number, array or schedule.
        radius, grad_threshold, wait_steps, key: as in ``saddle_perturbation``.

    Returns:
        The transformation; its state is ``SaddlePerturbationState``.

    References:
        Jin, Ge, Netrapalli, Kakade and Jordan, How to Escape Saddle Points
        Efficiently, ICML 2017, https://arxiv.org/abs/1703.00887.

    Example:
        >>> import jax, gradtx, jax.numpy as jnp
        >>> loss = lambda p: p[0] ** 2 - p[1] ** 2 + p[1] ** 4  # saddle at 0
        >>> opt = gradtx.perturbed_gd(0.1, radius=0.1, grad_threshold=1e-3)
        >>> params = jnp.zeros(2)
        >>> state = opt.init(params)
        >>> for _ in range(100):
        ...     u, state = opt.update(jax.grad(loss)(params), state, params)
        ...     params = gradtx.apply_updates(params, u)
        >>> round(float(abs(params[1])), 3)  # a minimum: y = +-1/sqrt(2)
        0.707
    """
    return saddle_perturbation(sgd(learning_rate), radius, grad_threshold, wait_steps, key=key)


class NegativeCurvatureStepState(NamedTuple):
    """State of ``negative_curvature_step``.

    Attributes:
        count: int32 steps taken.
        curvature_steps: int32 steps taken along an eigenvector so far.
        min_eigenvalue: the smallest Hessian eigenvalue at the last check (0 before one).
        key: the PRNG key of the next Lanczos start.
        inner_state: the wrapped transformation's state.
    """

    count: jax.Array
    curvature_steps: jax.Array
    min_eigenvalue: jax.Array
    key: jax.Array
    inner_state: Any


def negative_curvature_step(
    inner: GradientTransformation,
    step_size: float | jax.Array = 0.1,
    grad_threshold: float | jax.Array = 1e-3,
    curvature_threshold: float | jax.Array = 1e-6,
    *,
    order: int = 20,
    key: int | jax.Array = 0,
) -> GradientTransformation:
    """Where the gradient is small and the Hessian has a negative eigenvalue, step along it.

    Deterministic saddle escape: near a critical point ``inner``'s step is
    replaced by a move of length ``step_size`` along the unit eigenvector ``v``
    of the smallest Hessian eigenvalue ``lambda_min`` (by ``order`` Lanczos
    steps on ``obj_fn``, with one Hessian-vector product per step), signed
    so that the move does not increase the loss to first order. At a strict
    saddle this lowers the loss by about ``|lambda_min| step_size^2 / 2``.
    Elsewhere (large gradient, or no eigenvalue below ``-curvature_threshold``)
    the update is ``inner``'s. The eigenvalue solve runs under ``lax.cond``,
    so only steps with a small gradient pay for it (under ``vmap`` every step does).

    Update rule (``g`` the incoming gradient, ``(lambda_min, v)`` of the Hessian at params):
        if ||g|| <= grad_threshold and lambda_min < -curvature_threshold:
            u = -sign(<g, v>) * step_size * v      (sign(0) taken as +1)
        else:
            u = inner(g)

    With a ``rho``-Lipschitz Hessian, ``step_size = 2 |lambda_min| / rho`` is
    the step of Nesterov and Polyak's cubic-regularised Newton method.

    ``update(grads, state, params, obj_fn=f)`` needs the params and the extra
    argument ``obj_fn``: the loss as a function of the params alone (close over
    the batch), as ``gradtx.sophia``'s Hessian estimator takes it.

    Args:
        inner: the transformation making ordinary steps, e.g. ``gradtx.sgd(lr)``.
        step_size: >= 0, the length of a negative-curvature move (params units).
        grad_threshold: >= 0, the gradient norm at or below which to look for
            negative curvature.
        curvature_threshold: >= 0, how negative ``lambda_min`` must be.
        order: an int >= 1, Lanczos steps (clipped to the number of params).
        key: an int seed or a PRNG key for the Lanczos starting vectors.

    Returns:
        The transformation; its state is ``NegativeCurvatureStepState``.

    Raises:
        ValueError: negative thresholds or ``step_size``; ``order`` < 1; at
            update, missing ``params`` or ``obj_fn``.

    References:
        Nesterov and Polyak, Cubic Regularization of Newton Method and its Global
        Performance, Mathematical Programming 2006.
        Curtis and Robinson, Exploiting Negative Curvature in Deterministic and
        Stochastic Optimization, Mathematical Programming 2019,
        https://arxiv.org/abs/1703.00412.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> loss = lambda p: p[0] ** 2 - p[1] ** 2
        >>> opt = gradtx.negative_curvature_step(gradtx.sgd(0.1), step_size=0.5)
        >>> params = jnp.zeros(2)
        >>> u, state = opt.update(jnp.zeros(2), opt.init(params), params, obj_fn=loss)
        >>> [round(abs(float(x)), 4) for x in u], round(float(state.min_eigenvalue), 4)
        ([0.0, 0.5], -2.0)
    """
    fn = "negative_curvature_step"
    check_nonnegative(fn, "step_size", step_size)
    check_nonnegative(fn, "grad_threshold", grad_threshold)
    check_nonnegative(fn, "curvature_threshold", curvature_threshold)
    check_int(fn, "order", order, 1)
    key0 = as_key(fn, key)
    inner = with_extra_args_support(inner)

    def init(params):
        return NegativeCurvatureStepState(
            count=zero_count(),
            curvature_steps=zero_count(),
            min_eigenvalue=jnp.zeros((), jnp.float32),
            key=key0,
            inner_state=inner.init(params),
        )

    def update(updates, state, params=None, obj_fn: Callable | None = None, **extra_args):
        obj_fn, new_updates, inner_state = inner_update_with_objective(
            fn, inner, updates, state.inner_state, params, obj_fn, extra_args
        )
        next_key, lanczos_key = jax.random.split(state.key)
        n = sum(int(np.prod(jnp.shape(x))) for x in jax.tree.leaves(params))

        def smallest(_):
            res = hessian_eigenvalues(
                obj_fn, params, k=1, which="smallest", order=min(order, n), key=lanczos_key
            )
            v = jax.tree.map(lambda x: x[0], res.eigenvectors)
            return res.eigenvalues[0].astype(jnp.float32), v

        def skip(_):
            return state.min_eigenvalue, jax.tree.map(jnp.zeros_like, params)

        small = tree_norm(updates) <= grad_threshold
        lam, v = lax.cond(small, smallest, skip, None)
        slope = tree_vdot(updates, jax.tree.map(lambda a, g: a.astype(g.dtype), v, updates))
        sign = jnp.where(slope > 0, -1.0, 1.0) * step_size
        move = jax.tree.map(lambda a, g: (sign * a).astype(g.dtype), v, updates)
        take = small & (lam < -curvature_threshold)
        return tree_where(take, move, new_updates), NegativeCurvatureStepState(
            count=safe_increment(state.count),
            curvature_steps=state.curvature_steps + take.astype(jnp.int32),
            min_eigenvalue=lam,
            key=next_key,
            inner_state=inner_state,
        )

    return GradientTransformation(init, update)
