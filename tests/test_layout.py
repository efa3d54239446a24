"""The package layout: layers, one defining module per object, no private cross-imports."""

from __future__ import annotations

import ast
import importlib
import pathlib

import pytest

import gradtx

ROOT = pathlib.Path(gradtx.__file__).resolve().parent
MODULES = sorted(p for p in ROOT.rglob("*.py") if "__pycache__" not in p.parts)

# Bottom up; a module may import from its own layer and the layers below it.
LAYERS = [
    {"tree_utils", "tree"},
    {"_core"},
    {
        "transforms",
        "schedules",
        "curvature",
        "projections",
        "losses",
        "proximal",
        "second_order",
        "microbatching",
        "assignment",
        "perturbations",
        "experimental",
    },
    {"_optimizers"},
    {"solvers", "proximal"},  # proximal: operators plus FISTA's run loop over _optimizers
    {"contrib"},
]
LAYER_OF = {name: i for i, names in enumerate(LAYERS) for name in names}
MAX_LINES = 500


def _module_name(path: pathlib.Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _gradtx_imports(path: pathlib.Path):
    """(module, imported name) for every ``from gradtx... import name`` in a file."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gradtx"):
            for alias in node.names:
                yield node.module, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("gradtx"):
                    yield alias.name, None


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYER_OF.get(parts[1]) if len(parts) > 1 else None


def test_every_subpackage_has_a_layer():
    subpackages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert subpackages <= set(LAYER_OF), sorted(subpackages - set(LAYER_OF))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_import_of_another_modules_underscore_names(path):
    me = _module_name(path)
    bad = [
        f"{mod}.{name}"
        for mod, name in _gradtx_imports(path)
        if name is not None and name.startswith("_") and mod != me
    ]
    assert not bad, f"{me} imports private names of other modules: {bad}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_never_run_back_up_the_layers(path):
    me = _module_name(path)
    mine = _layer(me)
    if mine is None:  # gradtx/__init__.py and gradtx/demo.py sit above every layer
        return
    bad = [mod for mod, _ in _gradtx_imports(path) if (_layer(mod) or -1) > mine]
    assert not bad, f"{me} (layer {mine}) imports from higher layers: {bad}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_stay_small(path):
    n = len(path.read_text().splitlines())
    assert n <= MAX_LINES, f"{path.relative_to(ROOT)} has {n} lines; split it by what it holds"


NAMESPACE_INITS = sorted(p for p in ROOT.glob("*/__init__.py"))


@pytest.mark.parametrize("path", NAMESPACE_INITS, ids=lambda p: p.parent.name)
def test_namespace_inits_only_reexport(path):
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if isinstance(node, ast.ImportFrom):  # a re-export, possibly renamed (gradtx.tree)
            assert node.module.startswith("gradtx"), ast.dump(node)
            continue
        if isinstance(node, ast.Assign) and [getattr(t, "id", "") for t in node.targets] == [
            "__all__"
        ]:
            continue
        raise AssertionError(
            f"{path.parent.name}/__init__.py does more than re-export: line {node.lineno}"
        )


def _reexports():
    """(public path, defining module) for every re-export in every namespace ``__init__``."""
    for path in [ROOT / "__init__.py", *NAMESPACE_INITS]:
        ns = _module_name(path)
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ImportFrom) and node.module.startswith("gradtx."):
                for a in node.names:
                    yield ns, a.asname or a.name, node.module, a.name


def test_every_path_to_an_object_gives_the_same_object():
    checked = 0
    for ns, public, module, name in _reexports():
        obj = getattr(importlib.import_module(ns), public)
        src = importlib.import_module(module)
        if not hasattr(src, name):  # a submodule re-exported as a namespace
            continue
        assert obj is getattr(src, name), f"{ns}.{public} is not {module}.{name}"
        checked += 1
    assert checked > 300
    assert gradtx.chain is gradtx.transforms.chain
    assert gradtx.tree_utils.tree_get is gradtx.tree_get
    assert gradtx.contrib.muon is gradtx.muon
    assert gradtx.schedules.warmup_cosine_decay_schedule is gradtx.warmup_cosine_decay_schedule


def test_each_object_is_defined_in_a_private_module():
    for ns, public, _, _ in _reexports():
        obj = getattr(importlib.import_module(ns), public)
        defined_in = getattr(obj, "__module__", None)
        if callable(obj) and isinstance(defined_in, str) and defined_in.startswith("gradtx"):
            last = defined_in.split(".")[-1]
            assert last.startswith("_"), f"{ns}.{public} is defined in public module {defined_in}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_only_public_jax_api_is_used(path):
    assert "jax._src" not in path.read_text(), f"{path.relative_to(ROOT)} reaches into jax._src"
