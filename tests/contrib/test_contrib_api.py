"""The optax.contrib names added for issue 9: optax's signatures and state fields,
documented, registered in the contract suite, defined in private gradtx.contrib modules,
and absent from the top level (optax keeps them in contrib only)."""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import optax.contrib
import pytest

import gradtx
from gradtx import contrib
from tests.registry import ALL

NEW = [
    "acprop", "scale_by_acprop", "cocob", "scale_by_cocob", "COCOBState", "dadapt_adamw",
    "DAdaptAdamWState", "dog", "DoGState", "dowg", "DoWGState", "dpsgd",
    "differentially_private_aggregate", "DifferentiallyPrivateAggregateState", "galore",
    "scale_by_galore", "GaLoreState", "GaLoreDimensionNumbers", "madgrad", "scale_by_madgrad",
    "MadgradState", "mechanize", "MechanicState", "momo", "MomoState", "momo_adam",
    "MomoAdamState", "normalize", "NormalizeState", "sam", "SAMState", "simplified_ademamix",
    "scale_by_simplified_ademamix", "ScaleBySimplifiedAdEMAMixState", "split_real_and_imaginary",
    "SplitRealAndImaginaryState",
]  # fmt: skip
ENTRY_NAMES = [e.name for e in ALL]


def _params(fn):
    return [(p.name, p.default, p.kind) for p in inspect.signature(fn).parameters.values()]


def test_every_optax_contrib_name_exists():
    missing = [n for n in dir(optax.contrib) if not n.startswith("_") and not hasattr(contrib, n)]
    assert missing == []


@pytest.mark.parametrize("name", NEW)
def test_matches_optax(name):
    ours, theirs = getattr(contrib, name), getattr(optax.contrib, name)
    if inspect.isfunction(theirs):
        assert _params(ours) == _params(theirs)
    elif hasattr(theirs, "_fields"):
        assert ours._fields == theirs._fields
        assert ours._field_defaults == theirs._field_defaults


@pytest.mark.parametrize("name", NEW)
def test_documented_private_module_registered_not_top_level(name):
    obj = getattr(contrib, name)
    assert (obj.__doc__ or "").strip()
    assert obj.__module__.startswith("gradtx.contrib._") or obj is gradtx.EmptyState
    assert not hasattr(gradtx, name), f"{name} is contrib-only in optax"
    if inspect.isfunction(obj):
        assert any(e == name or e.startswith(name + "_") for e in ENTRY_NAMES), (
            f"gradtx.contrib.{name} has no entry in tests/registry/contrib_extra.py"
        )


TRACED = {
    "acprop": lambda h: contrib.acprop(h, b1=h),
    "cocob": lambda h: contrib.cocob(h, alpha=100 * h),
    "dadapt_adamw": lambda h: contrib.dadapt_adamw(h, (h, 0.999)),
    "dog": lambda h: contrib.dog(h, ("distance", h)),
    "dowg": lambda h: contrib.dowg(h, h),
    "madgrad": lambda h: contrib.madgrad(h, h),
    "mechanize": lambda h: contrib.mechanize(gradtx.sgd(h), weight_decay=h),
    "momo": lambda h: contrib.momo(h, h),
    "momo_adam": lambda h: contrib.momo_adam(h, h),
    "simplified_ademamix": lambda h: contrib.simplified_ademamix(h, h, alpha=h),
    "galore": lambda h: contrib.galore(h, rank=1),
    "dpsgd": lambda h: contrib.dpsgd(h, h, h, 0),
}


def test_traced_hyperparameters_are_accepted():
    """Array hyperparameters pass validation and work under jit (one compile for all)."""

    @jax.jit
    def first_updates(h):
        p = {"w": jnp.ones((3, 2)), "b": jnp.ones(2)}
        out = {}
        for name, make in TRACED.items():
            tx = make(h)
            g = jax.tree.map(lambda x: x[None], p) if name == "dpsgd" else p
            out[name] = tx.update(g, tx.init(p), p, value=jnp.asarray(1.0))[0]
        return out

    out = first_updates(jnp.asarray(0.5))
    for name, u in out.items():
        assert all(bool(jnp.all(jnp.isfinite(x))) for x in jax.tree.leaves(u)), name
