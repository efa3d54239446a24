"""Run in its own process with 8 host devices (see tests/test_sharding.py).

Checks that optimizers work on params sharded over a device mesh: the step keeps
each param's and state's sharding, and gives the same numbers as on one device;
the grouped layout leaves large (sharded) leaves alone.
"""

import os

os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax.sharding import Mesh, NamedSharding  # noqa: E402
from jax.sharding import PartitionSpec as P  # noqa: E402

import gradtx as gx  # noqa: E402

assert len(jax.devices()) == 8, jax.devices()
mesh = Mesh(np.array(jax.devices()).reshape(4, 2), ("data", "model"))
rng = np.random.default_rng(0)
host = {
    "w": rng.normal(size=(16, 8)).astype(np.float32),
    "b": rng.normal(size=(8,)).astype(np.float32),
    "s": np.float32(0.5),
}
specs = {"w": P("data", "model"), "b": P("model"), "s": P()}
shardings = {k: NamedSharding(mesh, v) for k, v in specs.items()}
params = {k: jax.device_put(v, shardings[k]) for k, v in host.items()}


def loss(p):
    return jnp.sum(jnp.tanh(p["w"]) ** 2) + jnp.sum(p["b"] ** 2) * p["s"] + p["s"] ** 2


for name, opt in [
    ("adam", gx.adam(1e-2)),
    ("adamw", gx.adamw(1e-2, weight_decay=0.1)),
    ("sgd", gx.sgd(1e-2, momentum=0.9, nesterov=True)),
    ("lion", gx.lion(1e-3)),
    ("adafactor", gx.adafactor(1e-2)),
    ("clip+rmsprop", gx.chain(gx.clip_by_global_norm(1.0), gx.rmsprop(1e-2))),
]:

    @jax.jit
    def step(p, s, opt=opt):
        g = jax.grad(loss)(p)
        u, s = opt.update(g, s, p)
        return gx.apply_updates(p, u), s

    p, s = params, opt.init(params)
    for _ in range(3):
        p, s = step(p, s)
    for k in host:
        assert p[k].sharding.is_equivalent_to(shardings[k], p[k].ndim), (name, k, p[k].sharding)
    # Moments shaped like a param keep that param's sharding.
    checked = 0
    for path, leaf in jax.tree_util.tree_flatten_with_path(s)[0]:
        key = getattr(path[-1], "key", None)
        if key in host and leaf.shape == np.shape(host[key]) and leaf.ndim > 0:
            assert leaf.sharding.is_equivalent_to(shardings[key], leaf.ndim), (name, path)
            checked += 1
    assert checked >= 1, (name, "no moment leaf was checked")

    # Same numbers on a single device.
    q, t = {k: jnp.asarray(v) for k, v in host.items()}, None
    t = opt.init(q)
    single = jax.jit(step.__wrapped__ if hasattr(step, "__wrapped__") else step)
    for _ in range(3):
        q, t = single(q, t)
    for k in host:
        np.testing.assert_allclose(np.asarray(p[k]), np.asarray(q[k]), rtol=2e-5, atol=2e-6)

# Grouped layout: the sharded matrix stays loose (unpacked, still sharded).
grouped = gx.group_leaves(params, max_leaf_size=64)
assert any(x.shape == (16, 8) for x in grouped.loose)
for x in grouped.loose:
    if x.shape == (16, 8):
        assert x.sharding.is_equivalent_to(shardings["w"], 2)
back = grouped.ungroup()
np.testing.assert_array_equal(np.asarray(back["w"]), host["w"])
print("SHARDED OK")
