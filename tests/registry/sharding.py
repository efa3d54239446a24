"""Registry entries for the scale-out wrappers (gradtx.transforms._sharding)."""

import jax

import gradtx as gx
from tests.registry._entry import Entry


def _one_device_mesh():
    auto = (jax.sharding.AxisType.Auto,)
    return jax.make_mesh((1,), ("data",), axis_types=auto, devices=jax.devices()[:1])


ENTRIES = [
    Entry(
        "shard_state_over_adam",
        lambda: gx.shard_state_over(gx.adam(0.01), _one_device_mesh(), "data"),
        optimizer=True,
        places_on_mesh=True,
    ),
    Entry(
        "shard_state_over_chain",
        lambda: gx.shard_state_over(
            gx.chain(gx.clip_by_global_norm(1.0), gx.adamw(0.01, weight_decay=0.1)),
            _one_device_mesh(),
        ),
        optimizer=True,
        places_on_mesh=True,
    ),
]
