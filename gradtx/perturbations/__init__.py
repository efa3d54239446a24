"""Perturbed optimizers: smoothing a function by random perturbations (optax.perturbations)."""
