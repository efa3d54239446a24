"""Smoothing a function by random perturbations of its input, with score-function derivatives."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from gradtx._core._validate import check_int, check_positive


class Normal:
    """The standard normal noise: ``sample`` draws N(0, 1), ``log_prob(z) = -z**2 / 2`` (+ const)."""

    def sample(self, key: jax.Array, sample_shape: tuple[int, ...] = (), dtype: Any = float):
        """Draw standard normal values of ``sample_shape`` and ``dtype``."""
        return jax.random.normal(key, sample_shape, dtype)

    def log_prob(self, inputs: jax.Array) -> jax.Array:
        """The log-density up to an additive constant."""
        return -0.5 * inputs**2


class Gumbel:
    """The standard Gumbel noise: ``log_prob(z) = -z - exp(-z)``; perturbed argmax gives softmax."""

    def sample(self, key: jax.Array, sample_shape: tuple[int, ...] = (), dtype: Any = float):
        """Draw standard Gumbel values of ``sample_shape`` and ``dtype``."""
        return jax.random.gumbel(key, sample_shape, dtype)

    def log_prob(self, inputs: jax.Array) -> jax.Array:
        """The log-density."""
        return -inputs - jnp.exp(-inputs)


def _magic_box(x: jax.Array) -> jax.Array:
    """1 in value; its derivative is the derivative of ``x`` (Foerster et al.'s DiCE operator)."""
    return jnp.exp(x - jax.lax.stop_gradient(x))


def _noise_like(key: jax.Array, tree: Any, noise) -> Any:
    """One independent draw per leaf, with the leaf's shape and dtype."""
    leaves, treedef = jax.tree.flatten(tree)
    keys = jax.random.split(key, len(leaves))
    return treedef.unflatten(
        [noise.sample(k, jnp.shape(x), jnp.result_type(x)) for k, x in zip(keys, leaves)]
    )


def make_perturbed_fun(
    fun: Callable[[Any], Any],
    num_samples: int = 1000,
    sigma: jax.typing.ArrayLike = 0.1,
    noise=Gumbel(),  # noqa: B008  (a stateless default, as in optax)
    use_baseline=True,
) -> Callable[[jax.Array, Any], Any]:
    """Turn ``fun`` into a smooth stochastic function whose derivatives need only values of ``fun``.

    The smoothed function is
        f_sigma(x) = E_{z ~ noise} fun(x + sigma z)

    The returned function averages ``fun`` over ``num_samples`` perturbed inputs;
    its value and its derivatives of every order (through ``jax.grad``) are
    unbiased Monte-Carlo estimates of those of ``f_sigma``, by the score-function
    (REINFORCE) estimator written with the DiCE "magic box":
        grad f_sigma(x) ~ mean_k (fun(y_k) - b) * grad_x log p((y_k - x) / sigma),
        y_k = x + sigma z_k

    ``fun`` need not be differentiable (an argmax, a sort, a solver). With
    ``use_baseline``, ``b = fun(x)`` reduces the variance; otherwise ``b = 0``.

    Args:
      fun: a function from a pytree of arrays to a pytree of arrays.
      num_samples: the number of perturbations averaged, >= 1.
      sigma: the perturbation scale, > 0.
      noise: an object with ``sample(key, shape, dtype)`` and ``log_prob(z)``, such
        as ``Gumbel()`` (default) or ``Normal()``.
      use_baseline: subtract ``fun(x)`` in the derivative estimates.

    Returns:
      ``perturbed(key, x)``, with ``fun``'s output structure. The same key gives
      the same perturbations as optax's.

    Raises:
      TypeError: ``num_samples`` is not an int.
      ValueError: ``num_samples`` is not positive, or a concrete ``sigma`` is not
        positive.

    References:
      Berthet et al., Learning with Differentiable Perturbed Optimizers, NeurIPS
      2020, https://arxiv.org/abs/2002.08676; Foerster et al., DiCE: The
      Infinitely Differentiable Monte Carlo Estimator, ICML 2018,
      https://arxiv.org/abs/1802.05098

    Example:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> import gradtx
      >>> relu_sum = lambda x: jnp.sum(jnp.maximum(x, 0.0))
      >>> smooth = gradtx.perturbations.make_perturbed_fun(relu_sum, 1000, 0.1)
      >>> g = jax.grad(smooth, argnums=1)(jax.random.key(0), jnp.zeros(3))
      >>> with jnp.printoptions(precision=2):
      ...     print(g)
      [0.69 0.72 0.58]
    """
    fn = "perturbations.make_perturbed_fun"
    check_int(fn, "num_samples", num_samples, low=1)
    check_positive(fn, "sigma", sigma)

    def one_sample(key, x, baseline):
        z = _noise_like(key, x, noise)
        y = jax.lax.stop_gradient(jax.tree.map(lambda a, b: a + sigma * b, x, z))
        # z rebuilt from y so that its dependence on x carries the score function.
        z = jax.tree.map(lambda a, b: (b - a) / sigma, x, y)
        log_prob = sum(jnp.sum(noise.log_prob(leaf)) for leaf in jax.tree.leaves(z))
        box = _magic_box(log_prob)
        out = jax.tree.map(lambda o: box * o, fun(y))
        if baseline is not None:
            out = jax.tree.map(lambda o, b: o + (1 - box) * b, out, baseline)
        return out

    def perturbed(key: jax.Array, x: Any) -> Any:
        baseline = fun(jax.lax.stop_gradient(x)) if use_baseline else None
        keys = jax.random.split(key, num_samples)
        outs = jax.vmap(one_sample, in_axes=(0, None, None))(keys, x, baseline)
        return jax.tree.map(lambda o: jnp.mean(o, axis=0), outs)

    return perturbed
