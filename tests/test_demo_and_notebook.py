"""The demo runs end to end (the notebooks are executed by tests/test_notebooks.py)."""

from __future__ import annotations

import numpy as np

from gradtx import demo


def test_demo_trains_all_four_optimizers_and_writes_a_plot(tmp_path, capsys):
    out = tmp_path / "curves.png"
    results = demo.main(["--steps", "150", "--out", str(out)])
    assert set(results) == {"sgd", "sgd+momentum", "rmsprop", "adam"}
    for loss, acc in results.values():
        assert np.isfinite(loss) and 0.0 <= acc <= 1.0
    # Even a short run must beat chance with the adaptive methods.
    assert results["adam"][1] > 0.6
    assert out.stat().st_size > 10_000 and out.read_bytes()[:4] == b"\x89PNG"
    text = capsys.readouterr().out
    assert "final loss" in text and "adam" in text


def test_debiased_ema_is_unbiased_on_a_constant():
    np.testing.assert_allclose(demo.debiased_ema(np.full(10, 3.0)), np.full(10, 3.0))
