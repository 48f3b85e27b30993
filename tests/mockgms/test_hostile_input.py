"""Hostile or broken input (issue 12): NaN/Infinity and deep nesting refused wherever JSON comes in,
bad control values, file content types, download-attempts, booleans, nosniff. Each refusal is a
clear 4xx and the chat it aimed at keeps working."""

from __future__ import annotations

import json

import httpx
import pytest

from cxkit.mockgms import ActionError, FileLimits, MockGMS

from .cometd_support import CHANNEL, RawBayeux, connected
from .support import BASE, Customer, client_for, make_gms

NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e999"]
DEEP = "[" * 100_000


async def still_serves(customer: Customer, gms: MockGMS) -> None:
    """The chat answers a refresh, its detail and its wait: nothing stored broke it."""
    r = await customer.op("refresh", transcriptPosition="1")
    assert r.status_code == 200 and r.json()["statusCode"] == 0
    assert (await customer.client.get(f"/mock/chats/{customer.chat_id}")).status_code == 200
    wait = await customer.client.get(f"/mock/chats/{customer.chat_id}/wait", params={"timeout": "0"})
    assert wait.status_code == 200


@pytest.mark.parametrize("number", NON_FINITE)
@pytest.mark.parametrize("op", ["send", "customNotice"])
async def test_non_finite_event_attributes_are_refused(customer: Customer, gms: MockGMS, op, number) -> None:
    r = await customer.op(op, message="m", eventAttributes=f'{{"x": {number}}}')
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == 100
    assert [m["type"] for m in gms.chat(customer.chat_id)["messages"]] == ["ParticipantJoined"]
    await still_serves(customer, gms)


async def test_deeply_nested_event_attributes_are_refused(customer: Customer, gms: MockGMS) -> None:
    r = await customer.op("send", message="m", eventAttributes='{"a":' * 40 + "1" + "}" * 40)
    assert r.status_code == 400 and "nested" in r.json()["errors"][0]["advice"]
    await still_serves(customer, gms)


@pytest.mark.parametrize("number", NON_FINITE)
async def test_control_api_refuses_non_finite_numbers(customer: Customer, client, gms: MockGMS, number) -> None:
    gms.agent(customer.chat_id, "join")
    say = f'{{"action": "say", "text": "x", "eventAttributes": {{"x": {number}}}}}'
    r = await client.post(f"/mock/chats/{customer.chat_id}/agent", content=say)
    assert r.status_code == 400 and "JSON" in r.json()["error"]
    r = await client.post("/mock/faults", content=f'{{"operation": "send", "mode": "delay", "delayMs": {number}}}')
    assert r.status_code == 400 and gms.faults() == []
    await still_serves(customer, gms)


async def test_python_api_refuses_non_finite_event_attributes(customer: Customer, gms: MockGMS) -> None:
    gms.agent(customer.chat_id, "join")
    with pytest.raises(ActionError, match="nan"):
        gms.agent(customer.chat_id, "say", text="x", eventAttributes={"x": float("nan")})
    await still_serves(customer, gms)


@pytest.mark.parametrize("path", ["/mock/chats/{chat}/agent", "/mock/faults", "/genesys/cometd"])
async def test_deeply_nested_json_is_a_400(customer: Customer, client, gms: MockGMS, path) -> None:
    r = await client.post(path.format(chat=customer.chat_id), content=DEEP)
    assert r.status_code == 400
    await still_serves(customer, gms)


@pytest.mark.parametrize("close", ['"abc"', "NaN", "Infinity", "1e999", "[1]", "-1", "true", "1e9"])
async def test_idle_alert_refuses_bad_close_seconds(customer: Customer, client, gms: MockGMS, close) -> None:
    r = await client.post(f"/mock/chats/{customer.chat_id}/agent",
                          content=f'{{"action": "idleAlert", "closeSeconds": {close}}}')
    assert r.status_code == 400, r.text
    r = await client.post(f"/mock/chats/{customer.chat_id}/agent", json={"action": "idleAlert", "closeSeconds": 30})
    assert r.status_code == 200 and r.json()["messages"][0]["userData"]["next-idle-timer-secs"] == "30"
    await still_serves(customer, gms)


