"""Top-level numerical helpers that optax has: against optax, closed forms and NumPy."""

from __future__ import annotations

import inspect
import subprocess
import sys
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradtx as gx
from tests.messages import (
    MSG_DECAY_RATE_MUST_BE_IN,
    MSG_GRADTX_NNLS_A_MUST_BE_A_MATRIX,
    MSG_INTEGER_OR_FLOAT_DTYPE,
)


def test_safe_norm_and_rms_match_optax_with_finite_gradients():
    x = jnp.asarray(np.random.default_rng(0).normal(size=(3, 4)))
    for kw in (dict(), dict(axis=1), dict(axis=0, keepdims=True), dict(ord=1, axis=1)):
        np.testing.assert_allclose(
            gx.safe_norm(x, 0.5, **kw), optax.safe_norm(x, 0.5, **kw), rtol=1e-12
        )
    np.testing.assert_allclose(
        gx.safe_root_mean_squares(x, 0.1), optax.safe_root_mean_squares(x, 0.1)
    )
    g = jax.grad(lambda v: gx.safe_norm(v, 1e-3))(jnp.zeros(3))
    assert np.all(np.isfinite(g)) and np.all(g == 0)
    g = jax.grad(lambda v: gx.safe_root_mean_squares(v, 1e-3))(jnp.zeros(3))
    assert np.all(np.isfinite(g))


def test_nnls_matches_optax_and_kkt():
    rng = np.random.default_rng(1)
    A, b = jnp.asarray(rng.normal(size=(6, 4))), jnp.asarray(rng.normal(size=6))
    x = gx.nnls(A, b, 500)
    np.testing.assert_allclose(x, optax.nnls(A, b, 500), rtol=1e-10, atol=1e-14)
    grad = np.asarray(A.T @ (A @ x - b))  # KKT: x >= 0, grad >= 0, x * grad = 0
    assert np.all(np.asarray(x) >= 0) and np.all(grad > -1e-6) and np.max(np.abs(x * grad)) < 1e-6
    with pytest.raises(ValueError, match=MSG_GRADTX_NNLS_A_MUST_BE_A_MATRIX):
        gx.nnls(jnp.ones(3), jnp.ones(3), 10)


@pytest.mark.parametrize("p", [1, 2, 4, 8])
def test_matrix_inverse_pth_root_matches_optax_and_eigh(p):
    a = np.random.default_rng(2).normal(size=(5, 5))
    s = jnp.asarray(a @ a.T + np.eye(5))
    h, err = gx.matrix_inverse_pth_root(s, p)
    h_ox, err_ox = optax.matrix_inverse_pth_root(s, p)
    np.testing.assert_allclose(h, h_ox, rtol=1e-9, atol=1e-12)
    w, v = np.linalg.eigh(np.asarray(s))
    ridge = 1e-6 * w.max()
    np.testing.assert_allclose(h, (v * (w + ridge) ** (-1.0 / p)) @ v.T, rtol=1e-5, atol=1e-8)
    assert float(err) == pytest.approx(float(err_ox), rel=1e-6, abs=1e-12)


def test_incremental_and_periodic_update():
    new, old = {"w": jnp.array([1.0, 2.0]), "b": None}, {"w": jnp.array([3.0, 4.0]), "b": None}
    out = gx.incremental_update(new, old, 0.25)
    np.testing.assert_allclose(out["w"], [2.5, 3.5])
    assert out["b"] is None
    assert float(gx.periodic_update(new, old, jnp.asarray(6), 3)["w"][0]) == 1.0
    assert float(gx.periodic_update(new, old, jnp.asarray(7), 3)["w"][0]) == 3.0


def test_scale_gradient_scales_only_the_backward_pass():
    f = lambda x: jnp.sum(gx.scale_gradient(x, 0.25) ** 2)  # noqa: E731
    x = jnp.array([1.0, -2.0])
    assert float(f(x)) == 5.0
    np.testing.assert_allclose(jax.grad(f)(x), 0.25 * 2 * np.asarray(x))
    np.testing.assert_allclose(jax.grad(lambda x: jnp.sum(gx.scale_gradient(x, 0.0)))(x), [0, 0])


def test_multi_normal_matches_optax():
    loc, log_scale = jnp.array([0.5, -1.0]), jnp.array([0.1, -0.3])
    ours, theirs = gx.multi_normal(loc, log_scale), optax.multi_normal(loc, log_scale)
    key = jax.random.key(0)
    x = jnp.array([[0.0, 0.0], [1.0, -1.0]])
    with jax.numpy_rank_promotion("allow"):  # optax broadcasts implicitly
        sample, log_prob = theirs.sample((3,), key), theirs.log_prob(x)
    np.testing.assert_allclose(ours.sample((3,), key), sample)
    np.testing.assert_allclose(ours.log_prob(x), log_prob, rtol=1e-12)
    assert len(ours.params) == 2


@pytest.mark.parametrize("dtype", [jnp.int32, jnp.uint8, jnp.uint32, jnp.float32, jnp.float16])
def test_safe_increment_on_every_count_dtype(dtype):
    top = jnp.iinfo(dtype).max if jnp.issubdtype(dtype, jnp.integer) else jnp.finfo(dtype).max
    c = jnp.asarray(top, dtype)
    assert gx.safe_increment(c) == c and gx.safe_increment(c).dtype == dtype
    assert gx.safe_increment(jnp.asarray(3, dtype)) == 4
    with pytest.raises(ValueError, match=MSG_INTEGER_OR_FLOAT_DTYPE):
        gx.safe_increment(jnp.asarray(True))


