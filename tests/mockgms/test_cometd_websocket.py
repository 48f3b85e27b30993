"""Bayeux over the WebSocket and the ack extension, at the protocol level: a real socket
(`websockets` against uvicorn, MockGMS.running()) and the in-process ASGI connector; a connect
answer lost with its connection or socket is delivered by the next connect, exactly once; the
upgrade's refusals; the transport faults' validation."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from cxkit.gms import HttpxTransport
from cxkit.gms.cometd import BayeuxClient
from cxkit.gms.websocket import AsgiWebSocketConnector, WebsocketsConnector
from cxkit.mockgms import MockGMS
from cxkit.mockgms.faults import ConnectionDropped

from .cometd_support import CHANNEL
from .support import make_gms


def frame(*messages) -> str:
    return json.dumps(list(messages))


async def ws_handshake(socket, ack: bool = True) -> str:
    message = {"channel": "/meta/handshake", "id": "1", "supportedConnectionTypes": ["websocket"]}
    if ack:
        message["ext"] = {"ack": True}
    await socket.send(frame(message))
    [reply] = json.loads(await socket.receive())
    assert reply["successful"] and (reply.get("ext") == {"ack": True}) == ack
    return reply["clientId"]


async def ws_connect(socket, client_id: str, ack: int | None, id_: str) -> list[dict]:
    message = {"channel": "/meta/connect", "clientId": client_id, "connectionType": "websocket", "id": id_}
    if ack is not None:
        message["ext"] = {"ack": ack}
    await socket.send(frame(message))
    return json.loads(await socket.receive())


async def test_ack_batches_are_kept_until_acknowledged_and_sent_again_once() -> None:
    gms = make_gms()
    gms.cometd.config.timeout_s = 30
    connector = AsgiWebSocketConnector(gms.app)
    socket = await connector.open("ws://gms.test/genesys/cometd", timeout=5)
    cid = await ws_handshake(socket)
    [first] = await ws_connect(socket, cid, -1, "2")
    assert first["successful"] and first["ext"] == {"ack": 1}
    bayeux = gms.cometd.bayeux
    bayeux.deliver(cid, {"channel": "/x", "data": 1})
    replies = await ws_connect(socket, cid, 1, "3")
    assert [r.get("data") for r in replies[:-1]] == [1] and replies[-1]["ext"] == {"ack": 2}
    # the client did not get batch 2 (it acknowledges 1 again): sent again at once, with what is new
    bayeux.deliver(cid, {"channel": "/x", "data": 2})
    replies = await ws_connect(socket, cid, 1, "4")
    assert [r.get("data") for r in replies[:-1]] == [1, 2] and replies[-1]["ext"] == {"ack": 3}
    assert gms.cometd.clients()[0]["unacknowledged"] == 2
    # acknowledged: nothing is sent again; the next connect is held
    pending = asyncio.create_task(ws_connect(socket, cid, 3, "5"))
    for _ in range(100):
        await asyncio.sleep(0)
    assert not pending.done() and gms.cometd.clients()[0]["unacknowledged"] == 0
    bayeux.deliver(cid, {"channel": "/x", "data": 3})
    replies = await asyncio.wait_for(pending, 5)
    assert [r.get("data") for r in replies[:-1]] == [3]
    await socket.close()


async def test_without_ack_a_client_gets_plain_answers() -> None:
    gms = make_gms()
    socket = await AsgiWebSocketConnector(gms.app).open("ws://gms.test/genesys/cometd", timeout=5)
    cid = await ws_handshake(socket, ack=False)
    [first] = await ws_connect(socket, cid, None, "2")
    assert "ext" not in first and gms.cometd.clients()[0]["ack"] is False
    await socket.close()


async def test_the_upgrade_is_refused_when_off_for_a_fault_a_foreign_origin_or_an_apikey() -> None:
    gms = make_gms()
    connector = AsgiWebSocketConnector(gms.app)
    gms.cometd.config.websocket = False
    assert await connector.open("ws://gms.test/genesys/cometd", timeout=5) is None
    gms.cometd.config.websocket = True
    gms.cometd.faults.add("websocket", "http405")
    assert await connector.open("ws://gms.test/genesys/cometd", timeout=5) is None
    gms.cometd.faults.add("websocket", "http403")
    assert await connector.open("ws://gms.test/genesys/cometd", timeout=5) is None
    foreign = AsgiWebSocketConnector(gms.app, headers={"origin": "http://evil.test"})
    assert await foreign.open("ws://gms.test/genesys/cometd", timeout=5) is None
    assert connector.refusals == [405, 405, 403] and foreign.refusals == [403]
    keyed = make_gms(apikey="k")
    assert await AsgiWebSocketConnector(keyed.app).open("ws://gms.test/genesys/cometd", timeout=5) is None
    assert gms.cometd.transports()["upgradesRefused"] == 4
    socket = await connector.open("ws://gms.test/genesys/cometd", timeout=5)
    assert socket is not None
    await socket.close()


async def test_fault_validation_and_the_control_api(client, gms: MockGMS) -> None:
    r = await client.post("/mock/cometd/faults", json={"operation": "connect", "mode": "drop", "count": 2})
    assert r.status_code == 200 and r.json()["faults"] == [
        {"operation": "connect", "mode": "drop", "count": 2, "delayMs": 0}]
    for bad in ({"operation": "refresh", "mode": "drop"}, {"operation": "websocket", "mode": "unknown"},
                {"operation": "connect", "mode": "drop", "count": 0}, [1]):
        assert (await client.post("/mock/cometd/faults", json=bad)).status_code == 400
    assert (await client.post("/mock/reset")).status_code == 200
    assert (await client.get("/mock/cometd/faults")).json() == {"faults": []}


async def test_a_dropped_long_poll_connect_answer_is_delivered_by_the_next_connect(client, gms: MockGMS) -> None:
    gms.cometd.config.timeout_s = 30
    ids = iter(range(1, 100))

    async def post(*messages):
        for m in messages:
            m["id"] = str(next(ids))
        return await client.post("/genesys/cometd", json=list(messages))

    [hs] = (await post({"channel": "/meta/handshake", "supportedConnectionTypes": ["long-polling"],
                        "ext": {"ack": True}})).json()
    cid = hs["clientId"]
    connect = {"channel": "/meta/connect", "clientId": cid, "connectionType": "long-polling"}
    [first] = (await post({**connect, "ext": {"ack": -1}})).json()
    gms.cometd.faults.add("connect", "drop")
    gms.cometd.bayeux.deliver(cid, {"channel": "/x", "data": "lost?"})
    with pytest.raises(ConnectionDropped):  # the answer is lost with the connection (in ASGI: the app raises)
        await post({**connect, "ext": {"ack": first["ext"]["ack"]}})
    replies = (await post({**connect, "ext": {"ack": first["ext"]["ack"]}})).json()
    assert [r.get("data") for r in replies[:-1]] == ["lost?"]
    replies2 = await asyncio.wait_for(post({**connect, "advice": {"timeout": 0},
                                            "ext": {"ack": replies[-1]["ext"]["ack"]}}), 5)
    assert [r for r in replies2.json() if r.get("channel") == "/x"] == []  # once


def test_a_chat_over_a_real_socket_survives_a_dropped_connection() -> None:
    """uvicorn's WebSocket support (the `websockets` dependency) and the `websockets` client;
    the socket's `drop` fault aborts the TCP connection."""
    with MockGMS.running(agent="silent") as gms:
        async def run() -> None:
            got: asyncio.Queue = asyncio.Queue()
            async with httpx.AsyncClient() as http:
                client = BayeuxClient(HttpxTransport(client=http), gms.url + "/genesys/cometd",
                                      on_message=lambda ch, data: got.put_nowait(data),
                                      websocket=WebsocketsConnector(), backoff_s=0.05)
                assert await client.start() and client.connection_type == "websocket"
                await client.publish(CHANNEL, {"operation": "requestChat", "chatId": "", "alias": "",
                                               "secureKey": "", "userId": "", "nickname": "Jo"})
                first = await asyncio.wait_for(got.get(), 10)
                chat_id = first["chatId"]
                gms.agent(chat_id, "join")
                assert [m["index"] for m in (await asyncio.wait_for(got.get(), 10))["messages"]] == [2]
                gms.cometd.faults.add("websocket", "drop")  # the next frame out is lost with the socket
                gms.agent(chat_id, "say", text="through the drop")
                note = await asyncio.wait_for(got.get(), 10)
                assert [m["text"] for m in note["messages"]] == ["through the drop"]
                assert client.connection_type == "websocket" and client.transports_used == ["websocket"]
                gms.agent(chat_id, "say", text="after")
                note = await asyncio.wait_for(got.get(), 10)
                assert [m["index"] for m in note["messages"]] == [4] and got.empty()
                assert gms.cometd.transports()["socketsOpened"] == 2
                await client.stop()

        asyncio.run(run())


