import jax.numpy as jnp
import numpy as np

import gradtx as gx
from tests.helpers import QUAD_X0, ROSEN_X0, quadratic, rosenbrock, run


def test_problems_have_known_minima():
    assert float(quadratic({"x": jnp.zeros(4)})) == 0.0
    assert float(rosenbrock({"x": jnp.ones(2)})) == 0.0
    p, losses = run(gx.sgd(0.1), quadratic, QUAD_X0, 5, dtype=jnp.float64)
    assert losses.shape == (5,) and float(losses[-1]) < float(losses[0])
    assert np.isfinite(float(rosenbrock({"x": jnp.asarray(ROSEN_X0)})))
