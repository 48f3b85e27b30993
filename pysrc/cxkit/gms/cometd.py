"""`BayeuxClient`: a CometD (Bayeux 1.0) client, long-polling transport, over a `Transport`.

It handshakes, keeps one `/meta/connect` outstanding (the server holds it until it has a message
for us or `advice.timeout` passes), and hands every non-meta message it receives to
``on_message(channel, data)``. It follows the server's advice: ``retry`` -> connect again after
``interval`` ms, ``handshake`` -> handshake again (a new clientId: ``on_rehandshake()`` is called
so the owner can ask for what it missed), ``none`` -> stop. Without an HTTP answer it backs off
(``backoff_s`` more per failure, up to ``max_backoff_s``) and calls ``on_state(False)``; the next
success calls ``on_state(True)``. Publishes go on their own request, beside the held connect::

    import asyncio, httpx
    from cxkit.gms import HttpxTransport
    from cxkit.gms.cometd import BayeuxClient
    from cxkit.mockgms import MockGMS

    async def main():
        gms = MockGMS(agent="silent")
        got = asyncio.Queue()
        client = BayeuxClient(HttpxTransport(transport=httpx.ASGITransport(app=gms.app)),
                              "http://gms/genesys/cometd", on_message=lambda ch, data: got.put_nowait(data))
        await client.start()
        await client.publish("/service/chatV2/customer-support", {"operation": "requestChat", "nickname": "Jo"})
        print((await got.get())["messages"][0]["type"])  # ParticipantJoined
        await client.stop()

    asyncio.run(main())
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from typing import Any, Callable, Mapping

from .transport import Transport

__all__ = ["BayeuxClient", "PublishFailed"]

logger = logging.getLogger("cxkit.gms")

NETWORK_DELAY_S = 10.0  # how much longer than advice.timeout a connect may take (CometD's maxNetworkDelay)


class PublishFailed(Exception):
    """A publish the server refused, or that got no answer."""


class BayeuxClient:
    def __init__(self, transport: Transport, url: str, *,
                 on_message: Callable[[str, Any], None],
                 on_state: Callable[[bool], None] | None = None,
                 on_rehandshake: Callable[[], None] | None = None,
                 headers: Mapping[str, str] | None = None,
                 request_timeout: float | None = NETWORK_DELAY_S,
                 backoff_s: float = 1.0, max_backoff_s: float = 60.0) -> None:
        self.transport = transport
        self.url = url.rstrip("/")
        self.on_message = on_message
        self.on_state = on_state
        self.on_rehandshake = on_rehandshake
        self.headers = dict(headers or {})
        self.request_timeout = request_timeout
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self.client_id: str | None = None
        self.advice: dict[str, Any] = {"reconnect": "retry", "interval": 0, "timeout": 25_000}
        self.online = True  # the last request got an HTTP answer
        self.running = False
        self._ids = itertools.count(1)
        self._task: asyncio.Task | None = None
        self._handshaken: asyncio.Event | None = None
        self._handshakes = 0
        self._lock = asyncio.Lock()  # one handshake at a time, shared by the loop and publishes
        self._connected_id: str | None = None  # the clientId whose first connect was made

    # -- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> bool:
        """Handshake and start the connect loop; False if the first handshake got no success."""
        if self.running:
            return await self._wait_handshake()
        self.running = True
        self._handshaken = asyncio.Event()
        ok = await self._ensure_client()
        self._task = asyncio.get_running_loop().create_task(self._loop())
        return ok

    async def stop(self) -> None:
        """Disconnect (best effort) and stop the loop."""
        self.running = False
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
        if self.client_id is not None:
            client_id, self.client_id = self.client_id, None
            await self._post("/disconnect", [{"channel": "/meta/disconnect", "clientId": client_id}])

    async def _wait_handshake(self) -> bool:
        if self._handshaken is None:
            return False
        await self._handshaken.wait()
        return self.client_id is not None

    # -- publishing -----------------------------------------------------------------------------
    async def publish(self, channel: str, data: Any) -> dict[str, Any]:
        """Publish and return the server's acknowledgement; PublishFailed if refused or lost.

        An unknown-client answer (the server forgot us) triggers a new handshake and one retry."""
        for attempt in (1, 2):
            if not await self._ensure_client():
                raise PublishFailed("not connected")
            used = self.client_id
            message = {"channel": channel, "clientId": used, "data": data}
            replies = await self._post("", [message])
            if replies is None:
                raise PublishFailed("no answer")
            ack = next((r for r in replies if r.get("channel") == channel), None)
            self._dispatch([r for r in replies if r is not ack])
            if ack is not None and ack.get("successful"):
                return ack
            if attempt == 1 and ack is not None and _reconnect(ack) == "handshake":
                if self.client_id == used:
                    self.client_id = None
                continue
            raise PublishFailed(str((ack or {}).get("error") or "refused"))
        raise PublishFailed("refused")  # pragma: no cover - the loop always returns or raises

    async def _ensure_client(self) -> bool:
        async with self._lock:
            if self.client_id is not None:
                return True
            if not self.running:
                return False
            return await self._handshake()

    # -- the loop -------------------------------------------------------------------------------
    async def _loop(self) -> None:
        failures = 0
        while self.running:
            if not await self._ensure_client():
                failures += 1
                await self._backoff(failures)
                continue
            # The first connect of a clientId asks not to be held, to learn the advice at once.
            first = self.client_id != self._connected_id
            timeout_ms = 0 if first else int(self.advice.get("timeout", 25_000))
            message = {"channel": "/meta/connect", "clientId": self.client_id,
                       "connectionType": "long-polling", "advice": {"timeout": timeout_ms}}
            replies = await self._post("/connect", [message], timeout=timeout_ms / 1000 + NETWORK_DELAY_S)
            if not self.running:
                return
            if replies is None:
                failures += 1
                await self._backoff(failures)
                continue
            connect = next((r for r in replies if r.get("channel") == "/meta/connect"), None)
            self._dispatch([r for r in replies if r is not connect])
            if connect is None:
                failures += 1
                await self._backoff(failures)
                continue
            self._take_advice(connect)
            reconnect = _reconnect(connect) or ("retry" if connect.get("successful") else "handshake")
            if reconnect == "none":
                self.running = False
                self.client_id = None
                return
            if reconnect == "handshake" or not connect.get("successful"):
                if self.client_id == message["clientId"]:
                    self.client_id = None
                continue
            failures = 0
            self._connected_id = message["clientId"]
            interval = float(self.advice.get("interval") or 0) / 1000
            if interval > 0:
                await asyncio.sleep(interval)

    async def _handshake(self) -> bool:
        message = {"channel": "/meta/handshake", "version": "1.0", "minimumVersion": "1.0",
                   "supportedConnectionTypes": ["long-polling"], "advice": {"timeout": 60000, "interval": 0}}
        replies = await self._post("/handshake", [message])
        reply = next((r for r in replies or [] if r.get("channel") == "/meta/handshake"), None)
        ok = bool(reply and reply.get("successful") and reply.get("clientId"))
        if ok:
            self.client_id = str(reply["clientId"])  # type: ignore[index]
            self._take_advice(reply)  # type: ignore[arg-type]
            self._handshakes += 1
            if self._handshakes > 1 and self.on_rehandshake is not None:
                self.on_rehandshake()
        if self._handshaken is not None:
            self._handshaken.set()
        return ok

    def _take_advice(self, reply: Mapping[str, Any]) -> None:
        advice = reply.get("advice")
        if isinstance(advice, dict):
            self.advice = {**self.advice, **advice}

    async def _backoff(self, failures: int) -> None:
        await asyncio.sleep(min(self.backoff_s * failures, self.max_backoff_s))

    def _dispatch(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            channel = message.get("channel")
            if isinstance(channel, str) and not channel.startswith("/meta/") and "data" in message:
                try:
                    self.on_message(channel, message["data"])
                except Exception:
                    logger.exception("CometD message handler raised")

    async def _post(self, path: str, messages: list[dict[str, Any]],
                    timeout: float | None = None) -> list[dict[str, Any]] | None:
        """The server's replies, or None when there was no usable HTTP answer."""
        for message in messages:
            message["id"] = str(next(self._ids))
        try:
            response = await self.transport.post_json(
                self.url + path, messages, headers=dict(self.headers),
                timeout=timeout if timeout is not None else self.request_timeout)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("CometD transport raised; treating it as a network failure")
            response = None
        replies: Any = None
        if response is not None and response.status != 0:
            try:
                replies = json.loads(response.text) if response.text else None
            except ValueError:
                replies = None
            if isinstance(replies, dict):
                replies = [replies]
        answered = response is not None and response.status != 0
        self._set_online(answered)
        if not answered or not isinstance(replies, list):
            return None
        return [r for r in replies if isinstance(r, dict)]

    def _set_online(self, online: bool) -> None:
        if online != self.online:
            self.online = online
            if self.on_state is not None:
                self.on_state(online)


def _reconnect(reply: Mapping[str, Any]) -> str | None:
    advice = reply.get("advice")
    value = advice.get("reconnect") if isinstance(advice, dict) else None
    return value if isinstance(value, str) else None
