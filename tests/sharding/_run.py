"""Run a check script in a fresh process with 8 forced host (CPU) devices.

The device count must be set before JAX starts, hence a subprocess; each test
module runs ONE script, so its compilations are paid once.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run_on_8_devices(script: pathlib.Path, *args: str, timeout: int = 600) -> str:
    """Run ``script`` with the repository root importable; return its stdout.

    Raises AssertionError with the tail of its output if it fails.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JAX_", "XLA_"))}
    env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, str(script), *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout
