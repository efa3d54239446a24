"""track_sharpness: measured every k steps (and only then), updates untouched, readable by name."""

import jax
import jax.numpy as jnp
import numpy as np

import gradtx
from tests.curvature.problems import NS, SMALL, SMALL_UNRAVEL, XS, YS, flat, small_loss


def test_measures_every_k_steps_and_leaves_updates_alone():
    k, lr, steps = 3, 0.5, 7
    obj = lambda p: small_loss(p, XS, YS)
    tracked = gradtx.track_sharpness(gradtx.sgd(lr), every_k=k, order=NS, trace_samples=300)
    plain = gradtx.sgd(lr)

    def step(carry, _):
        p, s = carry
        g = jax.grad(obj)(p)
        u, s = tracked.update(g, s, p, obj_fn=obj)
        u_plain, _ = plain.update(g, plain.init(p), p)
        rec = (s.sharpness, s.trace, s.measured_at, flat(u) - flat(u_plain), flat(p))
        return (gradtx.apply_updates(p, u), s), rec

    run = jax.jit(lambda p: jax.lax.scan(step, (p, tracked.init(p)), None, length=steps))
    (_, state), (sharp, trace, at, diff, ps) = run(SMALL)
    np.testing.assert_array_equal(diff, 0.0)
    np.testing.assert_array_equal(at, [0, 0, 0, 3, 3, 3, 6])
    hess = jax.jit(jax.hessian(lambda w: obj(SMALL_UNRAVEL(w))))
    for t in (0, 3, 6):
        h = np.asarray(hess(ps[t]))
        np.testing.assert_allclose(sharp[t], np.linalg.eigvalsh(h)[-1], rtol=1e-5)
        sd = np.sqrt(2 * (np.sum(h**2) - np.sum(np.diag(h) ** 2)) / 300)
        assert abs(float(trace[t]) - np.trace(h)) < 4 * sd + 1e-6
    np.testing.assert_array_equal(sharp[1:3], sharp[0])  # kept between measurements
    assert float(gradtx.tree_get(state, "sharpness")) == float(sharp[-1])
    assert float(gradtx.tree_get(state, "trace")) == float(trace[-1])


def test_measurement_is_under_cond():
    tx = gradtx.track_sharpness(gradtx.sgd(0.1), every_k=5)
    obj = lambda p: jnp.sum(p**4)
    p = jnp.ones(3)
    jaxpr = jax.make_jaxpr(lambda p, s: tx.update(p, s, p, obj_fn=obj))(p, tx.init(p))
    assert any(e.primitive.name == "cond" for e in jaxpr.jaxpr.eqns)
