"""Every docstring example in gradtx runs and prints what it says.

The examples are run in a separate process: this test session enables float64
(conftest.py), while the examples show what a user sees with JAX's defaults.
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "gradtx"
# Three groups of about equal size, so that pytest-xdist runs them side by side.
GROUPS = {
    "optimizers-contrib": ["_optimizers", "contrib"],
    "transforms-schedules-tree": ["transforms", "schedules", "tree_utils", "tree", "_core"],
    "rest": None,  # every other module
}
_NAMED = {d for dirs in GROUPS.values() if dirs for d in dirs}


def _paths(group):
    dirs = GROUPS[group]
    if dirs is not None:
        return [str(PACKAGE / d) for d in dirs]
    return sorted(
        str(p) for p in PACKAGE.iterdir() if p.name not in _NAMED and p.name != "__pycache__"
    )


@pytest.mark.parametrize("group", list(GROUPS))
def test_docstring_examples(group):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JAX_", "XLA_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--doctest-modules", *_paths(group), "-q",
         "-o", "addopts=", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:benchmark"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    passed = re.search(r"(\d+) passed", proc.stdout)
    assert passed and int(passed.group(1)) >= 40, proc.stdout[-2000:]


def test_every_module_is_in_a_doctest_group():
    covered = {pathlib.Path(p).name for g in GROUPS for p in _paths(g)}
    assert covered == {p.name for p in PACKAGE.iterdir() if p.name != "__pycache__"}
