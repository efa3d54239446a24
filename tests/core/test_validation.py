"""Bad hyperparameters raise at construction, naming function, argument, range and value;
arrays, tracers and schedules are accepted so jit and vmap keep working."""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gradtx as gx
from tests.messages import (
    MSG_GRADTX_ADAM_MU_DTYPE_NONSENSE_MU_DTYPE,
    MSG_GRADTX_SCALE_BY_SCHEDULE_STEP_SIZE_FN,
)

# (factory, kwargs, argument name, range text, value text)
BAD = [
    (gx.sgd, dict(learning_rate=-0.1), "learning_rate", "[0, inf)", "-0.1"),
    (gx.sgd, dict(learning_rate=0.1, momentum=1.0), "momentum", "[0, 1)", "1.0"),
    (gx.sgd, dict(learning_rate=float("nan")), "learning_rate", "[0, inf)", "nan"),
    (gx.adam, dict(learning_rate=0.1, b1=1.2), "b1", "[0, 1)", "1.2"),
    (gx.adam, dict(learning_rate=0.1, b2=-0.5), "b2", "[0, 1)", "-0.5"),
    (gx.adam, dict(learning_rate=0.1, eps=-1e-8), "eps", "[0, inf)", "-1e-08"),
    (gx.adam, dict(learning_rate=0.1, eps_root=-1.0), "eps_root", "[0, inf)", "-1.0"),
    (gx.adamw, dict(learning_rate=0.1, weight_decay=-1e-4), "weight_decay", "[0, inf)", "-0.0001"),
    (gx.nadam, dict(learning_rate=0.1, b1=1.0), "b1", "[0, 1)", "1.0"),
    (gx.nadamw, dict(learning_rate=-1.0), "learning_rate", "[0, inf)", "-1.0"),
    (gx.amsgrad, dict(learning_rate=0.1, b2=1.5), "b2", "[0, 1)", "1.5"),
    (gx.adamax, dict(learning_rate=0.1, b1=-0.1), "b1", "[0, 1)", "-0.1"),
    (gx.adamaxw, dict(learning_rate=0.1, weight_decay=-1.0), "weight_decay", "[0, inf)", "-1.0"),
    (
        gx.adagrad,
        dict(learning_rate=0.1, initial_accumulator_value=-1.0),
        "initial_accumulator_value",
        "[0, inf)",
        "-1.0",
    ),
    (gx.adagrad, dict(learning_rate=0.1, eps=-1.0), "eps", "[0, inf)", "-1.0"),
    (gx.rmsprop, dict(learning_rate=0.1, decay=1.0), "decay", "[0, 1)", "1.0"),
    (gx.rmsprop, dict(learning_rate=0.1, momentum=2.0), "momentum", "[0, 1)", "2.0"),
    (gx.rmsprop, dict(learning_rate=0.1, initial_scale=-1.0), "initial_scale", "[0, inf)", "-1.0"),
    (gx.adadelta, dict(learning_rate=-1.0), "learning_rate", "[0, inf)", "-1.0"),
    (gx.adadelta, dict(rho=1.0), "rho", "[0, 1)", "1.0"),
    (gx.adadelta, dict(weight_decay=-0.1), "weight_decay", "[0, inf)", "-0.1"),
    (gx.scale_by_adam, dict(b1=1.0), "b1", "[0, 1)", "1.0"),
    (gx.scale_by_amsgrad, dict(eps=-1.0), "eps", "[0, inf)", "-1.0"),
    (gx.scale_by_adamax, dict(b2=1.0), "b2", "[0, 1)", "1.0"),
    (
        gx.scale_by_rss,
        dict(initial_accumulator_value=-0.1),
        "initial_accumulator_value",
        "[0, inf)",
        "-0.1",
    ),
    (gx.scale_by_rms, dict(decay=-0.1), "decay", "[0, 1)", "-0.1"),
    (gx.scale_by_stddev, dict(eps=-0.1), "eps", "[0, inf)", "-0.1"),
    (gx.scale_by_adadelta, dict(rho=2.0), "rho", "[0, 1)", "2.0"),
    (gx.trace, dict(decay=1.5), "decay", "[0, 1]", "1.5"),
    (gx.ema, dict(decay=-0.5), "decay", "[0, 1)", "-0.5"),
    (gx.clip, dict(max_delta=-1.0), "max_delta", "[0, inf]", "-1.0"),
    (gx.clip_by_global_norm, dict(max_norm=-1.0), "max_norm", "[0, inf]", "-1.0"),
    (gx.add_decayed_weights, dict(weight_decay=-1.0), "weight_decay", "[0, inf)", "-1.0"),
    (gx.scale_by_learning_rate, dict(learning_rate=-2.0), "learning_rate", "[0, inf)", "-2.0"),
    (
        gx.adam,
        dict(learning_rate=np.array([0.1, -0.1])),
        "learning_rate",
        "[0, inf)",
        "array with values in [-0.1, 0.1]",
    ),
]


@pytest.mark.parametrize(
    "factory,kwargs,arg,rng,val",
    BAD,
    ids=[f"{f.__name__}-{a}-{i}" for i, (f, _, a, _, _) in enumerate(BAD)],
)
def test_bad_hyperparameter_message(factory, kwargs, arg, rng, val):
    expected = f"gradtx.{factory.__name__}({arg}={val}): {arg} must be in {rng}; got {val}."
    with pytest.raises(ValueError, match=re.escape(expected)):
        factory(**kwargs)


def test_bad_dtype_argument():
    with pytest.raises(TypeError, match=MSG_GRADTX_ADAM_MU_DTYPE_NONSENSE_MU_DTYPE):
        gx.adam(0.1, mu_dtype="nonsense")


def test_scale_by_schedule_needs_a_callable():
    with pytest.raises(
        TypeError,
        match=MSG_GRADTX_SCALE_BY_SCHEDULE_STEP_SIZE_FN,
    ):
        gx.scale_by_schedule(0.1)


def test_arrays_tracers_and_schedules_are_accepted():
    gx.adam(jnp.asarray(0.1), b1=jnp.asarray(0.9))
    gx.adam(lambda c: 0.1 * 0.9**c)

    @jax.jit
    def step(lr, b1, g):
        opt = gx.adam(lr, b1=b1)  # traced hyperparameters: validated nowhere, used as is
        u, _ = opt.update(g, opt.init(g))
        return u

    u = jax.vmap(step, in_axes=(0, None, None))(jnp.array([0.1, 0.2]), 0.9, jnp.ones(2))
    np.testing.assert_allclose(np.asarray(u), [[-0.1, -0.1], [-0.2, -0.2]], rtol=1e-5)
