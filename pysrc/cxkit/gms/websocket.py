"""The WebSocket port of the CometD client, and two CPython implementations of it.

The core never opens a socket itself: `BayeuxClient` asks a `WebSocketConnector` to open one and
gets a `WebSocketConnection` (text frames in and out), or None when the socket cannot open (a
refused upgrade, no server, a timeout). In the browser ``cxkit.browser.websocket`` implements it
on ``WebSocket``; in CPython `WebsocketsConnector` does it over the network with the
``websockets`` package, and `AsgiWebSocketConnector` talks to an ASGI app in-process (as httpx's
ASGITransport does for HTTP), so tests on a virtual clock can use a real socket endpoint::

    import asyncio
    from cxkit.gms.websocket import AsgiWebSocketConnector
    from cxkit.mockgms import MockGMS

    async def main():
        gms = MockGMS(agent="silent")
        socket = await AsgiWebSocketConnector(gms.app).open("ws://gms.test/genesys/cometd", timeout=5)
        await socket.send('[{"channel": "/meta/handshake", "supportedConnectionTypes": ["websocket"]}]')
        print(await socket.receive())   # [{"channel": "/meta/handshake", "successful": true, ...}]
        await socket.close()

    asyncio.run(main())
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

__all__ = ["ABORT_SCOPE_KEY", "AsgiWebSocketConnector", "WebSocketConnection", "WebSocketConnector",
           "WebsocketsConnector", "websocket_url"]

logger = logging.getLogger("cxkit.gms")

#: Where an ASGI server (or our in-process connector) puts a callable that drops the connection
#: without a close frame; the mock's `drop` fault on a socket calls it.
ABORT_SCOPE_KEY = "cxkit.websocket.abort"


def websocket_url(url: str) -> str:
    """``http(s)://host/path`` as ``ws(s)://host/path``; other schemes are kept."""
    if url.startswith("https://"):
        return "wss://" + url[len("https://"):]
    if url.startswith("http://"):
        return "ws://" + url[len("http://"):]
    return url


class WebSocketConnection(Protocol):
    """One open socket. ``receive`` returns None once the socket is closed (``close_code`` then
    says how: 1000 a clean close, 1006 dropped without a close frame)."""

    close_code: int | None

    async def send(self, text: str) -> bool:
        """Send one text frame; False when the socket is closed."""
        ...

    async def receive(self) -> str | None:
        """The next text frame, or None once the socket is closed."""
        ...

    async def close(self) -> None:
        """Close (idempotent)."""
        ...


class WebSocketConnector(Protocol):
    async def open(self, url: str, *, timeout: float | None) -> WebSocketConnection | None:
        """An open socket to ``url`` (``ws://`` or ``wss://``), or None if it could not open."""
        ...


# -- the network, with the websockets package ---------------------------------------------------

class WebsocketsConnector:
    """`WebSocketConnector` over the network (the ``websockets`` package, a dependency of cxkit
    for uvicorn's WebSocket support). ``headers`` go with the upgrade request."""

    def __init__(self, headers: Mapping[str, str] | None = None) -> None:
        self.headers = dict(headers or {})

    async def open(self, url: str, *, timeout: float | None) -> WebSocketConnection | None:
        from websockets.asyncio.client import connect

        try:
            socket = await asyncio.wait_for(
                connect(url, additional_headers=self.headers or None, open_timeout=None,
                        ping_interval=None), timeout)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # refused upgrade, no server, timeout
            logger.info("WebSocket %s did not open: %s", url, exc)
            return None
        return _WebsocketsConnection(socket)


class _WebsocketsConnection:
    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.close_code: int | None = None

    async def send(self, text: str) -> bool:
        try:
            await self.socket.send(text)
            return True
        except Exception:
            self._closed()
            return False

    async def receive(self) -> str | None:
        try:
            frame = await self.socket.recv()
        except asyncio.CancelledError:
            raise
        except Exception:
            self._closed()
            return None
        return frame if isinstance(frame, str) else frame.decode("utf-8", "replace")

    async def close(self) -> None:
        try:
            await self.socket.close()
        except Exception:
            pass
        self._closed()

    def _closed(self) -> None:
        if self.close_code is None:
            self.close_code = self.socket.close_code or 1006


# -- in-process, against an ASGI app ------------------------------------------------------------

