"""Deterministic solvers and line searches, with one jitted run loop (``minimize``, ``least_squares``)."""

# ruff: noqa: I001  (sorted by defining module)
from gradtx.solvers._bfgs import ScaleByBFGSState as ScaleByBFGSState
from gradtx.solvers._bfgs import bfgs as bfgs
from gradtx.solvers._bfgs import scale_by_bfgs as scale_by_bfgs
from gradtx.solvers._lbfgs import ScaleByLBFGSState as ScaleByLBFGSState
from gradtx.solvers._lbfgs import lbfgs as lbfgs
from gradtx.solvers._lbfgs import scale_by_lbfgs as scale_by_lbfgs
from gradtx.solvers._linesearch_backtracking import (
    BacktrackingLinesearchInfo as BacktrackingLinesearchInfo,
)
from gradtx.solvers._linesearch_backtracking import (
    ScaleByBacktrackingLinesearchState as ScaleByBacktrackingLinesearchState,
)
from gradtx.solvers._linesearch_backtracking import (
    scale_by_backtracking_linesearch as scale_by_backtracking_linesearch,
)
from gradtx.solvers._linesearch_zoom import ScaleByZoomLinesearchState as ScaleByZoomLinesearchState
from gradtx.solvers._linesearch_zoom import ZoomLinesearchInfo as ZoomLinesearchInfo
from gradtx.solvers._linesearch_zoom import scale_by_zoom_linesearch as scale_by_zoom_linesearch
from gradtx.solvers._objective import value_and_grad_from_state as value_and_grad_from_state
from gradtx.solvers._minimize import minimize as minimize
from gradtx.solvers._ncg import ScaleByNCGState as ScaleByNCGState
from gradtx.solvers._ncg import ncg as ncg
from gradtx.solvers._ncg import scale_by_ncg as scale_by_ncg
from gradtx.solvers._newton_cg import ScaleByNewtonCGState as ScaleByNewtonCGState
from gradtx.solvers._newton_cg import newton_cg as newton_cg
from gradtx.solvers._newton_cg import scale_by_newton_cg as scale_by_newton_cg
from gradtx.solvers._solution import Reason as Reason
from gradtx.solvers._solution import Solution as Solution
from gradtx.solvers._least_squares import least_squares as least_squares
from gradtx.solvers._linesearch_hager_zhang import (
    HagerZhangLinesearchInfo as HagerZhangLinesearchInfo,
)
from gradtx.solvers._linesearch_hager_zhang import (
    ScaleByHagerZhangLinesearchState as ScaleByHagerZhangLinesearchState,
)
from gradtx.solvers._linesearch_hager_zhang import (
    scale_by_hager_zhang_linesearch as scale_by_hager_zhang_linesearch,
)
