"""Bayeux over a WebSocket at `/genesys/cometd` (what CometD clients try first).

Each text frame holds a JSON array of Bayeux messages, as a long-polling request body does, and
is answered the same way by the same `BayeuxServer` (same channels, operations and chat
bindings): publishes and the handshake at once, in order; a `/meta/connect` (connectionType
``websocket``) held until a message is queued for the client, then answered with the messages
and the connect reply in one frame. Frames keep coming while a connect is held.

The upgrade is refused (HTTP 405, as a GMS without WebSocket support answers) when
`CometdConfig.websocket` is off, and with 403 for a Host or Origin the HTTP face would refuse, or
when an apikey is configured (a browser cannot put headers on a WebSocket: such a client must
long-poll). Faults: cometd_faults.py (``handshake``, ``connect``, ``websocket``).

    >>> import asyncio, json
    >>> from cxkit.gms.websocket import AsgiWebSocketConnector
    >>> from cxkit.mockgms import MockGMS
    >>> async def demo():
    ...     gms = MockGMS(agent="silent")
    ...     socket = await AsgiWebSocketConnector(gms.app).open("ws://gms.test/genesys/cometd", timeout=5)
    ...     await socket.send(json.dumps([{"channel": "/meta/handshake", "supportedConnectionTypes": ["websocket"]}]))
    ...     [reply] = json.loads(await socket.receive())
    ...     await socket.close()
    ...     return reply["successful"], reply["supportedConnectionTypes"]
    >>> asyncio.run(demo())
    (True, ['websocket', 'long-polling'])
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from starlette.responses import PlainTextResponse
from starlette.websockets import WebSocket, WebSocketState

from ..gms.websocket import ABORT_SCOPE_KEY
from .bayeux import UNKNOWN_CLIENT, WEBSOCKET, BayeuxServer, CometdConfig
from .cometd_faults import CometdFaults
from .cors import origin_allowed
from .hosts import host_allowed
from .jsonin import JsonRefused, load_json

if TYPE_CHECKING:
    from .state import ServerState

__all__ = ["CometdHost", "SocketFace"]

logger = logging.getLogger("cxkit.mockgms")


class _Socket:
    """One accepted socket: a send lock, the held connect, and how to kill it."""

    def __init__(self, websocket: WebSocket, abort: Callable[[], None] | None) -> None:
        self.websocket = websocket
        self.abort = abort
        self.lock = asyncio.Lock()
        self.closed = False
        self.connect_task: asyncio.Task | None = None

    async def kill(self, mode: str) -> None:
        if self.closed:
            return
        self.closed = True
        if mode == "drop" and self.abort is not None:
            self.abort()  # no close frame: the client sees 1006
            return
        try:
            await self.websocket.close(1011)
        except Exception:
            pass


class CometdHost(Protocol):
    """What the socket face needs of the CometD face that owns it (cometd.CometdFace)."""

    bayeux: BayeuxServer
    faults: CometdFaults
    state: ServerState

    @property
    def config(self) -> CometdConfig: ...

    def count(self, what: str, transport: str) -> None: ...

    def forget(self, client_id: Any) -> None: ...


class SocketFace:
    """The WebSocket endpoint of a `CometdFace`, and what it counts."""

    def __init__(self, face: CometdHost) -> None:
        self.face = face
        self.sockets: set[_Socket] = set()
        self.opened = 0  # sockets accepted since reset
        self.refused = 0  # upgrades refused since reset

    def reset(self) -> None:
        self.opened = self.refused = 0

    async def endpoint(self, websocket: WebSocket) -> None:
        status = self._refusal(websocket)
        if status is not None:
            self.refused += 1
            await _deny(websocket, status)
            return
        await websocket.accept()
        socket = _Socket(websocket, websocket.scope.get(ABORT_SCOPE_KEY))
        self.sockets.add(socket)
        self.opened += 1
        try:
            while not socket.closed:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                fault = self.face.faults.take("websocket", ("close", "drop"))
                if fault is not None:
                    await socket.kill(fault.mode)
                    break
                text = message.get("text")
                if text is None:
                    text = (message.get("bytes") or b"").decode("utf-8", "replace")
                await self._frame(socket, text)
        except Exception:  # a client gone mid-send: nothing left to answer
            logger.debug("CometD socket ended", exc_info=True)
        finally:
            socket.closed = True
            self.sockets.discard(socket)
            if socket.connect_task is not None:
                socket.connect_task.cancel()  # nobody can receive its answer

    def _refusal(self, websocket: WebSocket) -> int | None:
        face = self.face
        fault = face.faults.take("websocket", ("http405", "http403"))
        if fault is not None:
            return int(fault.mode[4:])
        if not face.config.websocket:
            return 405
        cfg = face.state.config
        host = websocket.headers.get("host", "")
        server = websocket.scope.get("server")
        if host and not host_allowed(host, cfg.allowed_hosts, str(server[0]) if server else None):
            return 403
        origin = websocket.headers.get("origin")
        scheme = "https" if websocket.url.scheme == "wss" else "http"
        if origin is not None and not origin_allowed(origin, host, scheme, cfg.cors_allow_origins,
                                                     cfg.cors_allow_localhost):
            return 403
        if cfg.apikey is not None:
            return 403
        return None

    async def _frame(self, socket: _Socket, text: str) -> None:
        try:
            payload = load_json(text or "null")
        except JsonRefused as exc:
            await self._send(socket, [{"successful": False, "error": f"400::Frame must be JSON ({exc})"}])
            return
        messages = payload if isinstance(payload, list) else [payload]
        connect = None
        others = []
        for message in messages:
            if isinstance(message, dict) and message.get("channel") == "/meta/connect":
                connect = message
            else:
                others.append(message)
        if any(isinstance(m, dict) and m.get("channel") == "/meta/handshake" for m in others):
            fault = self.face.faults.take("handshake")
            if fault is not None:
                if fault.mode == "drop":
                    await socket.kill("drop")
                    return
                if fault.mode == "delay":
                    await asyncio.sleep(fault.delay_ms / 1000)
                else:
                    await self._send(socket, [_failed(m, fault.mode) for m in others if isinstance(m, dict)])
                    return
        if others:
            self.face.count("handshake" if any(isinstance(m, dict) and m.get("channel") == "/meta/handshake"
                                               for m in others) else "", WEBSOCKET)
            replies = await self.face.bayeux.handle(others, WEBSOCKET)
            await self._send(socket, replies)
        if connect is not None:
            self.face.count("connect", WEBSOCKET)
            socket.connect_task = asyncio.get_running_loop().create_task(self._connect(socket, connect))

    async def _connect(self, socket: _Socket, message: dict[str, Any]) -> None:
        face = self.face
        fault = face.faults.take("connect")
        mode = fault.mode if fault is not None else None
        if mode == "delay":
            await asyncio.sleep(fault.delay_ms / 1000)  # type: ignore[union-attr]
        elif mode == "http500":
            await self._send(socket, [_failed(message, "http500")])
            return
        elif mode == "unknown":
            face.forget(message.get("clientId"))
        replies = await face.bayeux.connect(message, WEBSOCKET)
        if mode == "drop":
            await socket.kill("drop")  # the answer (and what it carried) is lost with the socket
            return
        await self._send(socket, replies)

    async def _send(self, socket: _Socket, replies: list[dict[str, Any]]) -> None:
        if socket.closed:
            return
        fault = self.face.faults.take("websocket", ("close", "drop", "delay"))
        if fault is not None and fault.mode in ("close", "drop"):
            await socket.kill(fault.mode)
            return
        if fault is not None and fault.mode == "delay":
            await asyncio.sleep(fault.delay_ms / 1000)  # later frames may overtake this one
        async with socket.lock:
            if socket.closed or socket.websocket.application_state != WebSocketState.CONNECTED:
                return
            try:
                await socket.websocket.send_text(json.dumps(replies, separators=(",", ":")))
            except Exception:
                socket.closed = True


def _failed(message: dict[str, Any], mode: str) -> dict[str, Any]:
    reply: dict[str, Any] = {"channel": message.get("channel"), "successful": False}
    if "id" in message:
        reply["id"] = message["id"]
    if mode == "unknown":
        return {**reply, "error": UNKNOWN_CLIENT, "advice": {"reconnect": "handshake", "interval": 0}}
    return {**reply, "error": "500::Injected fault", "advice": {"reconnect": "retry", "interval": 0}}


async def _deny(websocket: WebSocket, status: int) -> None:
    text = {405: "Method Not Allowed", 403: "Forbidden"}.get(status, "Refused")
    try:
        await websocket.send_denial_response(PlainTextResponse(text, status_code=status))
    except Exception:  # the server has no denial-response extension: a close before accept (403)
        await websocket.close()
