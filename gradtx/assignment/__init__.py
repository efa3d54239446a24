"""Assignment problems: the Hungarian algorithm (optax.assignment)."""
