"""Perturbed optimizers: smoothing a function by random perturbations (optax.perturbations)."""

from gradtx.perturbations._perturbed import Gumbel as Gumbel
from gradtx.perturbations._perturbed import Normal as Normal
from gradtx.perturbations._perturbed import make_perturbed_fun as make_perturbed_fun
