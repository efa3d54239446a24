"""torch.optim equivalents: each row of docs/torch.md against a float64 NumPy
transcription of torch's documented algorithm, optax parity for radam and rprop,
convergence for radam, rprop and asgd, and the new argument checks.

torch itself is not needed: the references below transcribe the pseudo-code of
the torch.optim documentation (ASGD, which has none, follows torch's per-tensor
implementation).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradtx as gx
from tests.helpers import QUAD_H, QUAD_X0, ROSEN_X0, quadratic, rosenbrock, run, run_updates
from tests.messages import (
    MSG_FOUND_2,
    MSG_GIVE_EITHER_STEP_SIZES,
    MSG_GRADTX_ADAGRAD_LR_DECAY_0_1,
    MSG_GRADTX_ADAGRAD_WEIGHT_DECAY_0_1,
    MSG_GRADTX_ADAM_DECOUPLED_WEIGHT_DECAY_YES,
    MSG_GRADTX_ADAM_WEIGHT_DECAY_0_1,
    MSG_GRADTX_ADAMAX_WEIGHT_DECAY_0_1,
    MSG_GRADTX_AMSGRAD_WEIGHT_DECAY_0_1,
    MSG_GRADTX_ASGD_ALPHA_1_0,
    MSG_GRADTX_ASGD_AVERAGE_EXACTLY_ONE_ASGDSTATE_FOUND,
    MSG_GRADTX_ASGD_LAMBD_1_0_LAMBD_MUST,
    MSG_GRADTX_ASGD_LEARNING_RATE_0_1,
    MSG_GRADTX_ASGD_T0_1_0,
    MSG_GRADTX_ASGD_UPDATE_NEEDS_PARAMS,
    MSG_GRADTX_ASGD_WEIGHT_DECAY_1_0,
    MSG_GRADTX_NADAM_MOMENTUM_DECAY_1_0,
    MSG_GRADTX_NADAM_NESTEROV_FALSE_MOMENTUM_DECAY_0,
    MSG_GRADTX_NADAM_WEIGHT_DECAY_0_1,
    MSG_GRADTX_NADAMW_MOMENTUM_DECAY_1_0,
    MSG_GRADTX_RADAM_LEARNING_RATE_0_1,
    MSG_GRADTX_RADAM_STRICT_THRESHOLD_1_STRICT_THRESHOLD,
    MSG_GRADTX_RADAM_WEIGHT_DECAY_0_1,
    MSG_GRADTX_RMSPROP_WEIGHT_DECAY_0_1,
    MSG_GRADTX_RPROP_ETA_MINUS_0_0,
    MSG_GRADTX_RPROP_ETA_MINUS_1_5_ETA,
    MSG_GRADTX_RPROP_ETAS_0_5_1_2,
    MSG_GRADTX_RPROP_ETAS_ETA_MINUS_GIVE_EITHER,
    MSG_GRADTX_RPROP_LEARNING_RATE_0_1,
    MSG_GRADTX_RPROP_MIN_STEP_SIZE_1_0,
    MSG_GRADTX_RPROP_MIN_STEP_SIZE_1_0_2,
    MSG_GRADTX_SCALE_BY_NADAM_B1_1_0,
    MSG_GRADTX_SCALE_BY_NADAM_MOMENTUM_DECAY_1,
    MSG_GRADTX_SCALE_BY_RADAM_B2_1_0,
    MSG_GRADTX_SCALE_BY_RADAM_EPS_1_0,
    MSG_GRADTX_SCALE_BY_RADAM_EPS_BEFORE_DEBIAS,
    MSG_GRADTX_SCALE_BY_RADAM_THRESHOLD_NAN,
    MSG_GRADTX_SCALE_BY_RPROP_ETA_PLUS_0,
    MSG_GRADTX_SGD_DAMPENING_0_1,
    MSG_GRADTX_SGD_MAXIMIZE_1_MAXIMIZE_MUST_BE,
    MSG_GRADTX_SGD_WEIGHT_DECAY_1_0_WEIGHT,
    MSG_GRADTX_TRACE_DAMPENING_1_5_DAMPENING_MUST,
    MSG_MIN_STEP_SIZE_MUST_BE_MAX_STEP,
)

T = 25  # steps per reference comparison
N = 6  # coordinates
RTOL, ATOL = 1e-10, 1e-12


def _grads(seed: int = 0) -> np.ndarray:
    """Random gradients, large for the first steps then small, so that running
    maxima and sign flips both matter."""
    rng = np.random.default_rng(seed)
    scale = np.where(np.arange(T) < 6, 3.0, 0.3)[:, None]
    return rng.normal(size=(T, N)) * scale


G = _grads()
P0 = np.random.default_rng(1).normal(size=N)


def _run_gradtx(tx, grads=G, p0=P0):
    out = run_updates(tx, [{"x": jnp.asarray(g)} for g in grads], {"x": jnp.asarray(p0)})
    return np.asarray(out["x"])


# --------------------------------------------------------------------------------------
# NumPy transcriptions of torch.optim's documented algorithms (float64).
# Each takes the gradient sequence and the initial params and returns the params
# after every step, shape (T, N). ``g`` is the gradient at the current params.


def ref_sgd(
    gs, p, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False
):
    out, b = [], None
    for t, g in enumerate(gs, 1):
        g = -g if maximize else g  # torch negates first, so the decay still shrinks
        if weight_decay:
            g = g + weight_decay * p
        if momentum:
            b = g if t == 1 else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        p = p - lr * g
        out.append(p)
    return np.stack(out)


def _decay(p, g, lr, weight_decay, decoupled):
    """torch's two weight-decay forms: shrink the params, or add to the gradient."""
    if weight_decay and decoupled:
        return p * (1 - lr * weight_decay), g
    if weight_decay:
        return p, g + weight_decay * p
    return p, g


