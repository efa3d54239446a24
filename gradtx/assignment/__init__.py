"""Assignment problems: the Hungarian algorithm (optax.assignment)."""

from gradtx.assignment._hungarian import base_hungarian_algorithm as base_hungarian_algorithm
from gradtx.assignment._hungarian import hungarian_algorithm as hungarian_algorithm
