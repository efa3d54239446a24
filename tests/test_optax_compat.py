"""`import gradtx as optax` works: every public gradtx function that optax also has
takes the same parameters, in the same order, with the same defaults.

gradtx may add keyword-only parameters (after ``*``) with defaults; it never removes,
renames or reorders optax's."""

from __future__ import annotations

import enum
import inspect
import math

import numpy as np
import optax
import pytest

import gradtx

NAMESPACES = [optax, getattr(optax, "contrib", None), getattr(optax, "schedules", None)]


def _optax_namesake(name):
    for ns in NAMESPACES:
        if ns is not None and callable(getattr(ns, name, None)):
            return getattr(ns, name)
    return None


def _public_callables():
    out = []
    for name in sorted(dir(gradtx)):
        obj = getattr(gradtx, name)
        if name.startswith("_") or not inspect.isfunction(obj):
            continue
        theirs = _optax_namesake(name)
        if theirs is not None and not inspect.isclass(theirs):
            out.append(name)
    return out


NAMES = _public_callables()

# Defaults that differ on purpose, each documented in the gradtx docstring.
DOCUMENTED_DEFAULT_DIFFERENCES = {
    # None builds the default Hutchinson estimator at call time (optax builds one
    # shared object as the default value).
    ("sophia", "hessian_diagonal_fn"),
    # gradtx's own zoom line search built with optax's default arguments
    # (max_linesearch_steps=20, initial_guess_strategy="one"); trajectories equal
    # optax's in float64 (tests/solvers/test_lbfgs.py).
    ("lbfgs", "linesearch"),
}


def _same_default(a, b):
    if a is b:
        return True
    if isinstance(a, enum.Enum) and isinstance(b, enum.Enum):  # optax's enum vs gradtx's twin
        return type(a).__name__ == type(b).__name__ and a.name == b.name
    try:
        if callable(a) and callable(b):  # default functions: compare their values
            x = np.arange(1.0, 6.0)
            return bool(np.allclose(np.asarray(a(x)), np.asarray(b(x))))
        if a == b:
            return True
        if isinstance(a, enum.Enum) and isinstance(b, enum.Enum):
            return (type(a).__name__, a.name, a.value) == (type(b).__name__, b.name, b.value)
        if all(hasattr(x, "init") and hasattr(x, "update") for x in (a, b)):
            # Two transformations (lbfgs's default line search): built by the same factory.
            factory = lambda tx: getattr(tx.update, "__wrapped__", tx.update).__qualname__.split(
                "."
            )[0]
            return factory(a) == factory(b)
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return True
        return bool(np.all(np.asarray(a) == np.asarray(b)))
    except Exception:  # noqa: BLE001 - unlike objects simply differ
        return False


def test_a_good_number_of_names_are_compared():
    assert len(NAMES) >= 30, NAMES


@pytest.mark.parametrize("name", NAMES)
def test_signature_matches_optax(name):
    ours = inspect.signature(getattr(gradtx, name)).parameters
    theirs = inspect.signature(_optax_namesake(name)).parameters
    for pname, p in theirs.items():
        if p.kind is p.VAR_POSITIONAL:
            assert any(q.kind is q.VAR_POSITIONAL for q in ours.values()), (name, pname)
            continue
        assert pname in ours, f"gradtx.{name} lacks optax's parameter {pname!r}"
        q = ours[pname]
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            assert q.kind in (q.POSITIONAL_ONLY, q.POSITIONAL_OR_KEYWORD), (name, pname)
        if p.default is not p.empty and (name, pname) not in DOCUMENTED_DEFAULT_DIFFERENCES:
            assert _same_default(q.default, p.default), (
                f"gradtx.{name}({pname}=...) default {q.default!r} != optax's {p.default!r}"
            )
    positional = lambda ps: [
        n for n, p in ps.items() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    assert positional(ours)[: len(positional(theirs))] == positional(theirs)
    extra = [n for n in ours if n not in theirs]
    for n in extra:
        q = ours[n]
        assert (
            q.kind in (q.KEYWORD_ONLY, q.VAR_KEYWORD, q.VAR_POSITIONAL) or q.default is not q.empty
        ), f"gradtx.{name} adds a required parameter {n!r}"
