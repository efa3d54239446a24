"""Microbatching: a function over a large batch in microbatches, per-example gradients (optax.microbatching)."""

# ruff: noqa: I001  (sorted by defining module)
from gradtx.microbatching._microbatching import AccumulationType as AccumulationType
from gradtx.microbatching._microbatching import Accumulator as Accumulator
from gradtx.microbatching._microbatching import micro_grad as micro_grad
from gradtx.microbatching._microbatching import micro_vmap as micro_vmap
from gradtx.microbatching._microbatching import microbatch as microbatch
from gradtx.microbatching._microbatching import reshape_batch_axis as reshape_batch_axis
