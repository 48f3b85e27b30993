"""cxkit.webchat stays a set of small modules without import circles: every module's imports
of its siblings (type-checking ones included) form a graph without a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

WEBCHAT = Path(__file__).resolve().parents[2] / "pysrc" / "cxkit" / "webchat"
MAX_LINES = 450


def sibling_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    modules = {p.stem: p for p in WEBCHAT.glob("*.py") if p.stem != "__init__"}
    return {name: sibling_imports(path) & set(modules) for name, path in modules.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        stack.pop()
        return None

    for start in sorted(edges):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_circle_in_webchat():
    assert find_cycle(graph()) is None


def test_no_webchat_module_over_the_size_limit():
    long = {p.name: n for p in WEBCHAT.glob("*.py") if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long
