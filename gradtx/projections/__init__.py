"""Euclidean projections onto convex sets: boxes, balls, simplices, hyperplanes (optax.projections)."""

# ruff: noqa: I001  (sorted by defining module)
from gradtx.projections._boxes import projection_box as projection_box
from gradtx.projections._boxes import projection_hypercube as projection_hypercube
from gradtx.projections._boxes import projection_linf_ball as projection_linf_ball
from gradtx.projections._boxes import projection_non_negative as projection_non_negative
from gradtx.projections._euclidean import projection_halfspace as projection_halfspace
from gradtx.projections._euclidean import projection_hyperplane as projection_hyperplane
from gradtx.projections._euclidean import projection_l2_ball as projection_l2_ball
from gradtx.projections._euclidean import projection_l2_sphere as projection_l2_sphere
from gradtx.projections._euclidean import projection_vector as projection_vector
from gradtx.projections._simplex import projection_l1_ball as projection_l1_ball
from gradtx.projections._simplex import projection_l1_sphere as projection_l1_sphere
from gradtx.projections._simplex import projection_simplex as projection_simplex