async def test_a_close_fault_loses_the_next_frame_and_closes_the_socket_with_code_1011() -> None:
    """docs/reference.md (CometD faults): ``websocket`` / ``close``: the next frame is not
    delivered and the server closes the socket with code 1011 (``drop``: 1006, tested with the
    client); the next socket works."""
    gms = make_gms()
    connector = AsgiWebSocketConnector(gms.app)
    socket = await connector.open("ws://gms.test/genesys/cometd", timeout=5)
    cid = await ws_handshake(socket)
    gms.cometd.faults.add("websocket", "close")
    await socket.send(frame({"channel": "/meta/connect", "clientId": cid, "connectionType": "websocket",
                             "id": "2", "ext": {"ack": -1}}))
    assert await asyncio.wait_for(socket.receive(), 5) is None  # closed, nothing delivered
    assert socket.close_code == 1011
    again = await connector.open("ws://gms.test/genesys/cometd", timeout=5)
    [first] = await ws_connect(again, cid, -1, "3")
    assert first["successful"]
    await again.close()


async def test_a_socket_that_opens_after_stop_is_closed_not_kept() -> None:
    """stop() while start() was opening the socket: the socket that opened afterwards was kept,
    with a reader task, and nothing would close it (in a browser, its listeners too)."""
    opening, release = asyncio.Event(), asyncio.Event()

    class Slow:
        def __init__(self) -> None:
            self.closed = 0

        async def open(self, url: str, *, timeout: float | None) -> Any:
            opening.set()
            await release.wait()
            outer = self

            class Socket:
                close_code = None

                async def send(self, text: str) -> bool:
                    return True

                async def receive(self) -> str | None:
                    await asyncio.Event().wait()
                    return None

                async def close(self) -> None:
                    outer.closed += 1

            return Socket()

    connector = Slow()
    transport = HttpxTransport(transport=httpx.MockTransport(lambda request: httpx.Response(500)))
    client = BayeuxClient(transport, "http://gms/genesys/cometd", on_message=lambda ch, data: None,
                          websocket=connector)
    starting = asyncio.ensure_future(client.start())
    await opening.wait()  # start() is now waiting for the socket
    await client.stop()
    release.set()
    assert await starting is False
    assert connector.closed == 1 and client._socket is None and client._reader is None
