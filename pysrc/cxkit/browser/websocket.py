"""The CometD WebSocket port in the browser: `cxkit.gms.websocket.WebSocketConnector` on the
``WebSocket`` of the page or of the worker.

    >>> socket = await JsWebSocketConnector().open("ws://host/genesys/cometd", timeout=10)  # doctest: +SKIP
    >>> await socket.send('[{"channel": "/meta/handshake"}]')                             # doctest: +SKIP

Frames go into an asyncio queue from ``message`` listeners; the four listener proxies are made
per socket and destroyed when it closes (or fails to open), so a socket leaves nothing behind.
A socket that does not open (a refused upgrade ends in ``close`` without ``open``) is None.
"""

from __future__ import annotations

import asyncio
from typing import Any

import js
from pyodide.ffi import create_proxy

from ..gms.websocket import websocket_url
from .fetch import PageAddress, page_relative

__all__ = ["JsWebSocketConnector"]


class JsWebSocketConnector:
    """Relative URLs are the page's (``address``: the page's, given in the worker). On the
    page's own thread they are made absolute against ``document.baseURI`` too: browsers before
    Chrome 125, Firefox 124 and Safari 17.3 refuse a relative URL in ``new WebSocket()``."""

    def __init__(self, address: PageAddress | None = None) -> None:
        self.address = address or PageAddress()

    async def open(self, url: str, *, timeout: float | None) -> _JsSocket | None:
        base = self.address.base or _document_base()
        try:
            socket = js.WebSocket.new(websocket_url(page_relative(url, base)))
        except Exception:
            return None
        wrapper = _JsSocket(socket)
        try:
            opened = await asyncio.wait_for(asyncio.shield(wrapper.opened), timeout)
        except TimeoutError:
            opened = False
        except asyncio.CancelledError:  # the client stopped meanwhile: the socket and its listeners go too
            await wrapper.close()
            raise
        if not opened:
            await wrapper.close()
            return None
        return wrapper


def _document_base() -> str:
    document = getattr(js, "document", None)  # none in a worker, which is given its page's base
    return str(document.baseURI) if document is not None else ""


class _JsSocket:
    def __init__(self, socket: Any) -> None:
        loop = asyncio.get_running_loop()
        self.socket = socket
        self.close_code: int | None = None
        self.opened: asyncio.Future[bool] = loop.create_future()
        self.frames: asyncio.Queue[str | None] = asyncio.Queue()
        self._proxies = {
            "open": create_proxy(self._on_open),
            "message": create_proxy(self._on_message),
            "close": create_proxy(self._on_close),
            "error": create_proxy(self._on_error),
        }
        for name, proxy in self._proxies.items():
            socket.addEventListener(name, proxy)

    def _on_open(self, _event: Any) -> None:
        if not self.opened.done():
            self.opened.set_result(True)

    def _on_message(self, event: Any) -> None:
        data = event.data
        self.frames.put_nowait(data if isinstance(data, str) else str(data))

    def _on_error(self, _event: Any) -> None:
        pass  # a close event always follows

    def _on_close(self, event: Any) -> None:
        self._closed(int(getattr(event, "code", 1006) or 1006))

    def _closed(self, code: int) -> None:
        if self.close_code is not None:
            return
        self.close_code = code
        if not self.opened.done():
            self.opened.set_result(False)
        self.frames.put_nowait(None)
        for name, proxy in self._proxies.items():
            try:
                self.socket.removeEventListener(name, proxy)
            except Exception:
                pass
            proxy.destroy()
        self._proxies = {}

    async def send(self, text: str) -> bool:
        if self.close_code is not None or int(self.socket.readyState) != 1:
            return False
        try:
            self.socket.send(text)
        except Exception:
            return False
        return True

    async def receive(self) -> str | None:
        if self.close_code is not None and self.frames.empty():
            return None
        return await self.frames.get()

    async def close(self) -> None:
        if self.close_code is None:
            try:
                self.socket.close()
            except Exception:
                pass
            self._closed(1000)
