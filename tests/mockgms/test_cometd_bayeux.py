"""The Bayeux server: handshake, connect held until a message or the timeout, subscribe,
unknown clients, disconnect, expiry, the queue bound, advice."""

from __future__ import annotations

import asyncio

import pytest

from cxkit.mockgms import MockGMS
from cxkit.mockgms.bayeux import BayeuxServer, CometdConfig

from .cometd_support import RawBayeux, connected, held_connect
from .support import client_for, make_gms


@pytest.fixture
def gms() -> MockGMS:
    gms = make_gms()
    gms.cometd.config.timeout_s = 0.2
    return gms


async def test_handshake_gives_client_id_and_advice(client) -> None:
    bayeux = RawBayeux(client)
    reply = await bayeux.handshake()
    assert reply["successful"] is True and reply["channel"] == "/meta/handshake"
    assert len(reply["clientId"]) == 32 and reply["id"] == "1"
    assert reply["supportedConnectionTypes"] == ["websocket", "long-polling"] and reply["version"] == "1.0"
    assert reply["advice"] == {"reconnect": "retry", "interval": 0, "timeout": 200}


async def test_handshake_without_a_common_transport_is_refused(client, gms: MockGMS) -> None:
    r = await client.post("/genesys/cometd", json=[{"channel": "/meta/handshake", "version": "1.0",
                                                     "supportedConnectionTypes": ["callback-polling"]}])
    assert r.json()[0]["successful"] is False and r.json()[0]["advice"] == {"reconnect": "none"}
    gms.cometd.config.websocket = False
    r = await client.post("/genesys/cometd", json=[{"channel": "/meta/handshake", "version": "1.0",
                                                     "supportedConnectionTypes": ["websocket"]}])
    assert r.json()[0]["successful"] is False and r.json()[0]["supportedConnectionTypes"] == ["long-polling"]


async def test_first_connect_returns_at_once_then_connects_are_held_until_timeout(client, gms: MockGMS) -> None:
    gms.cometd.config.timeout_s = 3.0  # a hold no busy machine mistakes for an answer at once
    bayeux = RawBayeux(client)
    await bayeux.handshake()
    loop = asyncio.get_running_loop()
    start = loop.time()
    [first] = await bayeux.connect()
    assert first["successful"] and first["advice"]["timeout"] == 3000 and loop.time() - start < 1.5
    start = loop.time()
    [second] = await bayeux.connect()
    assert second["successful"] and loop.time() - start >= 3.0


async def test_client_advice_timeout_shortens_the_hold(client, gms: MockGMS) -> None:
    bayeux = await connected(client, gms)
    [reply] = await asyncio.wait_for(bayeux.connect(advice={"timeout": 50}), 5)
    assert reply["successful"]


async def test_a_queued_message_releases_the_held_connect(client, gms: MockGMS) -> None:
    bayeux = await connected(client, gms)
    held = await held_connect(bayeux, gms)
    assert not held.done()
    assert gms.cometd.bayeux.deliver(bayeux.client_id, {"channel": "/x", "data": 1})
    replies = await asyncio.wait_for(held, 5)
    assert [r["channel"] for r in replies] == ["/x", "/meta/connect"]


async def test_a_newer_connect_releases_the_older_one(client, gms: MockGMS) -> None:
    bayeux = await connected(client, gms)
    older = await held_connect(bayeux, gms)
    newer = asyncio.create_task(bayeux.connect())
    [reply] = await asyncio.wait_for(older, 5)
    assert reply["successful"] and not newer.done()
    gms.cometd.bayeux.deliver(bayeux.client_id, {"channel": "/x", "data": 1})
    assert len(await asyncio.wait_for(newer, 5)) == 2


async def test_unknown_client_is_told_to_handshake(client) -> None:
    bayeux = RawBayeux(client)
    bayeux.client_id = "nope"
    [reply] = await bayeux.connect()
    assert reply["successful"] is False and reply["error"] == "402::Unknown client"
    assert reply["advice"]["reconnect"] == "handshake"
    ack = await bayeux.publish("sendMessage", message="x")
    assert ack["successful"] is False and ack["error"] == "402::Unknown client"


