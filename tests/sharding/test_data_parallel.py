"""The data-parallel example (docs/examples/data_parallel.py) on 8 forced CPU devices:
batch sharded over "data", gradients averaged (by XLA under jit, by pmean under
shard_map), optimizer state ZeRO-1 sharded; the final params equal the single-device
run's to float32 rounding (the script asserts it against a float64 run)."""

from __future__ import annotations

from tests.sharding._run import ROOT, run_on_8_devices


def test_data_parallel_example_matches_one_device():
    out = run_on_8_devices(ROOT / "docs" / "examples" / "data_parallel.py")
    assert "devices: 8; Adam mu['w1'] per device: (1, 32)" in out
    assert "DATA PARALLEL OK" in out
