"""Write docs/reference.md from the code itself, so the reference cannot drift from it.

    $ .venv/bin/python scripts/gen_docs.py            # writes docs/reference.md
    $ .venv/bin/python scripts/gen_docs.py --out /tmp # writes /tmp/reference.md

Everything comes from the running code or its syntax tree: the WebChatService `COMMANDS` and
`EVENTS` registries and the handlers' `resolve`/`reject` calls (rejection texts from
webchat/messages.py), the `publish` calls that build each event's payload, `WebChatConfig.from_dict`
(keys, ranges) and the dataclass defaults, the JS face in pysrc/cxkit/web/widgets.js, the bus and plugin
classes, the mock GMS routes, actions, fault modes and `MockConfig` bounds, and the argparse parsers.
tests/test_docs.py fails when docs/reference.md is stale.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import re
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "pysrc"))

from cxkit import cli, doctor  # noqa: E402
from cxkit.bus import Bus, Plugin  # noqa: E402
from cxkit.bus import bus as bus_module  # noqa: E402
from cxkit.bus import messages as bus_messages  # noqa: E402
from cxkit.gms.forms import Identity  # noqa: E402
from cxkit.gms.responses import GmsReply  # noqa: E402
from cxkit.gms.transport import HttpResponse  # noqa: E402
from cxkit.mockgms import OPERATIONS, Code, CometdConfig, MockGMS  # noqa: E402
from cxkit.mockgms import actions as actions_module  # noqa: E402
from cxkit.mockgms import agent as agent_module  # noqa: E402
from cxkit.mockgms import cometd_faults as cometd_faults_module  # noqa: E402
from cxkit.mockgms import config as mock_config  # noqa: E402
from cxkit.mockgms import faults as faults_module  # noqa: E402
from cxkit.mockgms import routes_control  # noqa: E402
from cxkit.mockgms.actions import ACTION_TABLE, ActionParam  # noqa: E402
from cxkit.mockgms.agent import PRESETS  # noqa: E402
from cxkit.mockgms.cometd_faults import COMETD_FAULT_TABLE  # noqa: E402
from cxkit.mockgms.config import field_facts  # noqa: E402
from cxkit.mockgms.faults import FAULT_FIELDS, FAULT_MODE_TABLE, MAX_FAULTS  # noqa: E402
from cxkit.mockgms.routes_control import CONTROL_API  # noqa: E402
from cxkit.webchat import commands as commands_module  # noqa: E402
from cxkit.webchat import config as webchat_config  # noqa: E402
from cxkit.webchat import messages as webchat_messages  # noqa: E402
from cxkit.webchat.commands import COMMANDS  # noqa: E402
from cxkit.webchat.service import EVENTS, NAME  # noqa: E402

OUTPUT = "reference.md"
REGENERATE = ".venv/bin/python scripts/gen_docs.py"


def code(text: Any) -> str:
    """A Markdown code span that survives backticks and pipes inside tables."""
    text = str(text).replace("|", "\\|").replace("\n", " ")
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def tree_of(module: Any) -> ast.Module:
    return ast.parse(inspect.getsource(module))


def rel(module: Any) -> str:
    return Path(inspect.getsourcefile(module)).resolve().relative_to(ROOT).as_posix()


# -- WebChatService commands ----------------------------------------------------------------------

def _deferred_calls(fn: ast.AST, method: str) -> Iterator[ast.Call]:
    """Calls to ``e.deferred.<method>(...)`` in ``fn``, in source order."""
    for node in ast.walk(fn):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == method
                and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "deferred"):
            yield node


def _self_calls(fn: ast.AST) -> dict[str, dict[str, Any]]:
    """``self.<method>(...)`` helpers ``fn`` calls (their settlements count too), with the
    constant keyword arguments it passes them."""
    return {node.func.attr: {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
            for node in ast.walk(fn)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "self"}


# Words for the expressions handlers settle with; anything not listed is shown as code.
PHRASES = {
    "reply.body": "the GMS answer",
    "body": "the request-chat GMS answer",
    "*[reply.body]": "the GMS answer",
    "*[]": "(no value)",
    "reply.body if reply is not None else None": "the startTyping/stopTyping GMS answer (none inside the 2 s window)",
    "reply.http.text": "the GMS answer as JSON **text**, as the original",
    "s.report_failure(reply)": "the failure object",
    "failure": "the failure object",
    "s.report_failure(reply, plain=True)": "the plain failure object",
    "s.report_failure(_local_refusal(s.identity, violation, file), plain=True)":
        "the same plain failure object for a file over the known limits (checked before upload, "
        "nothing sent): `status` 400, `responseText` GMS's refusal `{statusCode: 2, errors: [{code: "
        "201/202/203, advice, filename}], ...}`",
    "{'statusCode': 1}": "`{statusCode: 1}` (another tab holds the start lock)",
    "str(exc) or type(exc).__name__": "the download port's error message",
}


def _bind(arg: ast.expr, env: dict[str, Any]) -> ast.expr:
    """``*(a if flag else b)`` with ``flag`` known from the caller: the branch that runs."""
    if isinstance(arg, ast.Starred) and isinstance(arg.value, ast.IfExp):
        test = arg.value.test
        if isinstance(test, ast.Name) and test.id in env:
            return ast.Starred(arg.value.body if env[test.id] else arg.value.orelse, ast.Load())
    return arg


def describe_settlement(call: ast.Call, env: dict[str, Any] | None = None) -> str:
    """One resolve/reject argument list as text; message constants become their words."""
    call = ast.Call(call.func, [_bind(a, env or {}) for a in call.args], call.keywords)
    if not call.args:
        return "(no value)"
    whole = ", ".join(("*" if isinstance(a, ast.Starred) else "") + ast.unparse(getattr(a, "value", a)
                      if isinstance(a, ast.Starred) else a) for a in call.args)
    if whole in PHRASES:
        return PHRASES[whole]
    parts = []
    for arg in call.args:
        target = arg.func.value if (isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute)
                                    and arg.func.attr == "format") else arg
        if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                and target.value.id == "msg"):
            text = getattr(webchat_messages, target.attr)
            parts.append(f'"{text}"' if target is arg else f'"{text}" (`{{}}` filled in)')
        elif isinstance(arg, ast.Starred):
            parts.append(code(ast.unparse(arg.value)) + " (when there is one)")
        else:
            parts.append(code(ast.unparse(arg)))
    return ", ".join(parts)


def command_settlements() -> dict[str, tuple[list[str], list[str]]]:
    """{command: (resolutions, rejections)} read from the handlers in webchat/commands.py."""
    cls = next(n for n in tree_of(commands_module).body if isinstance(n, ast.ClassDef) and n.name == "Commands")
    methods = {n.name: n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    out = {}
    for name in COMMANDS:
        bodies: list[tuple[ast.AST, dict[str, Any]]] = []
        seen: set[str] = set()
        todo: list[tuple[str, dict[str, Any]]] = [(name, {})]
        while todo:  # the handler plus the helpers it calls on self, with the flags it passes
            current, env = todo.pop()
            if current in seen or current not in methods:
                continue
            seen.add(current)
            fn = methods[current]
            defaults = dict(zip([a.arg for a in fn.args.args][-len(fn.args.defaults):] if fn.args.defaults else [],
                                fn.args.defaults))
            env = {**{k: v.value for k, v in defaults.items() if isinstance(v, ast.Constant)}, **env}
            bodies.append((fn, env))
            for helper, passed in sorted(_self_calls(fn).items()):
                todo.append((helper, passed))
        settle = {}
        for kind in ("resolve", "reject"):
            found: list[str] = []
            for body, env in bodies:
                for call in _deferred_calls(body, kind):
                    text = describe_settlement(call, env)
                    if text not in found:
                        found.append(text)
            settle[kind] = found
        out[name] = (settle["resolve"], settle["reject"])
    return out


def failure_shapes() -> tuple[list[str], list[str]]:
    """Keys of the two failure objects commands reject with (from GmsReply.failure itself)."""
    network = GmsReply(HttpResponse(0), None, "network").failure()
    http = GmsReply(HttpResponse(500, '{"statusCode": 1}', "Internal Server Error"), {"statusCode": 1},
                    "http_error").failure()
    return list(network), [k for k in http if k not in network]


def section_commands() -> list[str]:
    net_keys, extra = failure_shapes()
    lines = [
        f"## WebChatService commands ({len(COMMANDS)})",
        "",
        f"From `COMMANDS` in {rel(commands_module)}; what each handler resolves and rejects with, read",
        "from its `e.deferred.resolve(...)` / `e.deferred.reject(...)` calls (and those of the helpers it",
        "calls). Quoted texts are the constants of webchat/messages.py, word for word; code is the",
        "expression the handler settles with. Call them as `WebChatService.<command>` on the bus.",
        "",
        "Legend: `reply.body` is the GMS answer (`statusCode`, `chatId`, `messages`, `nextPosition`, ...).",
        "`s.report_failure(reply)` publishes `error` (unless it is a network failure during a session,",
        "which publishes `disconnected`) and is what the command rejects with: the GMS body when GMS",
        f"answered but refused (`statusCode` 1 or 2, `errors: [{{code, advice}}]`), else a jqXHR-like object",
        f"`{{{', '.join(net_keys)}}}` (plus {', '.join(f'`{k}`' for k in extra)} when there is a body / the",
        "service URL is wrong). File requests (`getFileLimits`, `sendFile`) reject with the plain",
        "failure object: the jqXHR-like one without `responseJSON` and `errorReason` (the original does",
        "not let jQuery parse file answers).",
        "",
        "| command | resolves with | rejects with |",
        "|---|---|---|",
    ]
    for name, (resolves, rejects) in command_settlements().items():
        lines.append(f"| `{name}` | {'<br>'.join(resolves) or '—'} | {'<br>'.join(rejects) or '— (never rejects)'} |")
    return lines


# -- WebChatService events ------------------------------------------------------------------------

def _event_names(node: ast.AST, constants: dict[str, list[str]]) -> list[str] | None:
    """The event name(s) a publish call's first argument can take, as a regex alternation."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [re.escape(node.value)]
    if isinstance(node, ast.IfExp):
        a, b = _event_names(node.body, constants), _event_names(node.orelse, constants)
        return (a or []) + (b or []) or None
    if isinstance(node, ast.JoinedStr):
        pattern = ""
        for part in node.values:
            if isinstance(part, ast.Constant):
                pattern += re.escape(part.value)
            else:
                options = _event_names(part.value, constants)
                pattern += f"(?:{'|'.join(options)})" if options else "[A-Za-z]+"
        return [pattern]
    return None


