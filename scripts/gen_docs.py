"""Write docs/reference.md from the code itself, so the reference cannot drift from it.

    $ .venv/bin/python scripts/gen_docs.py            # writes docs/reference.md
    $ .venv/bin/python scripts/gen_docs.py --out /tmp # writes /tmp/reference.md

Everything comes from tables in the package, rendered as they are: the WebChatService commands
with their resolutions and rejections and the events with their payloads (webchat/catalog.py),
the configuration keys with types, defaults and ranges (`CONFIG_KEYS`, webchat/config.py), the
bus and plugin classes, the mock's routes, actions, fault modes and settings, and `cxkit`'s
argparse parser; the JS face's names come from the lists in pysrc/cxkit/web/widgets.js.
tests/test_docs.py fails when docs/reference.md is stale.
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "pysrc"))

from cxkit import cli, doctor  # noqa: E402
from cxkit.bus import Bus, Plugin  # noqa: E402
from cxkit.bus import config as bus_module  # noqa: E402
from cxkit.bus import messages as bus_messages  # noqa: E402
from cxkit.gms.responses import GmsReply  # noqa: E402
from cxkit.gms.transport import HttpResponse  # noqa: E402
from cxkit.mockgms import (  # noqa: E402
    OPERATIONS,
    Code,
    CometdConfig,
    MockGMS,
    routes_control,  # noqa: E402
)
from cxkit.mockgms import actions as actions_module  # noqa: E402
from cxkit.mockgms import agent as agent_module  # noqa: E402
from cxkit.mockgms import cometd_faults as cometd_faults_module  # noqa: E402
from cxkit.mockgms import config as mock_config  # noqa: E402
from cxkit.mockgms import faults as faults_module  # noqa: E402
from cxkit.mockgms.actions import ACTION_TABLE, ActionParam  # noqa: E402
from cxkit.mockgms.agent import PRESETS  # noqa: E402
from cxkit.mockgms.cometd_faults import COMETD_FAULT_TABLE  # noqa: E402
from cxkit.mockgms.config import field_facts  # noqa: E402
from cxkit.mockgms.faults import FAULT_FIELDS, FAULT_MODE_TABLE, MAX_FAULTS  # noqa: E402
from cxkit.mockgms.routes_control import CONTROL_API  # noqa: E402
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
        sig = "" if isinstance(member, property) else str(inspect.signature(fn))
        sig = sig.replace("self, ", "").replace("(self)", "()")
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
              "`POST /mock/faults` with `{\"operation\", \"mode\", \"count\", \"delayMs\"}` or "
              "`gms.fault(operation, mode,",
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
        repeatable = isinstance(action, argparse._AppendAction) and "repeatable" not in (action.help or "")
        repeat = " (repeatable)" if repeatable else ""
        rows.append(f"  - `{flag}`: {action.help or ''}{default}{repeat}")
    return rows


def section_cli() -> list[str]:
    parser = cli.build_parser()
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
        f"Contents: [commands](#webchatservice-commands-{len(COMMAND_SPECS)}) · "
        f"[events](#webchatservice-events-{len(EVENTS)}) ·",
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
