"""gradtx.losses has every public name of optax.losses, with optax's arguments, and the aliases."""

from __future__ import annotations

import inspect

import optax
import pytest

import gradtx

OPTAX_NAMES = sorted(n for n in dir(optax.losses) if not n.startswith("_"))


def test_every_optax_loss_is_present():
    assert len(OPTAX_NAMES) == 32
    assert [n for n in OPTAX_NAMES if not hasattr(gradtx.losses, n)] == []


@pytest.mark.parametrize("name", OPTAX_NAMES)
def test_signature_extends_optax(name):
    """optax's parameters, in optax's order and kinds, with optax's defaults; extras keyword-only."""
    theirs = inspect.signature(getattr(optax.losses, name)).parameters
    ours = inspect.signature(getattr(gradtx.losses, name)).parameters
    assert list(ours)[: len(theirs)] == list(theirs)
    for key, p in theirs.items():
        q = ours[key]
        assert q.kind == p.kind, key
        if p.default is not inspect.Parameter.empty and not callable(p.default):
            assert q.default == p.default, key
    for key in list(ours)[len(theirs) :]:
        assert ours[key].kind is inspect.Parameter.KEYWORD_ONLY, key


def test_top_level_aliases_are_the_same_objects():
    top = [n for n in OPTAX_NAMES if getattr(optax, n, None) is getattr(optax.losses, n)]
    assert len(top) == 19
    for name in top:
        assert getattr(gradtx, name) is getattr(gradtx.losses, name), name
    assert gradtx.losses.l1_loss(gradtx.losses.absolute_error(-2.0)) == 2.0