@pytest.mark.parametrize("value", ["no", "yes", 1, 0, None, "false"])
async def test_supervisor_must_be_a_boolean(customer: Customer, client, gms: MockGMS, value) -> None:
    r = await client.post(f"/mock/chats/{customer.chat_id}/agent", json={"action": "join", "supervisor": value})
    assert r.status_code == 400 and "supervisor" in r.json()["error"]
    assert gms.chat(customer.chat_id)["participants"][1:] == []
    r = await client.post(f"/mock/chats/{customer.chat_id}/agent", json={"action": "join", "supervisor": True})
    assert r.json()["messages"][0]["from"]["type"] == "Supervisor"


# -- CometD --------------------------------------------------------------------------------------

@pytest.mark.parametrize("number", NON_FINITE)
async def test_bayeux_refuses_non_finite_numbers_and_keeps_the_chat(client, gms: MockGMS, number) -> None:
    bayeux = await connected(client, gms)  # connects are held until something is queued
    await bayeux.publish("requestChat", nickname="Nick")
    await bayeux.notifications()
    gms.agent(bayeux.chat_id, "join")  # pushed to the client
    body = json.dumps([{"channel": CHANNEL, "clientId": bayeux.client_id,
                        "data": {"operation": "sendMessage", "secureKey": bayeux.secure_key, "message": "m",
                                 "eventAttributes": {"x": 0}}}]).replace('{"x": 0}', f'{{"x": {number}}}')
    r = await client.post("/genesys/cometd", content=body)
    assert r.status_code == 400 and r.json()[0]["successful"] is False
    # the bound client's connect still answers, with what was queued for it
    [note] = await bayeux.notifications()
    assert [m["type"] for m in note["messages"]] == ["ParticipantJoined"]
    assert [m["type"] for m in gms.chat(bayeux.chat_id)["messages"]] == ["ParticipantJoined"] * 2


async def test_bayeux_broadcast_with_nan_does_not_reach_subscribers(client, gms: MockGMS) -> None:
    listener = await connected(client, gms)
    await listener.post({"channel": "/meta/subscribe", "clientId": listener.client_id, "subscription": "/b"})
    sender = await connected(client, gms)
    r = await client.post("/genesys/cometd", content='[{"channel": "/b", "clientId": "%s", "data": {"x": NaN}}]'
                          % sender.client_id)
    assert r.status_code == 400
    await sender.post({"channel": "/b", "clientId": sender.client_id, "data": {"x": 1}})
    gms.cometd.config.timeout_s = 0
    replies = await listener.connect()
    assert [r["data"] for r in replies if r["channel"] == "/b"] == [{"x": 1}]


async def test_cometd_user_data_text_with_nan_is_refused(client, gms: MockGMS) -> None:
    bayeux = await connected(client, gms)
    gms.cometd.config.timeout_s = 0
    await bayeux.publish("requestChat", nickname="Nick", userData='{"x": NaN}')
    [note] = await bayeux.notifications()
    assert note["statusCode"] == 2 and note["errors"][0]["code"] == 100 and gms.chats() == []


async def test_bayeux_huge_advice_timeout_is_not_a_500(client, gms: MockGMS) -> None:
    bayeux = await connected(client, gms)
    gms.cometd.config.timeout_s = 0
    r = await client.post("/genesys/cometd", content='[{"channel": "/meta/connect", "clientId": "%s", '
                          '"connectionType": "long-polling", "advice": {"timeout": 1%s}}]' % (bayeux.client_id, "0" * 400))
    assert r.status_code == 200 and r.json()[-1]["successful"] is True


# -- files ---------------------------------------------------------------------------------------

async def upload(cust: Customer, name: str, data: bytes, ctype: str) -> httpx.Response:
    return await cust.client.post(f"{BASE}/{cust.chat_id}/file", files={"file": (name, data, ctype)},
                                  data=cust.identity())


