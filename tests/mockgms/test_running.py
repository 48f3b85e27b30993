"""MockGMS.running(): uvicorn in a thread on a free port, driven from the test's thread."""

from __future__ import annotations

import httpx
import pytest

from cxkit.mockgms import MockConfig, MockGMS


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
            assert gms.list_chats() == [] and c.get("/mock/chats").json() == {"chats": []}
    with pytest.raises(httpx.TransportError):
        httpx.get(gms.url + "/mock/chats", timeout=1)
