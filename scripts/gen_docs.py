"""Write docs/reference.md from the tables in the package, so the reference cannot drift from the code.

    $ .venv/bin/python scripts/gen_docs.py            # writes docs/reference.md
    $ .venv/bin/python scripts/gen_docs.py --out /tmp # writes /tmp/reference.md

A renderer: scripts/reference.template.md is the page's prose with a `$field` for each fact, and
`facts()` fills the fields from data the package declares (the tables each section names); no
source text is read. The Python `Bus` and `Plugin` tables are their public signatures and first
docstring paragraphs, as `help()` shows them: a second table of the same facts would drift from them.
tests/test_docs.py fails when docs/reference.md is stale.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from collections.abc import Iterable
from pathlib import Path
from string import Template
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "pysrc"))

from cxkit import cli, mockgms  # noqa: E402
from cxkit.bus import Bus, Plugin, app, face  # noqa: E402
from cxkit.bus import config as bus_config  # noqa: E402
from cxkit.bus import messages as bus_messages  # noqa: E402
from cxkit.gms.responses import GmsReply  # noqa: E402
from cxkit.gms.transport import HttpResponse  # noqa: E402
from cxkit.mockgms import actions, agent, cometd_faults, faults, routes_control  # noqa: E402
from cxkit.mockgms.config import field_facts  # noqa: E402
from cxkit.webchat import catalog  # noqa: E402
from cxkit.webchat import config as webchat_config  # noqa: E402
from cxkit.webchat.catalog import Described, Payload  # noqa: E402

#: the page: its prose, with a `$field` for each fact `facts()` renders
PAGE = Template((Path(__file__).with_name("reference.template.md")).read_text())

CONFIG_TYPES = {"flag": "boolean"}  # a flag is read for its truth; page code gives a boolean


def code(text: Any) -> str:
    """A Markdown code span that survives backticks and pipes inside tables."""
    text = str(text).replace("|", "\\|").replace("\n", " ")
    fence, pad = ("``", " ") if "`" in text else ("`", "")
    return f"{fence}{pad}{text}{pad}{fence}"


def names(items: Iterable[str]) -> str:
    return ", ".join(f"`{item}`" for item in items)


def rel(module: ModuleType) -> str:
    return Path(str(module.__file__)).resolve().relative_to(ROOT).as_posix()


def table(header: str, rows: Iterable[Iterable[Any]]) -> str:
    """A Markdown table: ``header`` is its first line as written, each row its cells."""
    body = ("| " + " | ".join(map(str, row)) + " |" for row in rows)
    return "\n".join([header, "|" + "---|" * (header.count("|") - 1), *body])


def prose(text: str) -> str:
    """Free text in a table cell (a pipe would end the cell)."""
    return text.replace("|", "/")


def bullets(items: Iterable[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


def settlement(value: str | Described) -> str:
    """One resolution or rejection: an exact text quoted, a description as written."""
    if isinstance(value, Described):
        return value.text
    return f'"{value}"' + (" (`{}` filled in)" if "{}" in value else "")


def payload(shape: Payload) -> str:
    text = shape.text
    if shape.keys is not None:
        keys = "{" + names(shape.keys) + "}"
        text = f"{text} {keys}" if text.startswith("session") else f"{keys} ({text})" if text else keys
    return text + (" (sticky: `republish`)" if shape.sticky else "")


def public_members(cls: type) -> str:
    """A table of the public members: signature and first docstring paragraph; aliases (the CXBus
    name beside the Python one) share a row."""
    found: dict[int, tuple[list[str], Any]] = {}
    for name, member in inspect.getmembers(cls):
        if not name.startswith("_") and (callable(member) or isinstance(member, property)):
            found.setdefault(id(member), ([], member))[0].append(name)
    rows = []
    for aliases, member in sorted(found.values(), key=lambda row: min(n.lower().replace("_", "") for n in row[0])):
        fn: Any = member.fget if isinstance(member, property) else member
        sig = "property" if isinstance(member, property) else code(
            str(inspect.signature(fn)).replace("self, ", "").replace("(self)", "()"))
        shown = " / ".join(f"`{n}`" for n in sorted(aliases, key=lambda n: (n != n.lower(), n)))
        rows.append((shown, sig, prose((inspect.getdoc(fn) or "").split("\n\n")[0].replace("\n", " "))))
    return table("| member | signature | |", rows)


def span(pair: tuple[float, float] | None) -> str:
    return f"{pair[0]:,} .. {pair[1]:,}" if pair else "—"


def param_text(p: actions.ActionParam) -> str:
    """One action parameter: name, type, required or default, bounds, what it is."""
    default = repr(p.default).replace("'", '"')  # as the JSON the control API takes
    need = ("required" if p.required else f"default `MockConfig.{p.default_field}`" if p.default_field
            else f"default {code(default)}" if p.default is not None else "optional")
    return f"`{p.name}` ({p.type}, {need}{', ' + span(p.bounds) if p.bounds else ''}): {p.doc}"


def action_text(action: actions.Action) -> str:
    params = "".join(f"\n  - {param_text(p)}" for p in action.params)
    return f"`{action.name}`: {action.doc}." + (params or " No parameters.")


def settings(cls: type) -> str:
    """A settings dataclass's section: its docstring and each field's default, bounds and note."""
    def shown(value: Any) -> str:
        return ("per-service overrides" if isinstance(value, dict) else
                f"{type(value).__name__}()" if hasattr(value, "__dataclass_fields__") else repr(value))
    rows = ((f"`{f.name}`", code(shown(f.default)), span(f.bounds), f.doc) for f in field_facts(cls))
    paragraphs = (inspect.getdoc(cls) or "").split("\n\n")
    # the docstring's doctest example runs in the test suite; the page keeps the prose
    doc = "\n\n".join(p for p in paragraphs if not p.lstrip().startswith(">>>")).replace("\n", " ")
    return (f"### `{cls.__name__}` ({rel(sys.modules[cls.__module__])})\n\n{doc}\n\n"
            + table("| field | default | bounds | note |", rows))


def cli_options(parser: argparse.ArgumentParser) -> Iterable[str]:
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        text = action.help or ""
        flag = ", ".join(action.option_strings) + (f" {action.metavar or action.dest.upper()}" if action.nargs != 0
                                                   else "")
        if action.default not in (None, False, argparse.SUPPRESS) and "default" not in text:
            text += f" (default `{action.default}`)"
        if isinstance(action, argparse._AppendAction) and "repeatable" not in text:
            text += " (repeatable)"
        yield f"  - `{flag}`: {text}"


def cli_commands() -> str:
    sub = next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    helps = {choice.dest: choice.help for choice in sub._choices_actions}
    return "\n".join(line for name, child in sub.choices.items()
                     for line in (f"- `cxkit {name}`: {helps.get(name, '')}", *cli_options(child)))


def webchat_facts() -> dict[str, str]:
    network = GmsReply(HttpResponse(0), None, "network").failure()
    http = GmsReply(HttpResponse(500, '{"statusCode": 1}', "Internal Server Error"), {"statusCode": 1},
                    "http_error").failure()
    events = catalog.EVENT_SPECS
    return {
        "n_commands": str(len(catalog.COMMAND_SPECS)), "n_events": str(len(catalog.EVENTS)),
        "network_keys": ", ".join(network), "http_keys": names(k for k in http if k not in network),
        "commands": table("| command | resolves with | rejects with |", (
            (f"`{s.name}`", "<br>".join(map(settlement, s.resolves)) or "—",
             "<br>".join(map(settlement, s.rejects)) or "— (never rejects)") for s in catalog.COMMAND_SPECS.values())),
        "events": table("| event | data | published by |", (
            (f"`{name}`", "<br>".join(map(payload, events[name].payloads)), ", ".join(events[name].by))
            for name in catalog.EVENTS)),
        "unregistered": ", ".join(f"`{s.name}` ({' or '.join(map(payload, s.payloads))})"
                                  for s in events.values() if not s.registered) or "none",
        "config": table("| key | type | default | accepted range | `WebChatConfig` field |", (
            (f"`{s.key}`" + "".join(f" (or `{alias}`)" for alias in s.aliases), CONFIG_TYPES.get(s.type, s.type),
             code(repr(s.default) if s.default is not None else "none"), s.range or "—", f"`{s.field}`")
            for s in webchat_config.CONFIG_KEYS)),
    }


def bus_facts() -> dict[str, str]:
    texts = [(k, v) for k, v in vars(bus_messages).items() if k.isupper() and isinstance(v, str)]
    return {
        "cxbus_members": names(face.CXBUS_MEMBERS), "plugin_members": names(face.PLUGIN_MEMBERS),
        "promise_members": names(face.PROMISE_MEMBERS), "unlocked_members": names(face.UNLOCKED_MEMBERS),
        "resolver_members": names(face.DEFERRED_MEMBERS[len(face.PROMISE_MEMBERS):]),
        "js_only": names(face.JS_ONLY_MEMBERS), "automatic_commands": names(face.AUTOMATIC_COMMANDS),
        "settlement_texts": bullets([*(f'`{k}`: "{v}"' for k, v in texts), "`loadPlugin(name)` with nothing to "
                                     f"load: \"{bus_messages.plugin_file_failed('<name>')}\"",
                                     "`loadPlugin(name)` of a name taken or loaded before: rejected with no reason; "
                                     f"`loadPlugin('{app.CORE_PLUGIN_FILE}')` (the original's modular bootstrap: "
                                     "the file that holds App) resolves once, as the core is built in"]),
        "bus_options": bullets(f"`{k}`: {code(repr(v))}" for k, v in bus_config.DEFAULT_CONFIG.items()),
        "bus_members": public_members(Bus), "plugin_python_members": public_members(Plugin),
        "app_commands": names(app_commands()), "ajax_headers": " and ".join(f"`{h}`" for h in app.AJAX_HEADER_NAMES),
        "default_language": app.DEFAULT_LANGUAGE,
    }


def app_commands() -> list[str]:
    """The App plugin's own commands, as a bus with App installed lists them."""
    bus = Bus()
    app.install_app(bus, {})
    return [c for c in bus.registry()["App"]["commands"] if c not in face.AUTOMATIC_COMMANDS]


