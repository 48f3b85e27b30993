"""A raw Bayeux client for the mock tests: handshake, publish, connect, over httpx ASGITransport."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import httpx

from cxkit.mockgms import MockGMS

CHANNEL = "/service/chatV2/customer-support"


class RawBayeux:
    def __init__(self, client: httpx.AsyncClient, channel: str = CHANNEL) -> None:
        self.client = client
        self.channel = channel
        self.client_id = ""
        self.ids = itertools.count(1)
        self.secure_key = ""
        self.chat_id = ""
        self.user_id = ""
        self.alias = ""

    async def post(self, *messages: dict[str, Any], path: str = "") -> list[dict[str, Any]]:
        for m in messages:
            m.setdefault("id", str(next(self.ids)))
        r = await self.client.post("/genesys/cometd" + path, json=list(messages))
        assert r.status_code == 200, r.text
        return r.json()

    async def handshake(self) -> dict[str, Any]:
        [reply] = await self.post({"channel": "/meta/handshake", "version": "1.0",
                                   "supportedConnectionTypes": ["long-polling"]}, path="/handshake")
        self.client_id = reply.get("clientId", "")
        return reply

    async def connect(self, **extra: Any) -> list[dict[str, Any]]:
        return await self.post({"channel": "/meta/connect", "clientId": self.client_id,
                                "connectionType": "long-polling", **extra}, path="/connect")

    async def publish(self, operation: str, **data: Any) -> dict[str, Any]:
        """A publish as the original sends it: the identity first (empty on requestChat)."""
        identity = {"chatId": self.chat_id, "alias": self.alias, "secureKey": self.secure_key,
                    "userId": self.user_id}
        if operation == "requestChat":
            identity = dict.fromkeys(identity, "")
        [ack] = await self.post({"channel": self.channel, "clientId": self.client_id,
                                 "data": {"operation": operation, **identity, **data}})
        return ack

    async def notifications(self) -> list[dict[str, Any]]:
        """The chat notifications of the next connect (held until something comes)."""
        replies = await self.connect()
        assert replies[-1]["channel"] == "/meta/connect" and replies[-1]["successful"], replies
        notes = [r["data"] for r in replies[:-1] if r["channel"] == self.channel]
        for data in notes:
            if data.get("secureKey"):
                self.secure_key, self.chat_id = data["secureKey"], data["chatId"]
                self.user_id, self.alias = data.get("userId", ""), data.get("alias", "")
        return notes

    async def start(self, **fields: Any) -> dict[str, Any]:
        await self.handshake()
        await self.connect()  # the first connect returns at once
        await self.publish("requestChat", nickname="Nick", **fields)
        [first] = await self.notifications()
        return first


async def until_held(gms: MockGMS, client_id: str, turns: int = 1000) -> None:
    """Let the loop run until the client's /meta/connect is held by the server (bounded by turns,
    not time: on a slow machine the connect just takes more of them)."""
    for _ in range(turns):
        if any(c["clientId"] == client_id and c["holding"] for c in gms.cometd.clients()):
            return
        await asyncio.sleep(0)
    raise AssertionError(f"the connect of {client_id} was not held after {turns} loop turns")


async def connected(client, gms: MockGMS) -> RawBayeux:
    """A handshaken client whose first connect is answered; the server holds connects 30 s."""
    gms.cometd.config.timeout_s = 30
    bayeux = RawBayeux(client)
    await bayeux.handshake()
    await bayeux.connect()
    return bayeux


async def held_connect(bayeux: RawBayeux, gms: MockGMS) -> asyncio.Task:
    """A connect the server is holding (waits for that, by loop turns, not time)."""
    task = asyncio.create_task(bayeux.connect())
    await until_held(gms, bayeux.client_id)
    return task
