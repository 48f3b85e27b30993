"""The HTTP control API (/mock/...) and its Python mirror on MockGMS."""

from __future__ import annotations

import asyncio
import base64

import pytest

from cxkit.mockgms import ActionError, ConnectionDropped, MockGMS
from cxkit.mockgms.signal import ChangeSignal

from .support import BASE, Customer


async def agent(client, chat_id: str, **body):
    return await client.post(f"/mock/chats/{chat_id}/agent", json=body)


async def test_list_and_get_chat_shapes(customer: Customer, client) -> None:
    await customer.op("startTyping", message="draft")
    listed = (await client.get("/mock/chats")).json()["chats"]
    assert [c["chatId"] for c in listed] == [customer.chat_id]
    assert {"chatId", "serviceName", "state"} <= set(listed[0])
    assert listed[0]["serviceName"] == "customer-support" and listed[0]["state"] == "waiting"
    detail = (await client.get(f"/mock/chats/{customer.chat_id}")).json()
    assert {"chatId", "serviceName", "state", "participants", "messages", "userData", "files", "typingPreview"} <= set(detail)
    assert detail["typingPreview"] == "draft"
    assert detail["participants"] == [{"nickname": "Nick", "participantId": 1, "type": "Client", "connected": True}]
    assert detail["messages"] == (await customer.op("refresh", transcriptPosition="1")).json()["messages"]
    assert (await client.get("/mock/chats/nope")).status_code == 404


async def test_every_agent_action(customer: Customer, client, gms: MockGMS) -> None:
    cid = customer.chat_id
    r = await agent(client, cid, action="join", nickname="Anna")
    [joined] = r.json()["messages"]
    assert joined["type"] == "ParticipantJoined" and joined["from"] == {"nickname": "Anna", "participantId": 2, "type": "Agent"}
    assert r.json()["state"] == "connected"
    sup = (await agent(client, cid, action="join", nickname="Boss", supervisor=True)).json()["messages"][0]
    assert sup["from"]["type"] == "Supervisor" and sup["from"]["participantId"] == 3
    steps = [
        ({"action": "typing", "nickname": "Anna"}, "TypingStarted", None),
        ({"action": "stopTyping"}, "TypingStopped", None),
        ({"action": "say", "text": "Hello!", "nickname": "Anna", "eventAttributes": {"x": 1}}, "Message", "Hello!"),
        ({"action": "notice", "text": "FYI"}, "Notice", "FYI"),
        ({"action": "customNotice", "nickname": "_GCTI_GSS", "text": '{"Survey_URL": "http://s"}'}, "CustomNotice", '{"Survey_URL": "http://s"}'),
        ({"action": "pushUrl", "url": "https://example.org"}, "PushUrl", "https://example.org"),
        ({"action": "idleAlert", "closeSeconds": 30}, "IdleAlert", None),
    ]
    for body, mtype, text in steps:
        r = await agent(client, cid, **body)
        assert r.status_code == 200, r.text
        [msg] = r.json()["messages"]
        assert msg["type"] == mtype
        if text is not None:
            assert msg["text"] == text
    detail = gms.chat(cid)
    by_type = {m["type"]: m for m in detail["messages"]}
    assert by_type["Message"]["eventAttributes"] == {"x": 1}
    assert by_type["TypingStopped"]["from"]["nickname"] == "Boss"  # default speaker: latest joined
    assert by_type["CustomNotice"]["from"] == {"nickname": "_GCTI_GSS", "participantId": 0, "type": "External"}
    assert by_type["Notice"]["from"]["type"] == "External"
    assert by_type["IdleAlert"]["userData"] == {"next-idle-timer-type": "CLOSE", "next-idle-timer-secs": "30"}

    content = b"\x00agent file\xff"
    r = await agent(client, cid, action="file", fileName="a.bin", content=base64.b64encode(content).decode())
    [up] = r.json()["messages"]
    assert up["type"] == "FileUploaded" and up["from"]["type"] == "Supervisor"
    dl = await customer.op(f"file/{up['userData']['file-id']}/download")
    assert dl.content == content

    left = (await agent(client, cid, action="leave", nickname="Boss")).json()["messages"][0]
    assert left["type"] == "ParticipantLeft" and left["from"]["nickname"] == "Boss"
    end = (await agent(client, cid, action="end")).json()
    assert [m["type"] for m in end["messages"]] == ["ParticipantLeft"] and end["state"] == "ended"
    poll = (await customer.op("refresh", transcriptPosition="1")).json()
    assert poll["chatEnded"] is True and poll["messages"][-1]["type"] == "ParticipantLeft"


