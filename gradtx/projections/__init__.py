"""Euclidean projections onto convex sets: boxes, balls, simplices, hyperplanes (optax.projections)."""
