"""Spectral density of the Hessian by stochastic Lanczos quadrature (SLQ)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from gradtx._core._validate import check_int, check_positive
from gradtx.curvature._eigen import check_order
from gradtx.curvature._flat import default_key, probe
from gradtx.curvature._lanczos import lanczos_flat, tridiagonal
from gradtx.curvature._operators import check_matrix, flat_curvature_operator


class SpectralDensity(NamedTuple):
    """What ``spectral_density`` returns.

    Fields:
        grid: ``(num_points,)`` eigenvalue axis, evenly spaced.
        density: ``(num_points,)`` the smoothed density on ``grid``; its
            trapezoid integral is 1.
        nodes: ``(num_samples, order)`` the Ritz values of each run.
        weights: ``(num_samples, order)`` their quadrature weights; each row sums to 1.
        sigma: the Gaussian broadening (standard deviation) used.
    """

    grid: jax.Array
    density: jax.Array
    nodes: jax.Array
    weights: jax.Array
    sigma: jax.Array


def slq_nodes_weights(
    op: Callable, n: int, dtype, order: int, num_samples: int, key: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """Gauss quadrature nodes and weights of ``num_samples`` Lanczos runs from Rademacher probes."""

    def run(i):
        v0 = probe(key, i, n, dtype)
        alphas, betas, _ = lanczos_flat(op, v0, order)
        theta, s = jnp.linalg.eigh(tridiagonal(alphas, betas))
        return theta, s[0] ** 2

    return lax.map(run, jnp.arange(num_samples))


def spectral_density(
    fun: Callable,
    params: Any,
    *args: Any,
    order: int = 90,
    num_samples: int = 1,
    num_points: int = 1001,
    sigma: float | None = None,
    matrix: str = "hessian",
    has_aux: bool = False,
    loss_fn: Callable | None = None,
    key: jax.Array | None = None,
) -> SpectralDensity:
    """The eigenvalue density of the Hessian of ``fun`` at ``params``, smoothed, on a grid.

    Stochastic Lanczos quadrature: for a unit probe ``v`` (a Rademacher vector
    over ``sqrt(n)``), ``order`` Lanczos steps from ``v`` give the tridiagonal
    ``T = S diag(theta) S^T``, and ``v^T f(H) v ~ sum_j w_j f(theta_j)`` with
    ``w_j = S_{0j}^2``, exactly for polynomials ``f`` of degree up to
    ``2 order - 1``. Each run's nodes ``theta_j`` and weights ``w_j`` are a
    discrete spectral measure whose expectation is the eigenvalue
    distribution ``(1/n) sum_i delta(x - lambda_i)``; averaging runs and
    replacing each node by a Gaussian of width ``sigma`` gives a density.
    The moments are Hutchinson estimates:
    ``n * sum_j w_j theta_j^p`` estimates ``tr(H^p)`` (for ``p < 2 order``), and
    with the same key the ``p = 1`` estimate equals ``hessian_trace``'s.

    Density on the grid (``R = num_samples`` runs):
        density(x) = (1/R) sum_r sum_j w_rj N(x; theta_rj, sigma^2),  then
        rescaled so that its trapezoid integral over the grid is 1.

    Args:
        fun: the scalar loss ``fun(params, *args)`` (or, with ``matrix``, the
            model outputs, logits or per-example losses).
        params: the point.
        *args: passed to ``fun`` (a mini-batch, say).
        order: Lanczos steps per run, an int in ``[1, n]`` (90 is the usual choice).
        num_samples: Lanczos runs (probes), an int >= 1.
        num_points: grid points, an int >= 2.
        sigma: > 0, the Gaussian broadening; None means 1% of the span of the
            nodes (or 1e-3 when they coincide).
        matrix: ``"hessian"``, ``"gauss_newton"``, ``"fisher"`` or ``"empirical_fisher"``.
        has_aux: ``fun`` returns ``(value, aux)``.
        loss_fn: the loss of the outputs, for ``matrix="gauss_newton"``.
        key: PRNG key of the probes; None means ``PRNGKey(0)``.

    Returns:
        A ``SpectralDensity`` ``(grid, density, nodes, weights, sigma)``; the grid
        spans the nodes plus ``6 sigma`` on each side.

    Raises:
        ValueError: out-of-range ``order``, ``num_samples``, ``num_points`` or
            ``sigma``; unknown ``matrix``.

    References:
        Lin, Saad and Yang, Approximating Spectral Densities of Large Matrices,
        SIAM Review 2016, https://arxiv.org/abs/1308.5467.
        Ghorbani, Krishnan and Xiao, An Investigation into Neural Net Optimization
        via Hessian Eigenvalue Density, ICML 2019, https://arxiv.org/abs/1901.10159.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> f = lambda p: 0.5 * jnp.sum(jnp.array([1.0, 1.0, 3.0]) * p ** 2)
        >>> res = gradtx.curvature.spectral_density(f, jnp.zeros(3), order=3, num_points=201)
        >>> dx = res.grid[1] - res.grid[0]
        >>> round(float(jnp.sum(res.density) * dx), 2)
        1.0
    """
    fn = "spectral_density"
    check_matrix(fn, matrix, loss_fn)
    view, op = flat_curvature_operator(
        fun, params, args, matrix=matrix, has_aux=has_aux, loss_fn=loss_fn
    )
    check_order(fn, order, view.size)
    check_int(f"curvature.{fn}", "num_samples", num_samples, 1)
    check_int(f"curvature.{fn}", "num_points", num_points, 2)
    if sigma is not None:
        check_positive(f"curvature.{fn}", "sigma", sigma, none=True)
    nodes, weights = slq_nodes_weights(
        op, view.size, view.dtype, order, num_samples, default_key(key)
    )
    lo, hi = jnp.min(nodes), jnp.max(nodes)
    if sigma is None:
        span = hi - lo
        sig = jnp.where(span > 0, 0.01 * span, 1e-3)
    else:
        sig = jnp.asarray(sigma, nodes.dtype)
    grid = jnp.linspace(lo - 6 * sig, hi + 6 * sig, num_points)
    z = (grid[:, None, None] - nodes[None]) / sig
    kernel = jnp.exp(-0.5 * z**2) / (sig * jnp.sqrt(2 * jnp.pi))
    density = jnp.sum(kernel * weights[None], axis=(1, 2)) / num_samples
    dx = grid[1] - grid[0]
    density = density / (dx * (jnp.sum(density) - 0.5 * (density[0] + density[-1])))
    return SpectralDensity(grid, density, nodes, weights, sig)
