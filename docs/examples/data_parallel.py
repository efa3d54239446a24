"""Data-parallel training with gradtx: one model, a batch split over devices.

Run it on a machine with several accelerators, or on CPU with forced host devices:

    XLA_FLAGS=--xla_force_host_platform_device_count=8 python docs/examples/data_parallel.py

Two ways to write the step, both ending with the same params as one device:

- ``jit_step``: the params are replicated over the mesh axis "data", the batch is
  sharded over it, and the loss is the mean over the whole (global) batch. XLA's
  SPMD partitioner runs each device on its slice and inserts the all-reduce that
  averages the gradients. The optimizer state is sharded ZeRO-1 style with
  ``gradtx.shard_state_over``: each device keeps 1/N of the moments.
- ``shard_map_step``: the same step written per device with ``jax.shard_map``:
  each device computes its slice's mean loss, ``jax.lax.pmean`` averages the
  losses, and ``jax.grad`` of that global mean returns the averaged gradients,
  identical on every device, so the (replicated) optimizer state stays in sync.

See docs/distributed.md for multi-host use.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__" and "XLA_FLAGS" not in os.environ:
    os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import AxisType, NamedSharding
from jax.sharding import PartitionSpec as P

import gradtx as gx

STEPS = 20
BATCH = 64  # global batch: divisible by the number of devices


def init_params(key):
    k1, k2 = jax.random.split(key)
    return {
        "w1": jax.random.normal(k1, (8, 32), jnp.float32) / jnp.sqrt(8.0),
        "b1": jnp.zeros((32,), jnp.float32),
        "w2": jax.random.normal(k2, (32, 1), jnp.float32) / jnp.sqrt(32.0),
        "b2": jnp.zeros((1,), jnp.float32),
    }


def loss_fn(params, x, y):
    h = jnp.tanh(x @ params["w1"] + params["b1"])
    pred = (h @ params["w2"] + params["b2"])[:, 0]
    return jnp.mean((pred - y) ** 2)  # the mean over the batch this call sees


def data(key):
    kx, kw = jax.random.split(key)
    x = jax.random.normal(kx, (STEPS, BATCH, 8), jnp.float32)
    y = jnp.sin(x @ jax.random.normal(kw, (8,), jnp.float32))
    return x, y


def make_optimizer():
    return gx.adamw(1e-2, weight_decay=1e-3)


def single_device(params, xs, ys):
    opt = make_optimizer()

    @jax.jit
    def step(params, state, x, y):
        grads = jax.grad(loss_fn)(params, x, y)
        updates, state = opt.update(grads, state, params)
        return gx.apply_updates(params, updates), state

    state = opt.init(params)
    for x, y in zip(xs, ys):
        params, state = step(params, state, x, y)
    return params


def jit_step(params, xs, ys, mesh):
    opt = gx.shard_state_over(make_optimizer(), mesh, "data")
    replicated = NamedSharding(mesh, P())
    batch = NamedSharding(mesh, P("data"))  # split the leading (batch) axis

    @jax.jit
    def step(params, state, x, y):
        grads = jax.grad(loss_fn)(params, x, y)  # mean over the global batch
        updates, state = opt.update(grads, state, params)
        return gx.apply_updates(params, updates), state

    params = jax.device_put(params, replicated)
    state = jax.jit(opt.init)(params)  # created sharded, on every device
    for x, y in zip(xs, ys):
        params, state = step(params, state, jax.device_put(x, batch), jax.device_put(y, batch))
    return params, state


def shard_map_step(params, xs, ys, mesh):
    opt = make_optimizer()

    def global_loss(params, x, y):  # x, y: this device's slice of the batch
        return jax.lax.pmean(loss_fn(params, x, y), "data")  # the mean over all devices

    def per_device(params, state, x, y):
        # The params are the same on every device (unvarying over "data"), so
        # jax.grad sums their cotangents over the devices itself: the gradient of
        # the global mean loss arrives averaged. (Do not pmean it again, and do not
        # differentiate the local loss: that gives the sum of the local gradients.)
        grads = jax.grad(global_loss)(params, x, y)
        updates, state = opt.update(grads, state, params)
        return gx.apply_updates(params, updates), state

    step = jax.jit(
        jax.shard_map(
            per_device,
            mesh=mesh,
            in_specs=(P(), P(), P("data"), P("data")),
            out_specs=(P(), P()),
        )
    )
    params = jax.device_put(params, NamedSharding(mesh, P()))
    state = jax.device_put(opt.init(params), NamedSharding(mesh, P()))
    for x, y in zip(xs, ys):
        params, state = step(params, state, x, y)
    return params


def main() -> None:
    n = len(jax.devices())
    mesh = jax.make_mesh((n,), ("data",), axis_types=(AxisType.Auto,))
    params = init_params(jax.random.key(0))
    xs, ys = data(jax.random.key(1))

    reference = single_device(params, xs, ys)
    dp_params, dp_state = jit_step(params, xs, ys, mesh)
    sm_params = shard_map_step(params, xs, ys, mesh)

    mu = dp_state[0].mu["w1"]  # adamw = chain(scale_by_adam, ...): [0] is Adam's state
    print(f"devices: {n}; Adam mu['w1'] per device: {mu.addressable_shards[0].data.shape}")
    print(f"loss: {float(loss_fn(params, xs[0], ys[0])):.4f} -> "
          f"{float(loss_fn(dp_params, xs[-1], ys[-1])):.4f}")  # fmt: skip
    # The batch mean is summed in another order on N devices, so the runs differ by
    # rounding; Adam's m / sqrt(v) amplifies that for gradients near zero. Measure it
    # against the rounding of the single-device run itself (its distance from the
    # same run in float64): the data-parallel runs must not be further off.
    with jax.enable_x64(True):
        exact = single_device(jax.tree.map(lambda a: a.astype(jnp.float64), params),
                              xs.astype(jnp.float64), ys.astype(jnp.float64))  # fmt: skip
    worst = lambda a, b: max(float(np.max(np.abs(np.asarray(a[k]) - np.asarray(b[k])))) for k in a)
    rounding = worst(reference, exact)
    for name, got in (("jit", dp_params), ("shard_map", sm_params)):
        print(f"{name}: max |params - one device| = {worst(got, reference):.2e}; "
              f"float32 rounding of one device = {rounding:.2e}")  # fmt: skip
        assert worst(got, exact) <= 2 * rounding + 1e-7, name
    assert mu.addressable_shards[0].data.shape[0] * n == mu.shape[0]
    print("DATA PARALLEL OK: same params as one device (to float32 rounding)")


if __name__ == "__main__":
    sys.exit(main())
