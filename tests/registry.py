"""One registry of every exported transformation and optimizer.

Each family has its own ``tests/reg_<family>.py`` defining ``ENTRIES`` (a list of
``Entry``); this module gathers them all, so adding a family never edits a
shared file. The contract suite (tests/test_contract.py) runs over ``ALL``.
Exceptions to the contract are flags on the entry, never skips in a test.
"""

from __future__ import annotations

import dataclasses
import importlib
import pathlib
from collections.abc import Callable
from typing import Any


@dataclasses.dataclass(frozen=True)
class Entry:
    name: str  # unique test id, e.g. "adam" or "sgd-nesterov"
    make: Callable[[], Any]  # builds the GradientTransformation
    extra_args: dict = dataclasses.field(default_factory=dict)  # e.g. {"value": 1.0}
    optimizer: bool = False  # a full optimizer (includes a learning rate; descends)
    vmap: bool = True  # supports jax.vmap over a leading batch axis of params
    min_ndim: int = 0  # smallest leaf rank it accepts (contract trees respect it)
    dtypes: tuple[str, ...] = ("bfloat16", "float32", "float64")
    finite_on_zero_grad: bool = True  # outputs finite when a gradient leaf is all zeros


def _discover() -> list[Entry]:
    here = pathlib.Path(__file__).parent
    entries: list[Entry] = []
    for path in sorted(here.glob("reg_*.py")):
        mod = importlib.import_module(path.stem)
        entries.extend(mod.ENTRIES)
    names = [e.name for e in entries]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ValueError(f"duplicate registry names: {sorted(dup)}")
    return entries


ALL: list[Entry] = _discover()
