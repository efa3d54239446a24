"""Sophia: clipped diagonal-Newton steps with a cheap Hessian-diagonal estimate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import (
    GradientTransformation,
    ScalarOrSchedule,
    chain,
    with_extra_args_support,
)
from gradtx._core._numerics import (
    canonicalize_dtype,
    promoted,
    safe_increment,
    zero_count,
)
from gradtx._core._validate import (
    check_decay,
    check_dtype,
    check_int,
    check_learning_rate,
    check_nonnegative,
    check_positive,
    check_range,
    checks_float_params,
)
from gradtx.transforms._scaling import scale_by_learning_rate
from gradtx.transforms._weight_decay import add_decayed_weights
from gradtx.tree_utils._construct import tree_zeros_like
from gradtx.tree_utils._moments import bias_correction_factor, moment_update
from gradtx.tree_utils._tree_math import zip_map


class HutchinsonState(NamedTuple):
    """State of ``hutchinson_estimator_diag_hessian``: the PRNG key of the next probe."""

    key: jax.Array


def hutchinson_estimator_diag_hessian(
    random_seed: jax.Array | None = None,
) -> GradientTransformation:
    """Estimate the diagonal of the Hessian of ``obj_fn`` at the params (Hutchinson).

    A transformation whose ``update`` ignores the incoming updates and returns,
    for one random sign vector ``z`` (each entry +1 or -1 with probability 1/2),

        h = z * (H z),   H = Hessian of obj_fn at params,

    computed with one Hessian-vector product (forward over reverse mode, about
    the cost of two gradients). ``E[h] = diag(H)``: entry i is ``H_ii`` plus
    ``sum_{j != i} H_ij z_i z_j``, so the estimate is exact when H is diagonal
    and otherwise has variance ``sum_{j != i} H_ij^2`` per entry. Average
    several calls (or an EMA, as Sophia does) to reduce it.

    ``update(updates, state, params, obj_fn=f)`` needs ``params`` and the extra
    argument ``obj_fn``: a function of the params alone returning the scalar
    loss (close over the batch: ``obj_fn=lambda p: loss(p, batch)``). Each call
    advances the key. Signs are drawn leaf by leaf in the flattening order of
    the params, as optax.contrib does, and cast to each param's dtype (so
    trees with mixed dtypes work).

    Args:
        random_seed: a PRNG key (raw ``jax.random.PRNGKey`` or typed
            ``jax.random.key``); None means ``jax.random.PRNGKey(0)``.

    Returns:
        The transformation; its state is ``HutchinsonState``.

    Raises:
        ValueError: at update, when ``params`` or ``obj_fn`` is missing.

    References:
        Hutchinson, A Stochastic Estimator of the Trace of the Influence Matrix for
        Laplacian Smoothing Splines, Communications in Statistics 1990.
        Bekas, Kokiopoulou and Saad, An Estimator for the Diagonal of a Matrix,
        Applied Numerical Mathematics 2007.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> est = gradtx.hutchinson_estimator_diag_hessian()
        >>> x = jnp.array([1.0, 2.0])
        >>> f = lambda p: jnp.sum(p**3)  # diagonal Hessian 6 * p: exact
        >>> h, _ = est.update(x, est.init(x), x, obj_fn=f)
        >>> h
        Array([ 6., 12.], dtype=float32)
    """

    def init(params):
        del params
        return HutchinsonState(key=jax.random.PRNGKey(0) if random_seed is None else random_seed)

    def update(updates, state, params=None, obj_fn: Callable | None = None, **extra_args):
        del updates, extra_args
        if params is None:
            raise ValueError(
                "gradtx.hutchinson_estimator_diag_hessian: update needs the params "
                "(the point where the Hessian is taken)."
            )
        if obj_fn is None:
            raise ValueError(
                "gradtx.hutchinson_estimator_diag_hessian: update needs the extra "
                "argument obj_fn, a function of the params returning the scalar loss; "
                "call update(grads, state, params, obj_fn=lambda p: loss(p, batch))."
            )
        key, sub = jax.random.split(state.key)
        leaves, treedef = jax.tree.flatten(params)
        keys = jax.random.split(sub, len(leaves))
        signs = treedef.unflatten(
            [
                jax.random.rademacher(k, jnp.shape(x), jnp.float32).astype(jnp.asarray(x).dtype)
                for k, x in zip(keys, leaves, strict=True)
            ]
        )
        hvp = jax.jvp(jax.grad(obj_fn), (params,), (signs,))[1]
        diag = jax.tree.map(lambda h, z: h * z, hvp, signs)
        return diag, HutchinsonState(key=key)

    return GradientTransformation(init, update)


class SophiaState(NamedTuple):
    """State of ``scale_by_sophia``: count, first moment ``mu``, EMA of the Hessian
    diagonal ``nu``, and the state of the Hessian-diagonal estimator."""

    count: jax.Array
    mu: Any
    nu: Any
    hessian_fn_state: Any


def _check_sophia_args(
    fn, b1, b2, eps, gamma, clip_threshold, update_interval, mu_dtype, verbose, every
):
    check_decay(fn, "b1", b1)
    check_decay(fn, "b2", b2)
    check_nonnegative(fn, "eps", eps)
    check_nonnegative(fn, "gamma", gamma)
    if clip_threshold is not None:
        check_positive(fn, "clip_threshold", clip_threshold)
    check_range(fn, "update_interval", update_interval, 1.0)
    check_dtype(fn, "mu_dtype", mu_dtype)
    check_int(fn, "print_win_rate_every_n_steps", every, low=0)
    if verbose:
        check_range(fn, "print_win_rate_every_n_steps", every, 1.0)


@checks_float_params(complex_params=False)
def scale_by_sophia(
    b1: float | jax.Array = 0.965,
    b2: float | jax.Array = 0.99,
    eps: float | jax.Array = 1e-8,
    gamma: float | jax.Array = 0.01,
    clip_threshold: float | jax.Array | None = 1.0,
    update_interval: int = 10,
    hessian_diagonal_fn: GradientTransformation | None = None,
    mu_dtype=None,
    verbose: bool = False,
    print_win_rate_every_n_steps: int = 0,
) -> GradientTransformation:
    """Divide the momentum by a clipped estimate of the Hessian diagonal (Sophia).

    A diagonal Newton step on the momentum, made safe by clipping each
    coordinate: where the curvature estimate is small, negative or stale, the
    step falls back to sign descent of size ``clip_threshold``. The Hessian
    diagonal is refreshed only every ``update_interval`` steps, so its cost is
    amortised. Memory: two buffers plus the estimator's state.

    Update rule (t from 1; h = hessian_diagonal_fn's estimate at the params):
        mu_t = b1 * mu_{t-1} + (1 - b1) * g_t
        u_t  = clip((mu_t / (1 - b1^t)) / max(gamma * nu_{t-1}, eps),
                    -clip_threshold, clip_threshold)
        nu_t = b2 * nu_{t-1} + (1 - b2) * h_t   if (t - 1) % update_interval == 0
               nu_{t-1}                          otherwise

    The step uses the curvature before this step's refresh (so the first step,
    with nu = 0, is pure clipped sign descent). With k = update_interval, the
    effective decay of nu per step is about ``1 - (1 - b2) / k``.

    Args:
        b1: momentum decay in [0, 1).
        b2: decay of the Hessian-diagonal EMA in [0, 1).
        eps: >= 0, floor of the denominator.
        gamma: >= 0, scales the curvature; raise it if too few coordinates
            escape the clip (the paper wants 10%-50% unclipped).
        clip_threshold: > 0, or None for no clipping.
        update_interval: refresh the curvature every this many steps (>= 1).
        hessian_diagonal_fn: a transformation returning a Hessian-diagonal
            estimate from ``(grads, state, params, **extra_args)``; None means
            ``hutchinson_estimator_diag_hessian()`` (Sophia-H), which needs the
            extra argument ``obj_fn``. Under data parallelism make it average
            across devices.
        mu_dtype: dtype of ``mu``; None uses each param's dtype.
        verbose: print the fraction of unclipped coordinates ("win rate") every
            ``print_win_rate_every_n_steps`` steps (with ``jax.debug.print``).
        print_win_rate_every_n_steps: >= 1 when verbose.

    Returns:
        The transformation; its state is ``SophiaState``. ``update`` needs params.

    References:
        Liu, Li, Hall, Liang and Ma, Sophia: A Scalable Stochastic Second-order
        Optimizer for Language Model Pre-training, ICLR 2024,
        https://arxiv.org/abs/2305.14342.
    """
    _check_sophia_args(
        "scale_by_sophia", b1, b2, eps, gamma, clip_threshold, update_interval, mu_dtype,
        verbose, print_win_rate_every_n_steps,
    )  # fmt: skip
    mu_dtype = canonicalize_dtype(mu_dtype)
    if hessian_diagonal_fn is None:
        hessian_diagonal_fn = hutchinson_estimator_diag_hessian()
    hess = with_extra_args_support(GradientTransformation(*hessian_diagonal_fn))

    def init(params):
        return SophiaState(
            count=zero_count(),
            mu=tree_zeros_like(params, mu_dtype),
            nu=tree_zeros_like(params),
            hessian_fn_state=hess.init(params),
        )

    def update(updates, state, params=None, **extra_args):
        if params is None:
            raise ValueError(
                "gradtx.scale_by_sophia: update needs the params (where the Hessian "
                "diagonal is estimated); call update(grads, state, params, obj_fn=...)."
            )
        count = safe_increment(state.count)
        c1 = bias_correction_factor(b1, count)

        def step(g, m, n):
            old_part = promoted(jnp.multiply, b1, m)
            new_m = promoted(jnp.add, old_part, promoted(jnp.multiply, 1 - b1, g))
            u = promoted(
                jnp.divide,
                new_m / c1.astype(new_m.dtype),
                jnp.maximum(promoted(jnp.multiply, gamma, n), eps),
            )
            if clip_threshold is not None:
                u = jnp.clip(u, -clip_threshold, clip_threshold)
            return u.astype(g.dtype), new_m.astype(m.dtype)

        grads = updates
        new_updates, mu = zip_map(
            "gradtx.scale_by_sophia", step, 2, updates=updates, mu=state.mu, nu=state.nu
        )
        if verbose and clip_threshold is not None:
            leaves = jax.tree.leaves(new_updates)
            inside = sum(jnp.sum(jnp.abs(u) < clip_threshold) for u in leaves)
            rate = inside / max(sum(u.size for u in leaves), 1)
            jax.lax.cond(
                count % print_win_rate_every_n_steps == 0,
                lambda: jax.debug.print("gradtx.sophia win rate: {}", rate),
                lambda: None,
            )

        def refresh(hess_state, nu):
            diag, hess_state = hess.update(grads, hess_state, params, **extra_args)

            def ema(h, n):
                return moment_update(n, h, b2)

            return hess_state, zip_map("gradtx.scale_by_sophia", ema, nu_estimate=diag, nu=nu)

        hessian_fn_state, nu = jax.lax.cond(
            state.count % update_interval == 0,
            refresh,
            lambda h, n: (h, n),
            state.hessian_fn_state,
            state.nu,
        )
        return new_updates, SophiaState(
            count=count, mu=mu, nu=nu, hessian_fn_state=hessian_fn_state
        )

    return GradientTransformation(init, update)


@checks_float_params(complex_params=False)
def sophia(
    learning_rate: ScalarOrSchedule,
    b1: float | jax.Array = 0.965,
    b2: float | jax.Array = 0.99,
    eps: float | jax.Array = 1e-8,
    weight_decay: float | jax.Array = 1e-4,
    weight_decay_mask: Any | Callable[[Any], Any] | None = None,
    gamma: float | jax.Array = 0.01,
    clip_threshold: float | jax.Array | None = 1.0,
    update_interval: int = 10,
    hessian_diagonal_fn: GradientTransformation | None = None,
    mu_dtype=None,
    verbose: bool = False,
    print_win_rate_every_n_steps: int = 0,
) -> GradientTransformation:
    """Sophia: ``scale_by_sophia``, ``add_decayed_weights``, then the learning rate.

        p_t = p_{t-1} - learning_rate * (u_t + weight_decay * p_{t-1})

    with u_t the clipped diagonal-Newton step of ``scale_by_sophia``. With the
    default Hutchinson estimator pass the loss as the extra argument ``obj_fn``,
    a function of the params alone (it reaches the estimator through the chain):

        obj_fn = lambda p: loss(p, batch)
        updates, state = opt.update(grads, state, params, obj_fn=obj_fn)

    Complex params: not supported; ``init`` raises TypeError (wrap the optimizer in
    ``contrib.split_real_and_imaginary`` to optimize real and imaginary parts).

    Args: see ``scale_by_sophia``; plus ``learning_rate`` (>= 0 or a schedule;
    the largest per-coordinate step is ``learning_rate * clip_threshold``),
    ``weight_decay`` (>= 0, decoupled) and ``weight_decay_mask`` (a tree of
    bools or a function of the params selecting the leaves to decay).

    Returns:
        The transformation; its state is the chain's tuple
        ``(SophiaState, AddDecayedWeightsState or MaskedState, ScaleByScheduleState
        or EmptyState)``.

    Raises:
        ValueError: out-of-range concrete hyperparameters.

    References:
        Liu et al., Sophia: A Scalable Stochastic Second-order Optimizer for
        Language Model Pre-training, ICLR 2024, https://arxiv.org/abs/2305.14342.
        (optax.contrib and gradtx use Rademacher probes; the paper's code uses
        Gaussian ones. Both are unbiased.)

    Example:
        >>> import gradtx, jax, jax.numpy as jnp
        >>> loss = lambda p: jnp.sum(p**2)
        >>> opt = gradtx.sophia(learning_rate=0.1)
        >>> params = jnp.array([1.0, -2.0])
        >>> state = opt.init(params)
        >>> g = jax.grad(loss)(params)
        >>> updates, state = opt.update(g, state, params, obj_fn=loss)
        >>> gradtx.apply_updates(params, updates)
        Array([ 0.89999, -1.89998], dtype=float32)
    """
    fn = "sophia"
    check_learning_rate(fn, learning_rate)
    check_nonnegative(fn, "weight_decay", weight_decay)
    _check_sophia_args(
        fn, b1, b2, eps, gamma, clip_threshold, update_interval, mu_dtype, verbose,
        print_win_rate_every_n_steps,
    )  # fmt: skip
    return chain(
        scale_by_sophia(
            b1,
            b2,
            eps,
            gamma,
            clip_threshold,
            update_interval,
            hessian_diagonal_fn,
            mu_dtype,
            verbose,
            print_win_rate_every_n_steps,
        ),  # fmt: skip
        add_decayed_weights(weight_decay, mask=weight_decay_mask),
        scale_by_learning_rate(learning_rate),
    )
