"""Every registered transformation's init on jax.ShapeDtypeStruct params (one device).

``init`` reads only the params' shapes and dtypes, so abstract params give the same
state as concrete ones (concrete zeros, the same structure, shapes and dtypes);
``jax.eval_shape(tx.init, params)`` works for all. Entries flagged
``abstract_init=False`` copy the params' values into their state and must say so.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gradtx as gx
from tests.messages import MSG_INIT_NEEDS_THE_PARAMS_VALUES_SHAPEDTYPESTRUCT
from tests.registry import ALL, Entry

IDS = [e.name for e in ALL]


def _params(entry: Entry):
    rng = np.random.default_rng(0)
    shapes = {"w": (3, 4), "b": (4,), "s": ()}
    return {
        k: jnp.asarray(rng.normal(size=s), jnp.float32)
        for k, s in shapes.items()
        if len(s) >= entry.min_ndim
    }


def _abstract(params):
    return jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype), params)


def _signature(tree):
    return jax.tree.map(lambda x: (jnp.shape(x), str(x.dtype)), tree)


@pytest.mark.parametrize("entry", ALL, ids=IDS)
def test_init_accepts_shape_dtype_structs(entry: Entry):
    tx = entry.make()
    params = _params(entry)
    expected = tx.init(params)
    shapes = jax.eval_shape(tx.init, _abstract(params))
    assert jax.tree.structure(shapes) == jax.tree.structure(expected)
    # Shapes only: under x64 a traced schedule value can come out wider than the
    # eager one (inject_stateful_hyperparams), which is the schedules' business.
    assert jax.tree.map(jnp.shape, shapes) == jax.tree.map(jnp.shape, expected)
    if not entry.abstract_init:
        with pytest.raises(TypeError, match=MSG_INIT_NEEDS_THE_PARAMS_VALUES_SHAPEDTYPESTRUCT):
            tx.init(_abstract(params))
        return
    state = tx.init(_abstract(params))
    assert jax.tree.structure(state) == jax.tree.structure(expected)
    assert _signature(state) == _signature(expected)
    for got, want in zip(jax.tree.leaves(state), jax.tree.leaves(expected)):
        assert isinstance(got, jax.Array), type(got)
        if jax.dtypes.issubdtype(got.dtype, jax.dtypes.extended):
            got, want = jax.random.key_data(got), jax.random.key_data(want)
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


def test_abstract_leaf_helpers():
    s = jax.ShapeDtypeStruct((2, 3), jnp.bfloat16)
    assert gx.tree_utils.tree_zeros_like({"a": s})["a"].dtype == jnp.bfloat16
    assert gx.tree_utils.tree_full_like({"a": s}, 2.0, jnp.float32)["a"].dtype == jnp.float32
    # A Python number leaf gives a strongly typed array (a stable state dtype).
    z = gx.tree_utils.tree_zeros_like({"a": 1.0})["a"]
    assert not z.weak_type
