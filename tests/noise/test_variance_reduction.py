"""SVRG, SAGA and SAG: NumPy transcriptions of the rules, linear convergence on l2 logistic regression, errors."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize

import gradtx as gx
from tests.messages import (
    MSG_DISTINCT,
    MSG_DIVIDE_BY_SEEN_MUST_BE_A_BOOL,
    MSG_GRADTX_SVRG_LEARNING_RATE_1_0,
    MSG_INDEX_MUST_BE_IN_0_4_GOT,
    MSG_NEEDS_BATCH_GRAD_FN,
    MSG_NUM_EXAMPLES_MUST_BE_1_GOT_0,
    MSG_PASS_PER_EXAMPLE_GRADS,
    MSG_SCALE_BY_SAGA_UPDATE_NEEDS_INDEX,
)

# l2-regularised logistic regression, n = 64 examples in 4 dimensions.
N, D, LAM = 64, 4, 0.05
_rng = np.random.default_rng(0)
X = _rng.normal(size=(N, D))
Y = np.sign(X @ _rng.normal(size=D) + 0.5 * _rng.normal(size=N))
Xj, Yj = jnp.asarray(X), jnp.asarray(Y)
L_MAX = float(np.max(np.sum(X**2, axis=1)) / 4 + LAM)  # smoothness of every f_i
EPOCHS = 25
ORDER = jnp.asarray(np.concatenate([_rng.permutation(N) for _ in range(EPOCHS)]).reshape(EPOCHS, N))


def loss_i(w, i):
    return jnp.logaddexp(0.0, -Yj[i] * (Xj[i] @ w)) + LAM / 2 * (w @ w)


def full_loss(w):
    return jnp.mean(jnp.logaddexp(0.0, -Yj * (Xj @ w))) + LAM / 2 * (w @ w)


grad_i = jax.grad(loss_i)
full_grad = jax.grad(full_loss)


@pytest.fixture(scope="module")
def f_star():
    f, g, h = jax.jit(full_loss), jax.jit(full_grad), jax.jit(jax.hessian(full_loss))
    res = scipy.optimize.minimize(
        lambda w: float(f(w)),
        np.zeros(D),
        jac=lambda w: np.asarray(g(w)),
        hess=lambda w: np.asarray(h(w)),
        method="trust-exact",
        options={"gtol": 1e-14},
    )
    # f(x) - f* <= |grad|^2 / (2 LAM): below 1e-15 when |grad| < 1e-8.
    assert np.linalg.norm(full_grad(jnp.asarray(res.x))) < 1e-8
    return res.fun


def suboptimality(tx, kind, f_star):
    """Per-epoch f(w) - f* for EPOCHS passes of N single-example steps."""

    @jax.jit
    def go():
        w0 = jnp.zeros(D)

        def step(carry, i):
            w, s = carry
            g = grad_i(w, i)
            if kind == "svrg":
                u, s = tx.update(
                    g, s, w, batch_grad_fn=lambda p: grad_i(p, i), full_grad_fn=full_grad
                )
            elif kind == "table":
                u, s = tx.update(g, s, w, index=i)
            else:
                u, s = tx.update(g, s, w)
            return (gx.apply_updates(w, u), s), None

        def epoch(carry, idx):
            carry, _ = jax.lax.scan(step, carry, idx)
            return carry, full_loss(carry[0])

        return jax.lax.scan(epoch, (w0, tx.init(w0)), ORDER)[1]

    return np.asarray(go()) - f_star


@pytest.mark.parametrize(
    "name, tx, kind, epochs_to_1e8",
    [
        ("svrg", gx.svrg(1 / (5 * L_MAX), update_frequency=N), "svrg", 25),
        ("saga", gx.saga(1 / (3 * L_MAX), num_examples=N), "table", 20),
        ("sag", gx.sag(1 / (2 * L_MAX), num_examples=N), "table", 12),
    ],
)
def test_linear_convergence_on_logistic_regression(name, tx, kind, epochs_to_1e8, f_star):
    sub = suboptimality(tx, kind, f_star)
    assert sub[epochs_to_1e8 - 1] < 1e-8, (name, sub)
    assert np.all(sub > -1e-12)
    above = sub > 1e-12
    slope = np.polyfit(np.arange(EPOCHS)[above], np.log10(sub[above]), 1)[0]
    assert -3.0 < slope < -0.25, (name, slope)  # log10 suboptimality falls linearly per epoch


def test_sgd_with_decaying_steps_stalls_in_the_same_budget(f_star):
    # The classical convex schedule eta_0 / sqrt(t + 1) stays above 1e-4 ...
    sub = suboptimality(gx.sgd(lambda t: 1 / (L_MAX * jnp.sqrt(1.0 + t))), "sgd", f_star)
    assert sub[-1] > 1e-4
    # ... and the strongly convex 1 / (L + lam t) schedule, better here, above 1e-7.
    sub = suboptimality(gx.sgd(lambda t: 1 / (L_MAX + LAM * t)), "sgd", f_star)
    assert np.min(sub) > 1e-7


def _np_saga(grads, idx_batches, n, sag=False):
    """float64 transcription of SAGA / SAG (divide by seen) from the docstrings."""
    table = np.zeros((n,) + grads[0].shape[1:])
    seen = np.zeros(n, bool)
    out = []
    for G, idx in zip(grads, idx_batches):
        old = table[idx].copy()
        if sag:
            table[idx] = G
            seen[idx] = True
            out.append(table.sum(0) / seen.sum())
        else:
            out.append((G - old).mean(0) + table.mean(0))
            table[idx] = G
    return out


@pytest.mark.parametrize("sag", [False, True])
def test_table_rules_match_numpy_with_minibatches(sag):
    rng = np.random.default_rng(1)
    n, steps = 5, 8
    idx_batches = [rng.choice(n, size=2, replace=False) for _ in range(steps)]
    grads = [rng.normal(size=(2, 3)) for _ in range(steps)]
    tx = gx.scale_by_sag(n) if sag else gx.scale_by_saga(n)
    params = jnp.zeros(3)
    update = jax.jit(tx.update)
    state = tx.init(params)
    want = _np_saga(grads, idx_batches, n, sag)
    for G, idx, w in zip(grads, idx_batches, want):
        u, state = update(
            jnp.asarray(G.mean(0)), state, params, index=jnp.asarray(idx),
            per_example_grads=jnp.asarray(G),
        )  # fmt: skip
        np.testing.assert_allclose(u, w, rtol=1e-12, atol=1e-12)
    assert update._cache_size() == 1


def test_svrg_matches_numpy():
    rng = np.random.default_rng(2)
    a, c = rng.normal(size=(3, 2)), rng.uniform(0.5, 2.0, size=(3, 1))  # grad f_i = c_i p - a_i
    tx = gx.chain(gx.scale_by_svrg(update_frequency=3), gx.scale(-0.3))
    fns = [
        lambda p, a_i=a_i, c_i=c_i: c_i * p - a_i
        for a_i, c_i in zip(jnp.asarray(a), jnp.asarray(c))
    ]
    full = lambda p: (fns[0](p) + fns[1](p) + fns[2](p)) / 3  # noqa: E731
    update = jax.jit(tx.update, static_argnames=("batch_grad_fn", "full_grad_fn"))
    x = jnp.asarray([1.0, -1.0])
    xs, state = np.array([1.0, -1.0]), tx.init(x)
    for t in range(9):
        i = rng.integers(3)
        u, state = update(fns[i](x), state, x, batch_grad_fn=fns[i], full_grad_fn=full)
        x = gx.apply_updates(x, u)
        if t % 3 == 0:
            snap, mu = xs.copy(), np.mean(c * xs - a, axis=0)
            d = mu
        else:
            d = (c[i] * xs - a[i]) - (c[i] * snap - a[i]) + mu
        xs = xs - 0.3 * d
        np.testing.assert_allclose(x, xs, rtol=1e-12)


def test_errors():
    p = jnp.zeros(2)
    saga = gx.scale_by_saga(4)
    s = saga.init(p)
    with pytest.raises(ValueError, match=MSG_SCALE_BY_SAGA_UPDATE_NEEDS_INDEX):
        saga.update(p, s, p)
    with jax.disable_jit():  # concrete indices are checked (traced ones cannot be)
        with pytest.raises(ValueError, match=MSG_INDEX_MUST_BE_IN_0_4_GOT):
            saga.update(p, s, p, index=4)
        with pytest.raises(ValueError, match=MSG_DISTINCT):
            saga.update(p, s, p, index=jnp.array([1, 1]), per_example_grads=jnp.zeros((2, 2)))
    with pytest.raises(ValueError, match=MSG_PASS_PER_EXAMPLE_GRADS):
        saga.update(p, s, p, index=jnp.array([0, 1]))
    with pytest.raises(ValueError, match=MSG_NUM_EXAMPLES_MUST_BE_1_GOT_0):
        gx.saga(0.1, 0)
    with pytest.raises(ValueError, match=MSG_GRADTX_SVRG_LEARNING_RATE_1_0):
        gx.svrg(-1.0, 3)
    svrg = gx.scale_by_svrg(3)
    with pytest.raises(ValueError, match=MSG_NEEDS_BATCH_GRAD_FN):
        svrg.update(p, svrg.init(p), p, full_grad_fn=lambda q: q)
    with pytest.raises(TypeError, match=MSG_DIVIDE_BY_SEEN_MUST_BE_A_BOOL):
        gx.scale_by_sag(3, divide_by_seen=1)
