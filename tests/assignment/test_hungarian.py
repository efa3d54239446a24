"""Both Hungarian algorithms against scipy.optimize.linear_sum_assignment."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from scipy.optimize import linear_sum_assignment

import gradtx
from tests.messages import MSG_COST_MATRIX_MUST_BE_A_MATRIX

SOLVERS = [gradtx.assignment.hungarian_algorithm, gradtx.assignment.base_hungarian_algorithm]
JIT = {f.__name__: jax.jit(f) for f in SOLVERS}  # shared compile caches across the tests
SHAPES = [(4, 4), (3, 6), (6, 3)]


@pytest.mark.parametrize("name", sorted(JIT))
@pytest.mark.parametrize("shape", SHAPES)
def test_matches_scipy_pairs_and_cost(name, shape):
    r = np.random.default_rng(sum(shape))
    for trial in range(3):
        costs = (
            r.normal(size=shape)
            if trial % 2
            else r.integers(0, 100, size=shape) + r.random(shape) * 1e-3
        )
        i, j = JIT[name](jnp.asarray(costs))
        ri, rj = linear_sum_assignment(costs)
        np.testing.assert_array_equal(i, ri)
        np.testing.assert_array_equal(j, rj)


@pytest.mark.parametrize("name", sorted(JIT))
def test_ties_give_an_optimal_assignment_and_optax_pairs(name):
    costs = np.array([[1.0, 1.0, 2.0, 0.0], [1.0, 1.0, 2.0, 0.0], [0.0, 3.0, 3.0, 0.0], [1.0] * 4])
    i, j = JIT[name](jnp.asarray(costs))  # several optima
    ri, rj = linear_sum_assignment(costs)
    assert costs[i, j].sum() == costs[ri, rj].sum()
    np.testing.assert_array_equal(i, np.arange(4))
    assert len(set(np.asarray(j))) == 4
    c = jnp.asarray(np.random.default_rng(1).normal(size=(3, 6)))
    theirs = jax.jit(getattr(optax.assignment, name))(c)
    assert set(zip(*map(np.asarray, JIT[name](c)))) == set(zip(*map(np.asarray, theirs)))


def test_integer_costs_empty_and_vmap():
    cost = jnp.array([[8, 4, 7], [5, 2, 3], [9, 6, 7], [9, 4, 8]])
    i, j = gradtx.assignment.base_hungarian_algorithm(cost)
    assert int(cost[i, j].sum()) == 15
    for solver in SOLVERS:
        e = solver(jnp.zeros((0, 3)))
        assert e[0].shape == (0,) and e[1].shape == (0,)
    batch = np.random.default_rng(2).normal(size=(3, 4, 4))
    i, j = jax.jit(jax.vmap(gradtx.assignment.hungarian_algorithm))(jnp.asarray(batch))
    for b in range(3):
        np.testing.assert_array_equal(j[b], linear_sum_assignment(batch[b])[1])
    with pytest.raises(ValueError, match=MSG_COST_MATRIX_MUST_BE_A_MATRIX):
        gradtx.assignment.hungarian_algorithm(jnp.zeros(3))
