"""Loss functions for regression, classification, ranking and sequences (optax.losses)."""
