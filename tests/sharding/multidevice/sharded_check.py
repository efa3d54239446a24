"""Run in its own process with 8 host devices (see tests/sharding/test_sharding.py).

1. A few optimizers on params sharded over a (4, 2) mesh keep each param's and
   state's sharding and give the single-device numbers.
2. Every registered transformation: ``state_shardings`` of abstract sharded params;
   ``jax.jit(init, out_shardings=...)`` (one jit for all) puts every state leaf on all
   8 devices (never only device 0) with that sharding; under ``jax.set_mesh`` with
   explicit axes the state's sharding types are the same after ``update`` as after
   ``init`` (traced for all, run for six that needed care, and for three that gather or
   stack params, with the single-device numbers; 1. runs updates under auto axes).
3. The grouped layout leaves large sharded leaves loose and sharded.
4. ZeRO-1 (``shard_state_over``): the same numbers as the unsharded optimizer, and
   1/8 of the moment bytes per device.
5. Sharded state saved with ``save_npz`` and Orbax restores bit-exactly into a target
   that carries the shardings.
"""

import contextlib
import os

os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax.sharding import AxisType, Mesh, NamedSharding  # noqa: E402
from jax.sharding import PartitionSpec as P  # noqa: E402

import gradtx as gx  # noqa: E402
from tests.registry import ALL  # noqa: E402

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


# 1. A few optimizers: shardings kept, single-device numbers.
for name, opt in [
    ("adam", gx.adam(1e-2)),
    ("adamw", gx.adamw(1e-2, weight_decay=0.1)),
    ("sgd", gx.sgd(1e-2, momentum=0.9, nesterov=True)),
    ("lion", gx.lion(1e-3)),
    ("adafactor", gx.adafactor(1e-2)),
    ("clip+rmsprop", gx.chain(gx.clip_by_global_norm(1.0), gx.rmsprop(1e-2))),
]:

    def step(p, s, opt=opt):
        g = jax.grad(loss)(p)
        u, s = opt.update(g, s, p)
        return gx.apply_updates(p, u), s

    step = jax.jit(step)
    p, s = params, opt.init(params)
    for _ in range(3):
        p, s = step(p, s)
    for k in host:
        assert p[k].sharding.is_equivalent_to(shardings[k], p[k].ndim), (name, k, p[k].sharding)
    checked = 0
    for path, leaf in jax.tree_util.tree_flatten_with_path(s)[0]:
        key = getattr(path[-1], "key", None)
        if key in host and leaf.shape == np.shape(host[key]) and leaf.ndim > 0:
            assert leaf.sharding.is_equivalent_to(shardings[key], leaf.ndim), (name, path)
            checked += 1
    assert checked >= 1, (name, "no moment leaf was checked")
    q = {k: jnp.asarray(v) for k, v in host.items()}
    t = opt.init(q)
    for _ in range(3):
        q, t = step(q, t)
    for k in host:
        np.testing.assert_allclose(np.asarray(p[k]), np.asarray(q[k]), rtol=2e-5, atol=2e-6)
print("few optimizers ok")


# 2. Every registered transformation.
def entry_params(e):
    return {k: v for k, v in host.items() if np.ndim(v) >= e.min_ndim}


def padded(spec, ndim):
    spec = () if spec is None else tuple(spec)
    return spec + (None,) * (ndim - len(spec))


all_devices = set(jax.devices())
# (Entries that place their state on their own one-device mesh are checked in 4.)
entries = [e for e in ALL if e.abstract_init and not e.places_on_mesh]
txs = {e.name: e.make() for e in entries}
hosts = {e.name: entry_params(e) for e in entries}
abstract = {
    n: {k: jax.ShapeDtypeStruct(v.shape, v.dtype, sharding=shardings[k]) for k, v in h.items()}
    for n, h in hosts.items()
}
state_sh = {n: gx.tree_utils.state_shardings(txs[n], abstract[n]) for n in txs}
moments = 0
for n in txs:
    for (path, leaf), sh in zip(
        jax.tree_util.tree_flatten_with_path(jax.eval_shape(txs[n].init, hosts[n]))[0],
        jax.tree.leaves(state_sh[n]),
    ):
        key = getattr(path[-1], "key", None)
        if key in host and leaf.shape == np.shape(host[key]) and leaf.ndim > 0:
            assert sh.is_equivalent_to(shardings[key], leaf.ndim), (n, path, sh)
            moments += 1
