"""Write docs/reference.md from the code itself, so the reference cannot drift from it.

    $ .venv/bin/python scripts/gen_docs.py            # writes docs/reference.md
    $ .venv/bin/python scripts/gen_docs.py --out /tmp # writes /tmp/reference.md

Everything comes from the running code or its syntax tree: the WebChatService tables (commands
with their resolutions and rejections, events with their payloads, in webchat/catalog.py; the
configuration keys with types, defaults and ranges, `CONFIG_KEYS` in webchat/config.py), the JS face in pysrc/cxkit/web/widgets.js, the bus and plugin
classes, the mock GMS routes, actions, fault modes and `MockConfig` bounds, and the argparse parsers.
tests/test_docs.py fails when docs/reference.md is stale.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import io
import re
import sys
import textwrap
import tokenize
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "pysrc"))

from cxkit import cli, doctor  # noqa: E402
from cxkit.bus import Bus, Plugin  # noqa: E402
from cxkit.bus import config as bus_module  # noqa: E402
from cxkit.bus import messages as bus_messages  # noqa: E402
from cxkit.gms.responses import GmsReply  # noqa: E402
from cxkit.gms.transport import HttpResponse  # noqa: E402
from cxkit.mockgms import ACTIONS, FAULT_MODES, OPERATIONS, Code, MockGMS  # noqa: E402
from cxkit.mockgms import agent as agent_module  # noqa: E402
from cxkit.mockgms import config as mock_config  # noqa: E402
from cxkit.mockgms import faults as faults_module  # noqa: E402
from cxkit.mockgms import routes_control  # noqa: E402
from cxkit.webchat import catalog  # noqa: E402
from cxkit.webchat import config as webchat_config  # noqa: E402
from cxkit.webchat.catalog import COMMAND_SPECS, EVENT_SPECS, EVENTS, Described, Payload  # noqa: E402
from cxkit.webchat.config import CONFIG_KEYS  # noqa: E402

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

def settlement(value: str | Described) -> str:
    """One resolution or rejection: an exact text quoted, a description as written."""
    if isinstance(value, Described):
        return value.text
    return f'"{value}"' + (" (`{}` filled in)" if "{}" in value else "")


def failure_shapes() -> tuple[list[str], list[str]]:
    """Keys of the two failure objects commands reject with (from GmsReply.failure itself)."""
    network = GmsReply(HttpResponse(0), None, "network").failure()
    http = GmsReply(HttpResponse(500, '{"statusCode": 1}', "Internal Server Error"), {"statusCode": 1},
                    "http_error").failure()
    return list(network), [k for k in http if k not in network]


def section_commands() -> list[str]:
    net_keys, extra = failure_shapes()
    lines = [
        f"## WebChatService commands ({len(COMMAND_SPECS)})",
        "",
        f"From `COMMAND_SPECS` in {rel(catalog)}, the table the service registers its commands from.",
        "Quoted texts are the constants of webchat/messages.py, word for word, in the order the command",
        "checks them. Call them as `WebChatService.<command>` on the bus.",
        "",
        "Legend: \"the GMS answer\" is the answer's body (`statusCode`, `chatId`, `messages`, `nextPosition`,",
        "...). \"The failure object\" is published as `error` (unless it is a network failure during a",
        "session, which publishes `disconnected`) and is what the command rejects with: the GMS body when GMS",
        "answered but refused (`statusCode` 1 or 2, `errors: [{code, advice}]`), else a jqXHR-like object",
        f"`{{{', '.join(net_keys)}}}` (plus {', '.join(f'`{k}`' for k in extra)} when there is a body / the",
        "service URL is wrong). File requests (`getFileLimits`, `sendFile`) reject with the plain",
        "failure object: the jqXHR-like one without `responseJSON` and `errorReason` (the original does",
        "not let jQuery parse file answers).",
        "",
        "| command | resolves with | rejects with |",
        "|---|---|---|",
    ]
    for spec in COMMAND_SPECS.values():
        resolves = "<br>".join(map(settlement, spec.resolves)) or "—"
        rejects = "<br>".join(map(settlement, spec.rejects)) or "— (never rejects)"
        lines.append(f"| `{spec.name}` | {resolves} | {rejects} |")
    return lines


# -- WebChatService events ------------------------------------------------------------------------

def payload(shape: Payload) -> str:
    if shape.keys is None:
        text = shape.text
    else:
        keys = "{" + ", ".join(f"`{k}`" for k in shape.keys) + "}"
        text = f"{shape.text} {keys}" if shape.text and shape.text.startswith("session") else (
            f"{keys} ({shape.text})" if shape.text else keys)
    return text + (" (sticky: `republish`)" if shape.sticky else "")


def section_events() -> list[str]:
    lines = [
        f"## WebChatService events ({len(EVENTS)})",
        "",
        f"From `EVENT_SPECS` in {rel(catalog)} (the registered ones are `EVENTS`, so",
        "`WebChatService.<event>` is listed by the `EVENTS` command). Subscribers receive",
        "`{time, publisher, event, data}`.",
        "",
        "| event | data | published by |",
        "|---|---|---|",
    ]
    for name in EVENTS:
        spec = EVENT_SPECS[name]
        lines.append(f"| `{name}` | {'<br>'.join(map(payload, spec.payloads))} | {', '.join(spec.by)} |")
    extra = [spec for spec in EVENT_SPECS.values() if not spec.registered]
    if extra:
        lines += ["", "Also published but, as in the original, not registered: "
                  + ", ".join(f"`{spec.name}` ({' or '.join(map(payload, spec.payloads))})" for spec in extra)
                  + "."]
    return lines


# -- webchat configuration ------------------------------------------------------------------------

CONFIG_TYPES = {"flag": "boolean"}  # a flag is read for its truth; page code gives a boolean


def section_config() -> list[str]:
    lines = [
        "## Configuration: `_genesys.widgets.webchat`",
        "",
        f"From `CONFIG_KEYS` in {rel(webchat_config)}, the table `WebChatConfig` takes its defaults",
        "from and `WebChatConfig.from_dict` reads the keys by. Times are milliseconds. A value of the",
        "wrong type or out of range logs a warning on the `cxkit.webchat` logger (shown in the browser",
        "console) and the default is used. `configure` can be called again later to change options (no",
        "second `ready`).",
        "",
        "| key | type | default | accepted range | `WebChatConfig` field |",
        "|---|---|---|---|---|",
    ]
    for spec in CONFIG_KEYS:
        shown = f"`{spec.key}`" + "".join(f" (or `{alias}`)" for alias in spec.aliases)
        default = repr(spec.default) if spec.default is not None else "none"
        lines.append(f"| {shown} | {CONFIG_TYPES.get(spec.type, spec.type)} | {code(default)} | "
                     f"{spec.range or '—'} | `{spec.field}` |")
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

def action_params() -> dict[str, list[str]]:
    """{action: [parameter, ...]} read from `apply_action`'s branches."""
    helpers = {"_speaker": ["nickname"], "_sender": ["nickname"], "_attrs": ["eventAttributes"]}
    fn = next(n for n in ast.walk(tree_of(agent_module)) if isinstance(n, ast.FunctionDef) and n.name == "apply_action")
    out: dict[str, list[str]] = {}
    branches: list[tuple[str, list[ast.stmt]]] = []
    for stmt in fn.body:
        if (isinstance(stmt, ast.If) and isinstance(stmt.test, ast.Compare)
                and ast.unparse(stmt.test.left) == "action" and isinstance(stmt.test.comparators[0], ast.Constant)):
            branches.append((stmt.test.comparators[0].value, stmt.body))
    handled = {name for name, _ in branches}
    rest = [s for s in fn.body if not isinstance(s, ast.If)]
    branches += [(a, rest) for a in ACTIONS if a not in handled]  # the fall-through (end)
    for action, body in branches:
        params: list[str] = []
        for node in ast.walk(ast.Module(body=body, type_ignores=[])):
            if not isinstance(node, ast.Call):
                continue
            name = ast.unparse(node.func)
            keys = helpers.get(name, [])
            if name in ("_text", "params.get") and node.args:
                arg = node.args[1] if name == "_text" else node.args[0]
                keys = [arg.value] if isinstance(arg, ast.Constant) else []
            for key in keys:
                if key not in params:
                    params.append(key)
        out[action] = params
    return out


