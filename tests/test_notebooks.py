"""The chapter notebooks (notebooks/*.ipynb) run top to bottom, and are stored without outputs.

Each chapter is a jupytext "percent" script ``notebooks/NN_name.py`` paired with ``NN_name.ipynb``:
the two must hold the same cells (``jupytext --sync`` leaves the tree unchanged), and the chapter
keeps the conventions of notebooks/README.md (header with the article sections, the minigrad
version printed first, asserted results, exercises that link to tutorials/).

Each notebook is executed in a fresh Jupyter kernel with nbclient, from the notebooks/ folder (so
relative paths behave as they do for a student), with a time limit per cell. A failing cell fails
the test with that cell's source and traceback. The kernel is the 'python3' kernel that
jupyter_client provides for the interpreter running pytest when ipykernel is installed beside it,
and the repository root is put on its PYTHONPATH, so the notebooks import this checkout of minigrad.
``MINIGRAD_FAST=1`` is set: the chapters train fewer steps, and their assertions still hold.

Needs the test extras (nbformat, nbclient, ipykernel, jupytext); without them the tests are skipped.
"""
import os
import re
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
CELL_TIMEOUT = 120      # seconds; each chapter is meant to run in under 30 s in fast mode
MAX_CODE_LINES = 25     # "cells of at most ~20 lines": a little slack for a plot's last lines

nbformat = pytest.importorskip("nbformat", reason="running the notebooks needs nbformat (pip install nbformat)")


def test_notebooks_are_found():
    assert NOTEBOOKS, f"no notebooks in {ROOT / 'notebooks'}"
    assert CHAPTERS, f"no chapter scripts NN_name.py in {ROOT / 'notebooks'}"


def test_every_numbered_notebook_is_a_chapter_pair():
    numbered = {p.stem for p in NOTEBOOKS if re.match(r"\d\d_", p.name)}
    assert numbered == {p.stem for p in CHAPTERS}, "each NN_name.ipynb needs its NN_name.py and the reverse"


def _cells(nb):
    return [(cell.cell_type, cell.source.strip()) for cell in nb.cells]


@pytest.mark.parametrize("script", CHAPTERS, ids=lambda p: p.name)
def test_chapter_pair_is_in_sync(script):
    jupytext = pytest.importorskip("jupytext", reason="the pairing check needs jupytext (pip install jupytext)")
    text = jupytext.read(script)
    notebook = nbformat.read(script.with_suffix(".ipynb"), as_version=4)
    assert _cells(text) == _cells(notebook), (
        f"{script.name} and its .ipynb differ: run `jupytext --sync notebooks/{script.name}`")
    formats = notebook.metadata.get("jupytext", {}).get("formats", "")
    assert "py:percent" in formats and "ipynb" in formats, f"{script.stem}.ipynb is not paired: see notebooks/README.md"


@pytest.mark.parametrize("script", CHAPTERS, ids=lambda p: p.name)
def test_chapter_keeps_the_conventions(script):
    jupytext = pytest.importorskip("jupytext", reason="the conventions check needs jupytext (pip install jupytext)")
    cells = jupytext.read(script).cells
    header, code = cells[0].source, [c.source for c in cells if c.cell_type == "code"]
    assert header.startswith("# Chapter ") and re.search(r"\*\*Mirrors:\*\* article 00\d.*?§\d", header), \
        "the first cell is the title and a **Mirrors:** line naming the article sections (article 002 ... §3.1)"
    assert "print(\"minigrad\", minigrad.__version__)" in code[0], "the first code cell prints the minigrad version"
    assert "MINIGRAD_FAST" in code[0], "the first code cell reads MINIGRAD_FAST"
    assert sum("assert " in c for c in code) >= 3, "a chapter asserts its headline results"
    long = [c.splitlines()[0] for c in code[1:] if len(c.splitlines()) > MAX_CODE_LINES]   # setup cell excepted
    assert not long, f"code cells longer than {MAX_CODE_LINES} lines, starting {long}: split them"
    last = cells[-1].source
    assert "## Exercises" in last and "tutorials/" in last, "the chapter ends with exercises linking to tutorials/"
    glossary = (ROOT / "notebooks" / "GLOSSARY.md").read_text(encoding="utf-8")
    for chinese in re.findall(r"\*\*[^*]*?\*\* \(([\u4e00-\u9fff]+)\)", "\n".join(c.source for c in cells)):
        assert chinese in glossary, f"key term {chinese} of {script.name} is missing from notebooks/GLOSSARY.md"


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
    monkeypatch.setenv("MINIGRAD_FAST", "1")
    # the chapters' matrices are small: BLAS threads only contend for the CI's two cores (10-100x slower)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
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
