"""MockGMS.running(): uvicorn in a thread on a free port, driven from the test's thread."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

from cxkit.mockgms import MockConfig, MockGMS
from cxkit.mockgms import api as api_module


def test_running_server_full_chat_from_another_thread() -> None:
    cfg = MockConfig(echo_join_delay=0, echo_typing_delay=0, idle_alert_seconds=0)
    with MockGMS.running(config=cfg, agent="echo") as gms:
        assert gms.url and gms.url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=gms.url, headers={"Origin": gms.url}) as c:
            start = c.post("/genesys/2/chat/customer-support/", data={"nickname": "N"}).json()
            chat_id = start["chatId"]
            assert gms.wait_chat_blocking(timeout=5)["chatId"] == chat_id
            gms.wait_messages_blocking(chat_id, after=1, type="ParticipantJoined", timeout=5)
            ident = {k: start[k] for k in ("alias", "secureKey", "userId")}
            c.post(f"/genesys/2/chat/customer-support/{chat_id}/send", data={**ident, "message": "hi"})
            echoed = gms.wait_messages_blocking(chat_id, after=3, type="Message", timeout=5)
            assert echoed[-1]["from"]["type"] == "Agent" and echoed[-1]["text"] == "hi"
            # the Python API marshals into the server loop
            said = gms.agent(chat_id, "say", text="from the test thread")
            poll = c.post(f"/genesys/2/chat/customer-support/{chat_id}/refresh",
                          data={**ident, "transcriptPosition": str(said[0]["index"])}).json()
            assert poll["messages"][0]["text"] == "from the test thread"
            assert c.get("/agent").status_code == 200

            gms.fault("refresh", "drop")
            with pytest.raises(httpx.TransportError):
                c.post(f"/genesys/2/chat/customer-support/{chat_id}/refresh", data=ident)
            assert c.post(f"/genesys/2/chat/customer-support/{chat_id}/refresh", data=ident).json()["statusCode"] == 0

            gms.reset()
            assert gms.chats() == [] and c.get("/mock/chats").json() == {"chats": []}
    with pytest.raises(httpx.TransportError):
        httpx.get(gms.url + "/mock/chats", timeout=1)


def test_results_are_copies_the_caller_may_change() -> None:
    cfg = MockConfig(idle_alert_seconds=0)
    with MockGMS.running(config=cfg, agent="silent") as gms, httpx.Client(base_url=gms.url) as c:
        start = c.post("/genesys/2/chat/customer-support/", data={"nickname": "N", "userData[k]": "v"}).json()
        chat_id = start["chatId"]
        ident = {k: start[k] for k in ("alias", "secureKey", "userId")}
        [said] = gms.agent(chat_id, "join")
        said["from"]["nickname"] = "changed"
        detail = gms.chat(chat_id)
        detail["messages"][0]["type"] = "changed"
        detail["userData"]["k"] = "changed"
        gms.wait_messages_blocking(chat_id, timeout=5)[0]["from"]["type"] = "changed"
        gms.requests("requestChat")[0]["form"]["nickname"] = "changed"
        poll = c.post(f"/genesys/2/chat/customer-support/{chat_id}/refresh", data=ident).json()
        assert [m["type"] for m in poll["messages"]] == ["ParticipantJoined", "ParticipantJoined"]
        assert [m["from"]["type"] for m in poll["messages"]] == ["Client", "Agent"]
        assert poll["messages"][1]["from"]["nickname"] != "changed"
        assert gms.chat(chat_id)["userData"] == {"k": "v"}
        assert gms.requests("requestChat")[0]["form"]["nickname"] == "N"


def test_waiting_for_a_request_from_another_thread() -> None:
    with MockGMS.running(config=MockConfig(idle_alert_seconds=0), agent="silent") as gms:
        timer = threading.Timer(0.1, lambda: httpx.post(gms.url + "/genesys/2/chat/customer-support/",
                                                         data={"nickname": "Later"}))
        timer.start()
        try:
            [entry] = gms.wait_requests_blocking("requestChat", nickname="Later", timeout=5)
        finally:
            timer.cancel()
        assert entry["statusCode"] == 0
        with pytest.raises(TimeoutError, match="no requestChat request matching {'nickname': 'Other'}"):
            gms.wait_requests_blocking("requestChat", nickname="Other", timeout=0)


@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited")  # the stalled loop never runs them
def test_a_call_into_a_stalled_server_loop_fails_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api_module, "CALL_TIMEOUT_S", 0.05)
    gms = MockGMS(agent="silent")
    loop = asyncio.new_event_loop()
    release = threading.Event()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    loop.call_soon_threadsafe(release.wait)  # the loop runs but never gets to our call
    gms._loop = loop
    try:
        with pytest.raises(RuntimeError, match="server loop did not answer within 0.05s"):
            gms.chats()
        with pytest.raises(RuntimeError, match="server loop did not answer"):
            gms.wait_chat_blocking(timeout=0)
    finally:
        release.set()
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