assert moments > 150, moments

# One jit for all inits (out_shardings from state_shardings) and one for all updates.
inputs = {n: {k: jax.device_put(v, shardings[k]) for k, v in h.items()} for n, h in hosts.items()}
init_all = jax.jit(lambda ps: {n: txs[n].init(ps[n]) for n in txs}, out_shardings=state_sh)
states = init_all(inputs)
for n in txs:
    for leaf, sh in zip(jax.tree.leaves(states[n]), jax.tree.leaves(state_sh[n])):
        assert leaf.sharding.device_set == all_devices, (n, leaf.sharding)
        assert leaf.sharding.is_equivalent_to(sh, leaf.ndim), (n, leaf.sharding, sh)
print("state_shardings ok:", len(txs), "transformations")

# Sharding in types: under an explicit mesh, init and update give the same state types.
explicit = Mesh(mesh.devices, mesh.axis_names, axis_types=(AxisType.Explicit,) * 2)
import os  # noqa: E402

_collect = os.environ.get("GRADTX_COLLECT_EXPLICIT_FAILURES") == "1"
_explicit_failures = []
with jax.set_mesh(explicit):
    for e in [e for e in entries if e.explicit_sharding]:
        try:
            tx = txs[e.name]
            p = {
                k: jax.device_put(v, NamedSharding(explicit, specs[k]))
                for k, v in hosts[e.name].items()
            }
            g = jax.tree.map(lambda x: x * 0.5, p)
            s0 = jax.eval_shape(tx.init, p)

            def new_state(g, s, p, tx=tx, e=e):
                extra = dict(e.extra_args)
                if e.extra_args_fn is not None:  # line searches: value=, grad=, value_fn=
                    extra.update(e.extra_args_fn(p, g))
                return tx.update(g, s, p, **extra)[1]

            s1 = jax.eval_shape(new_state, g, s0, p)
            a = [padded(x.sharding and x.sharding.spec, x.ndim) for x in jax.tree.leaves(s0)]
            b = [padded(x.sharding and x.sharding.spec, x.ndim) for x in jax.tree.leaves(s1)]
            assert a == b, (e.name, a, b)
        except Exception:
            if not _collect:
                raise
            _explicit_failures.append(e.name)
    if _collect:
        print("EXPLICIT_FAILURES", " ".join(_explicit_failures))
    # ... and run for real for the ones that needed care (factored statistics,
    # matrix iterations, the flattened vector, accumulation).
    for name, opt in [
        ("adam", gx.adam(1e-2)),
        ("adafactor", gx.adafactor(1e-2)),
        ("sm3", gx.sm3(1e-2)),
        ("muon", gx.muon(1e-2)),
        ("flatten", gx.flatten(gx.adam(1e-2))),
        ("multi_steps", gx.MultiSteps(gx.adam(1e-2), every_k_schedule=2)),
    ]:
        p = {k: jax.device_put(v, NamedSharding(explicit, specs[k])) for k, v in host.items()}
        s0 = jax.jit(opt.init)(p)

        @jax.jit
        def estep(p, s, opt=opt):
            u, s = opt.update(jax.grad(loss)(p), s, p)
            return gx.apply_updates(p, u), s

        p1, s1 = estep(p, s0)
        p2, s2 = estep(p1, s1)
        assert jax.tree.map(jax.typeof, s0) == jax.tree.map(jax.typeof, s2), name
        assert jax.tree.map(jax.typeof, p) == jax.tree.map(jax.typeof, p2), name
        # (A P() leaf may come back as P(None,): one more compile, then none.)
        n_compiled = estep._cache_size()
        estep(p2, s2)
        assert estep._cache_size() == n_compiled, name

print("explicit axes ok")


