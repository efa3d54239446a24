"""optax.second_order names: ``hvp``, ``hessian_diag``, ``fisher_diag`` (re-exported from gradtx.curvature)."""
