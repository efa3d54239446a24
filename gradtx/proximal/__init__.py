"""Proximal operators (L1, elastic net, group lasso, ridge, boxes and projections as proxes), proximal gradient, FISTA and coordinate descent for sparse regression."""

# ruff: noqa: I001  (sorted by defining module)
from gradtx._optimizers._accelerated import fista as fista
from gradtx._optimizers._accelerated import proximal_gradient as proximal_gradient
from gradtx.proximal._operators import make_prox_from_projection as make_prox_from_projection
from gradtx.proximal._operators import prox_box as prox_box
from gradtx.proximal._operators import prox_elastic_net as prox_elastic_net
from gradtx.proximal._operators import prox_group_lasso as prox_group_lasso
from gradtx.proximal._operators import prox_lasso as prox_lasso
from gradtx.proximal._operators import prox_non_negative as prox_non_negative
from gradtx.proximal._operators import prox_non_negative_lasso as prox_non_negative_lasso
from gradtx.proximal._operators import prox_non_negative_ridge as prox_non_negative_ridge
from gradtx.proximal._operators import prox_none as prox_none
from gradtx.proximal._operators import prox_ridge as prox_ridge
from gradtx.proximal._solve import FistaSolveResult as FistaSolveResult
from gradtx.proximal._solve import fista_solve as fista_solve
from gradtx.proximal._lasso import CoordinateDescentResult as CoordinateDescentResult
from gradtx.proximal._lasso import enet_coordinate_descent as enet_coordinate_descent
from gradtx.proximal._lasso import enet_path as enet_path
from gradtx.proximal._lasso import lasso_path as lasso_path
