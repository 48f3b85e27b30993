"""The shape of the package: no import cycles, small modules, ruff and mypy clean.

Each check is split by part (webchat, mockgms, the docs generator, the rest) so a failure
names where it is.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pysrc" / "cxkit"
MAX_LINES = 450
LINTED = ("pysrc/cxkit", "scripts", "bench", "tests", "e2e")

#: the parts each check is split into: a path prefix (relative to the checkout), "" is the rest
PARTS = [
    pytest.param("", id="rest"),
    pytest.param("pysrc/cxkit/webchat/", id="webchat"),
    pytest.param("pysrc/cxkit/mockgms/", id="mockgms"),
]
#: ruff also reads scripts/, the docs generator among them
LINT_PARTS = [*PARTS, pytest.param("scripts/gen_docs.py", id="gen_docs")]
SEPARATE = [p.values[0] for p in LINT_PARTS if p.values[0]]


def _in_part(path: str, part: str) -> bool:
    if part:
        return path.startswith(part)
    return not any(path.startswith(other) for other in SEPARATE)


# -- the import graph ----------------------------------------------------------------------------

def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "runtime" in path.relative_to(PACKAGE).parts:
            continue
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _type_checking_only(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def imported_modules(source: str, module: str, is_package: bool, known: set[str], *,
                     with_type_checking: bool = False) -> set[str]:
    """The cxkit modules ``module`` imports anywhere in its code (functions too), except under
    ``if TYPE_CHECKING:`` unless asked. ``from .pkg import name`` names ``pkg.name`` when that is a
    module, else ``pkg``."""
    found: set[str] = set()
    package = module.split(".") if is_package else module.split(".")[:-1]

    def walk(node: ast.AST) -> Iterator[ast.AST]:
        for child in ast.iter_child_nodes(node):
            if _type_checking_only(child) and not with_type_checking:
                for other in child.orelse:  # type: ignore[attr-defined]
                    yield other
                    yield from walk(other)
                continue
            yield child
            yield from walk(child)

    for node in walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "cxkit")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "cxkit":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in known else target)
    found.discard(module)
    return found & known


def import_graph(*, with_type_checking: bool = False) -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: imported_modules(path.read_text(), name, path.name == "__init__.py", known,
                                   with_type_checking=with_type_checking)
            for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_cycle_finder_sees_a_circle_and_ignores_type_checking_imports():
    known = {"cxkit.a", "cxkit.b", "cxkit.c", "cxkit.pkg", "cxkit.pkg.mod"}
    a = "from typing import TYPE_CHECKING\nfrom . import b\nif TYPE_CHECKING:\n    from .c import C\n"
    b = "def later():\n    from cxkit.a import x\n"
    c = "from .pkg import mod\nfrom .pkg import name\n"
    assert imported_modules(a, "cxkit.a", False, known) == {"cxkit.b"}
    assert imported_modules(a, "cxkit.a", False, known, with_type_checking=True) == {"cxkit.b", "cxkit.c"}
    assert imported_modules(c, "cxkit.c", False, known) == {"cxkit.pkg.mod", "cxkit.pkg"}
    graph = {"cxkit.a": imported_modules(a, "cxkit.a", False, known),
             "cxkit.b": imported_modules(b, "cxkit.b", False, known), "cxkit.c": set()}
    assert cycles(graph) == [["cxkit.a", "cxkit.b"]]
    assert cycles({"cxkit.a": {"cxkit.b"}, "cxkit.b": set()}) == []


def test_no_import_cycles_among_cxkit_modules():
    graph = import_graph()
    assert len(graph) > 100 and "cxkit.bus.bus" in graph["cxkit.bus"]
    assert cycles(graph) == []


@pytest.mark.parametrize("package", ["cxkit.bus", "cxkit.gms", "cxkit.common"])
def test_core_packages_have_no_cycles_even_through_type_only_imports(package):
    graph = import_graph(with_type_checking=True)
    inside = {name: {t for t in targets if t.startswith(package)}
              for name, targets in graph.items() if name.startswith(package)}
    assert cycles(inside) == []


# -- module size ---------------------------------------------------------------------------------

@pytest.mark.parametrize("part", PARTS)
def test_no_module_over_450_lines(part):
    sizes = {str(path.relative_to(ROOT)): len(path.read_text().splitlines()) for path in _modules().values()}
    assert {path: n for path, n in sizes.items() if _in_part(path, part) and n > MAX_LINES} == {}


# -- ruff and mypy -------------------------------------------------------------------------------

@cache
def ruff_findings() -> tuple[tuple[str, str], ...]:
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "json", *LINTED],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode in (0, 1), run.stderr
    return tuple((str(Path(item["filename"]).resolve().relative_to(ROOT)),
                  f"{item['code']} {item['message']} (line {item['location']['row']})")
                 for item in json.loads(run.stdout))


@cache
def mypy_findings() -> tuple[tuple[str, str], ...]:
    run = subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary", "--no-pretty",
                          "--cache-dir", str(ROOT / ".cache" / "mypy")],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode in (0, 1), run.stdout + run.stderr
    errors = [line for line in run.stdout.splitlines() if ": error: " in line]
    assert run.returncode == 0 or errors, run.stdout
    return tuple((line.split(":", 1)[0], line) for line in errors)


@pytest.mark.parametrize("part", LINT_PARTS)
def test_ruff_is_clean(part):
    assert [f"{path}: {what}" for path, what in ruff_findings() if _in_part(path, part)] == []


@pytest.mark.parametrize("part", PARTS)
def test_mypy_is_clean(part):
    assert [line for path, line in mypy_findings() if _in_part(path, part)] == []


def _waits_on_a_promise(source: str) -> list[int]:
    """Lines where ``wait_for_function`` is given an async function or a ``.then(`` chain."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "wait_for_function" and node.args):
            text = " ".join(part.value for part in ast.walk(node.args[0])
                            if isinstance(part, ast.Constant) and isinstance(part.value, str))
            if "async " in text or ".then(" in text or "await " in text:
                found.append(node.lineno)
    return found


def test_no_wait_for_function_on_a_promise():
    """Playwright's ``wait_for_function`` takes a returned Promise for a truthy value and returns at
    once: such a wait waits for nothing (e2e_support's ``wait_async`` polls one instead)."""
    assert _waits_on_a_promise('page.wait_for_function(f"async () => {x}().then((k) => k)")') == [1]
    assert _waits_on_a_promise('page.wait_for_function("() => window.ready")') == []
    waits = {str(path.relative_to(ROOT)): lines
             for folder in LINTED for path in sorted((ROOT / folder).rglob("*.py"))
             if "runtime" not in path.parts and (lines := _waits_on_a_promise(path.read_text()))}
    assert waits == {}