# Run for real under explicit axes, with the single-device numbers, three that gather a
# whole tree (Lanczos's flat basis) or stack params (L-BFGS's memory, SAGA's table),
# with the extra arguments they need (the zoom line search's value=, grad=, value_fn=).
def with_objective(p):
    value, grad = jax.value_and_grad(loss)(p)
    return grad, {"value": value, "grad": grad, "value_fn": loss}


for name, opt, extra in [
    ("lbfgs", gx.lbfgs(memory_size=3), with_objective),
    ("saga", gx.saga(0.1, 4), lambda p: (jax.grad(loss)(p), {"index": 1})),
    (
        "saddle_free_newton",
        gx.saddle_free_newton(0.5, damping=1e-2, order=4),
        lambda p: (jax.grad(loss)(p), {"obj_fn": loss}),
    ),
]:

    @jax.jit
    def xstep(p, s, opt=opt, extra=extra):
        g, kw = extra(p)
        u, s = opt.update(g, s, p, **kw)
        return gx.apply_updates(p, u), s

    runs = {}
    for where in ("explicit", "one device"):
        if where == "explicit":
            mesh_ctx = jax.set_mesh(explicit)
            p = {k: jax.device_put(v, NamedSharding(explicit, specs[k])) for k, v in host.items()}
        else:
            mesh_ctx = contextlib.nullcontext()
            p = {k: jax.device_put(v, jax.devices()[0]) for k, v in host.items()}
        with mesh_ctx:
            s0 = jax.jit(opt.init)(p)
            p2, s2 = xstep(*xstep(p, s0))
        if where == "explicit":
            assert jax.tree.map(jax.typeof, s0) == jax.tree.map(jax.typeof, s2), name
            assert jax.tree.map(jax.typeof, p) == jax.tree.map(jax.typeof, p2), name
        runs[where] = p2
    for k in host:
        a, b = np.asarray(runs["explicit"][k]), np.asarray(runs["one device"][k])
        tol = 2e-4 if name == "saddle_free_newton" else 2e-5  # float32 Lanczos, 4 steps
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol / 10, err_msg=f"{name} {k}")
        assert not np.allclose(b, host[k]), (name, k, "did not move")
print("explicit axes, gathered and stacked: ok")

# 3. Grouped layout: the sharded matrix stays loose (unpacked, still sharded), and so
# do its moments.
grouped = gx.group_leaves(params, max_leaf_size=64)
assert any(x.shape == (16, 8) for x in grouped.loose)
for x in grouped.loose:
    if x.shape == (16, 8):
        assert x.sharding.is_equivalent_to(shardings["w"], 2)
gstate = gx.adam(1e-2).init(grouped)
loose_mu = [x for x in jax.tree.leaves(gstate[0].mu) if x.shape == (16, 8)]
assert loose_mu and loose_mu[0].sharding.is_equivalent_to(shardings["w"], 2)
back = grouped.ungroup()
np.testing.assert_array_equal(np.asarray(back["w"]), host["w"])
print("grouped ok")

# 4. ZeRO-1: state sharded over "data" (8 devices), params replicated.
dmesh = Mesh(np.array(jax.devices()), ("data",))
rep = NamedSharding(dmesh, P())
zhost = {
    "w1": rng.normal(size=(32, 16)).astype(np.float32),
    "b1": rng.normal(size=(16,)).astype(np.float32),
    "w2": rng.normal(size=(16, 8)).astype(np.float32),
    "b2": rng.normal(size=(3,)).astype(np.float32),  # not divisible by 8: stays replicated
}
x_batch = rng.normal(size=(64, 32)).astype(np.float32)


def zloss(p, x):
    h = jnp.tanh(x @ p["w1"] + p["b1"])
    return jnp.mean((h @ p["w2"]) ** 2) + jnp.sum(p["b2"] ** 2)


def state_bytes_per_device(state):
    return sum(x.addressable_shards[0].data.nbytes for x in jax.tree.leaves(state))


