"""`BayeuxClient`: a CometD (Bayeux 1.0) client over a WebSocket or long-polling.

It handshakes, keeps one `/meta/connect` outstanding (the server holds it until it has a message
for us or `advice.timeout` passes), and hands every non-meta message it receives to
``on_message(channel, data)``. It follows the server's advice: ``retry`` -> connect again after
``interval`` ms, ``handshake`` -> handshake again (a new clientId: ``on_rehandshake()`` is called
so the owner can ask for what it missed), ``none`` -> stop (``told_to_stop``, ``on_state(False)``).
Without an answer it backs off
(``backoff_s`` more per failure, up to ``max_backoff_s``) and calls ``on_state(False)``; the next
answer calls ``on_state(True)``.

Transports, as the CometD JS client negotiates them: given a `WebSocketConnector`
(``websocket=``), `start` first opens ``ws(s)://<url>`` and handshakes over it, offering
``["websocket", "long-polling"]``; when the socket cannot open (a refused upgrade, e.g. HTTP
405) it renegotiates to long-polling at once and offers ``["long-polling"]``. A socket that
closes later is opened again with the same clientId (after the back-off); after
``max_socket_failures`` failures in a row the client goes on over long-polling
(``on_transport(name)`` is called on every change). Without a connector it only long-polls.

The Bayeux ``ack`` extension (as CometD's AckExtension): the handshake asks for it, and when the
server agrees every `/meta/connect` carries ``ext.ack`` = the batch of the last connect answer
received. The server keeps what it sent until that acknowledgement, and sends it again if a
connect answer (or the socket) was lost: nothing is lost, nothing comes twice.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from .forms import json_text
from .transport import Transport
from .websocket import WebSocketConnection, WebSocketConnector, websocket_url

__all__ = ["BayeuxClient", "LONG_POLLING", "PublishFailed", "WEBSOCKET"]

logger = logging.getLogger("cxkit.gms")

NETWORK_DELAY_S = 10.0  # how much longer than advice.timeout a connect may take (CometD's maxNetworkDelay)
LONG_POLLING = "long-polling"
WEBSOCKET = "websocket"


class PublishFailed(Exception):
    """A publish the server refused, or that got no answer.

        >>> import asyncio
        >>> from cxkit.gms import HttpxTransport
        >>> client = BayeuxClient(HttpxTransport(), "http://gms/genesys/cometd", on_message=print)
        >>> asyncio.run(client.publish("/service/chatV2/customer-support", {}))  # before start(): no clientId
        Traceback (most recent call last):
        cxkit.gms.cometd.PublishFailed: not connected
    """


class BayeuxClient:
    """A Bayeux client of one CometD URL: `start`, `publish`, `stop` (the module docstring has the rules).

        >>> import asyncio, httpx
        >>> from cxkit.gms import HttpxTransport
        >>> from cxkit.gms.websocket import AsgiWebSocketConnector
        >>> from cxkit.mockgms import MockGMS
        >>> async def main():
        ...     gms, got = MockGMS(agent="silent"), asyncio.Queue()
        ...     client = BayeuxClient(HttpxTransport(transport=httpx.ASGITransport(app=gms.app)),
        ...                           "http://gms/genesys/cometd", on_message=lambda ch, data: got.put_nowait(data),
        ...                           websocket=AsgiWebSocketConnector(gms.app))
        ...     await client.start()
        ...     await client.publish("/service/chatV2/customer-support", {"operation": "requestChat", "nickname": "Jo"})
        ...     print(client.connection_type, (await got.get())["messages"][0]["type"])
        ...     await client.stop()
        >>> asyncio.run(main())
        websocket ParticipantJoined
    """

    def __init__(self, transport: Transport, url: str, *,
                 on_message: Callable[[str, Any], None],
                 on_state: Callable[[bool], None] | None = None,
                 on_rehandshake: Callable[[], None] | None = None,
                 on_transport: Callable[[str], None] | None = None,
                 headers: Mapping[str, str] | None = None,
                 request_timeout: float | None = NETWORK_DELAY_S,
                 backoff_s: float = 1.0, max_backoff_s: float = 60.0,
                 websocket: WebSocketConnector | None = None, ack: bool = True,
                 max_socket_failures: int = 3) -> None:
        self.transport = transport
        self.url = url.rstrip("/")
        self.on_message = on_message
        self.on_state = on_state
        self.on_rehandshake = on_rehandshake
        self.on_transport = on_transport
        self.headers = dict(headers or {})
        self.request_timeout = request_timeout
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self.websocket = websocket
        self.max_socket_failures = max_socket_failures
        self.connection_type = WEBSOCKET if websocket is not None else LONG_POLLING
        self.transports_used: list[str] = []  # every transport the client went to, in order
        self.client_id: str | None = None
        self.advice: dict[str, Any] = {"reconnect": "retry", "interval": 0, "timeout": 25_000}
        self.online = True  # the last request got an answer
        self.running = self.told_to_stop = False  # told_to_stop: the server advised reconnect "none"
        self.ack_requested = ack
        self.ack_enabled = False  # the server agreed to the ack extension
        self.ack_id = -1  # batch of the last connect answer received
        self._ids = itertools.count(1)
        self._task: asyncio.Task[None] | None = None
        self._handshaken: asyncio.Event | None = None
        self._handshakes = 0
        self._lock = asyncio.Lock()  # one handshake at a time, shared by the loop and publishes
        self._socket_lock = asyncio.Lock()
        self._connected_id: str | None = None  # the clientId whose first connect was made
        self._socket: WebSocketConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: dict[str, asyncio.Future[dict[str, Any] | None]] = {}
        self._socket_failures = 0
        self._socket_answered = False  # the current socket answered a connect

    # -- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> bool:
        """Handshake and start the connect loop; False if the first handshake got no success."""
        if self.running:
            return await self._wait_handshake()
        self.running, self.told_to_stop = True, False
        self._handshaken = asyncio.Event()
        if self.connection_type == WEBSOCKET and await self._open_socket() is None:
            self._use(LONG_POLLING)  # the upgrade failed: renegotiate at once, as CometD does
        elif not self.transports_used:
            self.transports_used.append(self.connection_type)
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
            await self._exchange("/disconnect", [{"channel": "/meta/disconnect", "clientId": client_id}],
                                 reopen=False)
        await self._close_socket()

    async def _wait_handshake(self) -> bool:
        if self._handshaken is None:
            return False
        await self._handshaken.wait()
        return self.client_id is not None

    def _use(self, connection_type: str) -> None:
        if connection_type != self.connection_type or not self.transports_used:
            self.connection_type = connection_type
            self.transports_used.append(connection_type)
            if self.on_transport is not None:
                self.on_transport(connection_type)

    # -- publishing -----------------------------------------------------------------------------
    async def publish(self, channel: str, data: Any) -> dict[str, Any]:
        """Publish and return the server's acknowledgement; PublishFailed if refused or lost.

        An unknown-client answer (the server forgot us) triggers a new handshake and one retry."""
        for attempt in (1, 2):
            if not await self._ensure_client():
                raise PublishFailed("not connected")
            used = self.client_id
            message = {"channel": channel, "clientId": used, "data": data}
            replies = await self._exchange("", [message])
            if replies is None:
                raise PublishFailed("no answer")
            ack = next((r for r in replies if r.get("channel") == channel and "successful" in r), None)
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
            message: dict[str, Any] = {"channel": "/meta/connect", "clientId": self.client_id,
                                       "connectionType": self.connection_type, "advice": {"timeout": timeout_ms}}
            if self.ack_enabled:
                message["ext"] = {"ack": self.ack_id}
            replies = await self._exchange("/connect", [message], timeout=timeout_ms / 1000 + NETWORK_DELAY_S)
            if not self.running:
                return
            connect = next((r for r in replies or [] if r.get("channel") == "/meta/connect"), None)
            if replies is not None:
                self._dispatch([r for r in replies if r is not connect])
            if connect is None:
                failures += 1
                self._set_online(False)
                await self._socket_failed()
                await self._backoff(failures)
                continue
            ext = connect.get("ext")
            if self.ack_enabled and isinstance(ext, dict) and isinstance(ext.get("ack"), int) \
                    and not isinstance(ext.get("ack"), bool):
                self.ack_id = ext["ack"]
            self._take_advice(connect)
            reconnect = _reconnect(connect) or ("retry" if connect.get("successful") else "handshake")
            if reconnect == "none":  # as CometD: no more connects (on_state hears it: no silent stop)
                self.running, self.told_to_stop, self.client_id = False, True, None
                self._set_online(False)
                return
            self._set_online(bool(connect.get("successful")) or reconnect != "retry")
            if reconnect == "handshake":
                if self.client_id == message["clientId"]:
                    self.client_id = None
                continue
            if not connect.get("successful"):
                # refused but told to retry (a server error): back off, as for no answer
                failures += 1
                await self._backoff(failures)
                continue
            failures = 0
            self._socket_failures = 0
            self._socket_answered = True
            self._connected_id = message["clientId"]
            interval = float(self.advice.get("interval") or 0) / 1000
            if interval > 0:
                await asyncio.sleep(interval)

    async def _handshake(self) -> bool:
        types = [WEBSOCKET, LONG_POLLING] if self.connection_type == WEBSOCKET else [LONG_POLLING]
        message: dict[str, Any] = {"channel": "/meta/handshake", "version": "1.0", "minimumVersion": "1.0",
                                   "supportedConnectionTypes": types, "advice": {"timeout": 60000, "interval": 0}}
        if self.ack_requested:
            message["ext"] = {"ack": True}
        replies = await self._exchange("/handshake", [message])
        reply = next((r for r in replies or [] if r.get("channel") == "/meta/handshake"), None)
        ok = bool(reply and reply.get("successful") and reply.get("clientId"))
        if ok:
            assert reply is not None
            self.client_id = str(reply["clientId"])
            self._take_advice(reply)
            ext = reply.get("ext")
            self.ack_enabled = self.ack_requested and isinstance(ext, dict) and ext.get("ack") is True
            self.ack_id = -1
            server_types = reply.get("supportedConnectionTypes")
            if self.connection_type == WEBSOCKET and isinstance(server_types, list) and WEBSOCKET not in server_types:
                await self._close_socket()
                self._use(LONG_POLLING)
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

    # -- the wire -------------------------------------------------------------------------------
    async def _exchange(self, path: str, messages: list[dict[str, Any]], timeout: float | None = None,
                        reopen: bool = True) -> list[dict[str, Any]] | None:
        """The server's replies, or None when there was no usable answer."""
        for message in messages:
            message["id"] = str(next(self._ids))
        if self.connection_type == WEBSOCKET:
            replies = await self._socket_exchange(messages, timeout, reopen)
        else:
            replies = await self._post(path, messages, timeout)
        if all(m.get("channel") != "/meta/connect" for m in messages):
            self._set_online(replies is not None)  # the loop decides for connects
        return replies

    async def _post(self, path: str, messages: list[dict[str, Any]],
                    timeout: float | None) -> list[dict[str, Any]] | None:
        try:
            response = await self.transport.post_json(
                self.url + path, messages, headers=dict(self.headers),
                timeout=timeout if timeout is not None else self.request_timeout)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("CometD transport raised; treating it as a network failure")
            return None
        if not 200 <= response.status < 300:
            return None  # no answer, or an HTTP error (a proxy's 500): no Bayeux replies
        try:
            replies = json.loads(response.text) if response.text else None
        except ValueError:
            return None
        if isinstance(replies, dict):
            replies = [replies]
        if not isinstance(replies, list):
            return None
        return [r for r in replies if isinstance(r, dict)]

    async def _open_socket(self) -> WebSocketConnection | None:
        async with self._socket_lock:
            if self._socket is not None:
                return self._socket
            assert self.websocket is not None
            try:
                socket = await self.websocket.open(websocket_url(self.url), timeout=self.request_timeout)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("WebSocket connector raised; treating it as a failed open")
                socket = None
            if socket is None:
                return None
            if not self.running:  # stop() came while it opened: nothing will close it later
                await socket.close()
                return None
            self._socket = socket
            self._socket_answered = False
            self._reader = asyncio.get_running_loop().create_task(self._read(socket))
            return socket

    async def _socket_failed(self) -> None:
        """A connect got no answer over the socket: count it; go long-polling after too many."""
        if self.connection_type != WEBSOCKET:
            return
        self._socket_failures += 1
        if self._socket_failures >= self.max_socket_failures:
            await self._close_socket()
            self._use(LONG_POLLING)

    async def _close_socket(self) -> None:
        socket, self._socket = self._socket, None
        reader, self._reader = self._reader, None
        if socket is not None:
            await socket.close()
        if reader is not None:
            reader.cancel()
        self._fail_pending()

    def _fail_pending(self) -> None:
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_result(None)

    async def _socket_exchange(self, messages: list[dict[str, Any]], timeout: float | None,
                               reopen: bool) -> list[dict[str, Any]] | None:
        socket = self._socket
        if socket is None:
            if not reopen or not self.running:
                return None
            socket = await self._open_socket()
            if socket is None:
                return None
        loop = asyncio.get_running_loop()
        futures = []
        for message in messages:
            future: asyncio.Future[dict[str, Any] | None] = loop.create_future()
            self._pending[message["id"]] = future
            futures.append(future)
        try:
            if not await socket.send(json_text(messages)):
                return None
            limit = timeout if timeout is not None else self.request_timeout
            done, _ = await asyncio.wait(futures, timeout=limit)
            if len(done) < len(futures):
                # no answer in time: a socket that swallows frames is as good as closed
                if self._socket is socket:
                    await self._close_socket()
                return None
            replies = [f.result() for f in futures]
            if any(r is None for r in replies):
                return None
            return replies  # type: ignore[return-value]
        finally:
            for message in messages:
                self._pending.pop(message["id"], None)

    async def _read(self, socket: WebSocketConnection) -> None:
        """Route replies to the exchanges that wait for them; dispatch the rest, in order."""
        try:
            while True:
                frame = await socket.receive()
                if frame is None:
                    break
                try:
                    replies = json.loads(frame)
                except ValueError:
                    logger.warning("CometD: a WebSocket frame that is not JSON was ignored")
                    continue
                if isinstance(replies, dict):
                    replies = [replies]
                if not isinstance(replies, list):
                    continue
                for reply in replies:
                    if not isinstance(reply, dict):
                        continue
                    future = self._pending.get(str(reply.get("id"))) if "successful" in reply else None
                    if future is not None and not future.done():
                        future.set_result(reply)
                    else:
                        self._dispatch([reply])
        finally:
            if self._socket is socket:
                self._socket = None
                self._reader = None
                self._fail_pending()

    def _set_online(self, online: bool) -> None:
        if online != self.online:
            self.online = online
            if self.on_state is not None:
                self.on_state(online)


def _reconnect(reply: Mapping[str, Any]) -> str | None:
    advice = reply.get("advice")
    value = advice.get("reconnect") if isinstance(advice, dict) else None
    return value if isinstance(value, str) else None
