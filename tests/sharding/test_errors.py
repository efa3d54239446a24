"""Bad input to the scale-out helpers: clear errors naming the function and the value."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest
from jax.sharding import NamedSharding, PartitionSpec

import gradtx as gx
from gradtx.transforms._sharding import zero_spec
from tests.messages import (
    MSG_GRADTX_PRODIGY_INIT_NEEDS_THE_PARAMS_VALUES,
    MSG_MESH_MUST_BE_A_JAX_SHARDING_MESH,
    MSG_SHARD_STATE_OVER_AXIS_BATCH_AXIS_MUST,
    MSG_STATE_SHARDINGS_THE_PARAM_AT_W_HAS,
    MSG_TX_MUST_BE_A_GRADIENTTRANSFORMATION_OR_AN,
)

MESH = jax.make_mesh((1,), ("data",), axis_types=(jax.sharding.AxisType.Auto,))


def test_state_shardings_errors():
    with pytest.raises(ValueError, match=MSG_STATE_SHARDINGS_THE_PARAM_AT_W_HAS):
        gx.tree_utils.state_shardings(gx.adam(1e-3), {"w": jax.ShapeDtypeStruct((2,), jnp.float32)})
    with pytest.raises(TypeError, match=MSG_TX_MUST_BE_A_GRADIENTTRANSFORMATION_OR_AN):
        gx.tree_utils.state_shardings(3, {"w": jnp.ones(2)})


def test_state_shardings_single_device_and_explicit_shardings():
    # Params on one device: every state leaf on that device.
    sh = gx.tree_utils.state_shardings(gx.adam(1e-3), {"w": jnp.ones(2)})
    assert all(s == jnp.ones(2).sharding for s in jax.tree.leaves(sh))
    # A tree of shardings instead of the leaves' own.
    spec = NamedSharding(MESH, PartitionSpec("data"))
    sh = gx.tree_utils.state_shardings(gx.sgd(0.1, momentum=0.9), {"w": jnp.ones(4)}, {"w": spec})
    # TraceState keeps only optax's `trace` leaf (no count without dampening).
    assert [s.spec for s in jax.tree.leaves(sh)] == [PartitionSpec("data")]


def test_shard_state_over_errors():
    with pytest.raises(
        ValueError,
        match=MSG_SHARD_STATE_OVER_AXIS_BATCH_AXIS_MUST,
    ):
        gx.shard_state_over(gx.adam(1e-3), MESH, "batch")
    with pytest.raises(TypeError, match=MSG_MESH_MUST_BE_A_JAX_SHARDING_MESH):
        gx.shard_state_over(gx.adam(1e-3), "data")


def test_zero_spec_picks_the_first_free_divisible_dimension():
    P = PartitionSpec
    assert zero_spec((16, 8), P(), "data", 8) == P("data", None)
    assert zero_spec((3, 8), P(), "data", 8) == P(None, "data")
    assert zero_spec((16, 8), P("model"), "data", 8) == P("model", "data")
    assert zero_spec((3,), P(), "data", 8) == P()  # nothing divisible: stays as it was
    assert zero_spec((16,), P("data"), "data", 8) == P("data")  # already sharded over it
    assert zero_spec((), P(), "data", 8) == P()


def test_require_param_values_names_the_path():
    with pytest.raises(TypeError, match=MSG_GRADTX_PRODIGY_INIT_NEEDS_THE_PARAMS_VALUES):
        gx.prodigy().init({"w": jax.ShapeDtypeStruct((2,), jnp.float32)})
