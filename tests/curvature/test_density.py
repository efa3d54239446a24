"""spectral_density (stochastic Lanczos quadrature): a density, and moments that are trace estimates."""

import jax
import numpy as np
import pytest

from gradtx import curvature
from tests.curvature.problems import NS, SMALL, XS, YS, small_hessian, small_loss
from tests.messages import (
    MSG_SIGMA_0_0_SIGMA_MUST_BE_IN,
    MSG_SPECTRAL_DENSITY_ORDER_28_ORDER_MUST_BE,
)

R = 200  # quadrature runs (probes)
KEY = jax.random.PRNGKey(5)


@jax.jit
def _run(p):
    dens = curvature.spectral_density(
        small_loss, p, XS, YS, order=NS, num_samples=R, num_points=2001, key=KEY
    )
    trace = curvature.hessian_trace(small_loss, p, XS, YS, num_samples=R, key=KEY)
    return dens, trace


def test_density_integrates_to_one_and_its_moments_estimate_traces():
    h = small_hessian()
    dens, hutch = _run(SMALL)
    grid, rho = np.asarray(dens.grid), np.asarray(dens.density)
    assert np.all(rho >= 0)
    np.testing.assert_allclose(np.trapezoid(rho, grid), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.sum(dens.weights, axis=1), 1.0, rtol=1e-12)
    nodes, w = np.asarray(dens.nodes), np.asarray(dens.weights)
    m1 = NS * np.mean(np.sum(w * nodes, axis=1))
    m2 = NS * np.mean(np.sum(w * nodes**2, axis=1))
    # Same probes as hessian_trace with the same key: the first moment is that estimate.
    np.testing.assert_allclose(m1, hutch, rtol=1e-10)
    # Both are Hutchinson estimates: within 4 standard deviations of tr(H) and tr(H^2).
    h2 = h @ h
    sd1 = np.sqrt(2 * (np.sum(h**2) - np.sum(np.diag(h) ** 2)) / R)
    sd2 = np.sqrt(2 * (np.sum(h2**2) - np.sum(np.diag(h2) ** 2)) / R)
    assert abs(m1 - np.trace(h)) < 4 * sd1
    assert abs(m2 - np.trace(h2)) < 4 * sd2
    # The smoothed density has those moments too (Gaussian broadening adds sigma^2).
    sig = float(dens.sigma)
    np.testing.assert_allclose(NS * np.trapezoid(grid * rho, grid), m1, rtol=1e-6)
    np.testing.assert_allclose(NS * (np.trapezoid(grid**2 * rho, grid) - sig**2), m2, rtol=1e-5)


def test_full_order_nodes_are_eigenvalues_and_bad_input():
    vals = np.linalg.eigvalsh(small_hessian())
    dens, _ = _run(SMALL)
    nodes, w = np.asarray(dens.nodes), np.asarray(dens.weights)
    dist = np.min(np.abs(nodes[..., None] - vals[None, None, :]), axis=-1)
    assert np.max(dist[w > 1e-10]) < 1e-9  # every weighted node is an eigenvalue
    with pytest.raises(ValueError, match=MSG_SPECTRAL_DENSITY_ORDER_28_ORDER_MUST_BE):
        curvature.spectral_density(small_loss, SMALL, XS, YS, order=28)
    with pytest.raises(ValueError, match=MSG_SIGMA_0_0_SIGMA_MUST_BE_IN):
        curvature.spectral_density(small_loss, SMALL, XS, YS, order=5, sigma=0.0)
