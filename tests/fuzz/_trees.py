"""Fuzz values through the contract suite's compiled functions (tests/core/test_contract.py).

Compiling dominates the cost of a step, so the fuzz suite draws no tree shapes of
its own: the contract trees hold the awkward shapes (nested dicts, lists and tuples,
a None leaf, zero-size leaves of shape (0,) and (2, 0), a scalar leaf, the entry's
float dtypes mixed) and each entry's init/update are compiled once there. These
helpers then run many drawn values through those compiled functions: params and
gradients at several scales, and gradients with an inf or a NaN at a drawn place.
Checks: updates keep the gradients' structure and dtypes, the state keeps its
structure and dtypes, updates are finite when params and gradients are, and under
vmap every lane equals the unbatched run on that lane's values.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz._profiles import fuzz_profile

__all__ = ["FUZZ_TREES", "check_values", "check_vmap_values", "redraw"]

FUZZ_TREES = fuzz_profile("gradtx-fuzz-trees", max_examples=3)

CASE = st.tuples(
    st.integers(0, 2**16),  # seed
    st.sampled_from([1e-3, 1.0, 30.0]),  # scale of the gradients
    st.sampled_from([None, np.inf, -np.inf, np.nan]),  # a non-finite gradient entry
    st.integers(0, 8),  # which non-empty leaf gets it
)


def redraw(tree, seed: int, scale: float = 1.0, bad: float | None = None, where: int = 0):
    """A tree of the same shapes and dtypes with new normal values (times ``scale``);
    ``bad`` put into the first element of the ``where``-th non-empty leaf."""
    rng = np.random.default_rng(seed)
    leaves, treedef = jax.tree.flatten(tree)
    new = [jnp.asarray(scale * rng.standard_normal(x.shape), x.dtype) for x in leaves]
    if bad is not None:
        full = [i for i, x in enumerate(new) if x.size]
        i = full[where % len(full)]
        new[i] = new[i].reshape(-1).at[0].set(bad).reshape(new[i].shape)
    return treedef.unflatten(new)


def _draw(case, params, grads):
    seed, scale, bad, where = case
    return redraw(params, seed), redraw(grads, seed + 1, scale, bad, where), scale, bad


def _dtypes(tree):
    return jax.tree.map(lambda x: jnp.asarray(x).dtype, tree)


def _finite(tree) -> bool:
    return all(bool(jnp.all(jnp.isfinite(x))) for x in jax.tree.leaves(tree))


def _check_step(grads, state0, updates, state) -> None:
    assert jax.tree.structure(updates) == jax.tree.structure(grads), "updates lost the structure"
    assert _dtypes(updates) == _dtypes(grads), "updates not in the gradients' dtypes"
    assert jax.tree.structure(state) == jax.tree.structure(state0), "state structure changed"
    assert _dtypes(state) == _dtypes(state0), "state dtypes changed"


def check_values(init, update, params, grads, apply_updates) -> None:
    """Drawn gradients (finite and not) through the compiled ``init`` and ``update``."""

    @FUZZ_TREES
    @given(CASE)
    def check(case):
        p, g, scale, bad = _draw(case, params, grads)
        s0 = init(p)
        u1, s1 = update(g, s0, p)
        _check_step(g, s0, u1, s1)
        u2, s2 = update(g, s1, apply_updates(p, u1))
        _check_step(g, s0, u2, s2)
        if bad is None:
            assert _finite(u1) and _finite(u2), (
                f"finite gradients (scale {scale}), non-finite updates"
            )

    check()


def check_vmap_values(batched, single, params, grads) -> None:
    """Drawn batched values: structure and dtypes kept; lane 1 equals the unbatched run
    when the gradients are finite."""
    lane = lambda t: jax.tree.map(lambda x: x[1], t)  # noqa: E731

    @FUZZ_TREES
    @given(CASE)
    def check(case):
        p, g, _, bad = _draw(case, params, grads)
        out = batched(g, p)
        assert jax.tree.structure(out) == jax.tree.structure(p)
        assert _dtypes(out) == _dtypes(p)
        if bad is None:
            ref = single(lane(g), lane(p))
            for b, f in zip(jax.tree.leaves(out), jax.tree.leaves(ref)):
                np.testing.assert_allclose(
                    np.asarray(b[1], np.float64), np.asarray(f, np.float64), rtol=1e-4, atol=1e-5
                )

    check()