def _payload(call: ast.Call) -> str:
    args = call.args[1:]
    if not args:
        return "none (subscribers get `{}`)"
    data = args[0]
    if isinstance(data, ast.Dict):
        keys = [ast.literal_eval(k) for k in data.keys if k is not None]
        return "{" + ", ".join(f"`{k}`" for k in keys) + "}"
    text = ast.unparse(data)
    if text.endswith("as_session_data()"):
        return "session data {" + ", ".join(f"`{k}`" for k in Identity().as_session_data()) + "}"
    if text.endswith(".failure()") or text == "failure":
        return "the failure object (see the commands legend)"
    if "copy.deepcopy(message)" in text:
        return "the normalized message (or none when implied by another message)"
    if text == "reply.body" or text == "body":
        return "the GMS answer body"
    return code(text)


def event_payloads() -> tuple[dict[str, list[str]], list[str]]:
    """{event: [payload, ...]} from every publish/publish_direct/republish in webchat/*.py, and
    the names published that are not in `EVENTS`."""
    found: dict[str, list[str]] = {name: [] for name in EVENTS}
    extra: list[str] = []
    for path in sorted((ROOT / "pysrc" / "cxkit" / "webchat").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("publish", "publish_direct", "republish") and node.args):
                continue
            patterns = _event_names(node.args[0], {})
            if not patterns:
                continue
            payload = _payload(node) + (" (sticky: `republish`)" if node.func.attr == "republish" else "")
            for pattern in patterns:
                matched = [e for e in EVENTS if re.fullmatch(pattern, e)]
                if not matched and re.fullmatch(r"[A-Za-z]+", pattern) and pattern not in extra:
                    extra.append(pattern)
                for event in matched:
                    if payload not in found[event]:
                        found[event].append(payload)
    return found, extra


