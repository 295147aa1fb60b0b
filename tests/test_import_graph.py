"""The import graph of ``gateway/`` and ``clients/`` has no cycles, and ``clients/`` stands alone.

Every import statement of every module counts, wherever it is: at the top, inside a function
(an import deferred to a function still ties the two modules together), under ``try``. Only
imports under ``if TYPE_CHECKING:`` are left out: they never run, and exist for annotations.

An edge goes from a module to what it imports: ``import a.b`` to ``a.b``; ``from a import b`` to
``a.b`` when ``a/b`` is a module of the tree, else to ``a``; relative imports are resolved
against the importing module. A package's ``__init__`` is a module of its own (``a``). A cycle
is a strongly connected component of more than one module (or a module importing itself).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("gateway", "clients")


def module_files() -> dict[str, Path]:
    """Every module of the packages by dotted name (a package by its own name)."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Import statements under ``node``, skipping the bodies of ``if TYPE_CHECKING:``."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:
                yield from _imports_in(other)
            continue
        yield from _imports_in(child)


def _imports_in(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    yield from _imports(node)


def imported_by(name: str, path: Path, modules: set[str]) -> set[str]:
    """The modules ``name`` imports (any module name, in the tree or not)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in _imports(tree):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            anchor = name.split(".")
            if not is_package:
                anchor.pop()
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            targets.add(sub if sub in modules else base)
    return targets


def graph() -> dict[str, set[str]]:
    files = module_files()
    modules = set(files)
    return {name: imported_by(name, path, modules) for name, path in files.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module, or with a self-loop (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in edges:
                continue  # outside the tree
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in edges.get(node, ()):
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return found


def _path_within(edges: dict[str, set[str]], component: list[str]) -> list[str]:
    """One cycle through the component's first module, to print (a -> b -> ... -> a)."""
    members = set(component)
    start = component[0]
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        node = frontier.pop(0)
        for target in sorted(edges[node] & members):
            if target == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if target not in came_from:
                came_from[target] = node
                frontier.append(target)
    return component


def test_the_graph_is_walked():
    edges = graph()
    assert "gateway.runtime" in edges and "clients.ipn" in edges
    assert "gateway.store.db" in edges["gateway.runtime"]


def test_the_cycle_finder_finds_function_level_cycles():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert cycles(edges) == [["a", "b", "c"], ["e"]]


def test_no_import_cycles():
    edges = graph()
    found = cycles(edges)
    described = [" -> ".join(_path_within(edges, c)) + f"  (all: {', '.join(c)})" for c in found]
    assert not found, "import cycles:\n" + "\n".join(described)


def test_clients_import_nothing_of_gateway_or_flask():
    edges = graph()
    offending = {
        name: sorted(t for t in targets if t.split(".")[0] in ("gateway", "flask"))
        for name, targets in edges.items()
        if name.split(".")[0] == "clients"
    }
    assert {name: found for name, found in offending.items() if found} == {}
