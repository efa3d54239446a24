"""optax.second_order names: ``hvp``, ``hessian_diag``, ``fisher_diag`` (re-exported from gradtx.curvature)."""

from gradtx.curvature._second_order import fisher_diag as fisher_diag
from gradtx.curvature._second_order import hessian_diag as hessian_diag
from gradtx.curvature._second_order import hvp as hvp
