"""cxkit.mockgms stays easy to change: no import circles between its modules (type-only imports
count too) and no module over 450 lines."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "pysrc" / "cxkit" / "mockgms"


def _imports() -> dict[str, set[str]]:
    """{module: the sibling modules it imports}, from every relative import in its source."""
    modules = {path.stem for path in PACKAGE.glob("*.py")}
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.glob("*.py"):
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                found |= {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
        graph[path.stem] = (found & modules) - {path.stem}
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Import paths that come back to where they started (one per module that is on one)."""
    circles = []
    for start in sorted(graph):
        stack = [(start, [start])]
        seen: set[str] = set()
        while stack:
            node, path = stack.pop()
            for nxt in sorted(graph[node]):
                if nxt == start:
                    circles.append([*path, start])
                    stack.clear()
                    break
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    return circles


def test_the_circle_finder_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})[0] == ["a", "b", "c", "a"]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles():
    graph = _imports()
    assert {"agent", "chat", "files", "idle", "store", "cometd", "cometd_ws"} <= set(graph)
    assert _circles(graph) == []


def test_no_module_over_450_lines():
    long = {p.name: n for p in PACKAGE.glob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines())) > 450}
    assert long == {}