async def test_subscribe_unsubscribe_and_broadcast(client, gms: MockGMS) -> None:
    a, b = RawBayeux(client), RawBayeux(client)
    for x in (a, b):
        await x.handshake()
        await x.connect()
    [sub] = await a.post({"channel": "/meta/subscribe", "clientId": a.client_id, "subscription": "/room"})
    assert sub["successful"] and sub["subscription"] == "/room"
    [bad] = await a.post({"channel": "/meta/subscribe", "clientId": a.client_id, "subscription": "/meta/x"})
    assert bad["successful"] is False
    await b.post({"channel": "/room", "clientId": b.client_id, "data": {"hi": 1}})
    replies = await a.connect()
    assert replies[0] == {"channel": "/room", "data": {"hi": 1}}
    await a.post({"channel": "/meta/unsubscribe", "clientId": a.client_id, "subscription": "/room"})
    assert gms.cometd.clients()[0]["subscriptions"] == []


async def test_disconnect_forgets_the_client_and_releases_its_connect(client, gms: MockGMS) -> None:
    bayeux = await connected(client, gms)
    held = await held_connect(bayeux, gms)
    [bye] = await bayeux.post({"channel": "/meta/disconnect", "clientId": bayeux.client_id})
    assert bye["successful"]
    [reply] = await asyncio.wait_for(held, 5)
    assert reply["successful"] is False and reply["advice"]["reconnect"] == "handshake"
    assert gms.cometd.clients() == []


async def test_expire_and_list_through_the_control_api(client) -> None:
    bayeux = RawBayeux(client)
    await bayeux.handshake()
    listed = (await client.get("/mock/cometd")).json()["clients"]
    assert [c["clientId"] for c in listed] == [bayeux.client_id]
    assert (await client.post("/mock/cometd/expire")).json() == {"expired": 1}
    [reply] = await bayeux.connect()
    assert reply["error"] == "402::Unknown client"


async def test_bad_bodies_get_bayeux_errors(client) -> None:
    r = await client.post("/genesys/cometd", content=b"{nope", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()[0]["successful"] is False
    r = await client.post("/genesys/cometd", json=[1, {"channel": "nochannel"}, {"channel": "/meta/what", "clientId": "x"}])
    assert [m["successful"] for m in r.json()] == [False, False, False]
    r = await client.post("/genesys/cometd", json={"channel": "/meta/handshake"})  # a single object works too
    assert r.json()[0]["successful"] is True


async def test_apikey_is_required_when_configured() -> None:
    gms = make_gms(apikey="k")
    async with client_for(gms) as c:
        r = await c.post("/genesys/cometd", json=[{"channel": "/meta/handshake"}])
        assert r.status_code == 401
        r = await c.post("/genesys/cometd", json=[{"channel": "/meta/handshake"}], headers={"apikey": "k"})
        assert r.json()[0]["successful"]


async def test_idle_clients_are_swept_and_sessions_are_bounded() -> None:
    server = BayeuxServer(CometdConfig(max_interval_s=30, max_sessions=2))
    handshake = {"channel": "/meta/handshake"}
    first = (await server.handle([dict(handshake)]))[0]["clientId"]
    server.sessions[first].last_seen -= 31  # unseen for longer than max_interval_s
    second = (await server.handle([dict(handshake)]))[0]["clientId"]
    assert list(server.sessions) == [second] and first not in server.sessions
    third = (await server.handle([dict(handshake)]))[0]["clientId"]
    fourth = (await server.handle([dict(handshake)]))[0]["clientId"]
    assert list(server.sessions) == [third, fourth]


async def test_a_client_too_far_behind_is_dropped() -> None:
    server = BayeuxServer(CometdConfig(max_queue=2))
    cid = (await server.handle([{"channel": "/meta/handshake"}]))[0]["clientId"]
    assert server.deliver(cid, {"n": 1}) and server.deliver(cid, {"n": 2})
    assert not server.deliver(cid, {"n": 3}) and cid not in server.sessions


def test_config_bounds() -> None:
    with pytest.raises(ValueError, match="timeout_s"):
        CometdConfig(timeout_s=-1)