def section_events() -> list[str]:
    payloads, extra = event_payloads()
    lines = [
        f"## WebChatService events ({len(EVENTS)})",
        "",
        f"From `EVENTS` in {rel(sys.modules['cxkit.webchat.service'])} (registered on the bus, so",
        "`WebChatService.<event>` is listed by the `EVENTS` command); payloads read from the `publish` calls",
        "in pysrc/cxkit/webchat/. Subscribers receive `{time, publisher, event, data}`.",
        "",
        "| event | data |",
        "|---|---|",
    ]
    for event in EVENTS:
        lines.append(f"| `{event}` | {'<br>'.join(payloads[event]) or '— (not published by this service yet)'} |")
    if extra:
        lines += ["", "Also published but, as in the original, not registered: "
                  + ", ".join(f"`{e}`" for e in extra) + "."]
    return lines


# -- webchat configuration ------------------------------------------------------------------------

def _fmt_bound(node: ast.AST | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, ast.Constant):
        return None if node.value is None else f"{node.value:g}" if isinstance(node.value, (int, float)) else str(node.value)
    return {"poll_rate_min": "`pollRateMin`"}.get(ast.unparse(node), code(ast.unparse(node)))


def config_rows() -> list[dict[str, str]]:
    """One row per key `WebChatConfig.from_dict` reads, with the dataclass default."""
    fn = next(n for n in ast.walk(tree_of(webchat_config)) if isinstance(n, ast.FunctionDef) and n.name == "from_dict")
    local: dict[str, ast.AST] = {}
    for stmt in fn.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            local[stmt.targets[0].id] = stmt.value  # the last assignment wins, as at run time
        if isinstance(stmt, ast.If):  # a conditional re-assignment refines a key read earlier, or reads one
            for inner in stmt.body:
                if (isinstance(inner, ast.Assign) and isinstance(inner.targets[0], ast.Name)
                        and isinstance(inner.value, ast.Call)):
                    local[inner.targets[0].id] = inner.value
    ret = next(s for s in fn.body if isinstance(s, ast.Return))
    defaults = {f.name: f for f in dataclasses.fields(webchat_config.WebChatConfig)}

    def key_of(node: ast.AST) -> str:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name) and node.id in local:
            value = local[node.id]
            if isinstance(value, ast.IfExp):  # pollRateMax, or its old name
                return f"{value.body.value}|{value.orelse.value}"
        return ast.unparse(node)

    def section_prefix(node: ast.AST) -> str:
        if isinstance(node, ast.Name) and node.id in local:
            inner = local[node.id]
            if isinstance(inner, ast.Call) and ast.unparse(inner.func) == "_section":
                return f"{inner.args[1].value}."
        return ""

    def describe(node: ast.AST) -> tuple[str, str, str | None, str | None] | None:
        if isinstance(node, ast.Name) and node.id in local:
            return describe(local[node.id])
        if isinstance(node, ast.Call):
            func = ast.unparse(node.func)
            if func in ("_number", "_bool", "_str"):
                kw = {k.arg: k.value for k in node.keywords}
                kind = {"_bool": "boolean", "_str": "string"}.get(func)
                if func == "_number":
                    kind = "number" if isinstance(kw.get("integer"), ast.Constant) and kw["integer"].value is False else "integer"
                low = _fmt_bound(node.args[3]) if len(node.args) > 3 else None
                if low and isinstance(kw.get("low_open"), ast.Constant) and kw["low_open"].value:
                    low = f"> {low}"
                elif low:
                    low = f">= {low}"
                high = _fmt_bound(node.args[4]) if len(node.args) > 4 else None
                return section_prefix(node.args[0]) + key_of(node.args[1]), kind, low, high and f"<= {high}"
            if func in ("bool", "dict") and node.args:
                inner = describe(node.args[0])
                if inner:
                    return inner[0], "boolean" if func == "bool" else "object", None, None
            if func.endswith(".get") and node.args:
                return section_prefix(node.func.value) + key_of(node.args[0]), "object", None, None
        if isinstance(node, ast.BoolOp):
            return describe(node.values[0])
        return None

    rows = []
    for kw in ret.value.keywords:
        if kw.arg == "raw":
            continue
        found = describe(kw.value)
        if found is None:
            continue
        key, kind, low, high = found
        f = defaults[kw.arg]
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        rows.append({"key": key, "field": kw.arg, "type": kind, "default": repr(default) if default is not None else "none",
                     "range": " and ".join(b for b in (low, high) if b) or "—"})
    return rows


