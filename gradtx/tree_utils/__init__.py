"""Pytree utilities: arithmetic on trees of arrays, and reading or writing optimizer state by name (optax.tree_utils)."""

# ruff: noqa: I001  (sorted by defining module)
from gradtx.tree_utils._arithmetic import tree_add as tree_add
from gradtx.tree_utils._arithmetic import tree_add_scale as tree_add_scale
from gradtx.tree_utils._arithmetic import tree_clip as tree_clip
from gradtx.tree_utils._arithmetic import tree_conj as tree_conj
from gradtx.tree_utils._arithmetic import tree_div as tree_div
from gradtx.tree_utils._arithmetic import tree_mul as tree_mul
from gradtx.tree_utils._arithmetic import tree_real as tree_real
from gradtx.tree_utils._arithmetic import tree_scale as tree_scale
from gradtx.tree_utils._arithmetic import tree_sub as tree_sub
from gradtx.tree_utils._arithmetic import tree_where as tree_where
from gradtx.tree_utils._construct import tree_batch_shape as tree_batch_shape
from gradtx.tree_utils._construct import tree_cast as tree_cast
from gradtx.tree_utils._construct import tree_cast_like as tree_cast_like
from gradtx.tree_utils._construct import tree_dtype as tree_dtype
from gradtx.tree_utils._construct import tree_full_like as tree_full_like
from gradtx.tree_utils._construct import tree_ones_like as tree_ones_like
from gradtx.tree_utils._construct import tree_zeros_like as tree_zeros_like
from gradtx.tree_utils._moments import tree_bias_correction as tree_bias_correction
from gradtx.tree_utils._moments import tree_update_infinity_moment as tree_update_infinity_moment
from gradtx.tree_utils._moments import tree_update_moment as tree_update_moment
from gradtx.tree_utils._moments import (
    tree_update_moment_per_elem_norm as tree_update_moment_per_elem_norm,
)
from gradtx.tree_utils._random import tree_random_like as tree_random_like
from gradtx.tree_utils._random import tree_split_key_like as tree_split_key_like
from gradtx.tree_utils._random import tree_unwrap_random_key_data as tree_unwrap_random_key_data
from gradtx.tree_utils._reductions import tree_allclose as tree_allclose
from gradtx.tree_utils._reductions import tree_max as tree_max
from gradtx.tree_utils._reductions import tree_min as tree_min
from gradtx.tree_utils._reductions import tree_norm as tree_norm
from gradtx.tree_utils._reductions import tree_size as tree_size
from gradtx.tree_utils._reductions import tree_sum as tree_sum
from gradtx.tree_utils._reductions import tree_sum_of_squares as tree_sum_of_squares
from gradtx.tree_utils._reductions import tree_vdot as tree_vdot
from gradtx.tree_utils._state import NamedTupleKey as NamedTupleKey
from gradtx.tree_utils._state import tree_get as tree_get
from gradtx.tree_utils._state import tree_get_all_with_path as tree_get_all_with_path
from gradtx.tree_utils._state import tree_map_params as tree_map_params
from gradtx.tree_utils._state import tree_set as tree_set
from gradtx.tree_utils._checkpoint import load_npz as load_npz
from gradtx.tree_utils._checkpoint import save_npz as save_npz
from gradtx.tree_utils._checkpoint import tree_drop_empty as tree_drop_empty
from gradtx.tree_utils._checkpoint import tree_refill_empty as tree_refill_empty
from gradtx.tree_utils._sharding import state_shardings as state_shardings