async def test_idle_close_action_ends_chat(customer: Customer, client) -> None:
    r = await agent(client, customer.chat_id, action="idleClose")
    assert r.json()["messages"][0]["type"] == "IdleClose" and r.json()["state"] == "ended"
    assert (await customer.op("refresh")).json()["chatEnded"] is True


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"action": "dance"}, 400),
        ({}, 400),
        ({"action": "say", "text": "no agent yet"}, 409),
        ({"action": "typing"}, 409),
        ({"action": "file", "fileName": "a", "content": "***"}, 409),
    ],
)
async def test_agent_action_errors(customer: Customer, client, body, status) -> None:
    r = await agent(client, customer.chat_id, **body)
    assert r.status_code == status and r.json()["error"]


async def test_agent_action_validation_after_join(customer: Customer, client) -> None:
    await agent(client, customer.chat_id, action="join")
    assert (await agent(client, customer.chat_id, action="join")).status_code == 409  # same nickname twice
    assert (await agent(client, customer.chat_id, action="say")).status_code == 400  # text missing
    assert (await agent(client, customer.chat_id, action="say", text=5)).status_code == 400
    assert (await agent(client, customer.chat_id, action="file", fileName="a", content="***")).status_code == 400
    assert (await agent(client, customer.chat_id, action="say", text="x", nickname="Ghost")).status_code == 409
    bad = await client.post(f"/mock/chats/{customer.chat_id}/agent", content=b"not json")
    assert bad.status_code == 400
    assert (await agent(client, "nope", action="join")).status_code == 404
    await agent(client, customer.chat_id, action="end")
    assert (await agent(client, customer.chat_id, action="say", text="late")).status_code == 409


async def test_python_api_mirrors_http(customer: Customer, gms: MockGMS) -> None:
    assert [c["chatId"] for c in gms.chats()] == [customer.chat_id]
    [msg] = gms.agent(customer.chat_id, "join", nickname="Py")
    assert msg["from"]["nickname"] == "Py"
    with pytest.raises(ActionError) as info:
        gms.agent(customer.chat_id, "nope")
    assert info.value.status == 400
    with pytest.raises(ActionError):
        gms.chat("missing")


async def test_wait_endpoint_long_polls_until_transcript_grows(customer: Customer, client, gms: MockGMS) -> None:
    waiter = asyncio.create_task(client.get(f"/mock/chats/{customer.chat_id}/wait", params={"after": 1, "timeout": 5}))
    await customer.op("send", message="hi")
    body = (await waiter).json()
    assert body["timedOut"] is False and [m["text"] for m in body["messages"]] == ["hi"]
    # already satisfied: answers at once
    body = (await client.get(f"/mock/chats/{customer.chat_id}/wait", params={"after": 0})).json()
    assert [m["index"] for m in body["messages"]] == [1, 2]
    # filtered by type
    waiter = asyncio.create_task(client.get(f"/mock/chats/{customer.chat_id}/wait",
                                            params={"after": 0, "type": "ParticipantJoined", "timeout": 5}))
    body = (await waiter).json()
    assert [m["index"] for m in body["messages"]] == [1]
    timed_out = (await client.get(f"/mock/chats/{customer.chat_id}/wait", params={"after": 2, "timeout": 0})).json()
    assert timed_out == {**timed_out, "timedOut": True, "messages": []}
    assert (await client.get("/mock/chats/nope/wait")).status_code == 404
    assert (await client.get(f"/mock/chats/{customer.chat_id}/wait", params={"after": "x"})).status_code == 400


