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

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_docstring_examples():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JAX_", "XLA_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--doctest-modules", "gradtx", "-q",
         "-o", "addopts=", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:benchmark"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    passed = re.search(r"(\d+) passed", proc.stdout)
    assert passed and int(passed.group(1)) >= 80, proc.stdout[-2000:]  # 90 examples today