def section_config() -> list[str]:
    lines = [
        "## Configuration: `_genesys.widgets.webchat`",
        "",
        f"From `WebChatConfig.from_dict` in {rel(webchat_config)} (keys and ranges) and the `WebChatConfig`",
        "dataclass (defaults). Times are milliseconds. A value of the wrong type or out of range logs a",
        "warning on the `cxkit.webchat` logger (shown in the browser console) and the default is used.",
        "`configure` can be called again later to change options (no second `ready`).",
        "",
        "| key | type | default | accepted range | `WebChatConfig` field |",
        "|---|---|---|---|---|",
    ]
    for row in config_rows():
        key, _, alias = row["key"].partition("|")
        shown = f"`{key}`" + (f" (or `{alias}`)" if alias else "")
        lines.append(f"| {shown} | {row['type']} | {code(row['default'])} | {row['range']} | `{row['field']}` |")
    return lines


# -- bus ------------------------------------------------------------------------------------------

def js_face() -> tuple[list[str], list[str]]:
    """(CXBus global members, plugin interface members) as pysrc/cxkit/web/widgets.js defines them."""
    source = (ROOT / "pysrc" / "cxkit" / "web" / "widgets.js").read_text()
    methods = re.findall(r'"(\w+)"', re.search(r"var METHODS = \[(.*?)\];", source, re.S).group(1))
    plugin = sorted({"command", "namespace", *methods})
    body = re.search(r"var CXBus = \{(.*?)\n  \};", source, re.S).group(1)
    globals_ = re.findall(r"^\s*(\w+):|,\s*(\w+):", body, re.M)
    members = sorted({a or b for a, b in globals_})
    return members, plugin


