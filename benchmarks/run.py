"""gradtx vs optax (and torch.optim when importable), side by side in one run.

Usage (from the repository root):

    python -m benchmarks.run            # full run, 4-5 minutes on 2 idle CPU cores
    python -m benchmarks.run --smoke    # tiny sizes, < 60 s (for CI)
    python benchmarks/run.py --only adam,sgd_momentum --leaves 1,100

Every number is measured in this run, on this machine, and every comparison is
interleaved: the implementations being compared take turns step by step (in a
random order each round), so load from other processes hits them alike. Results go to
``benchmarks/results/results.{json,md}`` (``results-smoke.*`` with ``--smoke``).

What is measured, for each optimizer and tree size (N leaves, same total size):

- jitted step: ``params, state = step(params, state, grads)`` with
  ``update`` + ``apply_updates`` under one ``jax.jit`` with params and state
  donated; median over ``steps`` timed steps after warm-up, each ending in
  ``block_until_ready``. torch: ``optimizer.step()`` with foreach=True and
  fused=True where torch has them.
- eager step: ``update`` + ``apply_updates`` called without ``jax.jit``.
- trace, lower and compile seconds of the jitted step
  (``jax.jit(step).trace(...)``, ``.lower()``, ``.compile()``), and a sweep over N.
- kernels per step: instructions of the optimised HLO entry computation that
  run work (fusions, copies, custom calls; not parameters, tuples, constants or
  bitcasts).
- optimizer state bytes per parameter.
- a bandwidth floor, timed in the same interleaving: one jitted elementwise
  pass over flat buffers that moves exactly the bytes the optimizer must move
  (read grads, read and write params and state); plus the bandwidth of an
  in-place ``x * a + b`` pass.
- an end-to-end training step (loss, grad, update) of a deep narrow MLP.

Per-device optimizer-state bytes for replicated vs ZeRO-1 (``shard_state_over``)
layouts need 8 (forced host) devices, hence a separate process:
``python -m benchmarks.sharding`` (``benchmarks/results/sharding.md``).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

import gradtx  # noqa: E402

# torch's OpenMP threads spin after each parallel region by default, stealing the
# cores from the JAX step that runs next in the interleaving.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
try:  # torch is only used for measuring, never required
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

FULL = dict(
    total=4_000_000,
    leaves=(1, 100, 2000),
    opts=("adam", "adamw", "sgd_momentum", "lion", "adafactor"),
    steps=40,
    warmup=3,
    eager_leaves=(1, 100),
    eager_steps=15,
    sweep=(10, 100, 300, 1000, 2000),
    # compilations per library for each N (the 2000-leaf one takes ~25 s on 2
    # cores, so it is measured once, in the step section)
    sweep_repeats={10: 3, 100: 3, 300: 3, 1000: 2, 2000: 1},
    sweep_opt="adam",
    grouped_opts=("adam", "adamw", "sgd_momentum", "lion"),
    # adafactor at 2000 leaves costs ~2 minutes of compilation per library here
    big_skip=("adafactor",),
    mlp=dict(depth=64, width=32, batch=64, steps=20),
    torch=True,
)
SMOKE = dict(
    total=40_000,
    leaves=(1, 10, 50),
    opts=("adam", "adamw", "sgd_momentum", "lion", "adafactor"),
    steps=5,
    warmup=1,
    eager_leaves=(1, 10),
    eager_steps=3,
    sweep=(10, 50),
    sweep_repeats={10: 2, 50: 1},
    sweep_opt="adam",
    grouped_opts=("adam",),
    big_skip=(),
    mlp=dict(depth=4, width=16, batch=8, steps=5),
    torch=True,
)

LR = 1e-3
WD = 1e-2


# ----------------------------------------------------------------------------- optimizers


def jax_factories(lib):
    """name -> factory, for the optimizers ``lib`` has (gradtx may lack some)."""
    table = {
        "adam": lambda: lib.adam(LR),
        "adamw": lambda: lib.adamw(LR, weight_decay=WD),
        "sgd_momentum": lambda: lib.sgd(LR, momentum=0.9),
        "lion": lambda: lib.lion(LR * 0.1),
        "adafactor": lambda: lib.adafactor(LR),
    }
    needs = {"sgd_momentum": "sgd"}
    return {k: f for k, f in table.items() if hasattr(lib, needs.get(k, k))}


def torch_factories():
    if torch is None:
        return {}
    o = torch.optim
    return {
        "adam": {
            "foreach": lambda ps: o.Adam(ps, lr=LR, foreach=True),
            "fused": lambda ps: o.Adam(ps, lr=LR, fused=True),
        },
        "adamw": {
            "foreach": lambda ps: o.AdamW(ps, lr=LR, weight_decay=WD, foreach=True),
            "fused": lambda ps: o.AdamW(ps, lr=LR, weight_decay=WD, fused=True),
        },
        "sgd_momentum": {
            "foreach": lambda ps: o.SGD(ps, lr=LR, momentum=0.9, foreach=True),
            "fused": lambda ps: o.SGD(ps, lr=LR, momentum=0.9, fused=True),
        },
        "adafactor": (
            {"foreach": lambda ps: o.Adafactor(ps, lr=LR, foreach=True)}
            if hasattr(o, "Adafactor")
            else {}
        ),
    }


# ----------------------------------------------------------------------------- helpers


def leaf_shape(per_leaf: int) -> tuple[int, int]:
    """A near-square 2-D shape with ``per_leaf`` elements."""
    a = int(math.isqrt(per_leaf))
    while per_leaf % a:
        a -= 1
    return (a, per_leaf // a)


def make_tree(n_leaves: int, total: int, seed: int = 0):
    shape = leaf_shape(total // n_leaves)
    rng = np.random.default_rng(seed)
    base = rng.standard_normal(shape).astype(np.float32)
    return {f"p{i:04d}": jnp.asarray(base * (1 + 1e-3 * i)) for i in range(n_leaves)}


def n_params(tree) -> int:
    return sum(int(np.prod(np.shape(x))) for x in jax.tree.leaves(tree))


def tree_bytes(tree) -> int:
    return sum(int(np.asarray(x).nbytes) for x in jax.tree.leaves(tree))


_NOT_KERNELS = re.compile(r"= \S+ (parameter|tuple|get-tuple-element|constant|bitcast)\(")


def count_kernels(compiled) -> int:
    """Work-doing instructions in the optimised HLO entry computation."""
    text = compiled.as_text()
    entry = text[text.index("\nENTRY") :]
    body = entry.split("\n", 1)[1].split("\n}", 1)[0]
    return sum(1 for line in body.splitlines() if " = " in line and not _NOT_KERNELS.search(line))


def stages(fn, *args, donate=()):
    """(compiled, {trace, lower, compile} seconds) for ``jax.jit(fn)``."""
    jitted = jax.jit(fn, donate_argnums=donate)
    t0 = time.perf_counter()
    traced = jitted.trace(*args)
    t1 = time.perf_counter()
    lowered = traced.lower()
    t2 = time.perf_counter()
    compiled = lowered.compile()
    t3 = time.perf_counter()
    return compiled, {"trace": t1 - t0, "lower": t2 - t1, "compile": t3 - t2, "total": t3 - t0}


def interleaved(runners: dict, steps: int, warmup: int, seed: int = 0) -> dict:
    """Run each runner ``warmup`` times, then ``steps`` rounds taking turns.

    Each round runs every runner once, in a fresh random order (seeded): a
    merely rotated order would keep the same runner right before each other
    one, and whatever a runner leaves behind (torch's threads, a cold cache)
    would always hit the same neighbour. Returns name -> list of seconds, one
    per round.
    """
    names = list(runners)
    for name in names:
        for _ in range(warmup):
            runners[name]()
    rng = np.random.default_rng(seed)
    times = {n: [] for n in names}
    for _ in range(steps):
        for i in rng.permutation(len(names)):
            name = names[i]
            t = time.perf_counter()
            runners[name]()
            times[name].append(time.perf_counter() - t)
    return times


def paired_ratio(times: dict, num: str, den: str):
    """Median over rounds of ``num``'s time / ``den``'s time in the same round
    (the two ran back to back, so slow phases of the machine cancel)."""
    if num not in times or den not in times:
        return None
    return float(np.median(np.asarray(times[num]) / np.asarray(times[den])))


def paired_iqr(times: dict, num: str, den: str):
    """25th and 75th percentiles of the per-round ratios (how noisy the ratio is)."""
    if num not in times or den not in times:
        return None
    q = np.percentile(np.asarray(times[num]) / np.asarray(times[den]), [25, 75])
    return [float(q[0]), float(q[1])]


def summary(ts: list[float]) -> dict:
    q = np.percentile(ts, [25, 50, 75])
    return {
        "median_ms": 1e3 * float(q[1]),
        "p25_ms": 1e3 * float(q[0]),
        "p75_ms": 1e3 * float(q[2]),
    }


def log(*a):
    print(*a, flush=True)


# ----------------------------------------------------------------------------- pieces


def jax_step_fn(tx, lib):
    def step(params, state, grads):
        updates, state = tx.update(grads, state, params)
        return lib.apply_updates(params, updates), state

    return step


class JaxRunner:
    """Holds params/state of one jitted implementation and runs one step per call."""

    def __init__(self, tx, lib, params, grads):
        self.params = jax.tree.map(jnp.copy, params)
        self.state = tx.init(self.params)
        self.grads = grads
        self.compiled, self.stages = stages(
            jax_step_fn(tx, lib), self.params, self.state, grads, donate=(0, 1)
        )
        self.kernels = count_kernels(self.compiled)
        self.state_bytes = tree_bytes(self.state)

    def __call__(self):
        self.params, self.state = self.compiled(self.params, self.state, self.grads)
        jax.block_until_ready(self.params)


class EagerRunner:
    def __init__(self, tx, lib, params, grads):
        self.tx, self.lib, self.grads = tx, lib, grads
        self.params = jax.tree.map(jnp.copy, params)
        self.state = tx.init(self.params)
        t = time.perf_counter()
        self()
        self.first_call = time.perf_counter() - t

    def __call__(self):
        updates, self.state = self.tx.update(self.grads, self.state, self.params)
        self.params = self.lib.apply_updates(self.params, updates)
        jax.block_until_ready(self.params)


class TorchRunner:
    def __init__(self, make, params, grads):
        self.ps = [torch.tensor(np.asarray(x)) for x in jax.tree.leaves(params)]
        for p, g in zip(self.ps, jax.tree.leaves(grads), strict=True):
            p.grad = torch.tensor(np.asarray(g))
        self.opt = make(self.ps)
        self()
        self.state_bytes = sum(
            t.numel() * t.element_size()
            for st in self.opt.state.values()
            for t in st.values()
            if torch.is_tensor(t) and t.dim() > 0
        )

    def __call__(self):
        self.opt.step()


def bandwidth(total: int, steps: int, warmup: int) -> dict:
    """Memory bandwidth seen by a jitted elementwise pass (read and write
    ``total`` float32s, the input donated so no buffer is allocated per call)."""
    f = jax.jit(lambda x: x * 1.0001 + 1e-6, donate_argnums=0)
    box = {"x": f(jnp.ones((total,), jnp.float32))}

    def run():
        box["x"] = f(box["x"])
        jax.block_until_ready(box["x"])

    ts = interleaved({"axpb": run}, steps, warmup)["axpb"]
    med = statistics.median(ts)
    return {"bytes": 8 * total, "median_ms": 1e3 * med, "gb_per_s": 8 * total / med / 1e9}


class FloorRunner:
    """The least work an optimizer step can do: one jitted elementwise pass over
    flat buffers that reads the grads, the params and ``k`` state arrays and
    writes the params and the state back (params and state donated)."""

    def __init__(self, total: int, k: int):
        self.k = k

        def f(p, s, g):
            return p - 1e-3 * g, tuple(0.9 * x + g for x in s)

        self.f = jax.jit(f, donate_argnums=(0, 1))
        self.p = jnp.ones((total,), jnp.float32)
        self.s = tuple(jnp.zeros((total,), jnp.float32) for _ in range(k))
        self.g = jnp.full((total,), 1e-3, jnp.float32)
        self.bytes = 4 * total * (3 + 2 * k)
        self()

    def __call__(self):
        self.p, self.s = self.f(self.p, self.s, self.g)
        jax.block_until_ready(self.p)


# ----------------------------------------------------------------------------- sections


def bench_steps(cfg, results):
    gx_f, ox_f = jax_factories(gradtx), jax_factories(optax)
    t_f = torch_factories() if cfg["torch"] and torch is not None else {}
    for n in cfg["leaves"]:
        params = make_tree(n, cfg["total"], 0)
        grads = jax.tree.map(lambda x: 1e-2 * x, make_tree(n, cfg["total"], 1))
        total = n_params(params)
        for opt in cfg["opts"]:
            if opt not in ox_f or (n == max(cfg["leaves"]) > 1 and opt in cfg["big_skip"]):
                continue
            row = {"opt": opt, "leaves": n, "params": total, "shape": list(leaf_shape(total // n))}
            runners = {}
            order = ["optax", "gradtx"] if (len(results["steps"]) % 2 == 0) else ["gradtx", "optax"]
            for lib_name in order:
                lib, fac = (optax, ox_f) if lib_name == "optax" else (gradtx, gx_f)
                if opt not in fac:
                    row[lib_name] = None
                    continue
                r = JaxRunner(fac[opt](), lib, params, grads)
                runners[lib_name] = r
                row[lib_name] = {
                    "stages_s": r.stages,
                    "kernels": r.kernels,
                    "state_bytes_per_param": r.state_bytes / total,
                }
            if opt in cfg["grouped_opts"] and opt in gx_f and n > 1:
                gp = gradtx.group_leaves(params, max_leaf_size=None)
                gg = gradtx.group_leaves(grads, max_leaf_size=None)
                r = JaxRunner(gx_f[opt](), gradtx, gp, gg)
                runners["gradtx_grouped"] = r
                row["gradtx_grouped"] = {
                    "stages_s": r.stages,
                    "kernels": r.kernels,
                    "state_bytes_per_param": r.state_bytes / total,
                }
            sb = (row.get("gradtx") or row["optax"])["state_bytes_per_param"]
            runners["floor"] = FloorRunner(total, max(0, round(sb / 4)))
            for kind, make in t_f.get(opt, {}).items():
                try:
                    runners[f"torch_{kind}"] = TorchRunner(make, params, grads)
                except (RuntimeError, TypeError, ValueError) as e:  # e.g. no fused kernel
                    row[f"torch_{kind}"] = {"error": str(e)[:200]}
            times = interleaved(runners, cfg["steps"], cfg["warmup"])
            row["ratio"] = paired_ratio(times, "gradtx", "optax")
            row["ratio_iqr"] = paired_iqr(times, "gradtx", "optax")
            row["ratio_grouped"] = paired_ratio(times, "gradtx_grouped", "optax")
            row["ratio_torch_fused"] = paired_ratio(times, "gradtx", "torch_fused")
            for name, ts in times.items():
                row.setdefault(name, {})
                row[name] = {**(row[name] or {}), **summary(ts)}
                if name.startswith("torch"):
                    row[name]["state_bytes_per_param"] = runners[name].state_bytes / total
            row["floor_ms"] = row["floor"]["median_ms"]
            row["floor_gb_per_s"] = runners["floor"].bytes / row["floor_ms"] / 1e6
            results["steps"].append(row)
            log(fmt_step_row(row))
            del runners
            gc.collect()


def fmt_step_row(row):
    parts = [f"{row['opt']:>13s} N={row['leaves']:<5d}"]
    for k in ("optax", "gradtx", "gradtx_grouped", "torch_foreach", "torch_fused", "floor"):
        v = row.get(k)
        if v and "median_ms" in v:
            extra = f"/{v['stages_s']['total']:.1f}s/{v['kernels']}k" if "stages_s" in v else ""
            parts.append(f"{k} {v['median_ms']:.2f}ms{extra}")
    return "  ".join(parts)


def bench_eager(cfg, results):
    gx_f, ox_f = jax_factories(gradtx), jax_factories(optax)
    for n in cfg["eager_leaves"]:
        total = cfg["total"] // 10  # eager optax is slow; a 10x smaller tree
        params = make_tree(n, total, 0)
        grads = jax.tree.map(lambda x: 1e-2 * x, make_tree(n, total, 1))
        for opt in cfg["opts"]:
            if opt not in gx_f or opt not in ox_f:
                continue
            runners = {
                "optax": EagerRunner(ox_f[opt](), optax, params, grads),
                "gradtx": EagerRunner(gx_f[opt](), gradtx, params, grads),
            }
            jitted = {
                "optax_jit": JaxRunner(ox_f[opt](), optax, params, grads),
                "gradtx_jit": JaxRunner(gx_f[opt](), gradtx, params, grads),
            }
            times = interleaved({**runners, **jitted}, cfg["eager_steps"], 1)
            row = {"opt": opt, "leaves": n, "params": n_params(params)}
            row["ratio"] = paired_ratio(times, "gradtx", "optax")
            for name, ts in times.items():
                row[name] = summary(ts)
            for name, r in runners.items():
                row[name]["first_call_s"] = r.first_call
            row["gradtx"]["update_traces"] = getattr(
                runners["gradtx"].tx.update, "trace_count", None
            )
            results["eager"].append(row)
            log(
                f"eager {opt:>13s} N={n:<4d} optax {row['optax']['median_ms']:.2f}ms "
                f"gradtx {row['gradtx']['median_ms']:.2f}ms (jitted: optax "
                f"{row['optax_jit']['median_ms']:.2f} gradtx {row['gradtx_jit']['median_ms']:.2f})"
            )


def bench_sweep(cfg, results):
    """Trace/lower/compile seconds vs number of leaves: per-stage medians over
    ``sweep_repeats[N]`` compilations per library (interleaved), counting the
    one already made in the step section for that N."""
    opt = cfg["sweep_opt"]
    have = {r["leaves"]: r for r in results["steps"] if r["opt"] == opt}
    gx_f, ox_f = jax_factories(gradtx), jax_factories(optax)
    names = ("optax", "gradtx", "gradtx_grouped")
    for n in cfg["sweep"]:
        samples = {k: [] for k in names}
        kernels = {}
        if n in have:
            for k in names:
                if have[n].get(k):
                    samples[k].append(have[n][k]["stages_s"])
                    kernels[k] = have[n][k]["kernels"]
        repeats = cfg["sweep_repeats"].get(n, 1)
        params = None
        for rep in range(max(0, repeats - len(samples["gradtx"]))):
            if params is None:
                params = make_tree(n, cfg["total"], 0)
                grouped = gradtx.group_leaves(params, max_leaf_size=None)
            order = [("optax", optax, ox_f, params), ("gradtx", gradtx, gx_f, params),
                     ("gradtx_grouped", gradtx, gx_f, grouped)]  # fmt: skip
            for name, lib, fac, p in order if rep % 2 == 0 else order[::-1]:
                tx = fac[opt]()
                compiled, st = stages(jax_step_fn(tx, lib), p, tx.init(p), p)
                samples[name].append(st)
                kernels[name] = count_kernels(compiled)
        row = {"opt": opt, "leaves": n, "repeats": {k: len(v) for k, v in samples.items()}}
        for k, v in samples.items():
            if v:
                med_st = {s: float(np.median([x[s] for x in v])) for s in v[0]}
                row[k] = {"stages_s": med_st, "kernels": kernels[k], "samples": v}
        results["sweep"].append(row)
        log(
            f"sweep {opt} N={n:<5d} "
            + "  ".join(
                f"{k} trace {row[k]['stages_s']['trace']:.2f} lower {row[k]['stages_s']['lower']:.2f} "
                f"compile {row[k]['stages_s']['compile']:.2f}"
                for k in names
                if k in row
            )
        )


def _optimizer_names(lib) -> list[str]:
    """Public factories of ``lib`` whose first parameter is ``learning_rate``."""
    import inspect

    names = []
    for name in sorted(dir(lib)):
        obj = getattr(lib, name)
        if name.startswith("_") or not inspect.isfunction(obj):
            continue
        try:
            first = next(iter(inspect.signature(obj).parameters), None)
        except (TypeError, ValueError):
            continue
        if first == "learning_rate" and not name.startswith("scale"):
            names.append(name)
    return names


def bench_state_memory(results):
    """Optimizer state bytes per float32 parameter, for every optimizer factory
    (defaults, learning_rate=1e-3) in gradtx and the optax one of the same name.
    Measured on one 256x256 leaf (large enough that scalar counters do not show)."""
    params = {"w": jnp.zeros((256, 256), jnp.float32)}
    n = n_params(params)
    variants = {
        "sgd(momentum=0.9)": lambda lib: lib.sgd(1e-3, momentum=0.9),
        "rmsprop(centered=True, momentum=0.9)": lambda lib: lib.rmsprop(
            1e-3, centered=True, momentum=0.9
        ),
        "adam(mu_dtype=bfloat16)": lambda lib: lib.adam(1e-3, mu_dtype=jnp.bfloat16),
    }
    makers = {
        name: (lambda lib, name=name: getattr(lib, name)(1e-3)) for name in _optimizer_names(gradtx)
    }
    makers.update(variants)
    rows = []
    for name, make in makers.items():
        row = {"opt": name}
        for lib_name, lib in (("gradtx", gradtx), ("optax", optax)):
            if not hasattr(lib, name.split("(")[0]):
                continue
            try:
                state = jax.eval_shape(make(lib).init, params)
            except Exception as e:  # noqa: BLE001 - some need extra arguments
                row[lib_name] = f"n/a ({type(e).__name__})"
                continue
            nbytes = sum(_leaf_nbytes(x) for x in jax.tree.leaves(state))
            row[lib_name] = nbytes / n
        rows.append(row)
    results["state_memory"] = rows


def _leaf_nbytes(x) -> int:
    """Bytes of one state leaf; typed PRNG keys count their underlying uint32 words."""
    if jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key):
        return int(np.prod(jax.eval_shape(jax.random.key_data, x).shape)) * 4
    return int(np.prod(x.shape)) * jnp.dtype(x.dtype).itemsize


def bench_mlp(cfg, results):
    m = cfg["mlp"]
    depth, width, batch = m["depth"], m["width"], m["batch"]
    keys = jax.random.split(jax.random.key(0), depth + 2)
    params = {
        f"layer{i:03d}": {
            "w": jax.random.normal(keys[i], (width, width)) / math.sqrt(width),
            "b": jnp.zeros((width,)),
        }
        for i in range(depth)
    }
    x = jax.random.normal(keys[-2], (batch, width))
    y = jnp.sin(jax.random.normal(keys[-1], (batch, width)))

    def mlp(p, x):
        for i in range(depth):
            layer = p[f"layer{i:03d}"]
            x = jnp.tanh(x @ layer["w"] + layer["b"])
        return x

    def make(lib, tx, p0, unpack):
        def loss(p):
            return jnp.mean((mlp(unpack(p), x) - y) ** 2)

        def step(p, s):
            value, g = jax.value_and_grad(loss)(p)
            u, s = tx.update(g, s, p)
            return lib.apply_updates(p, u), s, value

        p0 = jax.tree.map(jnp.copy, p0)
        s0 = tx.init(p0)
        compiled, st = stages(step, p0, s0, donate=(0, 1))
        box = {"p": p0, "s": s0}

        def run():
            box["p"], box["s"], box["loss"] = compiled(box["p"], box["s"])
            jax.block_until_ready(box["loss"])

        return run, {"stages_s": st, "kernels": count_kernels(compiled)}, box

    impls, info, boxes = {}, {}, {}
    for name, lib, p0, unpack in [
        ("optax", optax, params, lambda p: p),
        ("gradtx", gradtx, params, lambda p: p),
        ("gradtx_grouped", gradtx, gradtx.group_leaves(params), lambda p: p.ungroup()),
    ]:
        impls[name], info[name], boxes[name] = make(lib, lib.adam(LR), p0, unpack)
    if cfg["torch"] and torch is not None:
        tp = []
        for i in range(depth):
            layer = params[f"layer{i:03d}"]
            tp += [
                torch.tensor(np.asarray(layer["w"])).requires_grad_(),
                torch.tensor(np.asarray(layer["b"])).requires_grad_(),
            ]
        tx_, ty_ = torch.tensor(np.asarray(x)), torch.tensor(np.asarray(y))
        for kind in ("foreach", "fused"):
            ps = [t.detach().clone().requires_grad_() for t in tp]
            opt = torch.optim.Adam(ps, lr=LR, **{kind: True})

            def run(ps=ps, opt=opt):
                h = tx_
                for j in range(depth):
                    h = torch.tanh(h @ ps[2 * j] + ps[2 * j + 1])
                loss = ((h - ty_) ** 2).mean()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()

            impls[f"torch_{kind}"] = run
            info[f"torch_{kind}"] = {}
    times = interleaved(impls, m["steps"], 2)
    ratios = {k: paired_ratio(times, k, "optax") for k in ("gradtx", "gradtx_grouped")}
    row = {
        "depth": depth,
        "width": width,
        "batch": batch,
        "params": n_params(params),
        "leaves": 2 * depth,
    }
    for name, ts in times.items():
        row[name] = {**info[name], **summary(ts)}
    row["ratio"], row["ratio_grouped"] = ratios["gradtx"], ratios["gradtx_grouped"]
    for name in ("optax", "gradtx", "gradtx_grouped"):
        row[name]["final_loss"] = float(boxes[name]["loss"])
    results["mlp"] = row
    log(
        "mlp "
        + "  ".join(
            f"{k} {row[k]['median_ms']:.2f}ms"
            + (f"/{row[k]['stages_s']['total']:.1f}s" if "stages_s" in row[k] else "")
            for k in impls
        )
    )


# ----------------------------------------------------------------------------- report


def ratio(a, b):
    return None if (a is None or b is None or b == 0) else a / b


def med(row, key):
    v = row.get(key)
    return v.get("median_ms") if isinstance(v, dict) else None


def stage_total(row, key):
    v = row.get(key)
    return v["stages_s"]["total"] if isinstance(v, dict) and "stages_s" in v else None


def f2(x, nd=2):
    return "-" if x is None else f"{x:.{nd}f}"


def fr(row):
    """A ratio with its interquartile range over rounds, e.g. ``0.98 (0.91-1.07)``."""
    r, q = row.get("ratio"), row.get("ratio_iqr")
    return "-" if r is None else f"{r:.2f} ({q[0]:.2f}-{q[1]:.2f})" if q else f"{r:.2f}"


def targets(results, cfg):
    """(target, goal, measured ratio, note) rows; ratios are gradtx / reference."""
    out = []
    steps = [r for r in results["steps"] if r.get("ratio") is not None]
    if steps:
        w = max(steps, key=lambda r: r["ratio"])
        gm = float(np.exp(np.mean([np.log(r["ratio"]) for r in steps])))
        out.append(("every optimizer, jitted step (worst case)", "<= 1.05", w["ratio"],
                    f"{w['opt']} N={w['leaves']}; geometric mean over all {len(steps)}: {gm:.2f}"))  # fmt: skip
    eager_n = max(cfg["eager_leaves"])
    ev = [r for r in results["eager"] if r["leaves"] == eager_n and r.get("ratio")]
    if ev:
        w = max(ev, key=lambda r: r["ratio"])
        out.append((f"eager update+apply at {eager_n} leaves (worst case)", "<= 0.25", w["ratio"],
                    w["opt"]))  # fmt: skip
    big = max(cfg["leaves"])
    adam_big = next(
        (r for r in results["steps"] if r["opt"] == "adam" and r["leaves"] == big), None
    )
    sweep_big = next((r for r in results["sweep"] if r["leaves"] == big), None)
    if adam_big is not None:
        src = sweep_big if sweep_big is not None else adam_big

        def total(row, key):
            v = row.get(key)
            return v["stages_s"]["total"] if isinstance(v, dict) and "stages_s" in v else None

        ko = (adam_big.get("optax") or {}).get("kernels")
        kg = (adam_big.get("gradtx_grouped") or {}).get("kernels")
        out += [
            (f"adam, trace+lower+compile at {big} leaves", "<= 0.8",
             ratio(total(src, "gradtx"), total(src, "optax")), "tree layout"),
            (f"adam, jitted step at {big} leaves", "<= 0.9", adam_big.get("ratio"), "tree layout"),
            (f"adam, trace+lower+compile at {big} leaves", "<= 0.8",
             ratio(total(src, "gradtx_grouped"), total(src, "optax")), "grouped layout"),
            (f"adam, jitted step at {big} leaves", "<= 0.9", adam_big.get("ratio_grouped"),
             "grouped layout"),
            (f"kernels per step at {big} leaves", "<= 0.1", ratio(kg, ko),
             f"grouped layout: {kg} vs {ko}"),
        ]  # fmt: skip
    adam1 = next((r for r in results["steps"] if r["opt"] == "adam" and r["leaves"] == 1), None)
    if adam1 is not None and adam1.get("ratio_torch_fused") is not None:
        out.append(("stretch: adam, 1 leaf, vs torch fused Adam", "<= 1.5",
                    adam1["ratio_torch_fused"], ""))  # fmt: skip
    return out


def markdown(results, cfg) -> str:
    env = results["env"]
    lines = [
        f"# gradtx benchmark ({'smoke' if results['smoke'] else 'full'} run)",
        "",
        f"Machine: {env['machine']}; {env['cpus']} CPUs; jax {env['jax']} ({env['backend']}), "
        f"optax {env['optax']}, torch {env['torch']}; float32; run took {results['wall_s']:.0f} s; "
        f"1-minute load average {env['loadavg_start'][0]:.1f} at the start, "
        f"{env['loadavg_end'][0]:.1f} at the end.",
        f"Bandwidth: jitted in-place x*a+b over {cfg['total']:,} floats "
        f"{results['bandwidth']['gb_per_s']:.1f} GB/s (cache-resident); "
        "the `floor` column is one fused pass over flat buffers moving the bytes the optimizer must "
        "move (grads read, params and state read and written), timed in the same interleaving.",
        "Times are medians of interleaved steps; ratios are gradtx / optax (lower is better), as the "
        "median over rounds of the two back-to-back step times (compile ratios: of the medians).",
        "",
        "## Targets",
        "",
        "| target | goal | measured | note |",
        "|---|---|---|---|",
    ]
    for name, goal, val, note in targets(results, cfg):
        ok = ""
        if val is not None:
            limit = float(goal.split()[-1])
            ok = " (met)" if val <= limit else " (missed)"
        lines.append(f"| {name} | {goal} | {f2(val)}{ok} | {note} |")
    lines += [
        "",
        f"## Jitted step, ms ({cfg['total']:,} float32 params split over N leaves)",
        "",
        "| optimizer | N | optax | gradtx | ratio (IQR) | gradtx grouped | torch foreach | torch fused | floor |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["steps"]:
        lines.append(
            f"| {r['opt']} | {r['leaves']} | {f2(med(r, 'optax'))} | {f2(med(r, 'gradtx'))} | "
            f"{fr(r)} | {f2(med(r, 'gradtx_grouped'))} | "
            f"{f2(med(r, 'torch_foreach'))} | {f2(med(r, 'torch_fused'))} | {f2(r['floor_ms'])} |"
        )
    lines += [
        "",
        "## Compile (trace + lower + compile, s) and kernels per step",
        "",
        "| optimizer | N | optax s | gradtx s | ratio | grouped s | optax kernels | gradtx kernels | grouped kernels |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["steps"]:
        k = {n: (r.get(n) or {}).get("kernels") for n in ("optax", "gradtx", "gradtx_grouped")}
        lines.append(
            f"| {r['opt']} | {r['leaves']} | {f2(stage_total(r, 'optax'))} | {f2(stage_total(r, 'gradtx'))} | "
            f"{f2(ratio(stage_total(r, 'gradtx'), stage_total(r, 'optax')))} | {f2(stage_total(r, 'gradtx_grouped'))} | "
            f"{k['optax'] or '-'} | {k['gradtx'] or '-'} | {k['gradtx_grouped'] or '-'} |"
        )
    lines += [
        "",
        f"## Trace / lower / compile seconds vs leaves ({cfg['sweep_opt']}; median of `runs` per library)",
        "",
        "| N | runs | optax trace | gradtx trace | optax lower | gradtx lower | optax compile | gradtx compile | total ratio | grouped total |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["sweep"]:
        o, g = r.get("optax", {}).get("stages_s", {}), r.get("gradtx", {}).get("stages_s", {})
        gg = r.get("gradtx_grouped", {}).get("stages_s", {})
        lines.append(
            f"| {r['leaves']} | {r['repeats']['gradtx']} | {f2(o.get('trace'))} | {f2(g.get('trace'))} | {f2(o.get('lower'))} | "
            f"{f2(g.get('lower'))} | {f2(o.get('compile'))} | {f2(g.get('compile'))} | "
            f"{f2(ratio(g.get('total'), o.get('total')))} | {f2(gg.get('total'))} |"
        )
    lines += [
        "",
        f"## Eager step (update + apply_updates without jax.jit), ms, {cfg['total'] // 10:,} params",
        "",
        "| optimizer | N | optax eager | gradtx eager | ratio | gradtx first call s | optax jitted | gradtx jitted |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results["eager"]:
        lines.append(
            f"| {r['opt']} | {r['leaves']} | {f2(med(r, 'optax'))} | {f2(med(r, 'gradtx'))} | "
            f"{f2(r.get('ratio'), 3)} | {f2(r['gradtx']['first_call_s'])} | "
            f"{f2(med(r, 'optax_jit'))} | {f2(med(r, 'gradtx_jit'))} |"
        )
    lines += [
        "",
        "## Optimizer state, bytes per parameter (float32 params)",
        "",
        "| optimizer | optax | gradtx | torch foreach |",
        "|---|---|---|---|",
    ]
    seen = set()
    for r in results["steps"]:
        if r["opt"] in seen or r["leaves"] == 1 and len(cfg["leaves"]) > 1:
            continue
        seen.add(r["opt"])
        sb = {
            n: (r.get(n) or {}).get("state_bytes_per_param")
            for n in ("optax", "gradtx", "torch_foreach")
        }
        lines.append(
            f"| {r['opt']} | {f2(sb['optax'])} | {f2(sb['gradtx'])} | {f2(sb['torch_foreach'])} |"
        )
    if results.get("state_memory"):
        lines += [
            "",
            "## State bytes per parameter, every optimizer factory (one 256x256 float32 leaf, defaults)",
            "",
            "| optimizer | gradtx | optax |",
            "|---|---|---|",
        ]
        for r in results["state_memory"]:
            g, o = r.get("gradtx"), r.get("optax")
            fg = f2(g) if isinstance(g, float) else (g or "-")
            fo = f2(o) if isinstance(o, float) else (o or "-")
            lines.append(f"| {r['opt']} | {fg} | {fo} |")
    m = results.get("mlp")
    if m:
        lines += [
            "",
            f"## End-to-end training step: MLP {m['depth']} layers x {m['width']} wide, batch {m['batch']}, "
            f"{m['params']:,} params in {m['leaves']} leaves, Adam",
            "",
            "| implementation | step ms | compile s | kernels |",
            "|---|---|---|---|",
        ]
        for k in ("optax", "gradtx", "gradtx_grouped", "torch_foreach", "torch_fused"):
            if k in m:
                lines.append(
                    f"| {k} | {f2(m[k]['median_ms'])} | {f2(m[k].get('stages_s', {}).get('total'))} | "
                    f"{m[k].get('kernels', '-')} |"
                )
    return "\n".join(lines) + "\n"


def main(argv=None, cfg=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, < 60 s")
    ap.add_argument(
        "--only", help="comma-separated optimizers (adam,adamw,sgd_momentum,lion,adafactor)"
    )
    ap.add_argument("--leaves", help="comma-separated leaf counts for the step section")
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--all-big", action="store_true", help="do not skip big_skip at the largest N")
    ap.add_argument("--skip", default="", help="comma-separated sections to skip: eager,sweep,mlp")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args(argv)
    cfg = dict(cfg or (SMOKE if args.smoke else FULL))
    if args.only:
        cfg["opts"] = tuple(args.only.split(","))
    if args.leaves:
        cfg["leaves"] = tuple(int(v) for v in args.leaves.split(","))
    if args.no_torch:
        cfg["torch"] = False
    if args.all_big:
        cfg["big_skip"] = ()
    skip = set(filter(None, args.skip.split(",")))
    t0 = time.perf_counter()
    results = {
        "smoke": bool(args.smoke),
        "config": {k: v for k, v in cfg.items()},
        "env": {
            "machine": f"{platform.processor() or platform.machine()} ({platform.platform()})",
            "cpus": os.cpu_count(),
            "jax": jax.__version__,
            "backend": jax.default_backend(),
            "optax": optax.__version__,
            "torch": None if torch is None else torch.__version__,
            "gradtx_has": sorted(jax_factories(gradtx)),
            "loadavg_start": list(os.getloadavg()),
        },
        "steps": [],
        "eager": [],
        "sweep": [],
    }
    bench_state_memory(results)
    results["bandwidth"] = bandwidth(cfg["total"], cfg["steps"], cfg["warmup"])
    log(f"bandwidth {results['bandwidth']['gb_per_s']:.1f} GB/s")
    bench_steps(cfg, results)
    if "eager" not in skip:
        bench_eager(cfg, results)
    if "sweep" not in skip:
        bench_sweep(cfg, results)
    if "mlp" not in skip:
        bench_mlp(cfg, results)
    results["wall_s"] = time.perf_counter() - t0
    results["env"]["loadavg_end"] = list(os.getloadavg())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "results-smoke" if args.smoke else "results"
    (out / f"{stem}.json").write_text(json.dumps(results, indent=1, default=str))
    md = markdown(results, cfg)
    (out / f"{stem}.md").write_text(md)
    log(
        f"\nwrote {out / (stem + '.json')} and {out / (stem + '.md')} ({results['wall_s']:.0f} s)\n"
    )
    log(md)
    return results


if __name__ == "__main__":
    main()
