"""galore / scale_by_galore: NumPy transcription, optax parity, convergence, errors."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradtx as gx
from gradtx import contrib
from tests.contrib._parity import assert_parity
from tests.messages import (
    MSG_A_PROJECTED_WEIGHT_NEEDS_RANK_2_GOT,
    MSG_GALORE_RANK_0_RANK_MUST_BE_1,
    MSG_GALORE_RANK_2_0_RANK_MUST_BE,
    MSG_GALORE_SCALE_1_0,
    MSG_GALORE_UPDATE_PROJ_GAP_0,
    MSG_GALORE_WEIGHT_DECAY_1_0,
    MSG_GRADTX_CONTRIB_GALORE_LEARNING_RATE_1_0,
    MSG_MUST_NAME_EACH_AXIS_OF_A_WEIGHT,
    MSG_SCALE_BY_GALORE_BASE_OPTIMIZER_BASE_OPTIMIZER,
)

GDN = contrib.GaLoreDimensionNumbers
_RNG = np.random.default_rng(5)
# w: 5 x 3 (left projector), v: 2 x 6 (right projector), t: (4, 2, 3) as (4, 6) (right).
GSEQ = [
    {
        "w": _RNG.normal(size=(5, 3)),
        "v": _RNG.normal(size=(2, 6)),
        "t": _RNG.normal(size=(4, 2, 3)),
        "b": _RNG.normal(size=3),
    }
    for _ in range(12)
]
DIMS = {"w": GDN(), "v": GDN(), "t": GDN(0, (1, 2)), "b": None}


def ref_galore(rank, gap, scale, lr, b1, b2, eps):
    """galore(lr, base=scale_by_adam) on GSEQ, in float64 NumPy."""
    m = {k: None for k in GSEQ[0]}
    v = dict(m)
    proj = dict(m)
    out = []
    for k, grads in enumerate(GSEQ):
        step = {}
        for name, g in grads.items():
            shape = g.shape
            g2 = g.reshape(shape[0], -1) if g.ndim > 1 else g
            left = g.ndim > 1 and g2.shape[0] >= g2.shape[1]
            if g.ndim > 1:
                if k % gap == 0:
                    u_, _, vh = np.linalg.svd(g2, full_matrices=False)
                    proj[name] = u_[:, :rank] if left else vh[:rank].T
                p = proj[name]
                low = p.T @ g2 if left else g2 @ p
            else:
                low = g2
            if m[name] is None:
                m[name], v[name] = np.zeros_like(low), np.zeros_like(low)
            m[name] = b1 * m[name] + (1 - b1) * low
            v[name] = b2 * v[name] + (1 - b2) * low**2
            a = (m[name] / (1 - b1 ** (k + 1))) / (np.sqrt(v[name] / (1 - b2 ** (k + 1))) + eps)
            if g.ndim > 1:
                a = scale * ((p @ a) if left else (a @ p.T)).reshape(shape)
            step[name] = -lr * a
        out.append(step)
    return out


def test_matches_numpy_reference():
    tx = contrib.galore(
        0.1, rank=2, update_proj_gap=5, scale=0.5, base_optimizer=gx.scale_by_adam(0.8, 0.9, 1e-3),
        weight_dimension_numbers=DIMS,
    )  # fmt: skip
    want = ref_galore(2, 5, 0.5, 0.1, 0.8, 0.9, 1e-3)
    params = {k: jnp.zeros(np.shape(g)) for k, g in GSEQ[0].items()}
    state = tx.init(params)
    update = jax.jit(tx.update)
    for grads, w in zip(GSEQ, want):
        u, state = update(jax.tree.map(jnp.asarray, grads), state, params)
        for k in w:
            np.testing.assert_allclose(u[k], w[k], rtol=1e-9, atol=1e-12, err_msg=k)
    proj = state[0].projector
    assert proj["t"].shape == (6, 2) and proj["v"].shape == (6, 2) and proj["b"].shape == (0, 0)


def test_matches_optax_float32_and_converges():
    """float32 (optax's SVD is float32; gradtx's is too for float32 gradients)."""
    kw = {"rank": 2, "update_proj_gap": 10, "weight_decay": 1e-3}
    vs = assert_parity(
        contrib.galore(0.05, **kw), optax.contrib.galore(0.05, **kw),
        dtype=jnp.float32, rtol=2e-4, atol=1e-5,
    )  # fmt: skip
    assert vs[-1] < 0.05 * vs[0]


def test_default_projects_rank2_and_class_applies_to_higher_rank():
    p = {"m": jnp.ones((4, 3)), "t": jnp.ones((2, 2, 3)), "b": jnp.ones(3)}
    s = contrib.scale_by_galore(rank=1).init(p)
    assert s.projector["m"].shape == (4, 1) and s.projector["t"].shape == (0, 0)
    q = {"t": p["t"], "b": p["b"]}
    s = contrib.scale_by_galore(rank=1, weight_dimension_numbers=GDN(0, (1, 2))).init(q)
    assert s.projector["t"].shape == (6, 1) and s.projector["b"].shape == (0, 0)
    s = contrib.scale_by_galore(
        weight_dimension_numbers=lambda q: {"m": None, "t": GDN((0, 1), 2), "b": None}
    ).init(p)
    assert s.projector["t"].shape == (4, 3) and s.projector["m"].shape == (0, 0)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: contrib.galore(-1.0), ValueError, MSG_GRADTX_CONTRIB_GALORE_LEARNING_RATE_1_0),
        (lambda: contrib.galore(0.1, rank=0), ValueError, MSG_GALORE_RANK_0_RANK_MUST_BE_1),
        (lambda: contrib.galore(0.1, rank=2.0), TypeError, MSG_GALORE_RANK_2_0_RANK_MUST_BE),
        (lambda: contrib.galore(0.1, update_proj_gap=0), ValueError, MSG_GALORE_UPDATE_PROJ_GAP_0),
        (lambda: contrib.galore(0.1, scale=-1.0), ValueError, MSG_GALORE_SCALE_1_0),
        (lambda: contrib.galore(0.1, weight_decay=-1.0), ValueError, MSG_GALORE_WEIGHT_DECAY_1_0),
        (lambda: contrib.scale_by_galore(base_optimizer="adam"), TypeError, MSG_SCALE_BY_GALORE_BASE_OPTIMIZER_BASE_OPTIMIZER),
        (lambda: contrib.scale_by_galore(weight_dimension_numbers=GDN(0, 0)).init(jnp.ones((2, 3))), ValueError, MSG_MUST_NAME_EACH_AXIS_OF_A_WEIGHT),
        (lambda: contrib.scale_by_galore(weight_dimension_numbers={"a": GDN()}).init({"a": jnp.ones(3)}), ValueError, MSG_A_PROJECTED_WEIGHT_NEEDS_RANK_2_GOT),
    ],
)  # fmt: skip
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
