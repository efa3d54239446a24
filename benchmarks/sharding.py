"""Per-device optimizer-state bytes: replicated vs ZeRO-1 (``gradtx.shard_state_over``).

Usage (from the repository root):

    python -m benchmarks.sharding           # < 30 s; writes benchmarks/results/sharding.md
    python -m benchmarks.sharding --smoke   # tiny model, prints only

Runs itself in a fresh process with 8 forced host (CPU) devices
(``XLA_FLAGS=--xla_force_host_platform_device_count=8``) when started with fewer,
since the device count must be fixed before JAX starts. A data-parallel MLP (params
replicated over a mesh axis "data" of size 8, the batch sharded over it) takes a few
steps with each optimizer in both layouts; reported per optimizer: the state bytes
held by one device in each layout, their ratio (ideal 1/8 = 0.125; step counts,
scalars and leaves with no dimension divisible by 8 stay whole), and the largest
difference between the two runs' params (0 where the rule is elementwise). Bytes are
counted, not timed, so the numbers do not depend on machine load.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

FLAG = "--xla_force_host_platform_device_count=8"
OUT = Path(__file__).resolve().parent / "results" / "sharding.md"


def _relaunch() -> int:
    env = dict(os.environ, XLA_FLAGS=FLAG)
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, "-m", "benchmarks.sharding", *sys.argv[1:]]
    return subprocess.run(cmd, env=env, cwd=root).returncode


def main(smoke: bool) -> str:
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax.sharding import Mesh, NamedSharding
    from jax.sharding import PartitionSpec as P

    import gradtx as gx

    mesh = Mesh(np.array(jax.devices()), ("data",))
    widths = (64, 128, 128, 10) if smoke else (512, 1024, 1024, 1024, 10)
    rng = np.random.default_rng(0)
    host = {}
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        host[f"w{i}"] = (rng.normal(size=(a, b)) / np.sqrt(a)).astype(np.float32)
        host[f"b{i}"] = np.zeros((b,), np.float32)  # 10 outputs: not divisible by 8
    x = rng.normal(size=(64, widths[0])).astype(np.float32)
    y = rng.integers(0, widths[-1], size=(64,))
    n_params = sum(v.size for v in host.values())

    def loss(p, x, y):
        h = x
        for i in range(len(widths) - 1):
            h = h @ p[f"w{i}"] + p[f"b{i}"]
            if i < len(widths) - 2:
                h = jax.nn.relu(h)
        logz = jax.nn.logsumexp(h, axis=-1)
        return jnp.mean(logz - jnp.take_along_axis(h, y[:, None], axis=-1)[:, 0])

    def per_device_bytes(tree):
        return sum(leaf.addressable_shards[0].data.nbytes for leaf in jax.tree.leaves(tree))

    optimizers = {
        "adam": lambda: gx.adam(1e-3),
        "adamw": lambda: gx.adamw(1e-3, weight_decay=1e-2),
        "sgd (momentum 0.9)": lambda: gx.sgd(1e-2, momentum=0.9),
        "lion": lambda: gx.lion(1e-4),
        "adafactor": lambda: gx.adafactor(1e-3),
        "clip + adamw": lambda: gx.chain(gx.clip_by_global_norm(1.0), gx.adamw(1e-3)),
    }
    rows = []
    for name, make in optimizers.items():
        runs = {}
        for layout in ("replicated", "zero1"):
            opt = make() if layout == "replicated" else gx.shard_state_over(make(), mesh, "data")
            p = jax.device_put(host, NamedSharding(mesh, P()))
            xb = jax.device_put(x, NamedSharding(mesh, P("data")))
            yb = jax.device_put(y, NamedSharding(mesh, P("data")))
            s = jax.jit(opt.init)(p)

            @jax.jit
            def step(p, s, xb, yb, opt=opt):
                g = jax.grad(loss)(p, xb, yb)
                u, s = opt.update(g, s, p)
                return gx.apply_updates(p, u), s

            for _ in range(3):
                p, s = step(p, s, xb, yb)
            runs[layout] = (p, per_device_bytes(s))
        (p_r, b_r), (p_z, b_z) = runs["replicated"], runs["zero1"]
        diff = max(float(jnp.max(jnp.abs(p_r[k] - p_z[k]))) for k in host)
        rows.append((name, b_r, b_z, b_z / b_r, diff))

    lines = [
        "# Optimizer state per device: replicated vs ZeRO-1",
        "",
        f"Data-parallel MLP {widths}, {n_params:,} float32 params, replicated over a mesh axis",
        f'"data" of {len(jax.devices())} forced host devices; batch sharded over it. ZeRO-1 is',
        '`gradtx.shard_state_over(opt, mesh, "data")`. Bytes are counted on device 0 after 3',
        "steps; the last column is the largest difference between the two layouts' params",
        "(0: the same bits; reductions such as Adafactor's means may differ by summation order).",
        "",
        "| optimizer | replicated bytes/device | ZeRO-1 bytes/device | ratio | max abs param diff |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, b_r, b_z, ratio, diff in rows:
        lines.append(f"| {name} | {b_r:,} | {b_z:,} | {ratio:.3f} | {diff:.1e} |")
    lines += [
        "",
        "Ideal ratio: 1/8 = 0.125. What stays whole on every device: step counts and the",
        "moments of the 10-wide output bias (10 is not divisible by 8). Adafactor: each",
        "weight is split on its first dimension, so its row statistics (which keep that",
        "dimension) are split too and its column statistics (which drop it) stay whole.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny model; print, do not write")
    args = parser.parse_args()
    if FLAG not in os.environ.get("XLA_FLAGS", ""):
        sys.exit(_relaunch())
    text = main(args.smoke)
    print(text)
    if not args.smoke:
        OUT.write_text(text)
