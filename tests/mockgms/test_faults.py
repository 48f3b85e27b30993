"""Fault injection: every mode, counts, wildcard, validation; the operation is not performed."""

from __future__ import annotations

import asyncio

import pytest

from cxkit.mockgms import OPERATIONS, ActionError, ConnectionDropped, MockGMS

from .support import BASE, Customer


async def fault(client, **body):
    return await client.post("/mock/faults", json=body)


@pytest.mark.parametrize(
    ("mode", "http", "status_code", "code"),
    [("http500json", 500, 1, 500), ("http404json", 404, 2, 404), ("status1", 200, 1, 500), ("status2", 200, 2, 249)],
)
async def test_error_modes_skip_the_operation(customer: Customer, client, gms: MockGMS, mode, http, status_code, code) -> None:
    r = await fault(client, operation="send", mode=mode)
    assert r.status_code == 200 and r.json()["faults"] == [{"operation": "send", "mode": mode, "count": 1, "delayMs": 0}]
    failed = await customer.op("send", message="lost")
    assert failed.status_code == http
    body = failed.json()
    assert body["statusCode"] == status_code and body["errors"][0]["code"] == code and body["chatEnded"] is False
    assert [m["type"] for m in gms.chat(customer.chat_id)["messages"]] == ["ParticipantJoined"]
    assert gms.requests(operation="send")[0]["fault"] == mode
    # used up: the next send goes through
    assert (await customer.op("send", message="kept")).json()["statusCode"] == 0
    assert gms.faults() == []


@pytest.mark.parametrize(("mode", "http", "text"), [("http500", 500, "Internal Server Error"),
                                                     ("http404", 404, "Not Found")])
async def test_plain_http_faults_answer_as_a_failing_server_does(customer: Customer, gms: MockGMS,
                                                                 mode, http, text) -> None:
    gms.fault("send", mode)
    failed = await customer.op("send", message="lost")
    assert (failed.status_code, failed.text) == (http, text)
    assert failed.headers["content-type"].startswith("text/plain")
    assert [m["type"] for m in gms.chat(customer.chat_id)["messages"]] == ["ParticipantJoined"]
    [logged] = gms.requests(operation="send")
    assert logged["fault"] == mode and logged["httpStatus"] == http and logged["statusCode"] is None


async def test_count_and_wildcard(customer: Customer, client) -> None:
    await fault(client, operation="*", mode="status1", count=2)
    assert (await customer.op("refresh")).json()["statusCode"] == 1
    assert (await customer.op("startTyping")).json()["statusCode"] == 1
    assert (await customer.op("refresh")).json()["statusCode"] == 0
    await fault(client, operation="refresh", mode="http500", count=-1)
    for _ in range(3):
        assert (await customer.op("refresh")).status_code == 500
    assert (await customer.op("send", message="m")).status_code == 200
    assert (await client.get("/mock/faults")).json()["faults"][0]["count"] == -1


async def test_request_chat_fault(client, gms: MockGMS) -> None:
    gms.fault("requestChat", "http500")
    r = await client.post(BASE, data={"nickname": "N"})
    assert r.status_code == 500 and gms.chats() == []


async def test_delay_mode_then_performs(customer: Customer, client, gms: MockGMS) -> None:
    await fault(client, operation="send", mode="delay", delayMs=50)
    loop = asyncio.get_running_loop()
    start = loop.time()
    r = await customer.op("send", message="late")
    assert loop.time() - start >= 0.05
    assert r.json()["statusCode"] == 0 and gms.chat(customer.chat_id)["messages"][-1]["text"] == "late"


async def test_drop_mode_in_process_raises(customer: Customer, client, gms: MockGMS) -> None:
    gms.fault("refresh", "drop")
    with pytest.raises(ConnectionDropped):
        await customer.op("refresh")
    assert (await customer.op("refresh")).json()["statusCode"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {"operation": "nope", "mode": "http500"},
        {"operation": "send", "mode": "explode"},
        {"operation": "send", "mode": "http500", "count": 0},
        {"operation": "send", "mode": "http500", "count": "2"},
        {"operation": "send", "mode": "delay", "delayMs": -5},
        {"mode": "http500"},
    ],
)
async def test_fault_validation(client, body) -> None:
    r = await fault(client, **body)
    assert r.status_code == 400 and r.json()["error"]


