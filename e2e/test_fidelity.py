"""Issue 11 (fidelity, round 2) in Chromium: what page code sees matches the original client.

Items 1, 3, 8, 10 and 13; the unit tests of every item are in tests/webchat/test_webchat_fidelity.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from e2e_support import command, events, start_chat, wait_event, wait_text

from cxkit.mockgms import FileLimits

RESTORE_SESSION_ACTIVE = "Chat session is already active, ignoring restore command."  # commands page
START_UP = ["data.sleeping", "data.sessionActive", "ready", "data.userData"]
PLAIN_XHR = {"readyState", "status", "statusText", "responseText"}
#: a chat service of the mock with a small size limit (see ``small_files``)
SMALL_FILES = "fidelity-small-files"
SMALL_LIMIT = 1024

#: Page code that subscribes right after widgets.js (the e2e page calls ``cxkitTestEarly`` there),
#: before Python is up: the loader queues the calls.
EARLY_SUBSCRIBER = """
window.cxkitTestEarly = () => {
  const seen = window.earlySeen = [];
  window.subscribedBeforeBoot = !window.__cxkit.attached;
  const plugin = CXBus.registerPlugin('EarlyPageCode');
  for (const name of %s) plugin.subscribe('WebChatService.' + name, e => seen.push({name, data: e.data}));
};
""" % json.dumps(START_UP)


def with_agent(page: Any, gms: Any) -> str:
    chat_id = start_chat(page, gms)
    gms.join(chat_id, nickname="Anna")
    wait_event(page, "agentConnected")
    return chat_id


def mark(page: Any) -> int:
    return page.evaluate("window.cxkitTest.events.length")


def names_since(page: Any, start: int) -> list[str]:
    return page.evaluate("n => window.cxkitTest.events.slice(n).map(e => e.name)", start)


def console_errors(page: Any) -> list[str]:
    """Starts recording the page's console errors and uncaught exceptions into the list returned."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    return errors


# -- 1: the start-up sequence reaches subscribers from before boot ------------------------------

@pytest.mark.parametrize("thread", ["worker", "main"])
def test_1_early_subscribers_get_the_start_up_sequence_in_order(open_chat_page, thread):
    # the thread is the page's own choice, made before widgets.js (as in test_boot_policy.py)
    choose = "window.cxkitTestConfig = w => { w.cxkit = {thread: '%s'}; };" % thread
    page = open_chat_page(config={"webchat": {"userData": {"tier": "gold", "n": "1"}}},
                          init_script=choose + EARLY_SUBSCRIBER)
    assert page.evaluate("[window.__cxkit.thread, window.subscribedBeforeBoot]") == [thread, True]
    page.wait_for_function("n => window.earlySeen.length >= n", arg=len(START_UP))
    seen = page.evaluate("window.earlySeen")
    assert [e["name"] for e in seen] == START_UP
    data = {e["name"]: e["data"] for e in seen}
    for name, value in (("data.sleeping", False), ("data.sessionActive", False),
                        ("data.userData", {"tier": "gold", "n": "1"})):
        record = data[name]
        assert set(record) == {"last", "value", "time"}, (name, record)
        assert record["value"] == value, name
        assert isinstance(record["time"], (int, float)) and record["time"] > 0, name
    # each once, and the data store agrees
    assert command(page, "WebChatService.verifySession")["value"] == {"sessionActive": False}
    assert len(page.evaluate("window.earlySeen")) == len(START_UP)


# -- 3: restore while a chat is active ------------------------------------------------------------

def test_3_restore_while_a_chat_is_active_publishes_restored_and_rejects(chat_page, gms):
    chat_id = with_agent(chat_page, gms)
    before = mark(chat_page)
    assert command(chat_page, "WebChatService.restore") == {"ok": False, "value": RESTORE_SESSION_ACTIVE}
    assert names_since(chat_page, before).count("restored") == 1
    assert "restored" not in events(chat_page)[:before]
    # the chat goes on
    gms.say(chat_id, "still here")
    wait_text(chat_page, "still here")
    assert command(chat_page, "WebChatService.verifySession")["value"] == {"sessionActive": True}
    assert [e for e in events(chat_page) if e in ("ended", "error", "restoreFailed")] == []


