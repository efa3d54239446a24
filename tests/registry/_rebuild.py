"""Rebuild a registry entry with some keyword arguments overridden.

``recipe(entry)`` gives the public factory behind an entry and the keyword
arguments it was called with: the entry's own ``factory``/``kwargs`` where it
sets them, else the call found by running ``entry.make()`` while every public
gradtx function is wrapped to record its calls (the recorded call is the one
whose result is the transformation ``make`` returned). ``rebuild(entry, **kw)``
calls that factory again with ``kw`` merged over the recorded arguments.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import types
from collections.abc import Callable
from typing import Any

import gradtx
from tests.registry._entry import Entry

__all__ = ["Recipe", "rebuild", "recipe"]


class Recipe(types.SimpleNamespace):
    """``factory``: the public gradtx function; ``kwargs``: its arguments, by name."""

    factory: Callable
    kwargs: dict


def _public_modules() -> list[types.ModuleType]:
    mods = [gradtx]
    for info in pkgutil.walk_packages(gradtx.__path__, "gradtx."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        try:
            mods.append(importlib.import_module(info.name))
        except ImportError:  # an optional integration that is not installed
            continue
    return mods


@functools.cache
def _patch_targets() -> list[tuple[types.ModuleType, str, Callable]]:
    targets = []
    for mod in _public_modules():
        for name, obj in vars(mod).items():
            if name.startswith("_") or not inspect.isfunction(obj):
                continue
            if not getattr(obj, "__module__", "").startswith("gradtx"):
                continue
            targets.append((mod, name, obj))
    return targets


def _record(entry: Entry) -> Recipe | None:
    calls: list[tuple[Callable, tuple, dict, Any]] = []

    def wrap(fn):
        @functools.wraps(fn)
        def recorder(*args, **kwargs):
            out = fn(*args, **kwargs)
            calls.append((fn, args, kwargs, out))
            return out

        return recorder

    targets = _patch_targets()
    try:
        for mod, name, fn in targets:
            setattr(mod, name, wrap(fn))
        tx = entry.make()
    finally:
        for mod, name, fn in targets:
            setattr(mod, name, fn)
    for fn, args, kwargs, out in reversed(calls):
        if out is tx:
            try:
                bound = inspect.signature(fn).bind(*args, **kwargs)
            except TypeError:
                return None
            if any(
                p.kind is inspect.Parameter.VAR_POSITIONAL and p.name in bound.arguments
                for p in inspect.signature(fn).parameters.values()
            ):
                return None  # chain(*txs): positional varargs cannot be overridden by name
            return Recipe(factory=fn, kwargs=dict(bound.arguments))
    return None


_CACHE: dict[str, Recipe | None] = {}


def recipe(entry: Entry) -> Recipe | None:
    """The factory and keyword arguments behind ``entry``, or None if not recoverable."""
    if entry.factory is not None:
        return Recipe(factory=entry.factory, kwargs=dict(entry.kwargs))
    make = entry.make
    if inspect.isfunction(make) and make.__module__.startswith("gradtx"):
        return Recipe(factory=make, kwargs={})
    if entry.name not in _CACHE:
        _CACHE[entry.name] = _record(entry)
    return _CACHE[entry.name]


def rebuild(entry: Entry, **overrides: Any):
    """Call the entry's factory again with ``overrides`` merged over its arguments."""
    r = recipe(entry)
    if r is None:
        raise LookupError(f"registry entry {entry.name!r} has no recoverable factory call")
    return r.factory(**{**r.kwargs, **overrides})
