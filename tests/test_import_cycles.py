"""No import cycles inside the ``runner`` and ``bench`` packages.

Every module is read with ``ast`` (nothing is imported) and every import statement counts,
wherever it stands: at module level, inside a function, under ``if TYPE_CHECKING:``.
A function-level import hides a cycle from Python but not from a reader, so it is a cycle here.

An import names the module it loads: ``import a.b`` and ``from a.b import c`` -> ``a.b``, or
``a.b.c`` when ``c`` is a module itself; relative imports are resolved against the importing
module's package. The parent packages Python initialises on the way (``a/__init__.py``) are
not edges: ``from runner.sandbox.formats import x`` depends on ``formats``, not on everything
``runner/sandbox/__init__.py`` re-exports.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from runner.config import REPO_ROOT

PACKAGES = ("runner", "bench")


@dataclass(frozen=True)
class Import:
    """One import statement's edge: ``source`` imports ``target`` at ``where`` (path:line)."""

    source: str
    target: str
    where: str


def module_names(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """Every module of ``packages`` under ``root``: dotted name -> file (``pkg/__init__.py`` -> ``pkg``)."""
    modules: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The known module ``name`` loads: itself, or its longest known prefix (``a.b.attr`` -> ``a.b``)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str, path: Path, modules: dict[str, Path], root: Path) -> list[Import]:
    """Every import of one module (any depth in its syntax tree) that lands in ``modules``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[Import] = []

    def add(target: str | None, node: ast.stmt) -> None:
        edge = Import(module, target or module, f"{path.relative_to(root)}:{node.lineno}")
        if edge.target != module and edge not in found:  # `from m import a, b` is one edge
            found.append(edge)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(_resolve(alias.name, modules), node)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                if node.level > 1:
                    base_parts = base_parts[: -(node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                add(submodule if submodule in modules else _resolve(base, modules), node)
    return found


def import_graph(root: Path, packages: tuple[str, ...]) -> dict[str, list[Import]]:
    """Module -> its imports of other modules of ``packages``."""
    modules = module_names(root, packages)
    return {name: imports_of(name, path, modules, root) for name, path in modules.items()}


def import_cycles(graph: dict[str, list[Import]]) -> list[list[Import]]:
    """One cycle per strongly connected component of more than one module (Tarjan), each as the
    chain of imports that closes it, shortest found by a breadth-first search from its first module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:  # recursion depth = package size (a few dozen modules)
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for edge in graph.get(node, []):
            if edge.target not in index:
                visit(edge.target)
                low[node] = min(low[node], low[edge.target])
            elif edge.target in on_stack:
                low[node] = min(low[node], index[edge.target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)

    cycles = []
    for component in sorted(components):
        members = set(component)
        start = component[0]
        came_by: dict[str, Import] = {}
        frontier = [start]
        closing: Import | None = None
        while frontier and closing is None:
            following = []
            for node in frontier:
                for edge in graph[node]:
                    if edge.target == start:
                        closing = edge
                        break
                    if edge.target in members and edge.target not in came_by and edge.target != start:
                        came_by[edge.target] = edge
                        following.append(edge.target)
                if closing is not None:
                    break
            frontier = following
        assert closing is not None, component
        chain = [closing]
        while chain[0].source != start:
            chain.insert(0, came_by[chain[0].source])
        cycles.append(chain)
    return cycles


def describe(cycle: list[Import]) -> str:
    """``a -> b (a.py:3) -> a (b.py:9)``: each step with the line of the import that makes it."""
    return " -> ".join([cycle[0].source] + [f"{edge.target} ({edge.where})" for edge in cycle])


def entangled(graph: dict[str, list[Import]], cycle: list[Import]) -> list[Import]:
    """Every import among the modules that can reach each other with one on ``cycle``: all
    that has to go for the component to come apart, not just the one cycle named."""

    def reach(start: str, edges: dict[str, list[str]]) -> set[str]:
        seen, todo = {start}, [start]
        while todo:
            for target in edges.get(todo.pop(), []):
                if target not in seen:
                    seen.add(target)
                    todo.append(target)
        return seen

    forward = {source: [edge.target for edge in edges] for source, edges in graph.items()}
    backward: dict[str, list[str]] = {}
    for source, targets in forward.items():
        for target in targets:
            backward.setdefault(target, []).append(source)
    members = reach(cycle[0].source, forward) & reach(cycle[0].source, backward)
    return [edge for source in sorted(members) for edge in graph[source] if edge.target in members]


def test_runner_and_bench_have_no_import_cycles() -> None:
    graph = import_graph(REPO_ROOT, PACKAGES)
    assert len(graph) > 40, sorted(graph)  # the walk found the packages
    cycles = import_cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(
        describe(cycle)
        + "".join(f"\n    {edge.where}: {edge.source} imports {edge.target}" for edge in entangled(graph, cycle))
        for cycle in cycles
    )


def test_the_walk_finds_function_level_relative_and_submodule_imports(tmp_path: Path) -> None:
    """The detector itself: a cycle hidden behind each kind of import is found and named."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from pkg.sub.c import C\n")
    (pkg / "a.py").write_text("import os\n\ndef f():\n    from pkg import b\n")  # function-level, submodule
    (pkg / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import X\n")
    (pkg / "sub" / "c.py").write_text("class C:\n    def m(self):\n        from ..d import y\n")  # relative
    (pkg / "d.py").write_text("import pkg.sub.c as c\n")
    (pkg / "e.py").write_text("from pkg.sub import C\n")  # the package itself: no cycle through e
    graph = import_graph(tmp_path, ("pkg",))
    assert {edge.target for edge in graph["pkg.e"]} == {"pkg.sub"}
    assert graph["pkg.a"] == [Import("pkg.a", "pkg.b", "pkg/a.py:4")]
    cycles = import_cycles(graph)
    assert [describe(cycle) for cycle in cycles] == [
        "pkg.a -> pkg.b (pkg/a.py:4) -> pkg.a (pkg/b.py:3)",
        "pkg.d -> pkg.sub.c (pkg/d.py:1) -> pkg.d (pkg/sub/c.py:3)",
    ]
