"""Every Python snippet in the README runs (with a small shared prelude for the data)."""

from __future__ import annotations

import pathlib
import re

import pytest

README = (pathlib.Path(__file__).resolve().parents[1] / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)

PRELUDE = """
import jax, jax.numpy as jnp, numpy as np
import gradtx as gx
rng = np.random.default_rng(0)
params = {"w": jnp.zeros((3,)), "bias": jnp.zeros(())}
def loss_fn(p, batch):
    x, y = batch
    return jnp.mean((x @ p["w"] + p["bias"] - y) ** 2)
batches = [
    (jnp.asarray(rng.normal(size=(8, 3)), jnp.float32), jnp.asarray(rng.normal(size=(8,)), jnp.float32))
    for _ in range(25)
]
data = (jnp.stack([b[0] for b in batches]), jnp.stack([b[1] for b in batches]))
"""


def test_readme_has_snippets():
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_snippet_runs(index, capsys):
    namespace: dict = {}
    exec(compile(PRELUDE, "<prelude>", "exec"), namespace)
    exec(compile(BLOCKS[index], f"<README block {index}>", "exec"), namespace)
    if "curves" in namespace:  # the vmap sweep: one loss curve per learning rate
        assert namespace["curves"].shape == (5, 25)
    if "step" in namespace and hasattr(namespace["step"], "_cache_size"):
        assert namespace["step"]._cache_size() == 1  # changing the lr did not recompile
