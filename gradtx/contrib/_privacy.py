"""Differentially private SGD: per-example clipping, summing and Gaussian noise."""

from __future__ import annotations

import warnings
from typing import NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain, identity
from gradtx._core._keys import check_key, to_prng_key
from gradtx._core._numerics import widest_float_dtype
from gradtx._core._validate import (
    check_decay,
    check_int,
    check_learning_rate,
    check_nonnegative,
    checks_float_params,
)
from gradtx.transforms._momentum import trace
from gradtx.transforms._scaling import scale_by_learning_rate


class DifferentiallyPrivateAggregateState(NamedTuple):
    """State of ``differentially_private_aggregate``: the PRNG key of the next step."""

    rng_key: jax.Array


def _batch_size(fn, leaves) -> int:
    sizes = {jnp.shape(g)[0] if jnp.ndim(g) else None for g in leaves}
    if len(sizes) != 1 or None in sizes:
        shapes = [tuple(jnp.shape(g)) for g in leaves]
        raise ValueError(
            f"gradtx.{fn}: expects per-example gradients, every leaf with the same batch "
            f"size on axis 0 (use jax.vmap over the examples); got leaf shapes {shapes}."
        )
    return sizes.pop()


def differentially_private_aggregate(
    l2_norm_clip: jax.typing.ArrayLike,
    noise_multiplier: jax.typing.ArrayLike,
    key: jax.Array | int | None = None,
    *,
    seed: int | None = None,
) -> GradientTransformation:
    """Clip each example's gradient, sum, add Gaussian noise and average (DP-SGD).

    The incoming updates are *per-example* gradients: every leaf has the batch
    on axis 0 (``jax.vmap(jax.grad(loss), in_axes=(None, 0))``). Each example's
    gradient is scaled to global L2 norm at most ``l2_norm_clip``; the sum gets
    noise of standard deviation ``noise_multiplier * l2_norm_clip`` and is
    divided by the batch size. The outgoing updates have no batch axis. Put it
    first in a chain; gradient accumulation (``MultiSteps``, ``apply_every``)
    breaks its privacy accounting.

    Update rule (B = batch size, C = l2_norm_clip, s = noise_multiplier, g_i =
    gradient of example i, n ~ N(0, I) fresh at every step):
        c_i = min(1, C / |g_i|)        (c_i = 1 when C / |g_i| is NaN)
        u   = (sum_i c_i * g_i + s * C * n) / B

    The key is split once per step into one key per leaf and the next state key,
    as optax does, so the noise equals optax's for the same key.

    Args:
        l2_norm_clip: >= 0, the largest per-example gradient norm.
        noise_multiplier: >= 0, noise standard deviation over ``l2_norm_clip``.
        key: an int seed or a JAX PRNG key; None warns and uses key 0 (as optax).
        seed: deprecated spelling of an int ``key`` (warns).

    Returns:
        The transformation; its state is ``DifferentiallyPrivateAggregateState``.

    Raises:
        ValueError: negative concrete hyperparameters, both ``key`` and
            ``seed``, or (at update) leaves without a common batch axis.
        TypeError: a key that is neither an int nor a PRNG key.

    References:
        Abadi et al., Deep Learning with Differential Privacy, CCS 2016,
        https://arxiv.org/abs/1607.00133.

    Example:
        >>> import gradtx, jax.numpy as jnp, numpy as np
        >>> tx = gradtx.contrib.differentially_private_aggregate(1.0, 0.0, key=0)
        >>> per_example = jnp.array([[3.0, 4.0], [0.3, 0.4]])  # norms 5 and 0.5
        >>> u, _ = tx.update(per_example, tx.init(jnp.zeros(2)))
        >>> print(np.asarray(u).round(4))  # (g_0 / 5 + g_1) / 2, no noise
        [0.45 0.6 ]
    """
    fn = "contrib.differentially_private_aggregate"
    check_nonnegative(fn, "l2_norm_clip", l2_norm_clip)
    check_nonnegative(fn, "noise_multiplier", noise_multiplier)
    if seed is not None:
        warnings.warn(
            f"gradtx.{fn}(seed=...) is deprecated (as in optax); pass key=.",
            DeprecationWarning,
            stacklevel=2,
        )
        if key is not None:
            raise ValueError(f"gradtx.{fn}: pass key or seed, not both.")
        check_int(fn, "seed", seed)
        key = seed
    if key is None:
        warnings.warn(
            f"gradtx.{fn}: no key given; using key 0 (pass key= to choose the noise).",
            stacklevel=2,
        )
        key = 0
    check_key(fn, key)
    key = to_prng_key(key)
    noise_std = l2_norm_clip * noise_multiplier

    def init(params):
        del params
        return DifferentiallyPrivateAggregateState(rng_key=key)

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        leaves, treedef = jax.tree.flatten(updates)
        bsize = _batch_size(fn, leaves)
        ndt = widest_float_dtype(leaves)

        def sq(g):
            return jnp.sum(jnp.square(jnp.abs(g).astype(ndt)).reshape(bsize, -1), axis=1)

        norms = jnp.sqrt(sum((sq(g) for g in leaves), jnp.zeros((bsize,), ndt)))
        scale = jnp.nan_to_num(jnp.minimum(l2_norm_clip / norms, 1.0), nan=1.0)
        new_key, *keys = jax.random.split(state.rng_key, len(leaves) + 1)
        out = []
        for g, k in zip(leaves, keys, strict=True):
            summed = jnp.tensordot(scale.astype(g.dtype), g, axes=1)
            noise = noise_std * jax.random.normal(k, summed.shape, g.dtype)
            out.append(((summed + noise) / bsize).astype(g.dtype))
        return treedef.unflatten(out), DifferentiallyPrivateAggregateState(rng_key=new_key)

    return GradientTransformation(init, update)


