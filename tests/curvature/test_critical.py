"""classify_critical_point on known critical points, dense and by Lanczos."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gradtx import curvature
from tests.curvature.problems import NS, SMALL, XS, YS, small_hessian, small_loss
from tests.messages import (
    MSG_CLASSIFY_CRITICAL_POINT_TOL_1_0_TOL,
    MSG_DENSE_THRESHOLD_MUST_BE_AN_INT,
)

Y2 = jnp.diag(jnp.array([3.0, 1.0]))


def linear_net(p, decay=0.0):
    """0.5 ||w2 w1^T - Y||^2 (+ decay / 2 ||w||^2): a two-layer linear network of width 1."""
    w = jnp.outer(p["w2"], p["w1"])
    return 0.5 * jnp.sum((w - Y2) ** 2) + 0.5 * decay * (p["w1"] @ p["w1"] + p["w2"] @ p["w2"])


CASES = [
    ("saddle", lambda p: p[0] ** 2 - p[1] ** 2, jnp.zeros(2)),
    ("degenerate", lambda p: p[0] ** 3 - 3 * p[0] * p[1] ** 2, jnp.zeros(2)),  # monkey saddle
    ("minimum", lambda p: p[0] ** 2 + 2 * p[1] ** 2 + p[0] * p[1], jnp.zeros(2)),
    ("maximum", lambda p: -(p[0] ** 2) - p[1] ** 2 + jnp.cos(p[0]) - 1, jnp.zeros(2)),
    ("not_critical", lambda p: p[0] ** 2 + p[1] ** 2, jnp.array([1.0, 0.0])),
    ("saddle", linear_net, {"w1": jnp.zeros(2), "w2": jnp.zeros(2)}),
    # The second singular pair of Y: a saddle (Baldi and Hornik 1989).
    ("saddle", linear_net, {"w1": jnp.array([0.0, 1.0]), "w2": jnp.array([0.0, 1.0])}),
    # The global minimum, flat along w1 -> c w1, w2 -> w2 / c: the test is inconclusive.
    ("degenerate", linear_net, {"w1": jnp.array([3**0.5, 0.0]), "w2": jnp.array([3**0.5, 0.0])}),
    # Weight decay 0.5 breaks that symmetry: a strict minimum at w1 = w2 = sqrt(2.5) e1.
    (
        "minimum",
        lambda p: linear_net(p, 0.5),
        {"w1": jnp.array([2.5**0.5, 0.0]), "w2": jnp.array([2.5**0.5, 0.0])},
    ),
]


@jax.jit
def _classify_all(points):
    return [curvature.classify_critical_point(f, p) for (_, f, _), p in zip(CASES, points)]


def test_known_critical_points():
    records = _classify_all([c[2] for c in CASES])
    got = [rec.label_name for rec in records]
    assert got == [c[0] for c in CASES], records
    for rec in records:
        assert curvature.CRITICAL_POINT_LABELS[int(rec.label)] == rec.label_name
        assert float(rec.tol) > 0 and float(rec.grad_tol) > 0
    eager = curvature.classify_critical_point(CASES[0][1], CASES[0][2])  # outside jit too
    assert eager.label_name == "saddle" and float(eager.positive_fraction) == 0.5


def test_record_values_on_the_linear_net_minimum():
    point = CASES[7][2]
    rec = _classify_all([c[2] for c in CASES])[7]
    w = jnp.concatenate([point["w1"], point["w2"]])
    unflat = lambda v: {"w1": v[:2], "w2": v[2:]}
    vals = np.linalg.eigvalsh(jax.jit(jax.hessian(lambda v: linear_net(unflat(v))))(w))
    np.testing.assert_allclose([rec.min_eigenvalue, rec.max_eigenvalue], vals[[0, -1]], atol=1e-12)
    np.testing.assert_allclose(rec.positive_fraction, np.mean(vals > float(rec.tol)))
    assert float(rec.grad_norm) < 1e-12 and rec.label_name == "degenerate"
    rec = curvature.classify_critical_point(CASES[0][1], CASES[0][2], tol=0.0)
    assert rec.label_name == "saddle" and float(rec.tol) == 0.0


def test_lanczos_path_agrees_with_dense():
    @jax.jit
    def both(p):
        dense = curvature.classify_critical_point(small_loss, p, XS, YS)
        krylov = curvature.classify_critical_point(
            small_loss, p, XS, YS, dense_threshold=0, order=NS, num_samples=64
        )
        return dense, krylov

    dense, krylov = both(SMALL)
    vals = np.linalg.eigvalsh(small_hessian())
    for rec in (dense, krylov):
        np.testing.assert_allclose(rec.min_eigenvalue, vals[0], rtol=1e-9)
        np.testing.assert_allclose(rec.max_eigenvalue, vals[-1], rtol=1e-9)
        assert rec.label_name == "not_critical"  # a random point of a training loss
    np.testing.assert_allclose(dense.positive_fraction, np.mean(vals > float(dense.tol)))
    assert abs(float(krylov.positive_fraction) - float(dense.positive_fraction)) < 0.1


def test_bad_input():
    with pytest.raises(ValueError, match=MSG_CLASSIFY_CRITICAL_POINT_TOL_1_0_TOL):
        curvature.classify_critical_point(lambda p: p @ p, jnp.zeros(2), tol=-1.0)
    with pytest.raises(TypeError, match=MSG_DENSE_THRESHOLD_MUST_BE_AN_INT):
        curvature.classify_critical_point(lambda p: p @ p, jnp.zeros(2), dense_threshold=1.5)
