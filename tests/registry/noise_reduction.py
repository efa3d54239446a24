"""Registry entries for noise reduction, iterate averaging, accelerated, proximal and coordinate methods."""

import jax

import gradtx as gx
from tests.registry._entry import Entry


def _half(params):
    """A gradient-shaped function of the params, for SVRG's extra arguments."""
    return jax.tree.map(lambda p: 0.5 * p, params)


def _sum_sq(params):
    return 0.5 * sum(
        jax.numpy.sum(jax.numpy.square(p.astype("float32"))) for p in jax.tree.leaves(params)
    )


def _l1(alpha):
    """h(params) = alpha * sum |params|, the value of prox_lasso's penalty."""
    return lambda params: (
        alpha * sum(jax.numpy.sum(jax.numpy.abs(p)) for p in jax.tree.leaves(params))
    )


_SVRG_ARGS = {"batch_grad_fn": _half, "full_grad_fn": _half}
_LASSO = gx.proximal.prox_lasso

ENTRIES = [
    Entry("scale_by_svrg", lambda: gx.scale_by_svrg(2), extra_args=_SVRG_ARGS),
    Entry("svrg", lambda: gx.svrg(0.1, 3), extra_args=_SVRG_ARGS, optimizer=True),
    Entry(
        "scale_by_saga",
        lambda: gx.scale_by_saga(3),
        extra_args={"index": 1},
    ),
    Entry(
        "saga",
        lambda: gx.saga(0.1, 4),
        extra_args={"index": 2},
        optimizer=True,
    ),
    Entry("scale_by_sag", lambda: gx.scale_by_sag(3), extra_args={"index": 0}),
    Entry(
        "scale_by_sag_over_n",
        lambda: gx.scale_by_sag(3, divide_by_seen=False),
        extra_args={"index": 2},
    ),
    Entry(
        "sag",
        lambda: gx.sag(0.1, 4),
        extra_args={"index": 3},
        optimizer=True,
    ),
    Entry("polyak_averaging", gx.polyak_averaging, abstract_init=False),
    Entry("polyak_averaging_start", lambda: gx.polyak_averaging(start_step=1), abstract_init=False),
    Entry("params_ema", gx.params_ema, abstract_init=False),
    Entry("params_ema_biased", lambda: gx.params_ema(0.9, debias=False), abstract_init=False),
    Entry("swa", lambda: gx.swa(every_k=2, start_step=1), abstract_init=False),
    Entry(
        "accelerated_gradient",
        lambda: gx.accelerated_gradient(0.1),
        optimizer=True,
        abstract_init=False,
    ),
    Entry(
        "accelerated_gradient_strongly_convex",
        lambda: gx.accelerated_gradient(0.1, strong_convexity=0.5),
        optimizer=True,
        abstract_init=False,
    ),
    Entry(
        "accelerated_gradient_gradient_restart",
        lambda: gx.accelerated_gradient(0.1, restart="gradient"),
        optimizer=True,
        abstract_init=False,
    ),
    Entry(
        "accelerated_gradient_function_restart_backtracking",
        lambda: gx.accelerated_gradient(1.0, restart="function", backtracking=True),
        extra_args={"value_fn": _sum_sq},
        optimizer=True,
        abstract_init=False,
    ),
    Entry(
        "fista",
        lambda: gx.proximal.fista(0.1, _LASSO, 0.01, restart="gradient"),
        optimizer=True,
        abstract_init=False,
    ),
    Entry(
        "fista_backtracking",
        lambda: gx.proximal.fista(1.0, _LASSO, 0.01, backtracking=True),
        extra_args={"value_fn": _sum_sq},
        optimizer=True,
        abstract_init=False,
    ),
    Entry(
        "fista_function_restart",
        lambda: gx.proximal.fista(0.1, _LASSO, 0.01, restart="function", nonsmooth_fn=_l1(0.01)),
        extra_args={"value_fn": _sum_sq},
        optimizer=True,
        abstract_init=False,
        strict_promotion=False,
    ),
    Entry(
        "proximal_gradient",
        lambda: gx.proximal.proximal_gradient(0.1, gx.proximal.prox_elastic_net, (0.01, 1.0)),
        optimizer=True,
        abstract_init=False,
    ),
    Entry("coordinate_descent", lambda: gx.coordinate_descent(0.1), optimizer=True),
    Entry(
        "coordinate_descent_random_blocks",
        lambda: gx.coordinate_descent(0.1, rule="random", block_size=2),
        optimizer=True,
    ),
    Entry(
        "coordinate_descent_gauss_southwell_lasso",
        lambda: gx.coordinate_descent(
            0.1, rule="gauss_southwell", prox=_LASSO, prox_hyperparams=0.01
        ),
        optimizer=True,
    ),
    Entry(
        "coordinate_descent_leaves",
        lambda: gx.coordinate_descent(0.1, rule="gauss_southwell", block_size=None),
        optimizer=True,
    ),
    Entry("dynamic_sampling", lambda: gx.dynamic_sampling(8, max_batch_size=64)),
]