for name, make in [
    ("adam", lambda: gx.adam(1e-2)),
    ("clip+adamw", lambda: gx.chain(gx.clip_by_global_norm(0.5), gx.adamw(1e-2, weight_decay=0.1))),
]:
    results = {}
    for layout in ("replicated", "zero1"):
        opt = make() if layout == "replicated" else gx.shard_state_over(make(), dmesh, "data")
        p = jax.device_put(zhost, rep)
        x = jax.device_put(x_batch, NamedSharding(dmesh, P("data")))
        s = jax.jit(opt.init)(p)

        @jax.jit
        def zstep(p, s, x, opt=opt):
            g = jax.grad(zloss)(p, x)
            u, s = opt.update(g, s, p)
            return gx.apply_updates(p, u), s

        for _ in range(5):
            p, s = zstep(p, s, x)
        for k in zhost:
            assert p[k].sharding.is_fully_replicated, (name, layout, k, p[k].sharding)
        results[layout] = (p, s, state_bytes_per_device(s))
    (p_r, s_r, bytes_r), (p_z, s_z, bytes_z) = results["replicated"], results["zero1"]
    for k in zhost:
        np.testing.assert_allclose(np.asarray(p_z[k]), np.asarray(p_r[k]), rtol=1e-6, atol=1e-7)
    assert jax.tree.structure(s_z) == jax.tree.structure(s_r)
    # mu and nu: the three divisible leaves hold 1/8 per device, b2 and counts stay whole.
    adam_state = s_z[0] if name == "adam" else s_z[1][0]
    for k in ("w1", "b1", "w2"):
        for m in (adam_state.mu[k], adam_state.nu[k]):
            assert m.addressable_shards[0].data.size * 8 == m.size, (name, k, m.sharding)
    assert adam_state.mu["b2"].sharding.is_fully_replicated
    moment_bytes = 2 * 4 * sum(v.size for v in zhost.values())
    divisible = 2 * 4 * sum(v.size for k, v in zhost.items() if k != "b2")
    assert bytes_r - bytes_z == divisible - divisible // 8, (bytes_r, bytes_z)
    print(f"zero1 {name}: per-device state bytes replicated={bytes_r} zero1={bytes_z}")
    assert moment_bytes > 0
# 5. Checkpoints of sharded state: restored bit-exactly into the target's shardings.
import tempfile  # noqa: E402

opt = gx.chain(gx.clip_by_global_norm(1.0), gx.adafactor(1e-2), gx.adam(1e-2))
abstract_p = {
    k: jax.ShapeDtypeStruct(v.shape, v.dtype, sharding=shardings[k]) for k, v in host.items()
}
sh = gx.tree_utils.state_shardings(opt, abstract_p)
state = jax.jit(opt.init, out_shardings=sh)(params)
state = jax.jit(lambda s, p: opt.update(jax.grad(loss)(p), s, p)[1], out_shardings=sh)(
    state, params
)
target = jax.tree.map(
    lambda x, s: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=s),
    jax.eval_shape(opt.init, abstract_p),
    sh,
)
tmp = tempfile.mkdtemp()
restored = {"npz": None, "orbax": None}
gx.tree_utils.save_npz(os.path.join(tmp, "s.npz"), state)
restored["npz"] = gx.tree_utils.load_npz(os.path.join(tmp, "s.npz"), target)
try:
    import orbax.checkpoint as ocp
except ImportError:
    print("orbax not installed: sharded orbax round trip skipped")
    del restored["orbax"]
else:
    ckptr = ocp.StandardCheckpointer()
    ckptr.save(os.path.join(tmp, "orbax"), state)
    ckptr.wait_until_finished()
    restored["orbax"] = ckptr.restore(os.path.join(tmp, "orbax"), target)
for kind, r in restored.items():
    assert jax.tree.structure(r) == jax.tree.structure(state), kind
    for a, b, s_ in zip(jax.tree.leaves(r), jax.tree.leaves(state), jax.tree.leaves(sh)):
        assert a.dtype == b.dtype and a.sharding.is_equivalent_to(s_, a.ndim), (kind, a.sharding)
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    print(f"sharded checkpoint ok: {kind}")
print("SHARDED OK")
