"""Optimizer families: one file per algorithm, each holding its State, its ``scale_by_x`` and the optimizers built on it."""