# -- 8: a file refused by the local check is GMS's own refusal ------------------------------------

@pytest.fixture
def small_files(cxkit_mock: Any, cxkit_url: str) -> Iterator[str]:
    """The dataURL of a mock chat service that takes files of at most SMALL_LIMIT bytes."""
    cxkit_mock.config.service_file_limits[SMALL_FILES] = FileLimits(max_file_size=SMALL_LIMIT)
    yield f"{cxkit_url}/genesys/2/chat/{SMALL_FILES}"
    cxkit_mock.config.service_file_limits.pop(SMALL_FILES, None)


def send_file(page: Any, name: str, size: int, mime: str = "application/octet-stream") -> dict[str, Any]:
    page.set_input_files("#upload", files=[{"name": name, "mimeType": mime, "buffer": b"x" * size}])
    return page.evaluate("""() => new Promise(r => window.cxkitTest.plugin.command('WebChatService.sendFile',
        {files: document.getElementById('upload')}).done(v => r({ok: true, value: v})).fail(v => r({ok: false, value: v})))""")


def test_8_a_file_refused_locally_looks_exactly_like_the_refusal_of_gms(open_chat_page, gms, small_files):
    page = open_chat_page(config={"webchat": {"dataURL": small_files}})
    chat_id = with_agent(page, gms)
    files = [("setup.exe", 10, "application/octet-stream"), ("scan.png", SMALL_LIMIT + 1, "image/png")]
    expected = [(203, "jpeg:jpg:pdf:png:zip"), (202, str(SMALL_LIMIT))]

    # Without the limits the client uploads, and GMS (the mock) refuses
    by_gms = []
    for name, size, mime in files:
        before = mark(page)
        refused = send_file(page, name, size, mime)
        assert refused["ok"] is False, refused
        by_gms.append(refused["value"])
        assert names_since(page, before) == ["error"]
        assert events(page, "error")[-1] == refused["value"]
    uploads = gms.requests("fileUpload", chat_id=chat_id)
    assert [(r["httpStatus"], r["statusCode"]) for r in uploads] == [(400, 2), (400, 2)]

    limits = command(page, "WebChatService.getFileLimits")
    assert limits["ok"], limits
    assert json.loads(limits["value"])["messages"][0]["userData"]["upload-max-file-size"] == str(SMALL_LIMIT)

    # With the limits known, the same files are refused before upload, with the same object
    for (name, size, mime), gms_refusal, (code, advice) in zip(files, by_gms, expected, strict=True):
        before = mark(page)
        local = send_file(page, name, size, mime)
        assert local["ok"] is False, local
        refusal = local["value"]
        assert set(refusal) == set(gms_refusal) == PLAIN_XHR
        assert (refusal["readyState"], refusal["status"], refusal["statusText"]) == (4, 400, "Bad Request")
        body = json.loads(refusal["responseText"])
        assert body["statusCode"] == 2 and body["chatId"] == chat_id
        assert body["errors"] == [{"code": code, "advice": advice, "filename": name}]
        assert refusal == gms_refusal, name  # byte for byte, responseText included
        assert names_since(page, before) == ["error"]
        assert events(page, "error")[-1] == refusal
    assert len(gms.requests("fileUpload", chat_id=chat_id)) == 2  # nothing more was sent

    # an allowed file still goes through
    sent = send_file(page, "ok.png", SMALL_LIMIT, "image/png")
    assert sent["ok"], sent
    assert gms.wait_message(chat_id, type="FileUploaded")["userData"]["file-name"] == "ok.png"


# -- 10: reconnected after the messages of the first good answer ---------------------------------