def mock_facts() -> dict[str, str]:
    app_routes: list[Any] = mockgms.MockGMS(agent="silent").routes
    routes = ((", ".join(sorted(m for m in r.methods or [] if m != "HEAD")), f"`{r.path}`") for r in app_routes)
    return {
        "routes": table("| methods | path |", routes),
        "control_api": table("| method | path | |", ((m, code(p), prose(d)) for m, p, d in routes_control.CONTROL_API)),
        "agent_actions": bullets(map(action_text, actions.ACTION_TABLE)),
        "presets": bullets(f"`{name}`: {doc}" for name, doc in agent.PRESETS.items()),
        "operations": names(faults.OPERATIONS),
        "fault_modes": bullets(f"`{mode.name}`: {mode.doc}" for mode in faults.FAULT_MODE_TABLE),
        "fault_fields": table("| field | default | bounds | |", (
            (f"`{f.name}`", code(f.default) if f.default is not None else "—", f.bounds or "—", f.doc)
            for f in faults.FAULT_FIELDS)),
        "max_faults": f"{faults.MAX_FAULTS:,}",
        "cometd_fault_modes": table("| operation | mode | |", (
            (f"`{row.operation}`", f"`{row.mode}`", prose(row.doc)) for row in cometd_faults.COMETD_FAULT_TABLE)),
        "codes": table("| code | name |", ((c.value, f"`{c.name}`") for c in mockgms.Code)),
        "mock_settings": "\n\n".join(map(settings, (mockgms.MockConfig, mockgms.FileLimits, mockgms.CometdConfig))),
    }


#: the modules a section names as its source, by their `$field`
SOURCES = {"app": app, "catalog": catalog, "webchat_config": webchat_config, "face": face, "bus_messages": bus_messages,
           "bus_config": bus_config, "routes_control": routes_control, "actions": actions, "agent": agent,
           "faults": faults, "cometd_faults": cometd_faults, "cli": cli}


def facts() -> dict[str, str]:
    """Every `$field` of `PAGE`, rendered."""
    paths = {field: rel(module) for field, module in SOURCES.items()}
    return {**paths, **webchat_facts(), **bus_facts(), **mock_facts(), "cli_commands": cli_commands()}


def render() -> str:
    return PAGE.substitute(facts())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="write reference.md from the code")
    parser.add_argument("--out", default=str(ROOT / "docs"), help="folder to write reference.md into")
    out = Path(parser.parse_args(argv).out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "reference.md").write_text(render())
    print(f"wrote {out / 'reference.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