def test_trace_accepts_decay_one_as_a_plain_sum():
    tx = gx.trace(1.0)
    s = tx.init(jnp.zeros(1))
    for g in (1.0, 2.0, 3.0):
        u, s = tx.update(jnp.array([g]), s)
    np.testing.assert_allclose(u, [6.0])
    assert s._fields[0] == "trace" and gx.EmaState._fields == optax.EmaState._fields


def test_schedules_accept_what_optax_accepts():
    with pytest.warns(UserWarning, match="constant schedule"):
        s = gx.exponential_decay(0.5, transition_steps=-1, decay_rate=0.9)
    assert float(s(10)) == 0.5
    with pytest.warns(UserWarning, match="zero decay_rate"):
        s = gx.exponential_decay(0.5, transition_steps=10, decay_rate=0.0)
    assert float(s(100)) == optax.exponential_decay(0.5, 10, 0.0)(100)
    with pytest.warns(UserWarning, match="constant schedule"):
        s = gx.polynomial_schedule(1.0, 0.0, 2, transition_steps=-5)
    assert float(s(3)) == 1.0
    with pytest.raises(ValueError, match=MSG_DECAY_RATE_MUST_BE_IN):
        gx.exponential_decay(0.5, 10, -0.5)


def test_add_decayed_weights_states_and_none_updates_as_optax():
    params = {"w": jnp.ones(2)}
    tx = gx.add_decayed_weights(0.0)
    assert tx.update(None, tx.init(params), params) == (None, gx.EmptyState())
    assert str(jax.tree.structure(gx.add_decayed_weights(0.1).init(params))) == str(
        jax.tree.structure(optax.add_decayed_weights(0.1).init(params))
    )
    tx = gx.add_decayed_weights(0.5)
    u, _ = tx.update({"w": None}, tx.init(params), params)
    assert u["w"] is None


def test_states_have_optax_names_and_order():
    assert gx.ScaleByAdaDeltaState._fields == optax.ScaleByAdaDeltaState._fields
    assert gx.ReduceLROnPlateauState._fields == optax.contrib.ReduceLROnPlateauState._fields
    assert gx.ClipState is gx.ClipByGlobalNormState is gx.ScaleState is gx.EmptyState
    params = {"w": jnp.zeros((3, 3)), "b": jnp.zeros(3)}
    assert str(jax.tree.structure(gx.muon(0.1).init(params))) == str(
        jax.tree.structure(optax.contrib.muon(0.1).init(params))
    )
    with pytest.warns(DeprecationWarning, match="ScaleByAdaDeltaState"):
        assert gx.ScaleByAdadeltaState is gx.ScaleByAdaDeltaState
    with pytest.warns(DeprecationWarning, match="ScaleByRStdDevState"):
        assert gx.ScaleByStddevState is gx.ScaleByRStdDevState
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "ScaleByAdadeltaState" not in dir(gx)


def test_signatures_evaluate_their_annotations():
    sig = inspect.signature(gx.adam, eval_str=True)
    assert not isinstance(sig.parameters["learning_rate"].annotation, str)
    for name in ("sgd", "monitor", "tree_map_params", "optimistic_adam_v2", "nnls"):
        inspect.signature(getattr(gx, name), eval_str=True)


def test_import_does_not_initialise_the_backend():
    code = (
        "import gradtx, jax; jax.config.update('jax_num_cpu_devices', 8); "
        "assert len(jax.devices('cpu')) == 8"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_adam_at_the_int32_count_limit_matches_optax_and_drops_bias_correction():
    """From count 2**31 - 2 the count saturates and 1 - b ** count is exactly 1."""
    top = jnp.iinfo(jnp.int32).max
    m = [jnp.array([0.25])]
    np.testing.assert_array_equal(
        gx.tree_utils.tree_bias_correction(m, 0.999, jnp.asarray(top, jnp.int32))[0], m[0]
    )
    g = jnp.array([0.5, -2.0, 3.0])
    ours, theirs = gx.adam(0.1, nesterov=True), optax.adam(0.1, nesterov=True)
    s_ours, s_theirs = ours.init(g), theirs.init(g)
    step_ours, step_theirs = jax.jit(ours.update), jax.jit(theirs.update)
    s_ours = (s_ours[0]._replace(count=jnp.asarray(top - 1, jnp.int32)),) + s_ours[1:]
    s_theirs = (s_theirs[0]._replace(count=jnp.asarray(top - 1, jnp.int32)),) + s_theirs[1:]
    for _ in range(3):
        u_ours, s_ours = step_ours(g, s_ours)
        u_theirs, s_theirs = step_theirs(g, s_theirs)
        np.testing.assert_allclose(u_ours, u_theirs, rtol=1e-6)
    mu, nu = s_ours[0].mu, s_ours[0].nu
    assert int(s_ours[0].count) == top
    m_hat = 0.9 * mu + 0.1 * g  # Nesterov look-ahead, both corrections 1
    np.testing.assert_allclose(u_ours, -0.1 * m_hat / (jnp.sqrt(nu) + 1e-8), rtol=1e-6)