def test_10_reconnected_comes_after_the_messages_of_the_first_good_answer(chat_page, gms, cxkit_mock):
    chat_id = with_agent(chat_page, gms)
    before = mark(chat_page)
    gms.fault("refresh", "drop", count=-1)  # every poll fails until the fault is cleared
    wait_event(chat_page, "disconnected")
    gms.say(chat_id, "said while you were away")  # no poll can fetch it yet
    assert "reconnected" not in names_since(chat_page, before)
    cxkit_mock._call(cxkit_mock.state.faults.clear)  # on the server's loop: the next poll is answered
    wait_event(chat_page, "reconnected")
    wait_text(chat_page, "said while you were away")
    seen = page_events_since(chat_page, before)
    names = [e["name"] for e in seen]
    got = next(i for i, e in enumerate(seen) if e["name"] == "messageReceived"
               and any(m.get("text") == "said while you were away" for m in e["data"]["messages"]))
    assert names.count("disconnected") == 1 and names.count("reconnected") == 1, names
    assert names.index("disconnected") < got < names.index("reconnected"), names
    assert [n for n in names if n in ("disconnected", "messageReceived", "reconnected")] == \
        ["disconnected", "messageReceived", "reconnected"], names


def page_events_since(page: Any, start: int) -> list[dict[str, Any]]:
    return page.evaluate("n => window.cxkitTest.events.slice(n)", start)


# -- 13: polling survives a busy page ---------------------------------------------------------------

BUSY_PYTHON = """
import time
_end = time.monotonic() + %s
while time.monotonic() < _end:
    pass
result = True
"""

#: Pyodide's loop refuses a timer for a moment that has passed ("Can't schedule in the past") and
#: its clock moves on between two reads, in 100 us steps here: a loop that computes "now" and then
#: schedules at it failed about once in a hundred late ticks. With this clock every read is later
#: than the one before, so such a loop fails at its first late tick (the old one did: polling died).
STRICT_CLOCK = """
import asyncio, time
_loop = asyncio.get_event_loop()
_last = [0.0]
def _strictly_later():
    _last[0] = max(time.monotonic(), _last[0] + 1e-6)
    return _last[0]
_loop.time = _strictly_later
result = True
"""


def test_13_polling_survives_python_blocked_for_a_while(open_chat_page, gms):
    page = open_chat_page(init_script="window.cxkitTestConfig = w => { w.cxkit = {testHook: true}; };")
    errors = console_errors(page)
    assert page.evaluate("src => cxkitPy(src)", STRICT_CLOCK) is True
    chat_id = with_agent(page, gms)
    refreshes = len(gms.requests("refresh", chat_id=chat_id))
    # Block the worker's Python for 1.5 s (the 250 ms polling ticker is late) while the agent speaks
    page.evaluate("src => { window.busy = cxkitPy(src); }", BUSY_PYTHON % 1.5)
    gms.say(chat_id, "while Python was busy")
    assert page.evaluate("window.busy") is True
    wait_text(page, "while Python was busy", timeout=10_000)
    # polling goes on
    gms.say(chat_id, "and after")
    wait_text(page, "and after", timeout=10_000)
    gms.wait_request("refresh", chat_id=chat_id, transcriptPosition=str(next_position(gms, chat_id)))
    assert len(gms.requests("refresh", chat_id=chat_id)) > refreshes + 1
    assert events(page, "error") == [] and "pollingStopped" not in events(page)
    assert errors == []


def next_position(gms: Any, chat_id: str) -> int:
    return max(m["index"] for m in gms.messages(chat_id)) + 1


def test_13_refusing_a_big_file_locally_does_not_stop_polling(open_chat_page, gms):
    """The issue's own case: a 10 MiB file checked against the limits (GMS's default 10 MiB) and
    refused before upload; the agent's next message still arrives."""
    page = open_chat_page()
    errors = console_errors(page)
    chat_id = with_agent(page, gms)
    assert command(page, "WebChatService.getFileLimits")["ok"]
    big = 10 * 1024 * 1024 + 1
    refused = send_file(page, "big.png", big, "image/png")
    assert refused["ok"] is False
    assert json.loads(refused["value"]["responseText"])["errors"] == [
        {"code": 202, "advice": str(10 * 1024 * 1024), "filename": "big.png"}]
    assert gms.requests("fileUpload", chat_id=chat_id) == []
    gms.say(chat_id, "after the big file")
    wait_text(page, "after the big file", timeout=10_000)
    gms.say(chat_id, "still polling")
    wait_text(page, "still polling", timeout=10_000)
    assert [e for e in events(page, "error")] == [refused["value"]]  # the refusal's own error only
    assert errors == []
