"""The package's import graph has no cycle, counting imports inside functions too (a lazy import
hides a cycle from Python, not from the reader)."""

from __future__ import annotations

import ast
import graphlib

from conftest import ROOT

PACKAGE = ROOT / "src" / "modelcard_spec"


def _imports() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (``from . import x``, ``from .x import y``,
    ``from modelcard_spec.x import y``), anywhere in its code."""
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    graph = {}
    for path in PACKAGE.glob("*.py"):
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            module = node.module or ""
            if node.level == 1 or module.startswith("modelcard_spec"):
                parts = module.split(".")[1:] if module.startswith("modelcard_spec") else module.split(".")
                names = [parts[0]] if parts and parts[0] else [a.name for a in node.names]
                found.update(n for n in names if n in modules and n != path.stem)
        graph[path.stem] = found
    return graph


def test_the_import_graph_has_no_cycle():
    try:
        list(graphlib.TopologicalSorter(_imports()).static_order())
    except graphlib.CycleError as exc:
        raise AssertionError(f"import cycle: {' -> '.join(exc.args[1])}") from None


def test_the_cycle_check_can_fail():
    graph = _imports()
    graph["diagnostics"] = graph["diagnostics"] | {"rules"}  # the cycle there was: diagnostics -> rules -> loading
    try:
        list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError:
        return
    raise AssertionError("a cycle was not found")


def test_json_pointer_tokens_are_escaped_in_one_place():
    """RFC 6901 escaping is pointers.py's alone (there were four copies)."""
    for path in PACKAGE.glob("*.py"):
        if path.name != "pointers.py":
            text = path.read_text(encoding="utf-8")
            assert '"~0"' not in text and '"~1"' not in text, path.name


def test_one_process_pool():
    """validate and kg load share batch.chunks_in_order (there were two pools)."""
    users = sorted(p.name for p in PACKAGE.glob("*.py") if "ProcessPoolExecutor" in p.read_text(encoding="utf-8"))
    assert users == ["batch.py"]


def test_chunks_come_back_in_input_order_from_several_processes():
    from modelcard_spec.batch import chunks_in_order

    items = [str(i) for i in range(103)]
    out = [x for chunk in chunks_in_order(list, items, jobs=2, max_chunk=4) for x in chunk]
    assert out == items


# imports against the layers that docs/architecture.md names as known exceptions
KNOWN_UPWARD = {("crosscheck", "modelfile")}


def _layers() -> dict[str, int]:
    """Module -> its layer's position, from the table in docs/architecture.md (so the page and the
    code cannot drift apart)."""
    import re

    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = text.split("| Layer | Modules |", 1)[1].split("\n\n", 1)[0]
    layers = {}
    rows = [row for row in table.splitlines()[2:] if row.startswith("|")]
    for position, row in enumerate(rows):
        for module in re.findall(r"`([a-z_]+)`", row.split("|")[2]):
            assert module not in layers, f"{module} is in two layers"
            layers[module] = position
    return layers


def test_every_module_is_in_one_layer_of_the_architecture_page():
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert set(_layers()) == modules


def test_no_module_imports_from_a_layer_below_its_own():
    layers = _layers()
    upward = {(m, d) for m, deps in _imports().items() if m in layers
              for d in deps if d in layers and layers[d] > layers[m]}
    assert upward == KNOWN_UPWARD


def test_one_streamed_digest():
    """Files are hashed by digests.py alone (model files, outputs and evidence each had their own loop)."""
    users = sorted(p.name for p in PACKAGE.glob("*.py") if "hashlib.sha256()" in p.read_text(encoding="utf-8"))
    assert users == ["digests.py"]
