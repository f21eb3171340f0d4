"""The import graph of minigrad: no circles, and every import points down the layers.

This test reads the source of every module under ``minigrad/`` with ``ast`` (nothing is
imported), resolves each import of a minigrad module, relative ones included (``from . import
functional``, ``from ..ops import attention``, ``from .. import backend``), and builds the graph
module -> the modules it imports. Imports inside functions count too: a late import still ties
two modules together, and hiding a circle in a function body is how circles survive.

Two checks on that graph:

- **no circles**: every strongly connected set of modules is listed by the failure;
- **layers** (``/work/shared/ARCHITECTURE.md``, bottom to top): backend < autograd + tensor <
  ops < nn < optim, data, io, distributed < models < teaching aids. A module may import its own
  layer or the layers below, never above. Two readings of the table:

  * ``minigrad/cuda`` (the fused kernels and their glue) is placed in the *same* layer as ``ops``:
    the table lists the kernels above ops, but it is the ops that call them, as early returns,
    and the kernels import nothing of ops, so one layer is the honest picture;
  * ``tensor.py`` sits below ops, yet its operators are thin calls into ops, so it imports
    them: that one upward edge is listed in ``ALLOWED_UPWARD`` with its reason.

  The autograd + tensor layer is joined by ``register_tensor_class`` (``tensor.py`` hands its class
  to the engine), so ``autograd`` must not import ``tensor.py`` or ``creation.py``: checked apart.
  Package ``__init__`` files gather names for the user and are exempt from the layer check (they
  still count for circles).
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "minigrad"

# (layer, prefixes): a module is in the layer of the longest prefix it starts with
LAYERS = [
    ("backend", ["minigrad.backend", "minigrad.dtypes", "minigrad.random", "minigrad.backends", "minigrad.amp"]),
    ("autograd+tensor", ["minigrad.autograd", "minigrad.tensor", "minigrad.creation", "minigrad.functions",
                         "minigrad.legacy"]),
    ("ops", ["minigrad.ops", "minigrad.cuda"]),
    ("nn", ["minigrad.nn"]),
    # nn.parallel (DistributedDataParallel) calls the collectives: it is named as in PyTorch, layered with them
    ("optim, data, io, distributed", ["minigrad.optim", "minigrad.utils", "minigrad.serialization",
                                      "minigrad.safetensors", "minigrad.distributed", "minigrad.nn.parallel",
                                      "minigrad.metrics"]),
    ("models", ["minigrad.models", "minigrad.compress"]),
    ("teaching aids", ["minigrad.viz", "minigrad.check", "minigrad.demo", "minigrad.__main__", "minigrad"]),
]

ALLOWED_UPWARD = {
    # Tensor's operators and methods (x + y, x.softmax(dim)) are thin calls into the ops
    ("minigrad.tensor", "ops"): "the Tensor class calls the ops it is made of",
}


def _module_name(path, root):
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def read_sources(root=ROOT):
    """{module name: (source, is a package __init__)} for every .py file of the package."""
    return {_module_name(p, root): (p.read_text(encoding="utf-8"), p.name == "__init__.py")
            for p in sorted((root / PACKAGE).rglob("*.py"))}


def imports_of(name, source, is_package, modules):
    """The minigrad modules that ``source`` (module ``name``) imports, each resolved to a module in
    ``modules``: ``from pkg import sub`` names the submodule when there is one, else the package."""
    here = name if is_package else name.rpartition(".")[0]
    found = set()

    def add(target):
        while target and target not in modules:      # minigrad.ops.conv.Window2d -> minigrad.ops.conv
            target = target.rpartition(".")[0]
        if target:
            found.add(target)

    for node in ast.walk(ast.parse(source, name)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            if base.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    found.discard(name)
    return found


def import_graph(sources):
    modules = set(sources)
    return {name: imports_of(name, src, is_package, modules) for name, (src, is_package) in sources.items()}


def circles(graph):
    """The strongly connected sets of more than one module (Tarjan's algorithm), each sorted."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def layer_of(name):
    best = None
    for level, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and (best is None or len(prefix) > len(best[1])):
                best = (level, prefix)
    return None if best is None else best[0]


def upward_imports(graph, sources):
    """'a -> b (layer x imports layer y)' for every import of a higher layer, and unplaced modules."""
    wrong = []
    for name in sorted(graph):
        if layer_of(name) is None:
            wrong.append(f"{name} is in no layer: add it to LAYERS")
            continue
        if sources[name][1]:             # a package __init__: an aggregator
            continue
        for target in sorted(graph[name]):
            here, there = layer_of(name), layer_of(target)
            if there is not None and there > here and (name, LAYERS[there][0]) not in ALLOWED_UPWARD:
                wrong.append(f"{name} -> {target} ({LAYERS[here][0]} imports {LAYERS[there][0]})")
    return wrong


@pytest.fixture(scope="module")
def sources():
    return read_sources()


def test_the_package_is_read(sources):
    graph = import_graph(sources)
    assert "minigrad.nn.functional" in graph
    assert "minigrad.ops.conv" in graph["minigrad.nn.functional"]


def test_no_import_circles(sources):
    found = circles(import_graph(sources))
    assert not found, "import circles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_imports_point_down_the_layers(sources):
    wrong = upward_imports(import_graph(sources), sources)
    assert not wrong, "imports against the layering of ARCHITECTURE.md:\n" + "\n".join(wrong)


def test_autograd_does_not_import_tensor_or_creation(sources):
    graph = import_graph(sources)
    wrong = [f"{name} -> {target}" for name in sorted(graph) if name.split(".")[:2] == [PACKAGE, "autograd"]
             for target in sorted(graph[name]) if target in ("minigrad.tensor", "minigrad.creation")]
    assert not wrong, "autograd reaches Tensor only through register_tensor_class:\n" + "\n".join(wrong)


def test_the_checker_catches_a_circle_and_an_upward_import(tmp_path):
    files = {
        "__init__.py": "",
        "backend.py": "",
        "tensor.py": "from .ops import elementwise\n",
        "ops/__init__.py": "",
        "ops/elementwise.py": "from .. import backend\n",
        "nn/__init__.py": "from .linear import Linear\n",
        "nn/functional.py": "from ..ops.elementwise import Add\n\ndef f():\n    from .linear import Linear\n",
        "nn/linear.py": "from . import functional as F\n",
        "ops/norm.py": "from ..nn import functional\n",
    }
    for rel, text in files.items():
        (tmp_path / PACKAGE / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / PACKAGE / rel).write_text(text)
    fake = read_sources(tmp_path)
    graph = import_graph(fake)
    assert graph["minigrad.nn.linear"] == {"minigrad.nn.functional"}
    assert graph["minigrad.nn.functional"] == {"minigrad.ops.elementwise", "minigrad.nn.linear"}
    assert graph["minigrad.ops.elementwise"] == {"minigrad.backend"}
    assert circles(graph) == [["minigrad.nn.functional", "minigrad.nn.linear"]]
    assert upward_imports(graph, fake) == ["minigrad.ops.norm -> minigrad.nn.functional (ops imports nn)"]
