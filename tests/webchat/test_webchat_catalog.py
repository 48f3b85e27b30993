"""The tables of webchat/catalog.py and webchat/config.py are the service's own facts: the
commands it registers, the texts it rejects with, the events it publishes and their payloads,
the configuration keys it reads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from webchat_harness import Page, mock_gms
from webchat_vclock import virtual_time

from cxkit.webchat import messages as msg
from cxkit.webchat.catalog import COMMAND_SPECS, COMMANDS, EVENT_SPECS, EVENTS, Described
from cxkit.webchat.config import CONFIG_KEYS, WebChatConfig

WEBCHAT = Path(__file__).resolve().parents[2] / "pysrc" / "cxkit" / "webchat"

# The section headings of the WebChatService commands page (spec/webchatservice-commands.txt).
COMMANDS_PAGE = (
    "configure", "startChat", "endChat", "sendMessage", "sendCustomNotice", "sendTyping",
    "sendFilteredMessage", "addPrefilter", "updateUserData", "poll", "startPoll", "stopPoll",
    "resetPollExceptions", "restore", "getTranscript", "getAgents", "getStats", "sendFile",
    "downloadFile", "getFileLimits", "getSessionData", "fetchHistory", "registerTypingPreviewInput",
    "registerPreProcessor", "verifySession")


def test_the_table_covers_every_command_of_the_commands_page():
    missing = [name for name in COMMANDS_PAGE if name not in COMMAND_SPECS]
    assert not missing
    assert COMMANDS == list(COMMAND_SPECS) and {"sleep", "wake"} <= set(COMMANDS)
    for spec in COMMAND_SPECS.values():
        assert spec.resolves, spec.name


@virtual_time
async def test_the_service_registers_exactly_the_tables_commands_and_events():
    page = Page(mock_gms()).boot()
    registered = page.bus.registry()["WebChatService"]
    assert registered["commands"][-len(COMMANDS):] == COMMANDS
    assert set(registered["commands"]) - set(COMMANDS) == {"COMMANDS", "EVENTS", "LOAD"}
    assert registered["events"] == EVENTS
    assert [name for name, spec in EVENT_SPECS.items() if not spec.registered] == ["restoredOffline"]


def test_every_rejection_text_in_the_code_is_in_the_table_and_back():
    used: set[str] = set()
    for path in WEBCHAT.glob("*.py"):
        if path.name not in ("messages.py", "catalog.py"):
            used |= set(re.findall(r"\bmsg\.([A-Z_]+)", path.read_text()))
    in_code = {getattr(msg, name) for name in used}
    in_table = {text for spec in COMMAND_SPECS.values() for text in spec.rejects
                if not isinstance(text, Described)}
    assert in_code == in_table
    assert set(msg.__all__) == {name for name in used}


def _shape_matches(name: str, data: Any) -> bool:
    shapes = EVENT_SPECS[name].payloads
    if isinstance(data, dict) and data:
        keyed = [s.keys for s in shapes if s.keys is not None]
        return tuple(data) in keyed or not keyed
    return any(s.keys is None for s in shapes)


@virtual_time
async def test_published_events_and_payloads_are_the_tables():
    page = Page(mock_gms()).boot()
    await page.start()
    page.agent("join", nickname="Anna")
    page.agent("typing")
    page.agent("say", text="Hello!")
    await page.wait_for(lambda: page.of("agentConnected") and page.of("messageReceived"))
    await page.cmd("sendMessage", {"message": "hi"})
    await page.cmd("endChat")
    published = [(n, d) for n, d in page.events if not n.startswith("data.")]
    assert {n for n, _ in published} >= {"ready", "started", "agentConnected", "messageReceived",
                                         "pollingStarted", "ended", "agentDisconnected"}
    wrong = [(n, d) for n, d in published if n not in EVENT_SPECS or not _shape_matches(n, d)]
    assert not wrong


def test_the_config_table_covers_every_field_the_code_reads():
    fields = [spec.field for spec in CONFIG_KEYS]
    assert sorted(fields) == sorted(f for f in WebChatConfig.__dataclass_fields__ if f != "raw")
    assert len({spec.key for spec in CONFIG_KEYS}) == len(CONFIG_KEYS)
    read = set()
    for path in WEBCHAT.glob("*.py"):
        read |= set(re.findall(r"\bconfig\.([a-z_]+)\b", path.read_text()))
    unknown = read - set(fields) - {"raw", "ajax_timeout_s", "file_upload_timeout_s", "from_dict"}
    assert not unknown


def _other_value(spec) -> Any:
    if spec.type == "string":
        return "x"
    if spec.type in ("boolean", "flag"):
        return not spec.default
    if spec.type == "object":
        return {"a": 1}
    if spec.type == "function":
        return lambda *a: None
    if spec.default is None:
        return 7
    step = 1 if spec.type == "integer" else 0.25
    up = spec.default + step
    return up if spec.high is None or up <= spec.high else spec.default - step


def test_each_key_sets_its_field_and_defaults_are_the_tables():
    defaults = WebChatConfig()
    for spec in CONFIG_KEYS:
        assert getattr(defaults, spec.field) == spec.default, spec.key
        value = _other_value(spec)
        section, _, key = spec.key.rpartition(".")
        raw = {section: {key: value}} if section else {key: value}
        assert getattr(WebChatConfig.from_dict(raw), spec.field) == value, spec.key
        for alias in spec.aliases:
            assert getattr(WebChatConfig.from_dict({alias: value}), spec.field) == value, alias


def test_documented_ranges_are_the_ones_enforced():
    """Probe `WebChatConfig.from_dict` at each bound: inside is kept, outside is the default."""
    checked = 0
    for spec in CONFIG_KEYS:
        if "." in spec.key or spec.type not in ("integer", "number"):
            continue
        step = 1 if spec.type == "integer" else 0.01
        bounds = []
        if spec.low is not None:
            bounds.append((spec.low + (step if spec.low_open else 0), spec.low - (0 if spec.low_open else step)))
        if spec.high is not None:
            bounds.append((spec.high, spec.high + step))
        for inside, outside in bounds:
            assert getattr(WebChatConfig.from_dict({spec.key: inside}), spec.field) == inside, spec.key
            if outside != spec.default:
                assert getattr(WebChatConfig.from_dict({spec.key: outside}), spec.field) == spec.default
            checked += 1
    assert checked >= 10


def test_session_data_payload_is_the_identitys():
    from cxkit.gms import Identity

    assert EVENT_SPECS["started"].payloads[0].keys == tuple(Identity().as_session_data())
