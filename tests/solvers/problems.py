"""Classic unconstrained test functions (More, Garbow and Hillstrom 1981) with their
standard starting points, and l2-regularised logistic regression on breast cancer."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np


def rosenbrock(x):
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def himmelblau(x):
    return (x[0] ** 2 + x[1] - 11.0) ** 2 + (x[0] + x[1] ** 2 - 7.0) ** 2


def beale(x):
    a, b = x[0], x[1]
    return (1.5 - a + a * b) ** 2 + (2.25 - a + a * b**2) ** 2 + (2.625 - a + a * b**3) ** 2


def powell_singular(x):
    a, b, c, d = x[0], x[1], x[2], x[3]
    return (a + 10 * b) ** 2 + 5 * (c - d) ** 2 + (b - 2 * c) ** 4 + 10 * (a - d) ** 4


def extended_wood(x):
    a, b, c, d = x[0::4], x[1::4], x[2::4], x[3::4]
    return jnp.sum(
        100 * (a**2 - b) ** 2
        + (a - 1) ** 2
        + (c - 1) ** 2
        + 90 * (c**2 - d) ** 2
        + 10.1 * ((b - 1) ** 2 + (d - 1) ** 2)
        + 19.8 * (b - 1) * (d - 1)
    )


def zakharov(x):
    i = jnp.arange(1, x.shape[0] + 1, dtype=x.dtype)
    s = jnp.sum(0.5 * i * x)
    return jnp.sum(x**2) + s**2 + s**4


def breast_cancer_logreg():
    """(loss, w0): mean logistic loss + 0.5 * 1e-2 * ||w||^2 on standardised features."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    x = (data.data - data.data.mean(0)) / data.data.std(0)
    x = jnp.asarray(np.hstack([x, np.ones((x.shape[0], 1))]))
    y = jnp.asarray(2.0 * data.target - 1.0)

    def loss(w):
        return jnp.mean(jnp.logaddexp(0.0, -y * (x @ w))) + 0.5e-2 * jnp.sum(w[:-1] ** 2)

    return loss, jnp.zeros(x.shape[1])


# name -> (function, standard starting point)
PROBLEMS = {
    "rosenbrock2": (rosenbrock, np.array([-1.2, 1.0])),
    "rosenbrock100": (rosenbrock, np.tile([-1.2, 1.0], 50)),
    "himmelblau": (himmelblau, np.array([0.0, 0.0])),
    "beale": (beale, np.array([1.0, 1.0])),
    "powell_singular": (powell_singular, np.array([3.0, -1.0, 0.0, 1.0])),
    "extended_wood": (extended_wood, np.tile([-3.0, -1.0, -3.0, -1.0], 2)),
    "zakharov": (zakharov, np.array([1.0, -1.0, 2.0, 0.5, -0.3])),
}


# Moré-Garbow-Hillstrom least-squares problems: name -> (residuals, standard start).
_BARD_Y = np.array(
    [0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39]
)
_MEYER_Y = np.array(
    [34780.0, 28610.0, 23650.0, 19630.0, 16370.0, 13720.0, 11540.0, 9744.0, 8261.0, 7030.0,
     6005.0, 5147.0, 4427.0, 3820.0, 3307.0, 2872.0]
)  # fmt: skip


def freudenstein_roth(x):
    return jnp.stack(
        [
            -13.0 + x[0] + ((5.0 - x[1]) * x[1] - 2.0) * x[1],
            -29.0 + x[0] + ((x[1] + 1.0) * x[1] - 14.0) * x[1],
        ]
    )


def bard(x):
    u = jnp.arange(1.0, 16.0)
    v = 16.0 - u
    w = jnp.minimum(u, v)
    return jnp.asarray(_BARD_Y) - (x[0] + u / (v * x[1] + w * x[2]))


def box3d(x):
    t = 0.1 * jnp.arange(1.0, 11.0)
    return jnp.exp(-t * x[0]) - jnp.exp(-t * x[1]) - x[2] * (jnp.exp(-t) - jnp.exp(-10.0 * t))


def brown_badly_scaled(x):
    return jnp.stack([x[0] - 1e6, x[1] - 2e-6, x[0] * x[1] - 2.0])


def meyer(x):
    t = 45.0 + 5.0 * jnp.arange(1.0, 17.0)
    return x[0] * jnp.exp(x[1] / (t + x[2])) - jnp.asarray(_MEYER_Y)


LEAST_SQUARES = {
    "freudenstein_roth": (freudenstein_roth, np.array([0.5, -2.0])),
    "bard": (bard, np.array([1.0, 1.0, 1.0])),
    "box3d": (box3d, np.array([0.0, 10.0, 20.0])),
    "brown_badly_scaled": (brown_badly_scaled, np.array([1.0, 1.0])),
    "meyer": (meyer, np.array([0.02, 4000.0, 250.0])),
}