async def test_python_waits(customer: Customer, gms: MockGMS) -> None:
    pending = asyncio.create_task(gms.wait_messages(customer.chat_id, after=1, type="Message"))
    await customer.op("startTyping", message="h")
    await customer.op("send", message="hello")
    [msg] = await pending
    assert msg["text"] == "hello"
    with pytest.raises(TimeoutError):
        await gms.wait_messages(customer.chat_id, after=10, timeout=0)


async def test_wait_chat(client, gms: MockGMS) -> None:
    waiter = asyncio.create_task(client.get("/mock/wait-chat", params={"timeout": 5}))
    first = Customer(client)
    await first.request_chat(nickname="First")
    body = (await waiter).json()
    assert body["timedOut"] is False and body["chat"]["chatId"] == first.chat_id and body["chat"]["seq"] == 1
    pending = asyncio.create_task(gms.wait_chat(after=1))
    second = Customer(client)
    await second.request_chat(nickname="Second")
    assert (await pending)["chatId"] == second.chat_id
    assert (await client.get("/mock/wait-chat", params={"after": 2, "timeout": 0})).json() == {"timedOut": True, "chat": None}
    with pytest.raises(TimeoutError):
        await gms.wait_chat(after=2, timeout=0)


async def parked(signal: ChangeSignal, turns: int = 1000) -> None:
    """Let the loop run until a wait is parked on the signal (bounded by turns, not time)."""
    for _ in range(turns):
        if signal.waiting:
            return
        await asyncio.sleep(0)
    raise AssertionError(f"no wait parked after {turns} loop turns")


async def test_wait_requests_long_polls_until_a_matching_request_is_answered(
    customer: Customer, client, gms: MockGMS
) -> None:
    waiter = asyncio.create_task(client.get("/mock/requests/wait", params={
        "operation": "updateData", "chatId": customer.chat_id, "form.userData[tier]": "gold", "timeout": 5}))
    await parked(gms.state.log.changed)
    await customer.op("updateData", **{"userData[tier]": "silver"})
    await customer.op("refresh")
    await parked(gms.state.log.changed)  # woken by those, it looked and parked again
    assert not waiter.done()
    await customer.op("updateData", **{"userData[tier]": "gold"})
    body = (await waiter).json()
    assert body["timedOut"] is False
    [entry] = body["requests"]
    assert (entry["operation"], entry["form"]["userData[tier]"], entry["statusCode"], entry["httpStatus"],
            entry["done"]) == ("updateData", "gold", 0, 200, True)
    assert gms.state.log.changed.waiting == 0
    # already there: answers at once, oldest first; `after` skips what was seen
    body = (await client.get("/mock/requests/wait", params={"operation": "updateData"})).json()
    assert [e["form"]["userData[tier]"] for e in body["requests"]] == ["silver", "gold"]
    body = (await client.get("/mock/requests/wait", params={"after": entry["seq"], "timeout": 0})).json()
    assert body == {"timedOut": True, "requests": []}


async def test_wait_requests_sees_a_request_only_once_it_is_done(customer: Customer, client, gms: MockGMS) -> None:
    gms.fault("refresh", "delay", delay_ms=2000)  # still in flight when looked at, however slow the machine
    slow = asyncio.create_task(customer.op("refresh"))
    for _ in range(1000):  # until the delayed request is logged, in flight
        if gms.requests("refresh"):
            break
        await asyncio.sleep(0)
    [in_flight] = gms.requests("refresh")
    assert in_flight["fault"] == "delay" and in_flight["done"] is False
    with pytest.raises(TimeoutError, match="no refresh request matching {} within 0s"):
        await gms.wait_requests("refresh", timeout=0)
    [entry] = await gms.wait_requests("refresh", chat_id=customer.chat_id, timeout=5)
    assert entry["statusCode"] == 0 and entry["fault"] == "delay"
    assert (await slow).json()["statusCode"] == 0
    gms.fault("send", "drop")
    with pytest.raises(ConnectionDropped):
        await customer.op("send", message="lost")
    [dropped] = await gms.wait_requests("send", message="lost", timeout=0)
    assert dropped["fault"] == "drop" and dropped["done"] is True