def _public_methods(cls: type) -> list[tuple[str, str, str]]:
    rows = []
    for name, member in inspect.getmembers(cls):
        if name.startswith("_"):
            continue
        fn = member.fget if isinstance(member, property) else member
        if not callable(fn) and not isinstance(member, property):
            continue
        sig = "" if isinstance(member, property) else str(inspect.signature(fn)).replace("self, ", "").replace("(self)", "()")
        doc = (inspect.getdoc(fn) or "").split("\n")[0]
        rows.append((name, sig, doc))
    return rows


def section_bus() -> list[str]:
    members, plugin = js_face()
    lines = [
        "## The bus (CXBus)",
        "",
        "### JavaScript face",
        "",
        "From pysrc/cxkit/web/widgets.js. `window.CXBus` members: " + ", ".join(f"`{m}`" for m in members) + ".",
        "",
        "Plugin interface (what `CXBus.registerPlugin(name)` returns; `window._genesys.widgets.bus`, the",
        "QuickBus, is one too, plus `registerPlugin`): " + ", ".join(f"`{m}`" for m in plugin) + ".",
        "`command` returns a Deferred's promise (`done`, `fail`, `always`, `then`, `state`, `promise`, ...).",
        "",
        "Every plugin also answers the automatic commands `COMMANDS`, `EVENTS` and `LOAD`.",
        "",
        "### Settlement texts",
        "",
        f"From {rel(bus_messages)}:",
        "",
    ]
    for name, value in vars(bus_messages).items():
        if name.isupper() and isinstance(value, str):
            lines.append(f"- `{name}`: \"{value}\"")
    lines.append(f"- `loadPlugin(name)` with nothing to load: \"{bus_messages.plugin_file_failed('<name>')}\"")
    lines += ["", f"`CXBus.configure` options and defaults ({rel(bus_module)}):", ""]
    for key, value in bus_module.DEFAULT_CONFIG.items():
        lines.append(f"- `{key}`: {code(repr(value))}")
    for cls in (Bus, Plugin):
        lines += ["", f"### Python `{cls.__module__.rsplit('.', 1)[0]}.{cls.__name__}`", "",
                  "| member | signature | |", "|---|---|---|"]
        for name, sig, doc in _public_methods(cls):
            lines.append(f"| `{name}` | {code(sig) if sig else 'property'} | {doc.replace('|', '/')} |")
    return lines


