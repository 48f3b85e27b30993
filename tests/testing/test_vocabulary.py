"""One vocabulary drives the mock: `MockGMS`'s Python API and the `gms` fixture's `MockGmsControl`
have the same names, which mean the same things, over the same HTTP control API."""

from __future__ import annotations

import asyncio
import inspect

import httpx
import pytest

from cxkit.mockgms import ActionError, MockConfig, MockGMS
from cxkit.testing import MockGmsControl

VOCABULARY = {
    "chats", "chat", "messages", "reset", "requests", "agent", "join", "say", "typing", "end",
    "fault", "faults", "cometd_fault", "cometd_faults", "clear_faults",
    "wait_chat", "wait_messages", "wait_message", "wait_requests", "wait_request",
}


def start(url: str, **form: str) -> str:
    return httpx.post(url + "/genesys/2/chat/customer-support", data={"nickname": "Jo", **form}).json()["chatId"]


def _public(cls: type) -> set[str]:
    return {name for name, _ in inspect.getmembers(cls, callable) if not name.startswith("_")}


def test_both_faces_have_the_whole_vocabulary_and_the_waits_have_blocking_twins():
    assert VOCABULARY <= _public(MockGmsControl) and VOCABULARY <= _public(MockGMS)
    waits = {n for n in VOCABULARY if n.startswith("wait_")}
    assert {f"{n}_blocking" for n in waits} <= _public(MockGMS)
    assert all(inspect.iscoroutinefunction(getattr(MockGMS, n)) for n in waits)
    for name in VOCABULARY - {"wait_chat"}:  # the fixture's wait_chat also remembers what it has seen
        python = list(inspect.signature(getattr(MockGMS, name)).parameters)
        http = list(inspect.signature(getattr(MockGmsControl, name)).parameters)
        assert python == http, name


def test_cometd_faults_from_the_fixture_reach_the_mock(control: MockGmsControl, server: MockGMS):
    added = control.cometd_fault("connect", "drop", count=2)
    assert added == {"operation": "connect", "mode": "drop", "count": 2, "delayMs": 0}
    control.cometd_fault("websocket", "delay", delay_ms=50)
    assert control.cometd_faults() == server.cometd_faults() == [added, {
        "operation": "websocket", "mode": "delay", "count": 1, "delayMs": 50}]
    with pytest.raises(httpx.HTTPStatusError, match="400 unknown mode 'status1' for handshake"):
        control.cometd_fault("handshake", "status1")
    with pytest.raises(ActionError, match="unknown operation 'send'"):
        server.cometd_fault("send", "drop")


def test_clear_faults_drops_both_kinds_and_keeps_the_chats(control: MockGmsControl, server: MockGMS):
    chat_id = start(control.base_url)
    for mode in ("http500json", "http404json"):
        assert control.fault("send", mode)["mode"] == mode
    control.cometd_fault("handshake", "unknown")
    control.clear_faults()
    assert control.faults() == [] and control.cometd_faults() == []
    assert [c["chatId"] for c in control.chats()] == [chat_id]
    server.fault("refresh", "status1")
    server.cometd_fault("connect", "http500")
    server.clear_faults()
    assert server.faults() == [] and server.cometd_faults() == []


def test_the_same_waits_on_both_faces(control: MockGmsControl, server: MockGMS):
    chat_id = start(control.base_url, subject="billing")
    assert control.wait_chat()["chatId"] == server.wait_chat_blocking()["chatId"] == chat_id
    second = start(control.base_url)
    assert control.wait_chat(5)["chatId"] == server.wait_chat_blocking(after=1)["chatId"] == second
    assert control.wait_chat(after=0)["chatId"] == chat_id
    control.join(chat_id, nickname="Anna")
    server.say(chat_id, "one")
    control.say(chat_id, "two")
    for face in (control.wait_messages, server.wait_messages_blocking):
        assert [m["text"] for m in face(chat_id, after=2, type="Message")] == ["one", "two"]
    for face in (control.wait_message, server.wait_message_blocking):
        assert face(chat_id, after=3, from_type="Agent")["text"] == "two"
        with pytest.raises(TimeoutError):
            face(chat_id, after=4, timeout=0.1)
    for face in (control.wait_request, server.wait_request_blocking):
        assert face("requestChat", subject="billing")["form"]["nickname"] == "Jo"
    for face in (control.wait_requests, server.wait_requests_blocking):
        with pytest.raises(TimeoutError, match="no requestChat request matching {'subject': 'other'}"):
            face("requestChat", subject="other", timeout=0.1)
    assert control.messages(chat_id, type="Message") == server.messages(chat_id, type="Message")
    assert control.chat(chat_id)["messages"] == server.chat(chat_id)["messages"]


def test_the_async_waits_in_process():
    async def scenario() -> None:
        gms = MockGMS(MockConfig(idle_alert_seconds=0), agent="silent")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gms.app), base_url="http://testserver") as c:
            chat_id = (await c.post("/genesys/2/chat/svc", data={"nickname": "Jo"})).json()["chatId"]
            waiting = asyncio.ensure_future(gms.wait_message(chat_id, type="Message", text="hi"))
            gms.join(chat_id)
            gms.say(chat_id, "hi")
            assert (await waiting)["from"]["type"] == "Agent"
            assert (await gms.wait_request("requestChat", nickname="Jo"))["statusCode"] == 0
            with pytest.raises(TimeoutError, match="no message matching {'text': 'no'} after index 0"):
                await gms.wait_message(chat_id, text="no", timeout=0)

    asyncio.run(scenario())


def test_the_older_http_name_of_the_chat_wait_still_answers(control: MockGmsControl):
    chat_id = start(control.base_url)
    for path in ("/mock/chats/wait", "/mock/wait-chat"):
        body = control.http.get(path, params={"timeout": 0}).json()
        assert body["timedOut"] is False and body["chat"]["chatId"] == chat_id
