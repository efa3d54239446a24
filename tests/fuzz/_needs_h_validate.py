"""The fuzz cases that wait for h-validate: the check_* helpers rejecting strings, None,
lists and non-scalar arrays at construction, with a message naming the function and the
argument. Generated from the failures on branch h-fuzz; once h-validate is merged, empty
``NEEDS_H_VALIDATE`` and see which cases still fail."""

from __future__ import annotations

# "factory.arg": the kinds ("string", "none", "list", "array2") that still build without
# a clear error on this branch (1682 cases).
NEEDS_H_VALIDATE: dict[str, str] = {}


def needs_h_validate(fn: str, arg: str, kind: str) -> bool:
    """Whether the type-rejection case (fn, arg, kind) is marked xfail until h-validate."""
    return kind in NEEDS_H_VALIDATE.get(f"{fn}.{arg}", "").split()