async def test_at_most_1000_chat_api_faults_pending_the_1001st_is_refused_with_400(
        customer: Customer, client, gms: MockGMS) -> None:
    """docs/reference.md: at most 1,000 faults pending (REST and CometD each)."""
    for _ in range(999):
        gms.fault("send", "status1")
    r = await fault(client, operation="send", mode="status1")  # the 1,000th
    assert r.status_code == 200 and len(r.json()["faults"]) == 1000
    refused = await fault(client, operation="refresh", mode="http500")
    assert refused.status_code == 400 and refused.json() == {"error": "at most 1000 faults can be pending"}
    with pytest.raises(ActionError) as caught:
        gms.fault("refresh", "http500")
    assert caught.value.status == 400
    assert len((await client.get("/mock/faults")).json()["faults"]) == 1000
    assert (await customer.op("refresh")).json()["statusCode"] == 0  # the refused one was not armed
    # The CometD faults have a limit of their own.
    assert gms.cometd_fault("connect", "drop")["operation"] == "connect"
    # A fault used up is no longer pending: there is room for one more.
    assert (await customer.op("send", message="lost")).json()["statusCode"] == 1
    assert (await fault(client, operation="refresh", mode="http500")).status_code == 200
    assert (await fault(client, operation="refresh", mode="http500")).status_code == 400


async def test_at_most_1000_cometd_faults_pending_the_1001st_is_refused_with_400(client, gms: MockGMS) -> None:
    """docs/reference.md: at most 1,000 faults pending (REST and CometD each)."""
    for _ in range(999):
        gms.cometd_fault("handshake", "http500")
    r = await client.post("/mock/cometd/faults", json={"operation": "handshake", "mode": "http500"})  # the 1,000th
    assert r.status_code == 200 and len(r.json()["faults"]) == 1000
    refused = await client.post("/mock/cometd/faults", json={"operation": "connect", "mode": "drop"})
    assert refused.status_code == 400 and refused.json() == {"error": "at most 1000 faults can be pending"}
    with pytest.raises(ActionError) as caught:
        gms.cometd_fault("connect", "drop")
    assert caught.value.status == 400
    assert len((await client.get("/mock/cometd/faults")).json()["faults"]) == 1000
    # The Chat API faults have a limit of their own.
    assert gms.fault("send", "status1")["operation"] == "send"
    # A fault used up is no longer pending: there is room for one more.
    handshake = await client.post("/genesys/cometd", json=[{"channel": "/meta/handshake", "version": "1.0",
                                                              "supportedConnectionTypes": ["long-polling"]}])
    assert handshake.status_code == 500
    assert len(gms.cometd_faults()) == 999
    assert (await client.post("/mock/cometd/faults", json={"operation": "connect", "mode": "drop"})).status_code == 200
    assert (await client.post("/mock/cometd/faults", json={"operation": "connect", "mode": "drop"})).status_code == 400


async def test_every_operation_name_is_faultable(customer: Customer, client, gms: MockGMS) -> None:
    for op in OPERATIONS:
        gms.fault(op, "status2")
    assert len(gms.faults()) == len(OPERATIONS)
    ident = customer.identity()
    paths = {
        "refresh": "refresh", "send": "send", "startTyping": "startTyping", "stopTyping": "stopTyping",
        "disconnect": "disconnect", "customNotice": "customNotice", "updateData": "updateData",
        "updateNickname": "updateNickname", "pushUrl": "pushUrl", "fileLimits": "file/limits",
        "fileUpload": "file", "fileDownload": "file/x/download", "fileDelete": "file/x/delete",
    }
    for op, path in paths.items():
        r = await client.post(f"{BASE}/{customer.chat_id}/{path}", data=ident)
        assert r.json()["statusCode"] == 2 and r.json()["errors"][0]["code"] == 249, op
    assert (await client.post(BASE, data={"nickname": "N"})).json()["statusCode"] == 2
    assert gms.faults() == []
