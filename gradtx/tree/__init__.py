"""Short names for gradtx.tree_utils (optax.tree): ``gradtx.tree.add`` is ``gradtx.tree_utils.tree_add``."""

# ruff: noqa: I001, A001, F401  (re-exports under short names; some shadow builtins, as in optax.tree)
from gradtx.tree_utils._arithmetic import tree_add as add
from gradtx.tree_utils._arithmetic import tree_add_scale as add_scale
from gradtx.tree_utils._reductions import tree_allclose as allclose
from gradtx.tree_utils._construct import tree_batch_shape as batch_shape
from gradtx.tree_utils._moments import tree_bias_correction as bias_correction
from gradtx.tree_utils._construct import tree_cast as cast
from gradtx.tree_utils._construct import tree_cast_like as cast_like
from gradtx.tree_utils._arithmetic import tree_clip as clip
from gradtx.tree_utils._arithmetic import tree_conj as conj
from gradtx.tree_utils._arithmetic import tree_div as div
from gradtx.tree_utils._construct import tree_dtype as dtype
from gradtx.tree_utils._construct import tree_full_like as full_like
from gradtx.tree_utils._state import tree_get as get
from gradtx.tree_utils._state import tree_get_all_with_path as get_all_with_path
from gradtx.tree_utils._state import tree_map_params as map_params
from gradtx.tree_utils._reductions import tree_max as max
from gradtx.tree_utils._reductions import tree_min as min
from gradtx.tree_utils._arithmetic import tree_mul as mul
from gradtx.tree_utils._reductions import tree_norm as norm
from gradtx.tree_utils._construct import tree_ones_like as ones_like
from gradtx.tree_utils._random import tree_random_like as random_like
from gradtx.tree_utils._arithmetic import tree_real as real
from gradtx.tree_utils._arithmetic import tree_scale as scale
from gradtx.tree_utils._state import tree_set as set
from gradtx.tree_utils._reductions import tree_size as size
from gradtx.tree_utils._random import tree_split_key_like as split_key_like
from gradtx.tree_utils._arithmetic import tree_sub as sub
from gradtx.tree_utils._reductions import tree_sum as sum
from gradtx.tree_utils._reductions import tree_sum_of_squares as sum_of_squares
from gradtx.tree_utils._random import tree_unwrap_random_key_data as unwrap_random_key_data
from gradtx.tree_utils._moments import tree_update_infinity_moment as update_infinity_moment
from gradtx.tree_utils._moments import tree_update_moment as update_moment
from gradtx.tree_utils._moments import (
    tree_update_moment_per_elem_norm as update_moment_per_elem_norm,
)
from gradtx.tree_utils._reductions import tree_vdot as vdot
from gradtx.tree_utils._arithmetic import tree_where as where
from gradtx.tree_utils._construct import tree_zeros_like as zeros_like
