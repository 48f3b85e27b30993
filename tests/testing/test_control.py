"""MockGmsControl against a running MockGMS (over HTTP, in a thread)."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import httpx
import pytest

from cxkit.mockgms import MockConfig, MockGMS
from cxkit.testing import MockGmsControl
from cxkit.testing import control as control_module


def start(control: MockGmsControl, **form: str) -> str:
    started = httpx.post(control.base_url + "/genesys/2/chat/customer-support", data={"nickname": "Jo", **form})
    return started.json()["chatId"]

def test_agent_helpers_and_transcript(control: MockGmsControl) -> None:
    chat_id = start(control)
    assert control.wait_chat()["chatId"] == chat_id
    assert control.join(chat_id, nickname="Anna")["type"] == "ParticipantJoined"
    assert control.typing(chat_id)["type"] == "TypingStarted"
    said = control.say(chat_id, "Hello!")
    assert (said["type"], said["text"], said["from"]["nickname"]) == ("Message", "Hello!", "Anna")
    assert [m["text"] for m in control.messages(chat_id, type="Message")] == ["Hello!"]
    assert control.wait_message(chat_id, type="Message", from_type="Agent")["text"] == "Hello!"
    left = control.end(chat_id)
    assert [m["type"] for m in left] == ["ParticipantLeft"]
    assert control.chat(chat_id)["state"] in ("ended", "disconnected")

def test_wait_chat_counts_chats_since_reset(control: MockGmsControl) -> None:
    first, second = start(control), start(control)
    assert [control.wait_chat()["chatId"], control.wait_chat()["chatId"]] == [first, second]
    with pytest.raises(TimeoutError, match="no new chat"):
        control.wait_chat(timeout=0.2)
    control.reset()
    assert control.chats() == []
    third = start(control)
    assert control.wait_chat()["chatId"] == third

def test_wait_message_returns_once_the_message_arrives(control: MockGmsControl) -> None:
    chat_id = start(control)
    control.join(chat_id)
    timer = threading.Timer(0.3, lambda: control.say(chat_id, "later"))
    timer.start()
    try:
        assert control.wait_message(chat_id, text="later", from_type="Agent")["type"] == "Message"
    finally:
        timer.cancel()
    with pytest.raises(TimeoutError, match="no message matching"):
        control.wait_message(chat_id, text="never", timeout=0.3)

def test_wait_request_matches_answered_requests_by_form(control: MockGmsControl) -> None:
    timer = threading.Timer(0.2, lambda: start(control, subject="billing"))
    timer.start()
    try:
        entry = control.wait_request("requestChat", subject="billing")
    finally:
        timer.cancel()
    assert (entry["form"]["nickname"], entry["statusCode"], entry["httpStatus"]) == ("Jo", 0, 200)
    with pytest.raises(TimeoutError, match="no requestChat request matching {'subject': 'other'}"):
        control.wait_request("requestChat", subject="other", timeout=0.2)

def test_wait_request_is_a_long_poll_not_a_sleep(control: MockGmsControl, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(control_module, "time", SimpleNamespace(monotonic=time.monotonic))  # no time.sleep
    chat = httpx.post(control.base_url + "/genesys/2/chat/customer-support", data={"nickname": "Jo"}).json()
    ident = {k: chat[k] for k in ("alias", "secureKey", "userId")}
    timer = threading.Timer(0.2, lambda: httpx.post(
        f"{control.base_url}/genesys/2/chat/customer-support/{chat['chatId']}/updateData",
        data={**ident, "userData[tier]": "gold"}))
    timer.start()
    try:
        entry = control.wait_request("updateData", chat_id=chat["chatId"], **{"userData[tier]": "gold"})
    finally:
        timer.cancel()
    assert entry["statusCode"] == 0 and entry["form"]["userData[tier]"] == "gold"

def test_a_timeout_of_0_asks_once_instead_of_waiting_the_default(control: MockGmsControl,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """``timeout=0`` means no wait, as for the in-process face; it meant the 30 s default."""
    asked: list[float] = []
    get = control.http.get

    def recording_get(url: str, **kw: object) -> httpx.Response:
        params = kw.get("params")
        if isinstance(params, dict) and "timeout" in params:
            asked.append(params["timeout"])
        return get(url, **kw)

    monkeypatch.setattr(control.http, "get", recording_get)
    with pytest.raises(TimeoutError):
        control.wait_chat(timeout=0)
    with pytest.raises(TimeoutError):
        control.wait_request("requestChat", subject="never", timeout=0)
    assert asked and set(asked) == {0}, asked

def test_faults_are_listed_used_and_logged(control: MockGmsControl) -> None:
    control.fault("requestChat", "http500", count=1)
    assert control.faults() == [{"operation": "requestChat", "mode": "http500", "count": 1, "delayMs": 0}]
    refused = httpx.post(control.base_url + "/genesys/2/chat/customer-support", data={"nickname": "Jo"})
    assert refused.status_code == 500
    assert control.faults() == []
    assert [r["fault"] for r in control.requests("requestChat")] == ["http500"]

def test_errors_carry_the_mock_s_explanation(control: MockGmsControl) -> None:
    with pytest.raises(httpx.HTTPStatusError, match="404 no chat 'nope'"):
        control.chat("nope")
    chat_id = start(control)
    with pytest.raises(httpx.HTTPStatusError, match="409 no connected agent .* send 'join' first"):
        control.say(chat_id, "nobody here")
    with pytest.raises(httpx.HTTPStatusError, match="400 unknown mode 'boom'"):
        control.fault("send", "boom")

def test_config_names_the_agent_preset(control: MockGmsControl) -> None:
    assert control.config()["agent"] == "silent"


def test_wait_typing_preview_follows_start_and_stop_typing(control: MockGmsControl,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(control_module, "time", SimpleNamespace(monotonic=time.monotonic))  # no time.sleep
    chat = httpx.post(control.base_url + "/genesys/2/chat/customer-support", data={"nickname": "Jo"}).json()
    ident = {k: chat[k] for k in ("alias", "secureKey", "userId")}

    def typing(op: str, text: str) -> None:
        httpx.post(f"{control.base_url}/genesys/2/chat/customer-support/{chat['chatId']}/{op}",
                   data={**ident, "message": text})

    typing("startTyping", "Hel")                      # the first characters only
    assert control.wait_typing_preview(chat["chatId"], "Hel")["typingPreview"] == "Hel"
    timer = threading.Timer(0.2, lambda: typing("stopTyping", "Hello there"))
    timer.start()
    try:
        found = control.wait_typing_preview(chat["chatId"], "Hello there")
    finally:
        timer.cancel()
    assert [m["type"] for m in found["messages"]][-2:] == ["TypingStarted", "TypingStopped"]
    with pytest.raises(TimeoutError, match="typing preview of chat .* is 'Hello there', not 'Hello', after 0.2s"):
        control.wait_typing_preview(chat["chatId"], "Hello", timeout=0.2)

def test_a_wait_longer_than_the_http_timeout_and_the_mocks_cap_polls_until_it_ends() -> None:
    """docs/pytest-plugin.md ("Without pytest": ``wait_chat(timeout=300)``): every wait is a series
    of long polls, each within the client's HTTP timeout (``timeout`` + 5 s) and the mock's cap
    (``max_wait_seconds``), so it lasts as long as asked and ends in a chat or a TimeoutError."""
    with MockGMS.running(config=MockConfig(idle_alert_seconds=0, max_wait_seconds=0.3), agent="silent") as mock, \
            MockGmsControl(mock.url, timeout=0.2) as gms:  # HTTP timeout 5.2 s: one 2 s poll would pass it
        timer = threading.Timer(1.5, lambda: start(gms))
        timer.start()
        try:
            began = time.monotonic()
            chat = gms.wait_chat(timeout=6)
            assert 1.4 < time.monotonic() - began < 6 and chat["seq"] == 1
            chat_id = chat["chatId"]
            gms.join(chat_id)
            threading.Timer(1.0, lambda: gms.say(chat_id, "later")).start()
            assert gms.wait_message(chat_id, text="later", timeout=6)["type"] == "Message"
            assert gms.wait_messages(chat_id, after=gms.messages(chat_id)[-1]["index"] - 1, timeout=6)
            threading.Timer(1.0, lambda: start(gms, subject="later")).start()
            assert gms.wait_request("requestChat", subject="later", timeout=6)["form"]["subject"] == "later"
            assert gms.wait_chat()["seq"] == 2  # that request's chat
            began = time.monotonic()
            with pytest.raises(TimeoutError, match="no new chat was started within 1.2s"):
                gms.wait_chat(timeout=1.2)
            assert time.monotonic() - began >= 1.2
        finally:
            timer.cancel()

def test_the_in_process_waits_are_not_capped_by_max_wait_seconds() -> None:
    """``max_wait_seconds`` caps the HTTP control API's long polls only (docs/reference.md): a
    `MockGMS` wait in the test's own process waits as long as it is asked to."""
    with MockGMS.running(config=MockConfig(idle_alert_seconds=0, max_wait_seconds=0.3), agent="silent") as mock, \
            MockGmsControl(mock.url, timeout=5) as gms:
        timer = threading.Timer(1.0, lambda: start(gms))
        timer.start()
        try:
            assert mock.wait_chat_blocking(timeout=6)["seq"] == 1
            began = time.monotonic()
            with pytest.raises(TimeoutError):
                mock.wait_chat_blocking(after=1, timeout=0.8)
            assert time.monotonic() - began >= 0.8
            # over HTTP one long poll is still capped
            began = time.monotonic()
            assert httpx.get(f"{mock.url}/mock/chats/wait", params={"after": 1, "timeout": 5}).json()["timedOut"]
            assert time.monotonic() - began < 2
        finally:
            timer.cancel()

def test_wait_request_returns_a_request_a_fault_dropped(control: MockGmsControl) -> None:
    """docs/pytest-plugin.md: a request dropped by a fault is done too: ``fault`` names the fault,
    and ``httpStatus`` / ``statusCode`` are None (nothing was answered)."""
    control.fault("requestChat", "drop")
    with pytest.raises(httpx.TransportError):
        start(control, subject="dropped")
    entry = control.wait_request("requestChat", subject="dropped", timeout=5)
    assert (entry["fault"], entry["httpStatus"], entry["statusCode"]) == ("drop", None, None)