# -- mock GMS -------------------------------------------------------------------------------------

def _param_text(param: ActionParam) -> str:
    """One parameter as the docs show it: name, type, required or default, bounds, what it is."""
    if param.required:
        need = "required"
    elif param.default_field:
        need = f"default `MockConfig.{param.default_field}`"
    elif param.default is not None:
        shown = repr(param.default).replace("'", '"')
        need = f"default {code(shown)}"
    else:
        need = "optional"
    bounds = f", {param.bounds[0]:,} .. {param.bounds[1]:,}" if param.bounds else ""
    return f"`{param.name}` ({param.type}, {need}{bounds}): {param.doc}"


def _bounds_text(bounds: tuple[float, float] | None) -> str:
    return f"{bounds[0]:,} .. {bounds[1]:,}" if bounds else "—"


def section_mock() -> list[str]:
    gms = MockGMS(agent="silent")
    lines = [
        "## Mock GMS",
        "",
        "### Routes",
        "",
        "From `MockGMS().routes` (the Chat API is one catch-all route that parses the path itself):",
        "",
        "| methods | path |",
        "|---|---|",
    ]
    for route in gms.routes:
        methods = ", ".join(sorted(m for m in (route.methods or []) if m != "HEAD"))
        lines.append(f"| {methods} | `{route.path}` |")
    lines += ["", f"The control API, from `CONTROL_API` ({rel(routes_control)}); the CometD routes are",
              "described in pysrc/cxkit/mockgms/cometd.py:", "", "| method | path | |", "|---|---|---|"]
    lines += [f"| {method} | {code(path)} | {doc.replace('|', '/')} |" for method, path, doc in CONTROL_API]
    lines += ["", "### Agent actions", "",
              "`POST /mock/chats/{chatId}/agent` with `{\"action\": ..., <parameters>}`, `gms.agent(chatId, action,",
              "**parameters)` in Python, or a step of a `script:` preset; from `ACTION_TABLE`",
              f"({rel(actions_module)}).",
              "Parameters are checked in this order; unknown ones are ignored.", ""]
    for action in ACTION_TABLE:
        lines.append(f"- `{action.name}`: {action.doc}." + ("" if action.params else " No parameters."))
        lines += [f"  - {_param_text(param)}" for param in action.params]
    lines += ["", f"Agent presets (`--agent`), from `PRESETS` ({rel(agent_module)}):", ""]
    lines += [f"- `{name}`: {doc}" for name, doc in PRESETS.items()]
    lines += ["", "### Faults", "",
              "`POST /mock/faults` with `{\"operation\", \"mode\", \"count\", \"delayMs\"}` or `gms.fault(operation, mode,",
              "count=1, delay_ms=0)`. Operations: " + ", ".join(f"`{o}`" for o in OPERATIONS)
              + f" or `*`. Modes, from `FAULT_MODE_TABLE` ({rel(faults_module)}):", ""]
    lines += [f"- `{mode.name}`: {mode.doc}" for mode in FAULT_MODE_TABLE]
    lines += ["", "Fields of a fault (REST and CometD), from `FAULT_FIELDS`:", "",
              "| field | default | bounds | |", "|---|---|---|---|"]
    lines += [f"| `{f.name}` | {code(f.default) if f.default is not None else '—'} | {f.bounds or '—'} | {f.doc} |"
              for f in FAULT_FIELDS]
    lines += ["", f"At most {MAX_FAULTS:,} faults pending (REST and CometD each); `/mock/reset` clears them.",
              "", "### CometD faults", "",
              "`POST /mock/cometd/faults` with `{\"operation\", \"mode\", \"count\", \"delayMs\"}` or",
              "`gms.cometd_fault(operation, mode, count=1, delay_ms=0)`; `GET` lists the pending ones, `DELETE` drops",
              "them (`gms.clear_faults()` drops both kinds). From",
              f"`COMETD_FAULT_TABLE` ({rel(cometd_faults_module)}):", "",
              "| operation | mode | |", "|---|---|---|"]
    lines += [f"| `{row.operation}` | `{row.mode}` | {row.doc.replace('|', '/')} |" for row in COMETD_FAULT_TABLE]
    lines += ["", "### GMS error codes", "", "| code | name |", "|---|---|"]
    lines += [f"| {c.value} | `{c.name}` |" for c in Code]
    for cls in (mock_config.MockConfig, mock_config.FileLimits, CometdConfig):
        lines += ["", f"### `{cls.__name__}` ({rel(sys.modules[cls.__module__])})", "",
                  (inspect.getdoc(cls) or "").replace("\n", " "), "",
                  "| field | default | bounds | note |", "|---|---|---|---|"]
        for f in field_facts(cls):
            shown = "per-service overrides" if isinstance(f.default, dict) else (
                "FileLimits()" if isinstance(f.default, mock_config.FileLimits) else repr(f.default))
            lines.append(f"| `{f.name}` | {code(shown)} | {_bounds_text(f.bounds)} | {f.doc} |")
    return lines