def ref_adam(gs, p, lr, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0, amsgrad=False,
             decoupled=False, maximize=False):  # fmt: skip
    m = v = vmax = np.zeros_like(p)
    out = []
    for t, g in enumerate(gs, 1):
        g = -g if maximize else g
        p, g = _decay(p, g, lr, weight_decay, decoupled)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1**t)
        if amsgrad:
            vmax = np.maximum(vmax, v)
            v_hat = vmax / (1 - b2**t)
        else:
            v_hat = v / (1 - b2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(p)
    return np.stack(out)


def ref_nadam(gs, p, lr, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
              decoupled=False):  # fmt: skip
    m = v = np.zeros_like(p)
    prod = 1.0
    out = []
    for t, g in enumerate(gs, 1):
        p, g = _decay(p, g, lr, weight_decay, decoupled)
        mu_t = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        prod = prod * mu_t
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = mu_next * m / (1 - prod * mu_next) + (1 - mu_t) * g / (1 - prod)
        v_hat = v / (1 - b2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(p)
    return np.stack(out)


def ref_radam(gs, p, lr, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0, decoupled=False):
    m = v = np.zeros_like(p)
    rho_inf = 2 / (1 - b2) - 1
    out = []
    for t, g in enumerate(gs, 1):
        p, g = _decay(p, g, lr, weight_decay, decoupled)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1**t)
        rho = rho_inf - 2 * t * b2**t / (1 - b2**t)
        if rho > 5:
            l_t = np.sqrt(1 - b2**t) / (np.sqrt(v) + eps)
            r_t = np.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
            p = p - lr * m_hat * r_t * l_t
        else:
            p = p - lr * m_hat
        out.append(p)
    return np.stack(out)


def ref_adamax(gs, p, lr, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0):
    m = u = np.zeros_like(p)
    out = []
    for t, g in enumerate(gs, 1):
        if weight_decay:
            g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g) + eps)
        p = p - lr * m / ((1 - b1**t) * u)
        out.append(p)
    return np.stack(out)


def ref_adagrad(
    gs, p, lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10
):
    s = np.full_like(p, initial_accumulator_value)
    out = []
    for t, g in enumerate(gs, 1):
        clr = lr / (1 + (t - 1) * lr_decay)
        if weight_decay:
            g = g + weight_decay * p
        s = s + g * g
        p = p - clr * g / (np.sqrt(s) + eps)
        out.append(p)
    return np.stack(out)


