"""Array-module discipline: op code never calls NumPy directly.

Every op takes its array module from its inputs (``xp = get_array_module(x.data)``), so the
same code runs on NumPy (CPU) and CuPy (GPU). A stray ``np.exp(x.data)`` would silently pull a
GPU tensor back to the host, or fail; this test reads the source of every op module with ``ast``
and rejects any import or use of ``numpy``. Only the modules in ``NUMPY_ALLOWED`` may import
NumPy: the backend (which *is* the choice of array module) and the seeded random generator.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

NUMPY_ALLOWED = {"minigrad/backend.py", "minigrad/random.py"}
OP_DIRS = ["minigrad/ops", "minigrad/nn", "minigrad/optim"]
NUMPY_NAMES = {"numpy", "np"}


def numpy_uses(source, filename="<source>"):
    """Every place in ``source`` that imports NumPy or touches a name bound to it: 'line: what'."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names if a.name.split(".")[0] == "numpy"]
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "").split(".")[0] == "numpy":
                found.append(f"{node.lineno}: from {node.module} import ...")
            found += [f"{node.lineno}: imports {a.name} as {a.asname or a.name}" for a in node.names
                      if a.name in NUMPY_NAMES or a.asname in NUMPY_NAMES]
        elif isinstance(node, ast.Name) and node.id in NUMPY_NAMES:
            found.append(f"{node.lineno}: uses {node.id}")
    return found


def op_modules():
    return sorted(p.relative_to(ROOT).as_posix() for d in OP_DIRS for p in (ROOT / d).rglob("*.py"))


def test_op_modules_are_found():
    assert "minigrad/ops/elementwise.py" in op_modules()


def test_allowed_list_names_real_modules_outside_the_scanned_folders():
    for path in NUMPY_ALLOWED:
        assert (ROOT / path).is_file(), path
        assert not any(path.startswith(d + "/") for d in OP_DIRS), path


@pytest.mark.parametrize("path", op_modules())
def test_op_module_does_not_use_numpy(path):
    uses = numpy_uses((ROOT / path).read_text(), path)
    assert not uses, f"{path} calls NumPy directly; use xp = get_array_module(...):\n" + "\n".join(uses)


def test_checker_catches_numpy_calls():
    bad = "import numpy as np\n\ndef f(x):\n    return np.exp(x.data)\n"
    nested = "def g(x):\n    import numpy\n    return numpy.zeros(3)\n"
    aliased = "from ..backend import numpy as np\n"
    good = "from ..backend import get_array_module\n\ndef f(x):\n    xp = get_array_module(x.data)\n" \
           "    return xp.exp(x.data)\n"
    assert numpy_uses(bad) == ["1: import numpy", "4: uses np"]
    assert numpy_uses(nested) == ["2: import numpy", "3: uses numpy"]
    assert numpy_uses(aliased) == ["1: imports numpy as np"]
    assert numpy_uses(good) == []
