"""The public surface: documented, registered in the contract suite, one path each."""

from __future__ import annotations

import inspect

import pytest

import gradtx
from tests.registry import ALL

PUBLIC = [n for n in sorted(dir(gradtx)) if not n.startswith("_")]
ENTRY_NAMES = [e.name for e in ALL]

# Public factories whose registry entries are named after what they wrap.
REGISTERED_UNDER_OTHER_NAMES = {
    "inject_hyperparams": "inject_",
    "inject_stateful_hyperparams": "inject_",
    "with_extra_args_support": "chain",
}


@pytest.mark.parametrize("name", PUBLIC)
def test_public_object_is_documented(name):
    obj = getattr(gradtx, name)
    if inspect.isfunction(obj) or inspect.isclass(obj):
        assert (obj.__doc__ or "").strip(), f"gradtx.{name} has no docstring"


def _returns_transformation(obj) -> bool:
    return inspect.isfunction(obj) and "GradientTransformation" in str(
        inspect.signature(obj).return_annotation
    )


@pytest.mark.parametrize("name", [n for n in PUBLIC if _returns_transformation(getattr(gradtx, n))])
def test_every_transformation_is_in_the_contract_registry(name):
    prefix = REGISTERED_UNDER_OTHER_NAMES.get(name, name)
    assert any(e == prefix or e.startswith(prefix) for e in ENTRY_NAMES), (
        f"gradtx.{name} has no entry in tests/registry/"
    )


def test_public_objects_live_in_private_modules():
    for name in PUBLIC:
        obj = getattr(gradtx, name)
        module = getattr(obj, "__module__", "") or ""
        if module.startswith("gradtx"):
            private = any(part.startswith("_") for part in module.split(".")[1:])
            assert module == "gradtx" or private or module == "gradtx.demo", (
                name,
                module,
            )
