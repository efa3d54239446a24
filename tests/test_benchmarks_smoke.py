"""The benchmark harness runs end to end on a tiny configuration (no timings asserted)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import run as bench  # noqa: E402

TINY = dict(
    bench.SMOKE,
    total=600,
    leaves=(1, 3),
    opts=("adam",),
    steps=2,
    warmup=1,
    grouped_opts=("adam",),
    torch=False,
)


def test_helpers():
    assert bench.leaf_shape(40_000) == (200, 200)
    assert bench.leaf_shape(2_000) == (40, 50)
    assert bench.leaf_shape(7) == (1, 7)
    assert bench.paired_ratio({"a": [2.0, 4.0, 9.0], "b": [1.0, 1.0, 3.0]}, "a", "b") == 3.0
    assert bench.paired_ratio({"a": [1.0]}, "a", "missing") is None


def test_tiny_run_writes_json_and_markdown(tmp_path):
    res = bench.main(["--skip", "eager,sweep,mlp", "--out", str(tmp_path)], cfg=TINY)
    steps = {(r["opt"], r["leaves"]): r for r in res["steps"]}
    assert set(steps) == {("adam", 1), ("adam", 3)}
    adam3 = steps[("adam", 3)]
    # Same elementwise program per leaf as optax: same kernel count; grouped: fewer.
    assert adam3["gradtx"]["kernels"] == adam3["optax"]["kernels"]
    assert adam3["gradtx_grouped"]["kernels"] < adam3["optax"]["kernels"]
    assert adam3["gradtx"]["state_bytes_per_param"] > 8.0  # mu, nu and a count
    assert adam3["ratio"] > 0 and adam3["floor_ms"] > 0
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["steps"][0]["opt"] == "adam"
    md = (tmp_path / "results.md").read_text()
    assert "## Targets" in md and "| adam | 3 |" in md
