"""Pytree utilities: arithmetic on trees of arrays, and reading or writing optimizer state by name (optax.tree_utils)."""

# ruff: noqa: I001  (sorted by defining module)
from gradtx.tree_utils._state import NamedTupleKey as NamedTupleKey
from gradtx.tree_utils._state import tree_get as tree_get
from gradtx.tree_utils._state import tree_get_all_with_path as tree_get_all_with_path
from gradtx.tree_utils._state import tree_set as tree_set
from gradtx.tree_utils._checkpoint import load_npz as load_npz
from gradtx.tree_utils._checkpoint import save_npz as save_npz
from gradtx.tree_utils._sharding import state_shardings as state_shardings
from gradtx.tree_utils._tree_math import tree_add as tree_add
from gradtx.tree_utils._tree_math import tree_cast as tree_cast
from gradtx.tree_utils._tree_math import tree_cast_like as tree_cast_like
from gradtx.tree_utils._tree_math import tree_full_like as tree_full_like
from gradtx.tree_utils._tree_math import tree_scale as tree_scale
from gradtx.tree_utils._tree_math import tree_sub as tree_sub
from gradtx.tree_utils._tree_math import tree_vdot as tree_vdot
from gradtx.tree_utils._tree_math import tree_where as tree_where
from gradtx.tree_utils._tree_math import tree_zeros_like as tree_zeros_like
