"""The import layers of the package `collect`, read from the source with `ast` (nothing imported).

A unit is a subpackage (collect.core, collect.data, collect.collector.providers, ...) or a
top-level module (collect.paths, collect.cli, ...). Every import statement counts, including
those inside functions. The tests fail on a cycle between units, on collect.data importing the
collector, and on a unit importing from a layer above its own.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from collect.paths import ROOT

PACKAGE = ROOT / "python" / "collect"

# Lowest first; a unit imports only units of lower layers (and its own modules).
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"collect", "collect.errors", "collect.paths", "collect.vocab"}),
    frozenset({"collect.core"}),
    frozenset({"collect.data"}),
    frozenset({"collect.collector.providers"}),
    frozenset({"collect.collector"}),
    frozenset({"collect.similarity", "collect.rbridge"}),
    frozenset({"collect.report_inputs"}),
    frozenset({"collect.analysis_cli"}),
    frozenset({"collect.power_cli"}),
    frozenset({"collect.cli"}),
    frozenset({"collect.__main__"}),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit_of(module: str) -> str:
    """The subpackage that holds `module`, or the module itself when it is a top-level file.
    `module` may end in a name imported from a module (`collect.core.parse.parse_answer`)."""
    parts = module.split(".")
    while parts:
        path = PACKAGE.parent.joinpath(*parts)
        if path.is_dir():
            return ".".join(parts)
        if path.with_suffix(".py").is_file():
            return ".".join(parts if len(parts) == 2 else parts[:-1])
        parts.pop()
    raise ValueError(f"{module} is not part of the package")


def imported_modules(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                yield f"{base}.{node.module}" if node.module else base
            elif node.module:
                yield node.module
                yield from (f"{node.module}.{alias.name}" for alias in node.names)


def unit_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        source = unit_of(module_name(path))
        targets = graph.setdefault(source, set())
        for module in imported_modules(path):
            if module == "collect" or module.startswith("collect."):
                target = unit_of(module)
                if target != source:
                    targets.add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of `graph` as a path that returns to its start, or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return [*stack[stack.index(target):], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_graph_sees_the_known_imports() -> None:
    graph = unit_graph()
    assert {"collect.core", "collect.data", "collect.collector", "collect.similarity",
            "collect.collector.providers"} <= set(graph)
    assert "collect.core" in graph["collect.data"]
    assert "collect.data" in graph["collect.similarity"]
    assert "collect.collector.providers" in graph["collect.collector"]


def test_no_cycle_between_units() -> None:
    cycle = find_cycle(unit_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_data_does_not_import_the_collector() -> None:
    graph = unit_graph()
    for unit, targets in graph.items():
        if unit == "collect.data" or unit.startswith("collect.data."):
            reached = sorted(t for t in targets if t.startswith("collect.collector"))
            assert reached == [], f"{unit} imports {reached}"


def test_every_unit_imports_only_from_lower_layers() -> None:
    rank = {unit: index for index, layer in enumerate(LAYERS) for unit in layer}
    graph = unit_graph()
    unplaced = sorted(set(graph) - set(rank))
    assert unplaced == [], f"units without a layer in this test: {unplaced}"
    upward = sorted(f"{unit} -> {target}" for unit, targets in graph.items()
                    for target in targets if rank[target] >= rank[unit])
    assert upward == [], "imports from the same or a higher layer:\n" + "\n".join(upward)
