"""Splitting a batch into micro-batches and accumulating their results (optax.microbatching)."""
