"""Registry entries for gradtx.solvers: L-BFGS and the line searches.

Line searches need ``value=``, ``grad=`` and ``value_fn=`` at the params; the entries
supply them through ``extra_args_fn`` with the smooth convex ``contract_obj_fn``.
"""

import jax

import gradtx as gx
from tests.registry._entry import Entry
from tests.registry._support import contract_obj_fn


def objective_args(params, grads):
    del grads
    return {
        "value": contract_obj_fn(params),
        "grad": jax.grad(contract_obj_fn)(params),
        "value_fn": contract_obj_fn,
    }


LS = {"extra_args_fn": objective_args}

ENTRIES = [
    Entry("scale_by_lbfgs", gx.scale_by_lbfgs),
    Entry(
        "scale_by_lbfgs_m1_unscaled",
        lambda: gx.scale_by_lbfgs(1, scale_init_precond=False),
    ),
    Entry("lbfgs", gx.lbfgs, optimizer=True, **LS),
    Entry(
        "lbfgs_no_linesearch",
        lambda: gx.lbfgs(0.1, memory_size=3, linesearch=None),
        optimizer=True,
    ),
    Entry(
        "lbfgs_backtracking",
        lambda: gx.lbfgs(linesearch=gx.scale_by_backtracking_linesearch(10, store_grad=True)),
        optimizer=True,
        **LS,
    ),
    Entry("solvers.scale_by_bfgs", gx.solvers.scale_by_bfgs),
    Entry(
        "solvers.bfgs",
        gx.solvers.bfgs,
        optimizer=True,
        **LS,
    ),
    Entry("solvers.scale_by_ncg", gx.solvers.scale_by_ncg),
    Entry(
        "solvers.scale_by_ncg_hs_restart",
        lambda: gx.solvers.scale_by_ncg("hestenes-stiefel", restart_every=2),
    ),
    Entry(
        "solvers.ncg_dai_yuan",
        lambda: gx.solvers.ncg("dai-yuan"),
        optimizer=True,
        **LS,
    ),
    Entry(
        "solvers.scale_by_newton_cg",
        gx.solvers.scale_by_newton_cg,
        **LS,
    ),
    Entry(
        "solvers.newton_cg_martens_warm",
        lambda: gx.solvers.newton_cg(
            damping=0.1, cg_max_steps=3, warm_start=True, damping_adjustment="martens"
        ),
        optimizer=True,
        **LS,
    ),
    Entry(
        "scale_by_zoom_linesearch",
        lambda: gx.scale_by_zoom_linesearch(10),
        **LS,
    ),
    Entry(
        "scale_by_zoom_linesearch_options",
        lambda: gx.scale_by_zoom_linesearch(
            5,
            max_learning_rate=0.5,
            approx_dec_rtol=None,
            initial_guess_strategy="one",
            curv_rtol=0.1,
        ),
        **LS,
    ),
    Entry(
        "scale_by_backtracking_linesearch",
        lambda: gx.scale_by_backtracking_linesearch(10),
        **LS,
    ),
    Entry(
        "scale_by_backtracking_linesearch_store_grad",
        lambda: gx.scale_by_backtracking_linesearch(
            3, decrease_factor=0.5, increase_factor=1.0, store_grad=True, rtol=1e-3
        ),
        **LS,
    ),
]

# Hager-Zhang line search (CG_DESCENT); its "one" first guess (the default) and its use in
# lbfgs are checked in tests/solvers/test_linesearch_hager_zhang.py.
ENTRIES += [
    Entry(
        "scale_by_hager_zhang_linesearch",
        lambda: gx.scale_by_hager_zhang_linesearch(10, initial_guess_strategy="hager-zhang"),
        **LS,
    ),
]
