"""Adafactor, SM3, Polyak SGD, noisy SGD, the safety transforms and Muon.

Per optimizer: a float64 NumPy transcription of the documented update rule
(12 steps), convergence on the shared problems, a 100-step float64 trajectory
against optax's optimizer of the same name, and the construction-time errors.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import optax.contrib
import pytest

import gradtx as gx
from tests.helpers import QUAD_X0, ROSEN_X0, quadratic, rosenbrock, run, run_updates
from tests.messages import (
    MSG_ADAFACTOR_EPS_1_0,
    MSG_ADAFACTOR_MOMENTUM_1_0_MOMENTUM_MUST_BE,
    MSG_ADD_NOISE_ETA_0_1_ETA_MUST,
    MSG_ADD_NOISE_KEY_KEY_MUST_BE_AN,
    MSG_CLIPPING_THRESHOLD_MUST_BE_IN_0_INF,
    MSG_CONSISTENT_RMS_MUST_BE_IN_0_INF,
    MSG_DECAY_RATE_MUST_BE_IN_0_INF,
    MSG_GIVE_KEY_OR_SEED_NOT_BOTH,
    MSG_GRADTX_ADAFACTOR_LEARNING_RATE_0_1_LEARNING,
    MSG_GRADTX_SM3_MOMENTUM_0_1,
    MSG_LEAF_AT_B_HAS_SHAPE_3_MUON,
    MSG_MIN_DIM_SIZE_TO_FACTOR_MUST_BE,
    MSG_MUON_ADAM_B2_1_0,
    MSG_MUON_BETA_1_0_BETA_MUST_BE,
    MSG_MUST_BE_NON_EMPTY_AND_DISJOINT,
    MSG_NEEDS_PARAMS,
    MSG_NOISY_SGD_GAMMA_1_0,
    MSG_NS_COEFFS_MUST_HAVE_SHAPE_3_OR,
    MSG_NS_STEPS_MUST_BE_5_GOT_3,
    MSG_NS_STEPS_MUST_BE_AN_INT,
    MSG_POLYAK_SGD_MAX_LEARNING_RATE_1_0,
    MSG_POLYAK_SGD_SCALING_1_0,
    MSG_PRECONDITIONING_MUST_BE_ONE_OF,
    MSG_SCALE_BY_FACTORED_RMS_EPSILON_1_0,
    MSG_SCALE_BY_MUON_EPS_1_0,
    MSG_SCALE_BY_POLYAK_EPS_1_0,
    MSG_SCALE_BY_POLYAK_UPDATE_NEEDS_THE_LOSS,
    MSG_SCALE_BY_SM3_B1_1_0_B1,
    MSG_SCALE_BY_SM3_B2_1_5_B2,
    MSG_UNKNOWN_PRESET_USE_ONE_OF_STANDARD_DION,
    MSG_VARIANT_MUST_BE_ONE_OF_SPS_SPS,
    MSG_WEIGHT_DECAY_RATE_MUST_BE_IN_0,
)

STEPS = 12


def _tree(shapes, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    return {k: scale * rng.normal(size=s) for k, s in shapes.items()}


def _problem(shapes, seed):
    """Initial params and STEPS gradient trees, fixed by ``seed``."""
    return _tree(shapes, seed), [_tree(shapes, 1000 * seed + t) for t in range(STEPS)]


def _run(tx, grads_seq, params0, **extra):
    ps = run_updates(tx, grads_seq, jax.tree.map(jnp.asarray, params0), **extra)
    return {k: np.asarray(v) for k, v in ps.items()}


def _check_against(ps, ref_ps, rtol=1e-9, atol=1e-12, keys=None):
    assert len(ref_ps) == STEPS
    for t, ref in enumerate(ref_ps):
        for k in keys or ref:
            np.testing.assert_allclose(ps[k][t], ref[k], rtol=rtol, atol=atol, err_msg=f"{k} @ {t}")


def _rms(x):
    return np.sqrt(np.mean(x * x))


# ---------------------------------------------------------------------------
# NumPy references


def _np_adafactor(params, grads_seq, lr, min_dim, momentum, wd, clip, decay_rate=0.8, eps=1e-30):
    p = {k: v.copy() for k, v in params.items()}
    stats = {k: None for k in p}
    mom = {k: np.zeros_like(v) for k, v in p.items()}
    out = []
    for t, g_tree in enumerate(grads_seq):
        beta = float(np.float32(1.0) - np.float32(t + 1) ** np.float32(-decay_rate))
        for k, g in g_tree.items():
            s = g * g + eps
            if g.ndim >= 2 and np.sort(g.shape)[-2] >= min_dim:
                r_ax, c_ax = np.argsort(g.shape)[-2:]
                R, C = stats[k] or (0.0, 0.0)
                R = beta * R + (1 - beta) * s.mean(axis=c_ax)
                C = beta * C + (1 - beta) * s.mean(axis=r_ax)
                stats[k] = (R, C)
                u = g / np.sqrt(np.expand_dims(R / R.mean(), c_ax) * np.expand_dims(C, r_ax))
            else:
                V = stats[k] if stats[k] is not None else 0.0
                V = beta * V + (1 - beta) * s
                stats[k] = V
                u = g / np.sqrt(V)
            u = u / max(1.0, _rms(u) / clip)
            u = lr * u * max(_rms(p[k]), 1e-3)
            mom[k] = momentum * mom[k] + (1 - momentum) * u
            p[k] = p[k] - (mom[k] + wd * p[k])
        out.append({k: v.copy() for k, v in p.items()})
    return out


def _np_sm3(params, grads_seq, lr, b1=0.9, eps=1e-8):
    p = {k: v.copy() for k, v in params.items()}
    covers = {
        k: [np.zeros(n) for n in v.shape] if v.ndim >= 2 else [np.zeros(v.shape)]
        for k, v in p.items()
    }
    mom = {k: np.zeros_like(v) for k, v in p.items()}
    out = []
    for g_tree in grads_seq:
        for k, g in g_tree.items():
            if g.ndim >= 2:
                nu = np.full(g.shape, np.inf)
                for i, c in enumerate(covers[k]):
                    shape = [1] * g.ndim
                    shape[i] = g.shape[i]
                    nu = np.minimum(nu, c.reshape(shape))
                a = g * g + nu
                covers[k] = [
                    a.max(axis=tuple(j for j in range(g.ndim) if j != i)) for i in range(g.ndim)
                ]
            else:
                a = g * g + covers[k][0]
                covers[k] = [a]
            v = np.where(a > 0, g / np.sqrt(a + eps), 0.0)
            mom[k] = b1 * mom[k] + (1 - b1) * v
            p[k] = p[k] - lr * mom[k]
        out.append({k: v.copy() for k, v in p.items()})
    return out


def _np_newton_schulz(m, coeffs=(3.4445, -4.7750, 2.0315), steps=5, eps=1e-8):
    x = m.T if m.shape[0] > m.shape[1] else m
    x = x / (np.linalg.norm(x) + eps)
    a, b, c = coeffs
    for _ in range(steps):
        A = x @ x.T
        x = a * x + (b * A + c * A @ A) @ x
    return x.T if m.shape[0] > m.shape[1] else x


def _np_muon(params, grads_seq, lr, wd, adam_wd, beta=0.95, b1=0.9, b2=0.999, eps=1e-8):
    p = {k: v.copy() for k, v in params.items()}
    mu = {k: np.zeros_like(v) for k, v in p.items()}
    nu = {k: np.zeros_like(v) for k, v in p.items()}
    out = []
    for t, g_tree in enumerate(grads_seq, start=1):
        for k, g in g_tree.items():
            if g.ndim >= 2:  # Muon; rank > 2 flattened to (fan_in, fan_out)
                mu[k] = beta * mu[k] + (1 - beta) * g
                m_hat = beta * mu[k] / (1 - beta ** (t + 1)) + (1 - beta) * g / (1 - beta**t)
                mat = m_hat.reshape(-1, g.shape[-1])
                fan_in, fan_out = mat.shape
                o = _np_newton_schulz(mat).reshape(g.shape)
                u = np.sqrt(max(1.0, fan_out / fan_in)) * o + wd * p[k]
            else:  # NAdamW
                mu[k] = b1 * mu[k] + (1 - b1) * g
                nu[k] = b2 * nu[k] + (1 - b2) * g * g
                m_hat = b1 * mu[k] / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1**t)
                u = m_hat / (np.sqrt(nu[k] / (1 - b2**t)) + eps) + adam_wd * p[k]
            p[k] = p[k] - lr * u
        out.append({k: v.copy() for k, v in p.items()})
    return out


def test_adafactor_matches_numpy_reference():
    # w is factored over (4, 3); v's second largest axis (2) is below
    # min_dim_size_to_factor, so it keeps a full second moment, as b does.
    shapes = {"w": (4, 3), "v": (2, 5), "b": (3,)}
    params, grads = _problem(shapes, 1)
    kw = dict(min_dim_size_to_factor=3, momentum=0.8, weight_decay_rate=0.01)
    tx = gx.adafactor(0.1, clipping_threshold=0.7, dtype_momentum=jnp.float64, **kw)
    ref = _np_adafactor(params, grads, 0.1, 3, 0.8, 0.01, 0.7)
    # beta_t is computed in float32 by both, but XLA's and NumPy's float32
    # powers may differ by an ulp, hence rtol 1e-6.
    _check_against(_run(tx, grads, params), ref, rtol=1e-6, atol=1e-9)


def test_sm3_matches_numpy_reference():
    shapes = {"w": (4, 3), "k": (2, 3, 2), "b": (3,)}
    params, grads = _problem(shapes, 2)
    _check_against(_run(gx.sm3(0.1), grads, params), _np_sm3(params, grads, 0.1))


def test_polyak_sgd_matches_numpy_reference():
    shapes = {"w": (4, 3), "b": (3,)}
    params, grads = _problem(shapes, 3)
    tx = gx.polyak_sgd(max_learning_rate=0.2, scaling=0.5, f_min=0.5, eps=1e-3)
    ps = _run(tx, grads, params, value=3.0)
    p, ref = {k: v.copy() for k, v in params.items()}, []
    for g in grads:
        sq = sum(np.sum(x * x) for x in g.values())
        step = min((3.0 - 0.5) / (sq + 1e-3), 0.2)
        p = {k: p[k] - 0.5 * step * g[k] for k in p}
        ref.append(p)
    _check_against(ps, ref)


def test_noisy_sgd_matches_numpy_reference_with_documented_key_stream():
    shapes = {"w": (4, 3), "b": (3,)}
    params, grads = _problem(shapes, 4)
    ps = _run(gx.noisy_sgd(0.1, eta=0.3, gamma=0.55, key=7), grads, params)

    @jax.jit
    def noise_step(key):
        # Split off a sampling key, split it once per leaf (leaves in
        # flattening order: "b" then "w"), draw standard normals.
        key, sample = jax.random.split(key)
        kb, kw = jax.random.split(sample, 2)
        normal = lambda k, name: jax.random.normal(k, shapes[name], jnp.float64)  # noqa: E731
        return key, {"b": normal(kb, "b"), "w": normal(kw, "w")}

    key, p, ref = jax.random.key(7), {k: v.copy() for k, v in params.items()}, []
    for t, g in enumerate(grads, start=1):
        key, n = noise_step(key)
        std = np.sqrt(0.3 / t**0.55)
        p = {k: p[k] - 0.1 * (g[k] + std * np.asarray(n[k])) for k in p}
        ref.append(p)
    _check_against(ps, ref)


def test_muon_matches_numpy_reference():
    # w: a wide matrix (shape factor sqrt(5/3)); k: a rank-3 kernel viewed as
    # (6, 4) and transposed inside Newton-Schulz; b: a vector, sent to NAdamW.
    shapes = {"w": (3, 5), "k": (2, 3, 4), "b": (3,)}
    params, grads = _problem(shapes, 5)
    tx = gx.muon(0.02, weight_decay=0.1, adam_weight_decay=0.01)
    ref = _np_muon(params, grads, 0.02, 0.1, 0.01)
    ps = _run(tx, grads, params)
    _check_against(ps, ref)


# ---------------------------------------------------------------------------
# Convergence


@pytest.mark.parametrize(
    "name, tx, loss, x0, steps, value, tol",
    [
        ("adafactor-quad", gx.adafactor(0.1), quadratic, QUAD_X0, 300, False, 1e-3),
        (
            "adafactor-rosen",
            gx.adafactor(lambda c: 0.05 * 0.998**c, multiply_by_parameter_scale=False),
            rosenbrock,
            ROSEN_X0,
            3000,
            False,
            1e-2,
        ),
        ("sm3-quad", gx.sm3(0.5), quadratic, QUAD_X0, 300, False, 1e-8),
        ("sm3-rosen", gx.sm3(1.0), rosenbrock, ROSEN_X0, 3000, False, 1e-3),
        ("polyak-quad", gx.polyak_sgd(), quadratic, QUAD_X0, 100, True, 1e-12),
        (
            "polyak-rosen",
            gx.polyak_sgd(max_learning_rate=0.01),
            rosenbrock,
            ROSEN_X0,
            3000,
            True,
            1e-4,
        ),
        ("noisy_sgd-quad", gx.noisy_sgd(0.2, key=0), quadratic, QUAD_X0, 300, False, 1e-3),
    ],
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_convergence(name, tx, loss, x0, steps, value, tol):
    extra = (lambda v: {"value": v}) if value else None
    p, losses = run(tx, loss, x0, steps, dtype=jnp.float64, extra_args_fn=extra)
    assert float(losses[0]) > 9.0
    assert float(loss(p)) < tol, name


def test_muon_converges_on_matrix_least_squares():
    rng = np.random.default_rng(0)
    a, w_star = rng.normal(size=(8, 6)), rng.normal(size=(6, 4))
    b = a @ w_star

    def loss(params):
        return 0.5 * jnp.mean((a @ params["x"] - b) ** 2)

    p, losses = run(gx.muon(lambda c: 0.1 * 0.99**c), loss, np.zeros((6, 4)), 400, jnp.float64)
    assert float(losses[0]) > 1.0
    assert float(loss(p)) < 1e-5


# ---------------------------------------------------------------------------
# Parity with optax over 100 steps (float64)

PAR_SHAPES = {"w": (6, 5), "k": (2, 3, 4), "b": (4,), "s": ()}
PAR_TARGET = _tree(PAR_SHAPES, 7)
PAR_P0 = _tree(PAR_SHAPES, 8, scale=2.0)


def _par_loss(params):
    total = 0.01 * jnp.sum(params["w"] ** 4)
    for i, k in enumerate(sorted(params)):
        total = total + 0.5 * (1 + i) * jnp.sum((params[k] - PAR_TARGET[k]) ** 2)
    return total


def _parity(ours, theirs, keys=tuple(PAR_SHAPES), steps=100, value=False):
    """Final params of both optimizers after ``steps`` steps from PAR_P0, one jit."""
    p0 = {k: jnp.asarray(PAR_P0[k]) for k in keys}

    def trajectory(tx):
        def step(carry, _):
            p, s = carry
            v, g = jax.value_and_grad(_par_loss)(p)
            u, s = tx.update(g, s, p, **({"value": v} if value else {}))
            return (optax.apply_updates(p, u), s), v

        (p, _), losses = jax.lax.scan(step, (p0, tx.init(p0)), None, length=steps)
        return p, losses

    (a, la), (b, lb) = jax.jit(lambda: (trajectory(ours), trajectory(theirs)))()
    assert float(la[-1]) < float(la[0])  # a trajectory that moved
    return {k: np.asarray(v) for k, v in a.items()}, {k: np.asarray(v) for k, v in b.items()}


def _assert_close(a, b, atol, keys=None):
    for k in keys or a:
        np.testing.assert_allclose(a[k], b[k], rtol=0, atol=atol, err_msg=k)


# Tolerance of the parity tests below: PAR_ATOL absolute on params of size ~1
# after 100 float64 steps, unless stated. The two libraries compute the same
# expressions; XLA may fuse them differently, and chaotic trajectories (no
# learning rate, relative steps) amplify last-bit differences.
PAR_ATOL = 1e-9


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(learning_rate=0.05),
        dict(
            learning_rate=0.05,
            min_dim_size_to_factor=3,
            momentum=0.9,
            weight_decay_rate=0.01,
            clipping_threshold=0.5,
            decay_rate=0.7,
        ),
        dict(
            learning_rate=None,
            min_dim_size_to_factor=2,
            multiply_by_parameter_scale=False,
            clipping_threshold=None,
        ),
    ],
    ids=["default", "factored-momentum-wd", "no-lr-no-clip"],
)
def test_adafactor_parity_with_optax(kwargs):
    a, b = _parity(gx.adafactor(**kwargs), optax.adafactor(**kwargs))
    _assert_close(a, b, PAR_ATOL)


def test_sm3_parity_with_optax():
    # optax's SM3 rejects scalars, so "s" is left out.
    keys = ("w", "k", "b")
    a, b = _parity(gx.sm3(0.1), optax.sm3(0.1), keys)
    _assert_close(a, b, PAR_ATOL)
    ours = gx.chain(gx.scale_by_sm3(0.5, 0.9), gx.scale(-0.1))
    theirs = optax.chain(optax.scale_by_sm3(0.5, 0.9), optax.scale(-0.1))
    a, b = _parity(ours, theirs, keys)
    _assert_close(a, b, PAR_ATOL)


@pytest.mark.parametrize(
    "kwargs",
    [{}, dict(max_learning_rate=0.1, f_min=1.0, eps=1e-4, variant="sps+")],
    ids=["default", "sps+"],
)
def test_polyak_sgd_parity_with_optax(kwargs):
    a, b = _parity(gx.polyak_sgd(**kwargs), optax.polyak_sgd(**kwargs), value=True)
    _assert_close(a, b, PAR_ATOL)


def test_noisy_sgd_parity_with_optax_same_key():
    # Two leaves only: each leaf's noise is a separate threefry block to compile.
    a, b = _parity(
        gx.noisy_sgd(0.01, eta=0.1, key=3), optax.noisy_sgd(0.01, eta=0.1, key=3), ("w", "b")
    )
    _assert_close(a, b, PAR_ATOL)


def test_muon_parity_with_optax():
    mdn = optax.contrib.MuonDimensionNumbers
    # optax sends rank-3 leaves to Adam unless told; tell it what gradtx does.
    dims = {"w": mdn(), "k": mdn((0, 1), 2), "b": None, "s": None}
    a, b = _parity(gx.muon(0.02), optax.contrib.muon(0.02, muon_weight_dimension_numbers=dims))
    _assert_close(a, b, PAR_ATOL, keys=("w", "k"))
    # The AdamW leaves: the same float64 arithmetic as optax.
    _assert_close(a, b, 1e-15, keys=("b", "s"))


def test_muon_options_parity_with_optax():
    kw = dict(
        ns_coeffs="dion",
        weight_decay=0.1,
        nesterov=False,
        adaptive=True,
        preconditioning="aol",
        consistent_rms=0.2,
        adam_learning_rate=0.01,
    )
    keys = ("w", "b")
    a, b = _parity(gx.muon(0.02, **kw), optax.contrib.muon(0.02, **kw), keys)
    _assert_close(a, b, PAR_ATOL, keys=("w",))
    _assert_close(a, b, 1e-15, keys=("b",))


def test_muon_preconditionings_match_optax():
    # One update each (100-step trajectories are covered above): the other two
    # normalisations, from the same momentum.
    w = jnp.asarray(_tree({"w": (6, 5)}, 9)["w"])
    mdn = optax.contrib.MuonDimensionNumbers()

    @jax.jit
    def both(w):
        out = []
        for pre in ("spectral", "schatten"):
            ours = gx.scale_by_muon(preconditioning=pre)
            theirs = optax.contrib.scale_by_muon(preconditioning=pre, weight_dimension_numbers=mdn)
            out.append((ours.update(w, ours.init(w))[0], theirs.update(w, theirs.init(w))[0]))
        return out

    for a, b in both(w):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=0, atol=1e-12)
        assert np.linalg.norm(np.asarray(a)) > 1.0


# ---------------------------------------------------------------------------
# Properties


def test_adafactor_state_structure_does_not_depend_on_flags():
    params = {"w": jnp.zeros((4, 3)), "b": jnp.zeros(3)}
    base = jax.tree.structure(gx.adafactor(0.1).init(params))
    for kw in [
        dict(momentum=0.9),
        dict(clipping_threshold=None),
        dict(multiply_by_parameter_scale=False),
        dict(weight_decay_rate=0.1),
        dict(factored=False),
        dict(min_dim_size_to_factor=2),
    ]:
        assert jax.tree.structure(gx.adafactor(0.1, **kw).init(params)) == base, kw


def test_factored_state_shapes():
    params = {"w": jnp.zeros((5, 2, 7)), "b": jnp.zeros(3), "s": jnp.zeros(())}
    st = gx.scale_by_factored_rms(min_dim_size_to_factor=2).init(params)
    # (5, 2, 7): the two largest axes are 0 (5) and 2 (7).
    assert st.v_row["w"].shape == (5, 2) and st.v_col["w"].shape == (2, 7)
    assert st.v["w"].shape == (1,) and st.v["b"].shape == (3,) and st.v["s"].shape == ()
    st = gx.scale_by_sm3().init(params)
    assert [c.shape for c in st.nu["w"]] == [(5,), (2,), (7,)]
    assert [c.shape for c in st.nu["b"]] == [(3,)]


def test_polyak_first_step_and_zero_gradient():
    tx = gx.scale_by_polyak(max_learning_rate=10.0)
    x = jnp.array([3.0, 4.0])
    u, _ = tx.update(x, tx.init(x), value=12.5)  # step 12.5 / 25
    np.testing.assert_allclose(np.asarray(u), [1.5, 2.0])
    u, _ = tx.update(jnp.zeros(2), tx.init(x), value=12.5)
    np.testing.assert_array_equal(np.asarray(u), [0.0, 0.0])
    u, _ = gx.scale_by_polyak(variant="sps+").update(x, tx.init(x), value=-1.0)
    np.testing.assert_array_equal(np.asarray(u), [0.0, 0.0])


def test_polyak_squares_bfloat16_leaves_in_float32():
    """The squared gradient norm squares a bfloat16 leaf in float32 (not squared in
    bfloat16, then summed), so the compiled and op-by-op steps agree."""
    g = {"b": jnp.asarray([1.0078125], jnp.bfloat16), "w": jnp.ones(1, jnp.float32)}
    sq = float(np.float32(1.0078125) ** 2 + np.float32(1.0))
    tx = gx.scale_by_polyak()
    u, _ = tx.update(g, tx.init(g), value=sq / 2)
    with gx.eager_jit_disabled():
        u_slow, _ = tx.update(g, tx.init(g), value=sq / 2)
    assert float(u["w"][0]) == float(u_slow["w"][0]) == 0.5


def test_add_noise_statistics_anneal():
    tx = gx.add_noise(eta=0.5, gamma=0.55, seed=11)
    g = jnp.zeros((20000,))

    @jax.jit
    def stds(state):
        def step(s, _):
            u, s = tx.update(g, s)
            return s, (jnp.mean(u), jnp.std(u))

        return jax.lax.scan(step, state, None, length=10)[1]

    means, sds = stds(tx.init(g))
    np.testing.assert_allclose(np.asarray(sds), np.sqrt(0.5 / np.arange(1, 11) ** 0.55), rtol=0.03)
    assert np.all(np.abs(np.asarray(means)) < 0.03)
    # An int key, a seed and a typed key give the same stream.
    keys = [gx.add_noise(0.5, 0.55, key=k).init(g).rng_key for k in (11, jax.random.key(11))] + [
        tx.init(g).rng_key
    ]
    data = [np.asarray(jax.random.key_data(k)) for k in keys]
    assert all(np.array_equal(d, data[0]) for d in data)


def test_keep_params_nonnegative_and_zero_nans():
    tx = gx.keep_params_nonnegative()
    p = {"a": jnp.array([1.0, 0.5, -0.2]), "n": None}
    u, _ = tx.update({"a": jnp.array([-2.0, 0.1, 0.1]), "n": None}, tx.init(p), p)
    np.testing.assert_allclose(np.asarray(u["a"]), [-1.0, 0.1, 0.2])
    with pytest.raises(ValueError, match=MSG_NEEDS_PARAMS):
        tx.update(p, tx.init(p))

    tx = gx.zero_nans()
    g = {"a": jnp.array([1.0, jnp.nan]), "b": jnp.array([jnp.inf])}
    state = tx.init(g)
    assert not bool(state.found_nan["a"])
    u, state = tx.update(g, state)
    np.testing.assert_array_equal(np.asarray(u["a"]), [1.0, 0.0])
    assert np.isinf(np.asarray(u["b"])).all()
    assert bool(state.found_nan["a"]) and not bool(state.found_nan["b"])


def _singular_values(x):
    return np.linalg.svd(np.asarray(x, np.float64), compute_uv=False)


def test_scale_by_muon_orthogonalises_in_bfloat16():
    rng = np.random.default_rng(3)
    g = jnp.asarray(rng.normal(size=(16, 8)) * np.logspace(-1, 0, 8), jnp.bfloat16)
    tx = gx.scale_by_muon(mu_dtype=jnp.float32)
    u, state = jax.jit(lambda g: tx.update(g, tx.init(g)))(g)
    assert u.dtype == jnp.bfloat16 and state.mu.dtype == jnp.float32
    sv = _singular_values(u.astype(jnp.float32))
    # Five steps of Jordan's iteration map the spectrum into about [0.7, 1.2].
    assert sv.min() > 0.55 and sv.max() < 1.3, sv


def test_scale_by_muon_batch_axes_equal_vmap_and_conv_default():
    g = jnp.asarray(np.random.default_rng(4).normal(size=(3, 6, 4)))
    dims = gx.MuonDimensionNumbers(reduction_axis=1, output_axis=2)
    batched = gx.scale_by_muon(weight_dimension_numbers=dims)
    tx = gx.scale_by_muon()

    @jax.jit
    def all_three(g):
        u_batched = batched.update(g, batched.init(g))[0]
        u_vmap = jax.vmap(lambda x: tx.update(x, tx.init(x))[0])(g)
        u_conv = tx.update(g, tx.init(g))[0]  # rank 3: fan-in is all axes but the last
        m = g.reshape(18, 4)
        u_flat = tx.update(m, tx.init(m))[0]
        return u_batched, u_vmap, u_conv, u_flat.reshape(3, 6, 4)

    u_batched, u_vmap, u_conv, u_flat = all_three(g)
    np.testing.assert_allclose(np.asarray(u_batched), np.asarray(u_vmap), atol=1e-12)
    np.testing.assert_allclose(np.asarray(u_conv), np.asarray(u_flat), atol=1e-12)
    assert not np.allclose(np.asarray(u_conv), np.asarray(u_batched), atol=1e-3)


def test_muon_routes_leaves():
    params = {"w": jnp.ones((4, 3)), "k": jnp.ones((2, 2, 3)), "b": jnp.ones(3), "s": jnp.ones(())}

    def held(branch_state):  # the leaves with a momentum buffer in that branch
        mu = branch_state.inner_state[0].mu
        return sorted(k for k, v in mu.items() if not isinstance(v, gx.MaskedNode))

    state = gx.muon(0.1).init(params).inner_states  # optax's PartitionState nesting
    assert held(state["muon"]) == ["k", "w"] and held(state["adam"]) == ["b", "s"]
    dims = {"w": gx.MuonDimensionNumbers(), "k": None, "b": None, "s": None}
    state = gx.muon(0.1, muon_weight_dimension_numbers=dims).init(params).inner_states
    assert held(state["muon"]) == ["w"] and held(state["adam"]) == ["b", "k", "s"]


# ---------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize(
    "make, match",
    [
        (
            lambda: gx.adafactor(-0.1),
            MSG_GRADTX_ADAFACTOR_LEARNING_RATE_0_1_LEARNING,
        ),
        (
            lambda: gx.adafactor(0.1, momentum=1.0),
            MSG_ADAFACTOR_MOMENTUM_1_0_MOMENTUM_MUST_BE,
        ),
        (
            lambda: gx.adafactor(0.1, clipping_threshold=0.0),
            MSG_CLIPPING_THRESHOLD_MUST_BE_IN_0_INF,
        ),
        (lambda: gx.adafactor(0.1, decay_rate=-0.8), MSG_DECAY_RATE_MUST_BE_IN_0_INF),
        (
            lambda: gx.adafactor(0.1, weight_decay_rate=-1.0),
            MSG_WEIGHT_DECAY_RATE_MUST_BE_IN_0,
        ),
        (lambda: gx.adafactor(0.1, eps=-1.0), MSG_ADAFACTOR_EPS_1_0),
        (
            lambda: gx.adafactor(0.1, min_dim_size_to_factor=-1),
            MSG_MIN_DIM_SIZE_TO_FACTOR_MUST_BE,
        ),
        (lambda: gx.scale_by_factored_rms(epsilon=-1.0), MSG_SCALE_BY_FACTORED_RMS_EPSILON_1_0),
        (lambda: gx.scale_by_sm3(b1=1.0), MSG_SCALE_BY_SM3_B1_1_0_B1),
        (lambda: gx.scale_by_sm3(b2=1.5), MSG_SCALE_BY_SM3_B2_1_5_B2),
        (lambda: gx.sm3(0.1, momentum=-0.1), MSG_GRADTX_SM3_MOMENTUM_0_1),
        (lambda: gx.polyak_sgd(max_learning_rate=-1.0), MSG_POLYAK_SGD_MAX_LEARNING_RATE_1_0),
        (lambda: gx.polyak_sgd(variant="sgd"), MSG_VARIANT_MUST_BE_ONE_OF_SPS_SPS),
        (lambda: gx.scale_by_polyak(eps=-1.0), MSG_SCALE_BY_POLYAK_EPS_1_0),
        (lambda: gx.polyak_sgd(scaling=-1.0), MSG_POLYAK_SGD_SCALING_1_0),
        (lambda: gx.add_noise(-0.1, 0.55), MSG_ADD_NOISE_ETA_0_1_ETA_MUST),
        (lambda: gx.add_noise(0.1, 0.55, key=1, seed=2), MSG_GIVE_KEY_OR_SEED_NOT_BOTH),
        (lambda: gx.noisy_sgd(0.1, gamma=-1.0), MSG_NOISY_SGD_GAMMA_1_0),
        (lambda: gx.muon(0.1, beta=1.0), MSG_MUON_BETA_1_0_BETA_MUST_BE),
        (lambda: gx.muon(0.1, ns_coeffs="fast"), MSG_UNKNOWN_PRESET_USE_ONE_OF_STANDARD_DION),
        (
            lambda: gx.muon(0.1, ns_coeffs=(1.0, 2.0)),
            MSG_NS_COEFFS_MUST_HAVE_SHAPE_3_OR,
        ),
        (lambda: gx.muon(0.1, ns_coeffs="dion", ns_steps=3), MSG_NS_STEPS_MUST_BE_5_GOT_3),
        (lambda: gx.muon(0.1, preconditioning="qr"), MSG_PRECONDITIONING_MUST_BE_ONE_OF),
        (lambda: gx.muon(0.1, consistent_rms=0.0), MSG_CONSISTENT_RMS_MUST_BE_IN_0_INF),
        (lambda: gx.muon(0.1, adam_b2=1.0), MSG_MUON_ADAM_B2_1_0),
        (lambda: gx.scale_by_muon(eps=-1.0), MSG_SCALE_BY_MUON_EPS_1_0),
    ],
)
def test_construction_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_type_errors():
    with pytest.raises(TypeError, match=MSG_ADD_NOISE_KEY_KEY_MUST_BE_AN):
        gx.add_noise(0.1, 0.55, key=1.5)
    with pytest.raises(TypeError, match=MSG_NS_STEPS_MUST_BE_AN_INT):
        gx.scale_by_muon(ns_steps=2.0)


def test_update_errors():
    x = jnp.ones(3)
    tx = gx.polyak_sgd()
    with pytest.raises(ValueError, match=MSG_SCALE_BY_POLYAK_UPDATE_NEEDS_THE_LOSS):
        tx.update(x, tx.init(x), x)
    tx = gx.scale_by_muon()
    with pytest.raises(ValueError, match=MSG_LEAF_AT_B_HAS_SHAPE_3_MUON):
        tx.update({"b": x}, tx.init({"b": x}))
    bad = gx.scale_by_muon(weight_dimension_numbers=gx.MuonDimensionNumbers(0, 0))
    w = jnp.ones((2, 3))
    with pytest.raises(ValueError, match=MSG_MUST_BE_NON_EMPTY_AND_DISJOINT):
        bad.update(w, bad.init(w))
