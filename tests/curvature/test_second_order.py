"""gradtx.second_order: optax's functions, same results, no deprecation warning."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax

import gradtx
from gradtx.curvature import _second_order
from tests.curvature.problems import SMALL, SMALL_FLAT, XS, YS, flat, small_hessian, small_loss


def _all(module, p, v):
    return (
        module.hvp(small_loss, v, p, XS, YS),
        module.hessian_diag(small_loss, p, XS, YS),
        module.fisher_diag(small_loss, p, XS, YS),
    )


def test_paths_and_results_match_optax_without_warnings():
    assert gradtx.second_order.hvp is _second_order.hvp
    assert gradtx.second_order.hessian_diag is _second_order.hessian_diag
    v = jnp.cos(jnp.arange(SMALL_FLAT.size, dtype=jnp.float64))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got_hvp, got_diag, got_fisher = jax.jit(lambda p: _all(gradtx.second_order, p, v))(SMALL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref_hvp, ref_diag, ref_fisher = jax.jit(lambda p: _all(optax.second_order, p, v))(SMALL)
    np.testing.assert_allclose(flat(got_hvp), flat(ref_hvp), rtol=1e-12)
    np.testing.assert_allclose(got_diag, ref_diag, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got_diag, np.diag(small_hessian()), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got_fisher, ref_fisher, rtol=1e-12)
    assert got_diag.shape == (SMALL_FLAT.size,)