def _docstring_bullets(module: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    last = None
    for line in (module.__doc__ or "").splitlines():
        m = re.match(r"- `(\w+)`: (.*)", line.strip())
        if m:
            last = m.group(1)
            found[last] = m.group(2)
        elif last and line.startswith("  ") and line.strip():
            found[last] += " " + line.strip()  # a bullet's continuation line
        else:
            last = None
    return found


def _field_comments(cls: type) -> dict[str, str]:
    """Trailing ``# comments`` of a dataclass's field lines."""
    comments = {}
    for tok in tokenize.generate_tokens(io.StringIO(textwrap.dedent(inspect.getsource(cls))).readline):
        if tok.type == tokenize.COMMENT:
            m = re.match(r"\s*(\w+)\s*:", tok.line)
            if m and tok.line.strip()[0] != "#":
                comments[m.group(1)] = tok.string.lstrip("# ")
    return comments


def field_bounds(cls: type) -> dict[str, str]:
    """{field: "low..high"} from the `_check(...)` calls in ``cls.__post_init__``."""
    bounds = {}
    for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(cls.__post_init__)))):
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "_check":
            name = node.args[0].value
            low, high = (eval(compile(ast.Expression(a), "<bound>", "eval")) for a in node.args[2:4])
            bounds[name] = f"{low:,} .. {high:,}"
    return bounds


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
    lines += ["", f"The control API, as {rel(routes_control)} describes it:", "", "```"]
    doc = routes_control.__doc__.strip().split("\n\n")[1]
    lines += [textwrap.dedent(doc), "```", "", "### Agent actions", "",
              "`POST /mock/chats/{chatId}/agent` with `{\"action\": ..., <parameters>}`, `gms.agent(chatId, action,",
              "**parameters)` in Python, or a step of a `script:` preset. Parameters as `apply_action` reads them:", ""]
    params = action_params()
    for action in ACTIONS:
        lines.append(f"- `{action}`: " + (", ".join(f"`{p}`" for p in params.get(action, [])) or "no parameters"))
    lines += ["", "Agent presets (`--agent`): from the mockgms/agent.py docstring:", ""]
    preset_doc = agent_module.__doc__.split("Presets:", 1)[1].split("\n\n")[0]
    lines += ["> Presets: " + " ".join(preset_doc.split()), "", "### Faults", "",
              "`POST /mock/faults` with `{\"operation\", \"mode\", \"count\", \"delayMs\"}` or `gms.fault(operation, mode,",
              "count=1, delay_ms=0)`. Operations: " + ", ".join(f"`{o}`" for o in OPERATIONS)
              + " or `*`. Modes:", ""]
    described = _docstring_bullets(faults_module)
    for mode in FAULT_MODES:
        lines.append(f"- `{mode}`: {described.get(mode, '')}".rstrip())
    lines += [f"- at most {faults_module.MAX_FAULTS} pending faults; `count: -1` lasts until reset.", "",
              "### GMS error codes", "", "| code | name |", "|---|---|"]
    lines += [f"| {c.value} | `{c.name}` |" for c in Code]
    for cls in (mock_config.MockConfig, mock_config.FileLimits):
        comments, bounds = _field_comments(cls), field_bounds(cls)
        lines += ["", f"### `{cls.__name__}` ({rel(mock_config)})", "",
                  (inspect.getdoc(cls) or "").replace("\n", " "), "",
                  "| field | default | bounds | note |", "|---|---|---|---|"]
        for f in dataclasses.fields(cls):
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
            shown = "per-service overrides" if isinstance(default, dict) else (
                "FileLimits()" if isinstance(default, mock_config.FileLimits) else repr(default))
            lines.append(f"| `{f.name}` | {code(shown)} | {bounds.get(f.name, '—')} | {comments.get(f.name, '')} |")
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
            n=len(COMMAND_SPECS), e=len(EVENTS)),
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