@checks_float_params
def dpsgd(
    learning_rate: ScalarOrSchedule,
    l2_norm_clip: jax.typing.ArrayLike,
    noise_multiplier: jax.typing.ArrayLike,
    seed: int,
    momentum: jax.typing.ArrayLike | None = None,
    nesterov: bool = False,
) -> GradientTransformation:
    """DP-SGD: ``differentially_private_aggregate``, optional momentum, then the learning rate.

    Update rule (see ``differentially_private_aggregate`` for ``a_k``):
        mu_k = momentum * mu_{k-1} + a_k          (no momentum: mu_k = a_k)
        x_{k+1} = x_k - learning_rate_k * mu_k    (Nesterov: a_k + momentum * mu_k)

    ``update`` takes per-example gradients (batch on axis 0 of every leaf).

    Complex params: supported.

    Args:
        learning_rate: a number >= 0 or a schedule of the 0-based count.
        l2_norm_clip: >= 0, the largest per-example gradient norm.
        noise_multiplier: >= 0, noise standard deviation over ``l2_norm_clip``.
        seed: int seed of the noise (``jax.random.key(seed)``).
        momentum: None (plain SGD) or a decay in [0, 1).
        nesterov: Nesterov momentum.

    Returns:
        The optimizer; its state is the chain's tuple
        ``(DifferentiallyPrivateAggregateState, momentum state, scale state)``.

    Raises:
        ValueError: a concrete hyperparameter out of its range.
        TypeError: ``seed`` is not an int.

    References:
        Abadi et al., Deep Learning with Differential Privacy, CCS 2016,
        https://arxiv.org/abs/1607.00133.

    Example:
        >>> import gradtx, jax, jax.numpy as jnp
        >>> X, y = jnp.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), jnp.array([1.0, 2.0, 3.0])
        >>> def loss(w, x, t): return 0.5 * (x @ w - t) ** 2
        >>> opt = gradtx.contrib.dpsgd(0.5, l2_norm_clip=10.0, noise_multiplier=0.01, seed=0)
        >>> w = jnp.zeros(2)
        >>> state = opt.init(w)
        >>> for _ in range(100):
        ...     g = jax.vmap(jax.grad(loss), in_axes=(None, 0, 0))(w, X, y)
        ...     updates, state = opt.update(g, state, w)
        ...     w = gradtx.apply_updates(w, updates)
        >>> bool(jnp.abs(w - jnp.array([1.0, 2.0])).max() < 0.05)
        True
    """
    fn = "contrib.dpsgd"
    check_learning_rate(fn, learning_rate)
    check_nonnegative(fn, "l2_norm_clip", l2_norm_clip)
    check_nonnegative(fn, "noise_multiplier", noise_multiplier)
    check_int(fn, "seed", seed)
    if momentum is not None:
        check_decay(fn, "momentum", momentum, none=True)
    return chain(
        differentially_private_aggregate(l2_norm_clip, noise_multiplier, key=seed),
        identity() if momentum is None else trace(decay=momentum, nesterov=nesterov),
        scale_by_learning_rate(learning_rate),
    )
