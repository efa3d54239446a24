"""Deterministic solvers and line searches, with one jitted run loop (``minimize``, ``least_squares``)."""