async def download(cust: Customer, file_id: str) -> httpx.Response:
    return await cust.op(f"file/{file_id}/download")


@pytest.mark.parametrize("ctype", ["image/png\x01", "image/png\x7f", "text/html; x=\x1b", "image/pngé",
                                   "nonsense", "image/" + "x" * 300])
async def test_upload_content_type_with_control_chars_is_normalised(customer: Customer, ctype) -> None:
    r = await upload(customer, "a.png", b"PNG", ctype)
    assert r.status_code == 200
    [msg] = (await customer.op("refresh", transcriptPosition="2")).json()["messages"]
    assert msg["userData"]["file-type"] == "application/octet-stream"
    dl = await download(customer, r.json()["userData"]["file-id"])
    assert dl.status_code == 200 and dl.headers["content-type"] == "application/octet-stream"


async def test_upload_content_type_keeps_a_valid_value(customer: Customer) -> None:
    r = await upload(customer, "a.pdf", b"%PDF", 'Application/PDF; name="a b.pdf"')
    dl = await download(customer, r.json()["userData"]["file-id"])
    assert dl.headers["content-type"] == 'application/pdf; name="a b.pdf"'


@pytest.mark.parametrize("ctype", ["text/html\r\nX-Evil: 1", "image/png\x00", "", "png", 5])
async def test_agent_file_action_refuses_a_bad_content_type(customer: Customer, client, gms: MockGMS, ctype) -> None:
    gms.agent(customer.chat_id, "join")
    r = await client.post(f"/mock/chats/{customer.chat_id}/agent",
                          json={"action": "file", "fileName": "a.png", "content": "UE5H", "contentType": ctype})
    assert r.status_code == 400 and "contentType" in r.json()["error"]
    assert gms.chat(customer.chat_id)["files"] == []


async def test_downloads_are_not_sniffed(customer: Customer, client) -> None:
    file_id = (await upload(customer, "page.png", b"<html><script>alert(1)</script>", "text/html")).json()[
        "userData"]["file-id"]
    for r in (await download(customer, file_id), await client.get(f"/mock/chats/{customer.chat_id}/files/{file_id}")):
        assert r.status_code == 200 and r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["content-disposition"].startswith("attachment")


async def test_download_attempts_are_enforced_with_a_gms_refusal(customer: Customer, client) -> None:
    file_id = (await upload(customer, "a.png", b"PNG", "image/png")).json()["userData"]["file-id"]
    assert [(await download(customer, file_id)).status_code for _ in range(2)] == [200, 200]
    refused = await download(customer, file_id)
    assert refused.status_code == 400 and b"PNG" not in refused.content
    body = refused.json()
    assert body["statusCode"] == 2 and body["errors"] == [{"code": 205, "advice": "2"}]
    limits = (await customer.op("file/limits")).json()["messages"][0]["userData"]
    assert limits["used-download-attempts"] == "2" and limits["download-attempts"] == "2"
    # the agent side is not the customer's download
    assert (await client.get(f"/mock/chats/{customer.chat_id}/files/{file_id}")).status_code == 200


async def test_download_attempts_on_the_cometd_face_and_configurable() -> None:
    gms = make_gms(file_limits=FileLimits(download_attempts=1))
    async with client_for(gms) as c:
        bayeux = RawBayeux(c)
        gms.cometd.config.timeout_s = 0
        await bayeux.start()
        key = {"secureKey": bayeux.secure_key}
        up = await c.post("/genesys/2/chat-ntf", data={"operation": "fileUpload", **key},
                          files={"file": ("a.png", b"PNG", "image/png")})
        form = {"operation": "fileDownload", "fileId": up.json()["userData"]["file-id"], **key}
        assert (await c.post("/genesys/2/chat-ntf", data=form)).content == b"PNG"
        refused = await c.post("/genesys/2/chat-ntf", data=form)
        assert refused.status_code == 400 and refused.json()["errors"] == [{"code": 205, "advice": "1"}]
