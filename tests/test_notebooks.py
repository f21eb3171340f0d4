"""The chapter notebooks (notebooks/*.ipynb) run top to bottom, and are stored without outputs.

Each notebook is executed in a fresh Jupyter kernel with nbclient, from the notebooks/ folder (so
relative paths behave as they do for a student), with a time limit per cell. A failing cell fails
the test with that cell's source and traceback. The kernel is the 'python3' kernel that
jupyter_client provides for the interpreter running pytest when ipykernel is installed beside it,
and the repository root is put on its PYTHONPATH, so the notebooks import this checkout of minigrad.

Needs the notebook extras (nbformat, nbclient, ipykernel); without them the tests are skipped.
"""
import os
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT = 120      # seconds; each whole notebook is meant to run well under a minute

nbformat = pytest.importorskip("nbformat", reason="running the notebooks needs nbformat (pip install nbformat)")


def test_notebooks_are_found():
    assert NOTEBOOKS, f"no notebooks in {ROOT / 'notebooks'}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_valid_and_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
             and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs or execution counts; clear them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, monkeypatch):
    nbclient = pytest.importorskip("nbclient", reason="running the notebooks needs nbclient (pip install nbclient)")
    pytest.importorskip("ipykernel", reason="running the notebooks needs ipykernel (pip install ipykernel)")
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    # the kernel inherits this process's environment: import minigrad from this checkout
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT,
                                     resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    try:
        client.execute()
    except CellTimeoutError as err:
        pytest.fail(f"{path.name}: a cell ran longer than {CELL_TIMEOUT} s\n{err}", pytrace=False)
    except CellExecutionError as err:
        pytest.fail(f"{path.name}: a cell raised an error\n{err}", pytrace=False)
    print(f"{path.name}: ran in {time.perf_counter() - start:.1f} s")
