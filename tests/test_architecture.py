"""The package's import graph has no cycle, counting imports inside functions too (a lazy import
hides a cycle from Python, not from the reader)."""

from __future__ import annotations

import ast
import graphlib

from conftest import ROOT

PACKAGE = ROOT / "src" / "modelcard_spec"


def _modules() -> dict[str, object]:
    """Dotted name below the package ("check.rules", "cli", "importers") -> its file; a package's
    ``__init__.py`` is the package itself, the root's is ""."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[0] == "generated":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _sources():
    """(dotted name, file, its text) of every module of the package, generated code aside."""
    for name, path in _modules().items():
        yield name, path, path.read_text(encoding="utf-8")


def _imports() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (relative or absolute, a module or a name from
    it), anywhere in its code."""
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        package = [p for p in package if p]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
                    target = base + (node.module.split(".") if node.module else [])
                elif (node.module or "").split(".")[0] == "modelcard_spec":
                    target = node.module.split(".")[1:]
                else:
                    continue
                candidates = [".".join(target + [a.name]) for a in node.names] + [".".join(target)]
            elif isinstance(node, ast.Import):
                candidates = [a.name.split(".", 1)[1] for a in node.names if a.name.startswith("modelcard_spec.")]
            else:
                continue
            for candidate in candidates:
                if candidate in modules and candidate != name:
                    found.add(candidate)
                    break
        graph[name] = found
    return graph


def test_the_import_graph_has_no_cycle():
    try:
        list(graphlib.TopologicalSorter(_imports()).static_order())
    except graphlib.CycleError as exc:
        raise AssertionError(f"import cycle: {' -> '.join(exc.args[1])}") from None


def test_the_cycle_check_can_fail():
    graph = _imports()
    graph["spec.registry"] = graph["spec.registry"] | {"check.rules"}  # rules -> registry
    try:
        list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError:
        return
    raise AssertionError("a cycle was not found")


def test_json_pointer_tokens_are_escaped_in_one_place():
    """RFC 6901 escaping is pointers.py's alone (there were four copies)."""
    for name, _, text in _sources():
        if name != "spec.pointers":
            assert '"~0"' not in text and '"~1"' not in text, name


def test_one_process_pool():
    """validate and kg load share batch.chunks_in_order (there were two pools)."""
    users = sorted(name for name, _, text in _sources() if "ProcessPoolExecutor" in text)
    assert users == ["spec.batch"]


def test_chunks_come_back_in_input_order_from_several_processes():
    from modelcard_spec.spec.batch import chunks_in_order

    items = [str(i) for i in range(103)]
    out = [x for chunk in chunks_in_order(list, items, jobs=2, max_chunk=4) for x in chunk]
    assert out == items


def _layers() -> dict[str, int]:
    """Package -> its layer's position, from the table in docs/architecture.md (so the page and
    the code cannot drift apart)."""
    import re

    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = text.split("| Layer | Modules |", 1)[1].split("\n\n", 1)[0]
    layers, listed = {}, set()
    rows = [row for row in table.splitlines()[2:] if row.startswith("|")]
    for position, row in enumerate(rows):
        package = row.split("|")[1].strip().strip("`").rstrip("/").removesuffix(".py")
        assert package not in layers, f"{package} is in two layers"
        layers[package] = position
        for module in re.findall(r"`([a-z_][a-z0-9_.]*)`", row.split("|")[2]):
            listed.add(module if package in ("cli", "importers") and module == package else f"{package}.{module}")
    return layers, listed


def _layer(module: str) -> str:
    return module.split(".")[0]


def test_every_module_is_named_on_the_architecture_page():
    layers, listed = _layers()
    modules = set(_modules()) - {""} - set(layers)
    assert modules == listed - set(layers)
    assert {_layer(m) for m in _modules() if m} == set(layers)


def test_no_module_imports_from_a_layer_below_its_own():
    layers, _ = _layers()
    upward = {(m, d) for m, deps in _imports().items() if m
              for d in deps if layers[_layer(d)] > layers[_layer(m)]}
    assert upward == set()


def test_the_layer_check_can_fail():
    layers, _ = _layers()
    graph = _imports()
    graph["spec.catalogue"] = graph["spec.catalogue"] | {"check.rules"}
    assert any(layers[_layer(d)] > layers[_layer(m)] for m, deps in graph.items() if m for d in deps)


def test_one_streamed_digest():
    """Files are hashed by digests.py alone (model files, outputs and evidence each had their own loop)."""
    users = sorted(name for name, _, text in _sources() if "hashlib.sha256()" in text)
    assert users == ["spec.digests"]