# -- CLI ------------------------------------------------------------------------------------------

def cli_parser() -> argparse.ArgumentParser:
    """cxkit's real parser: `cli.build_parser()` if it exists, else the one `cli.main` builds
    (captured at `parse_args`, before anything runs)."""
    if hasattr(cli, "build_parser"):
        return cli.build_parser()

    class Captured(Exception):
        pass

    original = argparse.ArgumentParser.parse_args

    def capture(self, *a, **k):
        raise Captured(self)

    argparse.ArgumentParser.parse_args = capture  # type: ignore[method-assign]
    try:
        cli.main(["--help"])
    except Captured as caught:
        return caught.args[0]
    finally:
        argparse.ArgumentParser.parse_args = original  # type: ignore[method-assign]
    raise RuntimeError("cxkit.cli.main did not build a parser")


def _options(parser: argparse.ArgumentParser) -> list[str]:
    rows = []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        flag = ", ".join(action.option_strings) or action.dest
        if action.nargs != 0:
            flag += f" {action.metavar or action.dest.upper()}"
        default = "" if action.default in (None, False, argparse.SUPPRESS) or "default" in (action.help or "") \
            else f" (default `{action.default}`)"
        repeat = " (repeatable)" if isinstance(action, argparse._AppendAction) and "repeatable" not in (action.help or "") else ""
        rows.append(f"  - `{flag}`: {action.help or ''}{default}{repeat}")
    return rows


def section_cli() -> list[str]:
    parser = cli_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {c.dest: c.help for c in sub._choices_actions}
    lines = ["## Command line", "", f"From the argparse parser of {rel(cli)}.", ""]
    for name, child in sub.choices.items():
        lines.append(f"- `cxkit {name}`: {helps.get(name, '')}")
        lines += _options(child)
    if "doctor" not in sub.choices:
        lines += ["", f"`cxkit doctor` is not wired into the CLI yet; run it as `python -m cxkit.doctor`: "
                  f"{doctor.HELP}.", ""]
        lines += _options(doctor.build_parser())
    return lines


# -- the page -------------------------------------------------------------------------------------

SECTIONS: list[Callable[[], list[str]]] = [section_commands, section_events, section_config, section_bus,
                                           section_mock, section_cli]


def render() -> str:
    lines = [
        "# cxkit reference",
        "",
        f"<!-- Generated from the code by scripts/gen_docs.py. Do not edit; run `{REGENERATE}`. -->",
        "",
        "Contents: [commands](#webchatservice-commands-{n}) · [events](#webchatservice-events-{e}) ·".format(
            n=len(COMMANDS), e=len(EVENTS)),
        "[configuration](#configuration-_genesyswidgetswebchat) · [bus](#the-bus-cxbus) · [mock GMS](#mock-gms) ·",
        "[command line](#command-line)",
    ]
    for section in SECTIONS:
        lines += [""] + section()
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="write reference.md from the code")
    parser.add_argument("--out", default=str(ROOT / "docs"), help="folder to write reference.md into")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / OUTPUT).write_text(render())
    print(f"wrote {out / OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