class AsgiWebSocketConnector:
    """`WebSocketConnector` that runs an ASGI app's WebSocket endpoint in this event loop.

    The app sees an ordinary ``websocket`` scope (``Host`` and ``Origin`` from the URL unless
    ``headers`` says otherwise); a refused upgrade (``websocket.close`` before accept, or a
    ``websocket.http.response``) makes ``open`` return None and is kept in ``refusals``."""

    def __init__(self, app: Callable[..., Any], *, headers: Mapping[str, str] | None = None,
                 client: tuple[str, int] = ("127.0.0.1", 50000)) -> None:
        self.app = app
        self.headers = dict(headers or {})
        self.client = client
        self.refusals: list[int] = []  # HTTP status (or close code) of each refused upgrade
        self.opened: list[_AsgiConnection] = []

    async def open(self, url: str, *, timeout: float | None) -> WebSocketConnection | None:
        parts = urlsplit(url)
        secure = parts.scheme in ("wss", "https")
        port = parts.port or (443 if secure else 80)
        origin = f"{'https' if secure else 'http'}://{parts.netloc}"
        headers = {"host": parts.netloc, "origin": origin, "connection": "Upgrade", "upgrade": "websocket",
                   "sec-websocket-version": "13", **{k.lower(): v for k, v in self.headers.items()}}
        connection = _AsgiConnection()
        scope = {
            "type": "websocket", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "scheme": "wss" if secure else "ws", "path": parts.path or "/",
            "raw_path": (parts.path or "/").encode(), "query_string": parts.query.encode(), "root_path": "",
            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
            "client": self.client, "server": (parts.hostname or "", port), "subprotocols": [],
            "state": {}, "extensions": {"websocket.http.response": {}},
            ABORT_SCOPE_KEY: connection.abort,
        }
        connection.to_app.put_nowait({"type": "websocket.connect"})
        connection.task = asyncio.get_running_loop().create_task(
            self.app(scope, connection.receive_from_client, connection.send_to_client))
        connection.task.add_done_callback(connection.app_done)
        try:
            accepted = await asyncio.wait_for(asyncio.shield(connection.accepted), timeout)
        except TimeoutError:
            accepted = False
            await connection.close()
        if not accepted:
            self.refusals.append(connection.refusal or 1006)
            return None
        self.opened.append(connection)
        return connection


class _AsgiConnection:
    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self.to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.from_app: asyncio.Queue[str | None] = asyncio.Queue()
        self.accepted: asyncio.Future[bool] = loop.create_future()
        self.task: asyncio.Task[None] | None = None
        self.close_code: int | None = None
        self.refusal: int | None = None
        self.frames_sent = 0

    # the app's side
    async def receive_from_client(self) -> dict[str, Any]:
        return await self.to_app.get()

    async def send_to_client(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "websocket.accept":
            if not self.accepted.done():
                self.accepted.set_result(True)
        elif kind == "websocket.send":
            if self.close_code is None:
                text = message.get("text")
                self.from_app.put_nowait(text if text is not None else (message.get("bytes") or b"").decode())
        elif kind == "websocket.close":
            if not self.accepted.done():
                self.refusal = 403
                self.accepted.set_result(False)
            if self.close_code is None:
                # the client answers the close frame: the app's receive() sees the disconnect
                self.to_app.put_nowait({"type": "websocket.disconnect", "code": int(message.get("code") or 1000)})
            self._closed(int(message.get("code") or 1000))
        elif kind == "websocket.http.response.start":
            self.refusal = int(message.get("status") or 403)
            if not self.accepted.done():
                self.accepted.set_result(False)
            self._closed(1006)

    def app_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.debug("ASGI websocket app raised", exc_info=task.exception())
        if not self.accepted.done():
            self.refusal = self.refusal or 500
            self.accepted.set_result(False)
        self._closed(1006)

    def abort(self) -> None:
        """The server dropped the connection: no close frame (1006)."""
        self._closed(1006)
        self.to_app.put_nowait({"type": "websocket.disconnect", "code": 1006})

    def _closed(self, code: int) -> None:
        if self.close_code is None:
            self.close_code = code
            self.from_app.put_nowait(None)

    # the client's side
    async def send(self, text: str) -> bool:
        if self.close_code is not None:
            return False
        self.frames_sent += 1
        self.to_app.put_nowait({"type": "websocket.receive", "text": text})
        return True

    async def receive(self) -> str | None:
        if self.close_code is not None and self.from_app.empty():
            return None
        return await self.from_app.get()

    async def close(self) -> None:
        if self.close_code is None:
            self._closed(1000)
            self.to_app.put_nowait({"type": "websocket.disconnect", "code": 1000})
