"""acprop / scale_by_acprop: NumPy transcription (12 and 100 steps), optax's first
steps, convergence, errors. gradtx fixes optax's prediction-error bug (see the
docstring), so a full optax trajectory is not expected to match."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from gradtx import contrib
from tests.contrib import _parity
from tests.contrib._parity import GRADS, Y0, params_after, trajectory
from tests.messages import (
    MSG_ACPROP_B2_0_1,
    MSG_ACPROP_EPS_1_0,
    MSG_ACPROP_WEIGHT_DECAY_1_0,
    MSG_GRADTX_CONTRIB_ACPROP_B1_1_0_B1,
    MSG_GRADTX_CONTRIB_ACPROP_LEARNING_RATE_1_0,
    MSG_GRADTX_CONTRIB_SCALE_BY_ACPROP_EPS_ROOT,
)


def ref_acprop(lr, b1, b2, eps, eps_root, wd, grads=GRADS, x=Y0, grad_fn=None):
    """The documented rule; ``grad_fn(x)`` replaces the fixed gradients when given."""
    x = jax.tree.map(np.array, x)
    m = jax.tree.map(np.zeros_like, x)
    n = jax.tree.map(np.zeros_like, x)
    xs = []
    for k in range(len(grads)):
        g = grads[k] if grad_fn is None else grad_fn(x)
        c2 = 1.0 if k == 0 else 1 - b2**k
        n_hat = n if k == 0 else jax.tree.map(lambda v, c2=c2: v / c2, n)
        n_hat = jax.tree.map(np.ones_like, n) if k == 0 else n_hat
        u = jax.tree.map(lambda gi, v: gi / (np.sqrt(v) + eps), g, n_hat)
        m = jax.tree.map(lambda mi, gi: b1 * mi + (1 - b1) * gi, m, g)
        n = jax.tree.map(lambda v, gi, mi: b2 * v + (1 - b2) * (gi - mi) ** 2 + eps_root, n, g, m)
        x = jax.tree.map(lambda xi, ui: xi - lr * (ui + wd * xi), x, u)
        xs.append(x)
    return xs


@pytest.mark.parametrize(
    "b1, b2, eps, eps_root, wd", [(0.9, 0.999, 1e-16, 1e-16, 0.0), (0.5, 0.9, 1e-3, 1e-4, 0.1)]
)
def test_matches_numpy_reference(b1, b2, eps, eps_root, wd):
    tx = contrib.acprop(0.1, b1, b2, eps, eps_root, wd)
    want = np.array(ref_acprop(0.1, b1, b2, eps, eps_root, wd))
    np.testing.assert_allclose(params_after(tx), want, rtol=1e-12, atol=1e-14)


def np_grad(p):
    r = _parity.A @ p["w"] - _parity.B
    return {"x": _parity.H * p["x"], "w": _parity.A.T @ r}


def test_100_step_trajectory_and_convergence():
    """eps = 1e-1 keeps the rule away from 0 / 0 near the minimum, where rounding
    differences between NumPy and XLA grow chaotically (with eps = 1e-3 the two
    part after ~40 steps); with it they agree to 1e-12 over 100 steps."""
    kw = {"b1": 0.8, "b2": 0.99, "eps": 0.1, "eps_root": 1e-6, "weight_decay": 1e-3}
    ps, vs = trajectory(contrib.acprop(0.05, **kw))
    want = ref_acprop(0.05, 0.8, 0.99, 0.1, 1e-6, 1e-3, range(100), _parity.X0, np_grad)
    for k in ps:
        np.testing.assert_allclose(ps[k], np.array([w[k] for w in want]), rtol=1e-10, atol=1e-12)
    assert vs[-1] < 1e-2 * vs[0]


def test_first_two_steps_match_optax_then_nu_differs():
    """Step 0 uses nu_hat = 1 and step 1 reads nu_0 = (1 - b2) (b1 g_0)^2 here
    versus optax's (1 - b2) g_0^2: the two agree at step 0 only."""
    g0, g1 = jnp.array([1.0, -2.0]), jnp.array([0.5, 0.5])
    ours, theirs = (
        contrib.scale_by_acprop(eps_root=0.0),
        optax.contrib.scale_by_acprop(eps_root=0.0),
    )
    s, t = ours.init(g0), theirs.init(g0)
    u, s = ours.update(g0, s)
    v, t = theirs.update(g0, t)
    np.testing.assert_allclose(u, v, rtol=1e-12)
    np.testing.assert_allclose(s.nu, 0.001 * (0.9 * g0) ** 2, rtol=1e-12)  # (g - mu_1)^2
    np.testing.assert_allclose(t.nu, 0.001 * g0**2, rtol=1e-12)  # optax: (g - mu_0)^2
    u, _ = ours.update(g1, s)
    np.testing.assert_allclose(u, g1 / (0.9 * jnp.abs(g0) + 1e-16), rtol=1e-12)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: contrib.acprop(-1.0), MSG_GRADTX_CONTRIB_ACPROP_LEARNING_RATE_1_0),
        (lambda: contrib.acprop(0.1, b1=1.0), MSG_GRADTX_CONTRIB_ACPROP_B1_1_0_B1),
        (lambda: contrib.acprop(0.1, b2=-0.1), MSG_ACPROP_B2_0_1),
        (lambda: contrib.acprop(0.1, eps=-1.0), MSG_ACPROP_EPS_1_0),
        (lambda: contrib.acprop(0.1, weight_decay=-1.0), MSG_ACPROP_WEIGHT_DECAY_1_0),
        (lambda: contrib.scale_by_acprop(eps_root=-1.0), MSG_GRADTX_CONTRIB_SCALE_BY_ACPROP_EPS_ROOT),
    ],
)  # fmt: skip
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
