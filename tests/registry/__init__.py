"""One registry of every exported transformation and optimizer, organised by namespace.

Each module here (``core``, ``transforms``, ``schedules``, ``optimizers``, ``contrib``,
and one per later namespace) defines ``ENTRIES``, a list of ``Entry``; this package
gathers them into ``ALL``, so adding a namespace never edits a shared list. The contract
suite (tests/core/test_contract.py) runs over ``ALL``. Exceptions to the contract are
flags on the entry, never skips inside a test.
"""

from __future__ import annotations

import importlib
import pkgutil

from tests.registry._entry import Entry

__all__ = ["ALL", "Entry"]


def _discover() -> list[Entry]:
    entries: list[Entry] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        entries.extend(importlib.import_module(f"{__name__}.{info.name}").ENTRIES)
    names = [e.name for e in entries]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ValueError(f"duplicate registry names: {sorted(dup)}")
    return entries


ALL: list[Entry] = _discover()
