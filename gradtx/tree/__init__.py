"""Short names for gradtx.tree_utils (optax.tree): ``gradtx.tree.add`` is ``gradtx.tree_utils.tree_add``."""
