"""Every notebook in notebooks/ runs top to bottom without an error.

One test per notebook (pytest-xdist spreads them over workers). Each notebook asserts
facts it teaches in its own cells, so an ``AssertionError`` in a notebook fails here.
A notebook added to the directory is executed automatically; the count below makes
adding or removing one a deliberate change.
"""

from __future__ import annotations

import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXPECTED_COUNT = 15

# Text that a notebook's output must contain, beyond running without error.
EXPECTED_OUTPUT = {"quickstart.ipynb": "loss:"}


def test_notebook_count():
    names = [p.name for p in NOTEBOOKS]
    assert len(names) == EXPECTED_COUNT, (
        f"notebooks/ holds {len(names)} notebooks, expected {EXPECTED_COUNT}: {names}. "
        "Update EXPECTED_COUNT in tests/test_notebooks.py when adding one."
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_notebook_has_no_outputs(path):
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, (
                f"{path.name}: strip outputs before committing "
                "(jupyter nbconvert --clear-output --inplace notebooks/*.ipynb)"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    client.execute()  # raises CellExecutionError, with the traceback, on any error
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    if path.name in EXPECTED_OUTPUT:
        assert any(EXPECTED_OUTPUT[path.name] in o.get("text", "") for o in outputs)
