"""A diagonal Gaussian parameterised by its mean and log standard deviation."""

from __future__ import annotations

import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike


class MultiNormalDiagFromLogScale:
    """A Gaussian with diagonal covariance, from ``loc`` and ``log_scale`` (log standard deviations).

    Used by evolution strategies and perturbation-based gradient estimators;
    ``params`` returns ``[loc, log_scale]`` so the distribution's parameters can
    themselves be optimised.
    """

    def __init__(self, loc: ArrayLike, log_scale: ArrayLike):
        self._log_scale = jnp.asarray(log_scale)
        self._scale = jnp.exp(self._log_scale)
        self._mean = jnp.asarray(loc)
        self._param_shape = jax.lax.broadcast_shapes(self._mean.shape, self._scale.shape)

    def sample(self, shape: Sequence[int], key: jax.Array) -> jax.Array:
        """``len(shape)`` leading sample axes over the parameter shape: ``loc + scale * z``."""
        z = jax.random.normal(key, (*tuple(shape), *self._param_shape))
        return z * jnp.broadcast_to(self._scale, z.shape) + jnp.broadcast_to(self._mean, z.shape)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        """The log density of ``x``, summed over the parameter axes."""
        x = jnp.asarray(x)

        def like_x(a):
            return jnp.broadcast_to(a, x.shape)

        z = (x - like_x(self._mean)) / like_x(self._scale)
        per_coord = -0.5 * z * z - like_x(self._log_scale) - 0.5 * math.log(2 * math.pi)
        axes = tuple(range(-len(self._param_shape), 0))
        return jnp.sum(per_coord, axis=axes)

    @property
    def log_scale(self) -> jax.Array:
        return self._log_scale

    @property
    def params(self) -> list[jax.Array]:
        return [self._mean, self._log_scale]


def multi_normal(loc: ArrayLike, log_scale: ArrayLike) -> MultiNormalDiagFromLogScale:
    """A diagonal Gaussian with mean ``loc`` and standard deviation ``exp(log_scale)``.

    Returns:
        A ``MultiNormalDiagFromLogScale`` with ``sample(shape, key)``,
        ``log_prob(x)`` (summed over the parameter axes), ``log_scale`` and ``params``.

    Example:
        >>> import gradtx, jax, jax.numpy as jnp
        >>> dist = gradtx.multi_normal(jnp.zeros(3), jnp.zeros(3))
        >>> dist.sample((5,), jax.random.key(0)).shape
        (5, 3)
    """
    return MultiNormalDiagFromLogScale(loc=loc, log_scale=log_scale)
