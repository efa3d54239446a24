"""The registry entry: how the contract suite builds and checks one transformation."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any


@dataclasses.dataclass(frozen=True)
class Entry:
    name: str  # unique test id, e.g. "adam" or "sgd-nesterov"
    make: Callable[[], Any]  # builds the GradientTransformation
    extra_args: dict = dataclasses.field(default_factory=dict)  # e.g. {"value": 1.0}
    # extra args that depend on the point: extra_args_fn(params, grads) -> dict, merged
    # over extra_args (line searches need value=, grad= and value_fn= at the params)
    extra_args_fn: Callable[[Any, Any], dict] | None = None
    optimizer: bool = False  # a full optimizer (includes a learning rate; descends)
    vmap: bool = True  # supports jax.vmap over a leading batch axis of params
    min_ndim: int = 0  # smallest leaf rank it accepts (contract trees respect it)
    dtypes: tuple[str, ...] = ("bfloat16", "float32", "float64")
    finite_on_zero_grad: bool = True  # outputs finite when a gradient leaf is all zeros
    # Runs under jax_numpy_dtype_promotion="strict". False marks an entry whose step still
    # mixes dtypes implicitly (an int count or a float64 scalar with float32 arrays, or a
    # user schedule that does): known, counted in docs/layout.md (none at present; a
    # registry schedule casts its int32 count with as_float from _support).
    strict_promotion: bool = True
    # Its state's `count` cycles (count mod k, as apply_every): the contract check of step
    # counts at the int32 limit then asks only that it stays in [0, max], not that it saturates.
    cyclic_count: bool = False
    # Traces under jax.set_mesh with explicit axes, init and update giving the same state
    # types (tests/sharding). False marks a known gap: the step needs a whole leaf
    # (a linearisation, a factorisation) and does not yet gather it. (No entry is
    # flagged now; gather with tree_utils._sharding.gather_explicit / reshard_like.)
    explicit_sharding: bool = True

    # init accepts jax.ShapeDtypeStruct params (False: its state copies the params' values)
    abstract_init: bool = True
    # outputs are placed on a mesh: the first update with placed (committed) params compiles once more
    places_on_mesh: bool = False
    # The public factory behind ``make`` and its keyword arguments, for rebuilding the
    # entry with some overridden (tests/registry/_rebuild.py; the fuzz suite). Left
    # None, they are found by recording the factory call that ``make`` makes.
    factory: Callable[..., Any] | None = None
    kwargs: dict = dataclasses.field(default_factory=dict)
