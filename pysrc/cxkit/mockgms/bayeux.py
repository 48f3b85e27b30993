"""A Bayeux 1.0 server (the protocol CometD speaks), for long-polling and WebSocket transports.

Protocol level only: client sessions, the meta channels, the per-client message queue and the
held `/meta/connect`. What a publish on a service channel *means* is the owner's business: it
hands `BayeuxServer` a `on_publish(session, channel, data)` callback (see cometd_chat.py).

- `/meta/handshake` -> a new `clientId` and `advice {reconnect: "retry", interval, timeout}`.
- `/meta/connect` -> answered at once the first time, then held until a message is queued for
  the client or `timeout` ms pass (the client's own `advice.timeout` if smaller); queued messages
  come first in the answer, the connect reply last. A newer connect releases an older one.
  Unknown clients get `402::Unknown client` with `advice.reconnect = "handshake"`.
- `/meta/subscribe`, `/meta/unsubscribe`, `/meta/disconnect` as the spec says; a publish on a
  non-meta channel is acknowledged, then given to `on_publish` (for `/service/**` channels) or
  broadcast to the subscribers of that channel.
- Transports: `handle(messages, connection_type)` answers one HTTP request's batch (long-polling)
  or one WebSocket frame's (cometd_ws.py); the handshake offers ``["websocket", "long-polling"]``
  (``["long-polling"]`` with `CometdConfig.websocket` off) and a connect must use one of them.
- The `ack` extension (CometD's AckExtension): a handshake with ``ext: {ack: true}`` is answered
  ``ext: {ack: true}``; then every connect answer is a numbered batch (``ext.ack`` of the reply)
  and its messages are kept until a later connect acknowledges that batch (``ext.ack`` of the
  request). A connect that acknowledges less gets the unacknowledged messages again, at once:
  an answer lost with its connection (or its socket) is delivered by the next connect, once.
- Sessions that have not been seen for `max_interval_s` (no connect held, no request) are
  forgotten, and so are the oldest ones beyond `max_sessions`; a queue over `max_queue` messages
  drops its session (the client then handshakes again and asks for what it missed).

    >>> import asyncio
    >>> from cxkit.mockgms.bayeux import BayeuxServer, CometdConfig
    >>> async def demo():
    ...     server = BayeuxServer(CometdConfig(timeout_s=0.05))
    ...     [hs] = await server.handle([{"channel": "/meta/handshake", "version": "1.0", "id": "1",
    ...                                  "supportedConnectionTypes": ["long-polling"]}])
    ...     cid = hs["clientId"]
    ...     first = await server.handle([{"channel": "/meta/connect", "clientId": cid,
    ...                                   "connectionType": "long-polling", "id": "2"}])
    ...     server.deliver(cid, {"channel": "/service/x", "data": {"hello": 1}})
    ...     second = await server.handle([{"channel": "/meta/connect", "clientId": cid,
    ...                                    "connectionType": "long-polling", "id": "3"}])
    ...     return hs["successful"], first[0]["successful"], [m["channel"] for m in second]
    >>> asyncio.run(demo())
    (True, True, ['/service/x', '/meta/connect'])
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .config import check_bounds, setting

__all__ = ["BayeuxServer", "BayeuxSession", "CometdConfig", "PublishHandler"]

LONG_POLLING = "long-polling"
WEBSOCKET = "websocket"
UNKNOWN_CLIENT = "402::Unknown client"


@dataclass
class CometdConfig:
    """Tunables of the CometD face. Times in seconds.

        >>> config = CometdConfig(timeout_s=5, websocket=False)
        >>> config.advice(), config.connection_types()
        ({'reconnect': 'retry', 'interval': 0, 'timeout': 5000}, ['long-polling'])
    """

    timeout_s: float = setting(25.0, "how long a /meta/connect is held when nothing is queued (advice.timeout)",
                               bounds=(0, 600))
    interval_s: float = setting(0.0, "advice.interval: how long the client waits between connects", bounds=(0, 600))
    max_interval_s: float = setting(30.0, "a client unseen for longer than this (after its last connect) is "
                                          "forgotten", bounds=(0.01, 3600))
    max_sessions: int = setting(10_000, "Bayeux clients at once", bounds=(1, 1_000_000))
    max_queue: int = setting(1_000, "messages queued (or unacknowledged) for one client before its session is "
                                    "dropped", bounds=(1, 1_000_000))
    websocket: bool = setting(True, "serve Bayeux over a WebSocket at /genesys/cometd too (else the upgrade "
                                    "gets 405)")

    def __post_init__(self) -> None:
        check_bounds(self)

    def connection_types(self) -> list[str]:
        return [WEBSOCKET, LONG_POLLING] if self.websocket else [LONG_POLLING]

    def advice(self) -> dict[str, Any]:
        return {"reconnect": "retry", "interval": int(self.interval_s * 1000),
                "timeout": int(self.timeout_s * 1000)}


@dataclass
class BayeuxSession:
    client_id: str
    subscriptions: set[str] = field(default_factory=set)
    queue: deque[dict[str, Any]] = field(default_factory=deque)
    connected: bool = False  # has had its first /meta/connect
    holding: int = 0  # number of /meta/connect requests currently held
    last_seen: float = field(default_factory=time.monotonic)
    closed: bool = False
    ack: bool = False  # the client uses the ack extension
    batch: int = 0  # the last batch number sent (ack extension)
    unacked: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (batch, message) sent, not acknowledged
    # Owners hang their per-client state here (the chat bindings of cometd_chat.py).
    on_close: list[Callable[[BayeuxSession], None]] = field(default_factory=list)
    _wakeup: asyncio.Event | None = None
    _connect_seq: int = 0

    @property
    def wakeup(self) -> asyncio.Event:
        if self._wakeup is None:
            self._wakeup = asyncio.Event()
        return self._wakeup


PublishHandler = Callable[[BayeuxSession, str, Any], Awaitable[None]]


class BayeuxServer:
    def __init__(self, config: CometdConfig | None = None, on_publish: PublishHandler | None = None) -> None:
        self.config = config or CometdConfig()
        self.on_publish = on_publish
        self.sessions: dict[str, BayeuxSession] = {}  # insertion order = handshake order

    # -- queue ----------------------------------------------------------------------------------
    def deliver(self, client_id: str, message: dict[str, Any]) -> bool:
        """Queue a message for a client and release its held connect; False if it is gone."""
        session = self.sessions.get(client_id)
        if session is None or session.closed:
            return False
        if len(session.queue) + len(session.unacked) >= self.config.max_queue:
            self.close(session)  # a client this far behind must handshake and catch up
            return False
        session.queue.append(message)
        session.wakeup.set()
        return True

    def close(self, session: BayeuxSession) -> None:
        if session.closed:
            return
        session.closed = True
        self.sessions.pop(session.client_id, None)
        session.queue.clear()
        session.unacked.clear()
        session.wakeup.set()
        for callback in list(session.on_close):
            callback(session)
        session.on_close.clear()

    def close_all(self) -> None:
        for session in list(self.sessions.values()):
            self.close(session)

    def sweep(self) -> None:
        """Forget clients unseen for max_interval_s (a held connect counts as seen)."""
        now = time.monotonic()
        for session in list(self.sessions.values()):
            if session.holding == 0 and now - session.last_seen > self.config.max_interval_s:
                self.close(session)

    # -- requests -------------------------------------------------------------------------------
    async def handle(self, messages: list[Any], connection_type: str = LONG_POLLING) -> list[dict[str, Any]]:
        """Answer one request's batch of Bayeux messages (publishes before the connect);
        ``connection_type`` is the transport it came on."""
        replies: list[dict[str, Any]] = []
        connect: dict[str, Any] | None = None
        for message in messages:
            if not isinstance(message, dict):
                replies.append({"successful": False, "error": "400::Message must be an object"})
                continue
            channel = message.get("channel")
            if channel == "/meta/connect":
                connect = message  # answered last: it may be held
                continue
            replies.append(await self._one(message, channel))
        if connect is not None:
            replies.extend(await self.connect(connect, connection_type))
        return replies

    async def _one(self, message: dict[str, Any], channel: Any) -> dict[str, Any]:
        reply: dict[str, Any] = {"channel": channel}
        if "id" in message:
            reply["id"] = message["id"]
        if not isinstance(channel, str) or not channel.startswith("/"):
            return {**reply, "successful": False, "error": "400::Missing or invalid channel"}
        if channel == "/meta/handshake":
            return {**reply, **self._handshake(message)}
        session = self._session(message)
        if session is None:
            return {**reply, **_unknown_client(message)}
        session.last_seen = time.monotonic()
        if channel == "/meta/disconnect":
            self.close(session)
            return {**reply, "clientId": session.client_id, "successful": True}
        if channel in ("/meta/subscribe", "/meta/unsubscribe"):
            subscription = message.get("subscription")
            reply.update({"clientId": session.client_id, "subscription": subscription})
            names = subscription if isinstance(subscription, list) else [subscription]
            if not names or not all(isinstance(n, str) and n.startswith("/") and not n.startswith("/meta/")
                                    for n in names):
                return {**reply, "successful": False, "error": "403::Invalid subscription"}
            for name in names:  # all str: checked above
                assert isinstance(name, str)
                (session.subscriptions.add if channel == "/meta/subscribe" else session.subscriptions.discard)(name)
            return {**reply, "successful": True}
        if channel.startswith("/meta/"):
            return {**reply, "successful": False, "error": f"400::Unknown meta channel {channel}"}
        # A publish: acknowledge it; its effects arrive as messages on the client's queue.
        data = message.get("data")
        if channel.startswith("/service/"):
            if self.on_publish is not None:
                await self.on_publish(session, channel, data)
        else:
            for other in list(self.sessions.values()):
                if channel in other.subscriptions:
                    self.deliver(other.client_id, {"channel": channel, "data": data})
        return {**reply, "successful": True}

    def _handshake(self, message: dict[str, Any]) -> dict[str, Any]:
        types = message.get("supportedConnectionTypes")
        ours = self.config.connection_types()
        if isinstance(types, list) and not any(t in ours for t in types):
            return {"successful": False, "error": f"400::Supported connection types: {', '.join(ours)}",
                    "supportedConnectionTypes": ours, "version": "1.0",
                    "advice": {"reconnect": "none"}}
        self.sweep()
        while len(self.sessions) >= self.config.max_sessions:
            self.close(next(iter(self.sessions.values())))
        session = BayeuxSession(secrets.token_hex(16))
        self.sessions[session.client_id] = session
        reply = {"successful": True, "clientId": session.client_id, "version": "1.0",
                 "supportedConnectionTypes": ours, "advice": self.config.advice()}
        ext = message.get("ext")
        if isinstance(ext, dict) and ext.get("ack") is True:
            session.ack = True
            reply["ext"] = {"ack": True}
        return reply

    def _session(self, message: dict[str, Any]) -> BayeuxSession | None:
        client_id = message.get("clientId")
        return self.sessions.get(client_id) if isinstance(client_id, str) else None

    async def connect(self, message: dict[str, Any], connection_type: str = LONG_POLLING) -> list[dict[str, Any]]:
        """Answer a /meta/connect: held until a message is queued for the client (or the timeout)."""
        reply: dict[str, Any] = {"channel": "/meta/connect"}
        if "id" in message:
            reply["id"] = message["id"]
        session = self._session(message)
        if session is None:
            return [{**reply, **_unknown_client(message)}]
        reply["clientId"] = session.client_id
        asked = message.get("connectionType", connection_type)
        if asked != connection_type or asked not in self.config.connection_types():
            return [{**reply, "successful": False,
                     "error": f"400::connectionType {asked!r} on a {connection_type} request"}]
        session.last_seen = time.monotonic()
        if session.ack:
            ext = message.get("ext")
            acked = ext.get("ack") if isinstance(ext, dict) else None
            if isinstance(acked, int) and not isinstance(acked, bool):
                session.unacked = [(b, m) for b, m in session.unacked if b > acked]
        if not session.connected:
            # The first connect returns at once so the client learns the advice.
            session.connected = True
            return self._answer(session, {**reply, "successful": True, "advice": self.config.advice()})
        timeout = self.config.timeout_s
        client_advice = message.get("advice")
        if isinstance(client_advice, dict) and isinstance(client_advice.get("timeout"), (int, float)):
            # clamped before dividing: a 400-digit integer does not fit a float
            timeout = max(0.0, min(timeout, min(client_advice["timeout"], 3_600_000) / 1000))
        if not session.unacked:  # something unacknowledged is sent again at once
            await self._hold(session, timeout)
        session.last_seen = time.monotonic()
        if session.closed:
            return [{**reply, "successful": False, "error": UNKNOWN_CLIENT,
                     "advice": {"reconnect": "handshake", "interval": 0}}]
        return self._answer(session, {**reply, "successful": True})

    def _answer(self, session: BayeuxSession, reply: dict[str, Any]) -> list[dict[str, Any]]:
        """The queued messages, then the connect reply; with the ack extension the messages
        stay kept (with what was not acknowledged yet) under a new batch number."""
        fresh = self._drain(session)
        if not session.ack:
            return [*fresh, reply]
        session.batch += 1
        session.unacked.extend((session.batch, m) for m in fresh)
        return [*(m for _, m in session.unacked), {**reply, "ext": {"ack": session.batch}}]

    async def _hold(self, session: BayeuxSession, timeout: float) -> None:
        session._connect_seq += 1
        seq = session._connect_seq
        # A newer connect for the same client releases the one held before it.
        session.wakeup.set()
        await asyncio.sleep(0)
        session.holding += 1
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while not session.queue and not session.closed and seq == session._connect_seq:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return
                session.wakeup.clear()
                try:
                    await asyncio.wait_for(session.wakeup.wait(), remaining)
                except TimeoutError:
                    return
        finally:
            session.holding -= 1

    @staticmethod
    def _drain(session: BayeuxSession) -> list[dict[str, Any]]:
        out = list(session.queue)
        session.queue.clear()
        return out


def _unknown_client(message: dict[str, Any]) -> dict[str, Any]:
    return {"successful": False, "error": UNKNOWN_CLIENT, "advice": {"reconnect": "handshake", "interval": 0}}