def ref_adadelta(gs, p, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    v = u = np.zeros_like(p)
    out = []
    for g in gs:
        if weight_decay:
            g = g + weight_decay * p
        v = rho * v + (1 - rho) * g * g
        dx = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * dx * dx
        p = p - lr * dx
        out.append(p)
    return np.stack(out)


def ref_rmsprop(gs, p, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    v = b = g_avg = np.zeros_like(p)
    out = []
    for t, g in enumerate(gs, 1):
        lr_t = lr(t) if callable(lr) else lr
        if weight_decay:
            g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        v_tilde = v
        if centered:
            g_avg = alpha * g_avg + (1 - alpha) * g
            v_tilde = v_tilde - g_avg * g_avg
        if momentum > 0:
            b = momentum * b + g / (np.sqrt(v_tilde) + eps)
            p = p - lr_t * b
        else:
            p = p - lr_t * g / (np.sqrt(v_tilde) + eps)
        out.append(p)
    return np.stack(out)


def ref_rprop(gs, p, lr, etas=(0.5, 1.2), step_sizes=(1e-6, 50.0)):
    eta_minus, eta_plus = etas
    lo, hi = step_sizes
    prev = np.zeros_like(p)
    eta = np.full_like(p, lr)
    out = []
    for g in gs:
        g = g.copy()
        for i in range(len(p)):
            if prev[i] * g[i] > 0:
                eta[i] = min(eta[i] * eta_plus, hi)
            elif prev[i] * g[i] < 0:
                eta[i] = max(eta[i] * eta_minus, lo)
                g[i] = 0.0
        p = p - eta * np.sign(g)
        prev = g
        out.append(p)
    return np.stack(out)


def ref_asgd(gs, p, lr, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0):
    """torch.optim.ASGD (per-tensor implementation); returns (params, averages)."""
    eta, mu = lr, 1.0
    ax = np.zeros_like(p)
    out, axs = [], []
    for t, g in enumerate(gs, 1):
        if weight_decay:
            g = g + weight_decay * p
        p = p * (1 - lambd * eta)
        p = p - eta * g
        ax = ax + (p - ax) * mu if mu != 1 else p.copy()
        eta = lr / (1 + lambd * lr * t) ** alpha
        mu = 1 / max(1, t - t0)
        out.append(p)
        axs.append(ax)
    return np.stack(out), np.stack(axs)


# --------------------------------------------------------------------------------------
# The table of docs/torch.md: (row id, gradtx call, reference call).

ROWS = [
    ("SGD", lambda: gx.sgd(0.1), lambda: ref_sgd(G, P0, 0.1)),
    ("SGD-momentum", lambda: gx.sgd(0.1, 0.9), lambda: ref_sgd(G, P0, 0.1, 0.9)),
    (
        "SGD-dampening-wd",
        lambda: gx.sgd(0.05, 0.9, dampening=0.3, weight_decay=0.1),
        lambda: ref_sgd(G, P0, 0.05, 0.9, dampening=0.3, weight_decay=0.1),
    ),
    (
        "SGD-nesterov-wd-maximize",
        lambda: gx.sgd(0.05, 0.9, True, weight_decay=0.1, maximize=True),
        lambda: ref_sgd(G, P0, 0.05, 0.9, weight_decay=0.1, nesterov=True, maximize=True),
    ),
    ("Adam", lambda: gx.adam(0.01), lambda: ref_adam(G, P0, 0.01)),
    (
        "Adam-wd",
        lambda: gx.adam(0.01, 0.8, 0.9, 1e-3, weight_decay=0.1),
        lambda: ref_adam(G, P0, 0.01, 0.8, 0.9, 1e-3, weight_decay=0.1),
    ),
    (
        "Adam-decoupled",
        lambda: gx.adam(0.01, weight_decay=0.1, decoupled_weight_decay=True),
        lambda: ref_adam(G, P0, 0.01, weight_decay=0.1, decoupled=True),
    ),
    (
        "Adam-amsgrad-wd",
        lambda: gx.amsgrad(0.01, 0.9, 0.9, debias_after_max=True, weight_decay=0.1),
        lambda: ref_adam(G, P0, 0.01, 0.9, 0.9, weight_decay=0.1, amsgrad=True),
    ),
    (
        "Adam-maximize",
        lambda: gx.chain(gx.scale(-1.0), gx.adam(0.01, weight_decay=0.1)),
        lambda: ref_adam(G, P0, 0.01, weight_decay=0.1, maximize=True),
    ),
    (
        "AdamW",
        lambda: gx.adamw(0.01, weight_decay=0.1),
        lambda: ref_adam(G, P0, 0.01, weight_decay=0.1, decoupled=True),
    ),
    (
        "AdamW-amsgrad",
        lambda: gx.amsgrad(
            0.01, 0.9, 0.9, debias_after_max=True, weight_decay=0.1, decoupled_weight_decay=True
        ),
        lambda: ref_adam(G, P0, 0.01, 0.9, 0.9, weight_decay=0.1, amsgrad=True, decoupled=True),
    ),
    ("NAdam", lambda: gx.nadam(0.01, momentum_decay=4e-3), lambda: ref_nadam(G, P0, 0.01)),
    (
        "NAdam-wd",
        lambda: gx.nadam(0.01, 0.8, 0.9, 1e-3, momentum_decay=0.1, weight_decay=0.1),
        lambda: ref_nadam(G, P0, 0.01, 0.8, 0.9, 1e-3, weight_decay=0.1, momentum_decay=0.1),
    ),
    (
        "NAdam-decoupled",
        lambda: gx.nadam(0.01, momentum_decay=4e-3, weight_decay=0.1, decoupled_weight_decay=True),
        lambda: ref_nadam(G, P0, 0.01, weight_decay=0.1, decoupled=True),
    ),
    (
        "NAdam-decoupled-nadamw",
        lambda: gx.nadamw(0.01, weight_decay=0.1, momentum_decay=4e-3),
        lambda: ref_nadam(G, P0, 0.01, weight_decay=0.1, decoupled=True),
    ),
    (
        "RAdam",
        lambda: gx.radam(0.01, strict_threshold=True, eps_before_debias=True),
        lambda: ref_radam(G, P0, 0.01),
    ),
    (
        "RAdam-wd-eps",
        lambda: gx.radam(
            0.01, 0.8, 0.99, 1e-2, strict_threshold=True, eps_before_debias=True, weight_decay=0.1
        ),
        lambda: ref_radam(G, P0, 0.01, 0.8, 0.99, 1e-2, weight_decay=0.1),
    ),
    (
        "RAdam-decoupled",
        lambda: gx.radam(
            0.01,
            0.9,
            0.99,
            strict_threshold=True,
            eps_before_debias=True,
            weight_decay=0.1,
            decoupled_weight_decay=True,
        ),
        lambda: ref_radam(G, P0, 0.01, 0.9, 0.99, weight_decay=0.1, decoupled=True),
    ),  # fmt: skip
    ("Adamax", lambda: gx.adamax(0.01), lambda: ref_adamax(G, P0, 0.01)),
    (
        "Adamax-wd",
        lambda: gx.adamax(0.01, 0.8, 0.9, 1e-2, weight_decay=0.1),
        lambda: ref_adamax(G, P0, 0.01, 0.8, 0.9, 1e-2, weight_decay=0.1),
    ),
    (
        "Adagrad",
        lambda: gx.adagrad(0.1, 0.0, 1e-10, eps_in_sqrt=False),
        lambda: ref_adagrad(G, P0, 0.1),
    ),
    (
        "Adagrad-full",
        lambda: gx.adagrad(0.1, 0.2, 1e-2, eps_in_sqrt=False, lr_decay=0.05, weight_decay=0.1),
        lambda: ref_adagrad(G, P0, 0.1, 0.05, 0.1, 0.2, 1e-2),
    ),
    ("Adadelta", lambda: gx.adadelta(1.0), lambda: ref_adadelta(G, P0)),
    (
        "Adadelta-lr-wd",
        lambda: gx.adadelta(0.5, 0.8, 1e-3, weight_decay=0.1),
        lambda: ref_adadelta(G, P0, 0.5, 0.8, 1e-3, 0.1),
    ),
    (
        "RMSprop",
        lambda: gx.rmsprop(0.01, 0.99, 1e-8, eps_in_sqrt=False),
        lambda: ref_rmsprop(G, P0, 0.01),
    ),
    (
        "RMSprop-momentum-wd",
        lambda: gx.rmsprop(0.01, 0.9, 1e-3, eps_in_sqrt=False, momentum=0.9, weight_decay=0.1),
        lambda: ref_rmsprop(G, P0, 0.01, 0.9, 1e-3, weight_decay=0.1, momentum=0.9),
    ),
    (
        "RMSprop-centered-momentum-wd",
        lambda: gx.rmsprop(
            0.01, 0.9, 1e-3, eps_in_sqrt=False, centered=True, momentum=0.9, weight_decay=0.1
        ),
        lambda: ref_rmsprop(G, P0, 0.01, 0.9, 1e-3, weight_decay=0.1, momentum=0.9, centered=True),
    ),
    (
        "RMSprop-schedule-chain",
        lambda: gx.chain(
            gx.add_decayed_weights(0.1),
            gx.scale_by_rms(0.9, 1e-3, eps_in_sqrt=False),
            gx.trace(0.9),
            gx.scale_by_learning_rate(lambda c: 0.01 * 0.9**c),
        ),
        lambda: ref_rmsprop(
            G, P0, lambda t: 0.01 * 0.9 ** (t - 1), 0.9, 1e-3, weight_decay=0.1, momentum=0.9
        ),
    ),
    ("Rprop", lambda: gx.rprop(0.01), lambda: ref_rprop(G, P0, 0.01)),
    (
        "Rprop-bounds",
        lambda: gx.rprop(0.1, etas=(0.3, 1.5), step_sizes=(0.02, 0.3)),
        lambda: ref_rprop(G, P0, 0.1, (0.3, 1.5), (0.02, 0.3)),
    ),
    ("ASGD", lambda: gx.asgd(0.01), lambda: ref_asgd(G, P0, 0.01)[0]),
    (
        "ASGD-averaging",
        lambda: gx.asgd(0.05, 0.1, 0.6, 5.0, 0.1),
        lambda: ref_asgd(G, P0, 0.05, 0.1, 0.6, 5.0, 0.1)[0],
    ),
]


def _rel_err(got, want):
    return float(np.max(np.abs(got - want) / (np.abs(want) + ATOL / RTOL)))


@pytest.mark.parametrize("make,ref", [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_row_matches_torch_algorithm(make, ref):
    want = ref()
    got = _run_gradtx(make())
    assert got.shape == (T, N)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def test_torch_options_change_the_result():
    """The torch-mode switches are not no-ops on the gradients used above."""
    pairs = [
        (gx.amsgrad(0.01, 0.9, 0.9), "Adam-amsgrad-wd", {"weight_decay": 0.1}),
        (gx.radam(0.01, 0.8, 0.99, 1e-2), "RAdam-wd-eps", {"weight_decay": 0.1}),
        (gx.nadam(0.01, 0.8, 0.9, 1e-3), "NAdam-wd", {"weight_decay": 0.1}),
    ]
    refs = {r[0]: r[2] for r in ROWS}
    for tx, row, kw in pairs:
        got = _run_gradtx(gx.chain(gx.add_decayed_weights(kw["weight_decay"]), tx))
        assert _rel_err(got, refs[row]()) > 1e-6, row


def test_asgd_average_matches_torch():
    tx = gx.asgd(0.05, 0.1, 0.6, 5.0, 0.1)
    params = {"x": jnp.asarray(P0)}

    @jax.jit
    def go(p):
        def step(carry, g):
            p, s = carry
            u, s = tx.update({"x": g}, s, p)
            p = gx.apply_updates(p, u)
            return (p, s), gx.asgd_average(s)["x"]

        return jax.lax.scan(step, (p, tx.init(p)), jnp.asarray(G))[1]

    want_p, want_ax = ref_asgd(G, P0, 0.05, 0.1, 0.6, 5.0, 0.1)
    got_ax = np.asarray(go(params))
    np.testing.assert_allclose(got_ax, want_ax, rtol=RTOL, atol=ATOL)
    # averaging is on from step 7 (t - 1 - t0 > 1): the average lags the iterate
    assert np.max(np.abs(want_ax[-1] - want_p[-1])) > 1e-3
    np.testing.assert_array_equal(want_ax[:7], want_p[:7])


def test_asgd_average_lookup():
    params = {"x": jnp.ones(2)}
    state = gx.chain(gx.clip(1.0), gx.asgd(0.1)).init(params)
    np.testing.assert_array_equal(gx.asgd_average(state)["x"], np.zeros(2))
    with pytest.raises(ValueError, match=MSG_GRADTX_ASGD_AVERAGE_EXACTLY_ONE_ASGDSTATE_FOUND):
        gx.asgd_average(gx.adam(0.1).init(params))
    two = gx.chain(gx.asgd(0.1), gx.asgd(0.1)).init(params)
    with pytest.raises(ValueError, match=MSG_FOUND_2):
        gx.asgd_average(two)
    with pytest.raises(ValueError, match=MSG_GRADTX_ASGD_UPDATE_NEEDS_PARAMS):
        gx.asgd(0.1).update(params, gx.asgd(0.1).init(params))


def test_trace_dampening_by_hand():
    tx = gx.trace(0.9, dampening=0.5)
    s = tx.init(jnp.zeros(2))
    u, s = tx.update(jnp.array([1.0, 2.0]), s)
    np.testing.assert_allclose(u, [1.0, 2.0])  # first step: the raw gradient
    u, s = tx.update(jnp.array([1.0, 1.0]), s)
    np.testing.assert_allclose(u, [0.9 * 1 + 0.5, 0.9 * 2 + 0.5], rtol=1e-6)


def test_radam_strict_threshold():
    """With threshold equal to rho_5, optax's >= rectifies step 5 and torch's > does not."""
    from gradtx._optimizers._radam import radam_rho

    rho5 = float(radam_rho(0.9, jnp.asarray(5, jnp.int32)))
    assert 4 < rho5 < 5
    outs = {}
    for strict in (False, True):
        tx = gx.scale_by_radam(0.9, 0.9, threshold=rho5, strict_threshold=strict)
        s = tx.init({"x": jnp.zeros(N)})
        with jax.disable_jit():  # op by op, as rho5 above: the same ops, the same rounding
            for t in range(5):
                u, s = tx.update({"x": jnp.asarray(G[t])}, s)
        outs[strict] = np.asarray(u["x"])
    m_hat = np.asarray(s.mu["x"]) / (1 - 0.9**5)
    np.testing.assert_allclose(outs[True], m_hat, rtol=1e-12)  # not rectified
    assert np.max(np.abs(outs[False] - m_hat)) > 1e-3  # rectified


# --------------------------------------------------------------------------------------
# optax parity: the new optimizers with optax's defaults, and the edited ones with
# their new options left at the defaults.

G100 = np.random.default_rng(2).normal(size=(100, N))

PARITY = [
    ("radam", lambda m: m.radam(0.01)),
    (
        "radam-nesterov-threshold",
        lambda m: m.radam(0.01, 0.8, 0.99, 1e-4, 1e-6, 4.5, nesterov=True),
    ),
    ("sgd-nesterov", lambda m: m.sgd(0.05, 0.9, True)),
    ("adagrad", lambda m: m.adagrad(0.1)),
    ("rmsprop-centered", lambda m: m.rmsprop(0.01, centered=True, momentum=0.9)),
    ("adam", lambda m: m.adam(0.01)),
    ("nadamw", lambda m: m.nadamw(0.01, weight_decay=0.1)),
    ("amsgrad", lambda m: m.amsgrad(0.01)),
    ("adamax", lambda m: m.adamax(0.01)),
]


@pytest.mark.parametrize("make", [p[1] for p in PARITY], ids=[p[0] for p in PARITY])
def test_optax_parity_100_steps(make):
    grads = [{"x": jnp.asarray(g)} for g in G100]
    p0 = {"x": jnp.asarray(P0)}
    got = np.asarray(run_updates(make(gx), grads, p0)["x"])
    want = np.asarray(run_updates(make(optax), grads, p0)["x"])
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)


def test_optax_parity_rosenbrock_float32():
    _, got = run(gx.radam(5e-3, b2=0.99), rosenbrock, ROSEN_X0, 100)
    _, want = run(optax.radam(5e-3, b2=0.99), rosenbrock, ROSEN_X0, 100)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-6)


def _rprop_trace(mod, args, grads):
    """Updates, step sizes and prev_updates of ``mod.scale_by_rprop`` at every step."""
    tx = mod.scale_by_rprop(*args)

    @jax.jit
    def go(gs):
        def step(s, g):
            u, s = tx.update(g, s)
            return s, (u, s.step_sizes, s.prev_updates)

        return jax.lax.scan(step, tx.init(gs[0]), gs)[1]

    return [np.asarray(a) for a in go(jnp.asarray(grads))]


@pytest.mark.parametrize("args", [(0.05,), (0.05, 0.3, 1.5, 0.01, 0.2)], ids=["default", "bounds"])
def test_rprop_optax_parity_100_steps(args):
    """Same step sizes and prev_updates as optax 0.2.8 at every step. optax emits
    the previous step's update (masked where the sign flipped; google-deepmind/optax
    PR 1725), gradtx the current one, as the paper and torch do."""
    u, sizes, prev = _rprop_trace(gx, args, G100)
    u_ox, sizes_ox, prev_ox = _rprop_trace(optax, args, G100)
    np.testing.assert_allclose(sizes, sizes_ox, rtol=1e-15)
    np.testing.assert_allclose(prev, prev_ox, rtol=1e-15)
    np.testing.assert_allclose(u, prev, rtol=0)
    flipped = G100 * np.concatenate([np.zeros((1, N)), G100[:-1]]) < 0
    stale = np.where(flipped, 0.0, np.concatenate([np.zeros((1, N)), u[:-1]]))
    np.testing.assert_allclose(u_ox, stale, rtol=1e-15)


def test_rprop_by_hand():
    tx = gx.scale_by_rprop(0.1)
    s = tx.init(jnp.zeros(1))
    update = jax.jit(tx.update)
    got = []
    for g in [1.0, 1.0, 1.0, -1.0, 1.0]:
        u, s = update(jnp.array([g]), s)
        got.append(float(u[0]))
    # grows by 1.2 while the sign holds; skips the step where it flips; then 0.144 * 0.5
    np.testing.assert_allclose(got, [0.1, 0.12, 0.144, 0.0, 0.072], rtol=1e-6)


# --------------------------------------------------------------------------------------
# Convergence.

CONVERGENCE = [
    ("radam-quadratic", lambda: gx.radam(0.1), quadratic, QUAD_X0, 500, 1e-8),
    ("radam-torch-quadratic", lambda: gx.radam(0.1, strict_threshold=True, eps_before_debias=True),
     quadratic, QUAD_X0, 500, 1e-8),
    ("radam-rosenbrock", lambda: gx.radam(5e-3, b2=0.99), rosenbrock, ROSEN_X0, 5000, 1e-4),
    ("rprop-quadratic", lambda: gx.rprop(0.1), quadratic, QUAD_X0, 200, 1e-8),
    ("rprop-rosenbrock", lambda: gx.rprop(0.01), rosenbrock, ROSEN_X0, 3000, 1e-4),
    ("asgd-quadratic", lambda: gx.asgd(0.2, t0=0.0), quadratic, QUAD_X0, 500, 1e-8),
    ("asgd-rosenbrock", lambda: gx.asgd(2e-3, alpha=0.1), rosenbrock, ROSEN_X0, 5000, 1e-3),
]  # fmt: skip


@pytest.mark.parametrize(
    "make,loss,x0,steps,tol", [c[1:] for c in CONVERGENCE], ids=[c[0] for c in CONVERGENCE]
)
def test_convergence(make, loss, x0, steps, tol):
    p, values = run(make(), loss, x0, steps)
    final = float(loss(p))
    assert np.isfinite(final) and final < tol, final
    assert final < 1e-3 * float(values[0])


def test_asgd_average_beats_last_iterate_on_noisy_quadratic():
    h = jnp.asarray(QUAD_H)
    noise = jnp.asarray(np.random.default_rng(0).normal(size=(2000, 4)))
    tx = gx.asgd(0.1, t0=0.0)

    @jax.jit
    def go(x0):
        def step(carry, n):
            p, s = carry
            u, s = tx.update({"x": h * p["x"] + n}, s, p)
            return (gx.apply_updates(p, u), s), None

        p0 = {"x": x0}
        (p, s), _ = jax.lax.scan(step, (p0, tx.init(p0)), noise)
        return p["x"], gx.asgd_average(s)["x"]

    last, avg = go(jnp.asarray(QUAD_X0))
    assert float(jnp.linalg.norm(avg)) < 0.1 * float(jnp.linalg.norm(last))


# --------------------------------------------------------------------------------------
# Argument checks.

ERRORS = [
    (lambda: gx.trace(0.9, dampening=1.5), MSG_GRADTX_TRACE_DAMPENING_1_5_DAMPENING_MUST),
    (lambda: gx.sgd(0.1, 0.9, dampening=-0.1), MSG_GRADTX_SGD_DAMPENING_0_1),
    (lambda: gx.sgd(0.1, weight_decay=-1.0), MSG_GRADTX_SGD_WEIGHT_DECAY_1_0_WEIGHT),
    (lambda: gx.adagrad(0.1, lr_decay=-0.1), MSG_GRADTX_ADAGRAD_LR_DECAY_0_1),
    (lambda: gx.adagrad(0.1, weight_decay=-0.1), MSG_GRADTX_ADAGRAD_WEIGHT_DECAY_0_1),
    (lambda: gx.rmsprop(0.1, weight_decay=-0.1), MSG_GRADTX_RMSPROP_WEIGHT_DECAY_0_1),
    (lambda: gx.adam(0.1, weight_decay=-0.1), MSG_GRADTX_ADAM_WEIGHT_DECAY_0_1),
    (lambda: gx.amsgrad(0.1, weight_decay=-0.1), MSG_GRADTX_AMSGRAD_WEIGHT_DECAY_0_1),
    (lambda: gx.adamax(0.1, weight_decay=-0.1), MSG_GRADTX_ADAMAX_WEIGHT_DECAY_0_1),
    (lambda: gx.nadam(0.1, weight_decay=-0.1), MSG_GRADTX_NADAM_WEIGHT_DECAY_0_1),
    (lambda: gx.nadam(0.1, momentum_decay=-1.0), MSG_GRADTX_NADAM_MOMENTUM_DECAY_1_0),
    (lambda: gx.nadamw(0.1, momentum_decay=-1.0), MSG_GRADTX_NADAMW_MOMENTUM_DECAY_1_0),
    (lambda: gx.nadam(0.1, nesterov=False, momentum_decay=4e-3), MSG_GRADTX_NADAM_NESTEROV_FALSE_MOMENTUM_DECAY_0),
    (lambda: gx.scale_by_nadam(momentum_decay=-1.0), MSG_GRADTX_SCALE_BY_NADAM_MOMENTUM_DECAY_1),
    (lambda: gx.scale_by_nadam(b1=1.0), MSG_GRADTX_SCALE_BY_NADAM_B1_1_0),
    (lambda: gx.radam(0.1, weight_decay=-0.1), MSG_GRADTX_RADAM_WEIGHT_DECAY_0_1),
    (lambda: gx.radam(-0.1), MSG_GRADTX_RADAM_LEARNING_RATE_0_1),
    (lambda: gx.scale_by_radam(b2=1.0), MSG_GRADTX_SCALE_BY_RADAM_B2_1_0),
    (lambda: gx.scale_by_radam(eps=-1.0), MSG_GRADTX_SCALE_BY_RADAM_EPS_1_0),
    (lambda: gx.scale_by_radam(threshold=float("nan")), MSG_GRADTX_SCALE_BY_RADAM_THRESHOLD_NAN),
    (lambda: gx.rprop(-0.1), MSG_GRADTX_RPROP_LEARNING_RATE_0_1),
    (lambda: gx.rprop(0.1, eta_minus=1.5), MSG_GRADTX_RPROP_ETA_MINUS_1_5_ETA),
    (lambda: gx.rprop(0.1, eta_minus=0.0), MSG_GRADTX_RPROP_ETA_MINUS_0_0),
    (lambda: gx.scale_by_rprop(0.1, eta_plus=0.5), MSG_GRADTX_SCALE_BY_RPROP_ETA_PLUS_0),
    (lambda: gx.rprop(0.1, min_step_size=-1.0), MSG_GRADTX_RPROP_MIN_STEP_SIZE_1_0),
    (lambda: gx.rprop(0.1, min_step_size=1.0, max_step_size=0.5), MSG_GRADTX_RPROP_MIN_STEP_SIZE_1_0_2),
    (lambda: gx.rprop(0.1, step_sizes=(1.0, 0.5)), MSG_MIN_STEP_SIZE_MUST_BE_MAX_STEP),
    (lambda: gx.rprop(0.1, etas=(0.5, 1.2, 2.0)), MSG_GRADTX_RPROP_ETAS_0_5_1_2),
    (lambda: gx.rprop(0.1, 0.3, etas=(0.5, 1.2)), MSG_GRADTX_RPROP_ETAS_ETA_MINUS_GIVE_EITHER),
    (lambda: gx.scale_by_rprop(0.1, max_step_size=9.0, step_sizes=(0.1, 1.0)), MSG_GIVE_EITHER_STEP_SIZES),
    (lambda: gx.asgd(-0.1), MSG_GRADTX_ASGD_LEARNING_RATE_0_1),
    (lambda: gx.asgd(0.1, lambd=-1.0), MSG_GRADTX_ASGD_LAMBD_1_0_LAMBD_MUST),
    (lambda: gx.asgd(0.1, alpha=-1.0), MSG_GRADTX_ASGD_ALPHA_1_0),
    (lambda: gx.asgd(0.1, t0=-1.0), MSG_GRADTX_ASGD_T0_1_0),
    (lambda: gx.asgd(0.1, weight_decay=-1.0), MSG_GRADTX_ASGD_WEIGHT_DECAY_1_0),
]  # fmt: skip

TYPE_ERRORS = [
    (lambda: gx.sgd(0.1, maximize=1), MSG_GRADTX_SGD_MAXIMIZE_1_MAXIMIZE_MUST_BE),
    (lambda: gx.adam(0.1, decoupled_weight_decay="yes"), MSG_GRADTX_ADAM_DECOUPLED_WEIGHT_DECAY_YES),
    (lambda: gx.radam(0.1, strict_threshold=1), MSG_GRADTX_RADAM_STRICT_THRESHOLD_1_STRICT_THRESHOLD),
    (lambda: gx.scale_by_radam(eps_before_debias=None), MSG_GRADTX_SCALE_BY_RADAM_EPS_BEFORE_DEBIAS),
]  # fmt: skip


@pytest.mark.parametrize("make,match", ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_value_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("make,match", TYPE_ERRORS, ids=[str(i) for i in range(len(TYPE_ERRORS))])
def test_type_errors(make, match):
    with pytest.raises(TypeError, match=match):
        make()


def test_defaults_keep_the_state_structure():
    """The new options, left at their defaults, add nothing to the state."""
    params = {"x": jnp.zeros(3)}
    lr = gx.scale_by_learning_rate(0.1)
    plain = {
        "sgd": gx.chain(gx.identity(), lr),
        "adagrad": gx.chain(gx.scale_by_rss(), lr),
        "rmsprop": gx.chain(gx.scale_by_rms(), lr, gx.identity()),
        "adam": gx.chain(gx.scale_by_adam(), lr),
        "nadam": gx.chain(gx.scale_by_adam(nesterov=True), lr),
        "amsgrad": gx.chain(gx.scale_by_amsgrad(), lr),
        "adamax": gx.chain(gx.scale_by_adamax(), lr),
    }
    for name, tx in plain.items():
        mine = jax.tree.structure(getattr(gx, name)(0.1).init(params))
        assert mine == jax.tree.structure(tx.init(params)), name
    trace = jax.tree.structure(gx.sgd(0.1, 0.9).init(params))
    assert trace == jax.tree.structure(gx.chain(gx.trace(0.9), lr).init(params))