async def test_reset_clears_everything(customer: Customer, client, gms: MockGMS) -> None:
    await client.post("/mock/faults", json={"operation": "send", "mode": "http500", "count": -1})
    r = await client.post("/mock/reset")
    assert r.json() == {"reset": True}
    assert gms.chats() == [] and gms.requests() == [] and gms.faults() == []
    assert (await customer.op("refresh")).json()["chatEnded"] is True
    assert (await Customer(client).request_chat()).json()["statusCode"] == 0
    assert (await gms.wait_chat(timeout=0))["seq"] == 1  # numbering restarts


async def test_config_endpoint_hides_apikey(client) -> None:
    body = (await client.get("/mock/config")).json()
    assert body["agent"] == "silent" and body["apikey"] is None and body["max_chats"] == 20000


async def test_agent_side_file_download(customer: Customer, client) -> None:
    up = await client.post(f"{BASE}/{customer.chat_id}/file", files={"file": ("c.pdf", b"from customer")},
                           data=customer.identity())
    file_id = up.json()["userData"]["file-id"]
    r = await client.get(f"/mock/chats/{customer.chat_id}/files/{file_id}")
    assert r.content == b"from customer" and r.headers["content-disposition"].startswith('attachment; filename="c.pdf"')
    assert (await client.get(f"/mock/chats/{customer.chat_id}/files/nope")).status_code == 404


async def test_agent_console_page(client) -> None:
    import re

    for path in ("/agent", "/agent/"):
        r = await client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    for element in ("chats", "transcript", "preview", "nickname", "join", "leave", "text", "say", "file", "end"):
        assert f'id="{element}"' in html
    # offline: nothing but same-origin URLs
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "/mock/chats" in html


async def test_agent_console_has_a_strict_csp_that_allows_its_own_code(client) -> None:
    import base64
    import hashlib
    import re

    r = await client.get("/agent")
    csp = dict(part.strip().split(" ", 1) for part in r.headers["content-security-policy"].split(";"))
    assert csp["default-src"] == "'none'" and csp["connect-src"] == "'self'" and csp["frame-ancestors"] == "'none'"
    for tag, directive in (("script", "script-src"), ("style", "style-src")):
        [body] = re.findall(rf"<{tag}>(.*?)</{tag}>", r.text, re.S)
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert csp[directive] == f"'sha256-{digest}'"  # no 'unsafe-inline', no other source
    # the policy forbids inline handlers and style attributes: the page must not use them
    assert not re.search(r"<[^>]+\s(on\w+|style)=", r.text)
    assert r.headers["x-content-type-options"] == "nosniff"


async def test_wrap_serves_mock_beside_another_app(gms: MockGMS) -> None:
    import httpx
    from starlette.responses import PlainTextResponse

    async def static(scope, receive, send):
        await PlainTextResponse(f"static {scope['path']}")(scope, receive, send)

    app = gms.wrap(static)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        assert (await c.get("/index.html")).text == "static /index.html"
        assert (await c.get("/agentish")).text == "static /agentish"
        assert (await c.get("/mock/chats")).json() == {"chats": []}
        assert (await c.get("/agent")).status_code == 200
        assert (await c.post(BASE, data={"nickname": "N"})).json()["statusCode"] == 0


@pytest.mark.parametrize("params", [{"timeout": "nan"}, {"timeout": "inf"}, {"after": "nan"},
                                    {"after": "inf"}, {"timeout": "soon"}])
async def test_wait_parameters_must_be_finite_numbers(client, customer, params):
    for path in ("/mock/wait-chat", f"/mock/chats/{customer.chat_id}/wait", "/mock/requests/wait"):
        r = await client.get(path, params=params)
        assert r.status_code == 400
        assert "finite number" in r.json()["error"]
