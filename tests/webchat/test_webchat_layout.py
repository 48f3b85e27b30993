"""cxkit.webchat stays a set of small modules without import circles: every module's imports
of its siblings (type-checking ones included) form a graph without a cycle. The service's
satellites see it through narrow ``*Host`` protocols: mypy proves the service has what each
names, and these tests that each names nothing its code does not touch."""

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


# -- the service's satellites get narrow hosts ---------------------------------------------------

def _is_protocol(node: ast.ClassDef) -> bool:
    return any(isinstance(base, ast.Name) and base.id == "Protocol" for base in node.bases)


def host_protocols() -> dict[str, tuple[str, ast.ClassDef]]:
    """Every ``*Host`` protocol of the package: its module and class."""
    found = {}
    for path in WEBCHAT.glob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef) and node.name.endswith("Host") and _is_protocol(node):
                found[node.name] = (path.stem, node)
    return found


def own_members(protocol: ast.ClassDef) -> set[str]:
    members = set()
    for node in protocol.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            members.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            members.add(node.target.id)
    return members


def touched_and_typed(module: str) -> tuple[set[str], set[str]]:
    """(attribute names the module's code reads or writes, the names its parameters are typed
    with), protocol bodies left out."""
    tree = ast.parse((WEBCHAT / f"{module}.py").read_text())
    skip = {id(n) for p in ast.walk(tree) if isinstance(p, ast.ClassDef) and _is_protocol(p)
            for n in ast.walk(p)}
    touched, typed = set(), set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Attribute):
            touched.add(node.attr)
        elif isinstance(node, ast.arg) and node.annotation is not None:
            typed.update(n.id for n in ast.walk(node.annotation) if isinstance(n, ast.Name))
            typed.update(n.value for n in ast.walk(node.annotation)
                         if isinstance(n, ast.Constant) and isinstance(n.value, str))
    return touched, typed


def test_every_host_member_is_touched_by_code_typed_with_it():
    hosts = host_protocols()
    assert {"CommandHost", "ChatCommandHost", "StartChatHost", "FileCommandHost", "WebChatHost",
            "RestoreHost", "PushHost", "ProcessingHost", "TabsHost"} <= set(hosts)
    bases = {name: {b.id for b in cls.bases if isinstance(b, ast.Name) and b.id in hosts}
             for name, (_, cls) in hosts.items()}

    def covers(name: str) -> set[str]:  # the protocol and those that extend it
        found = {name}
        for sub, of in bases.items():
            if name in of:
                found |= covers(sub)
        return found

    modules = [p.stem for p in WEBCHAT.glob("*.py")]
    unused = {}
    for name, (_, cls) in hosts.items():
        touched: set[str] = set()
        for module in modules:
            module_touched, typed = touched_and_typed(module)
            if typed & covers(name):
                touched |= module_touched
        if own_members(cls) - touched:
            unused[name] = sorted(own_members(cls) - touched)
    assert not unused


def test_the_command_host_is_what_every_command_module_touches():
    _, cls = host_protocols()["CommandHost"]
    for module in ("commands", "start_chat", "file_commands"):
        touched, _ = touched_and_typed(module)
        assert own_members(cls) <= touched, module
