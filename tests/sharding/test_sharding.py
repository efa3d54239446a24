"""Optimizers on 8 (host) devices: sharded params, state_shardings for every registered
transformation, explicit sharding types, the grouped layout and ZeRO-1 state sharding.
The checks are in multidevice/sharded_check.py, run in one subprocess."""

from __future__ import annotations

import pathlib

from tests.sharding._run import run_on_8_devices

HERE = pathlib.Path(__file__).resolve().parent


def test_sharded_state_on_8_devices():
    out = run_on_8_devices(HERE / "multidevice" / "sharded_check.py")
    assert "SHARDED OK" in out
    assert "state_shardings ok" in out and "explicit axes ok" in out and "zero1 adam" in out
    assert "sharded checkpoint ok: npz" in out
