"""A `Page` in CometD mode: the WebSocket port is the in-process ASGI connector (recording every
frame the page sends, like RecordingTransport does for HTTP), or none (long-polling only)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from webchat_harness import EPOCH_MS, Page

from cxkit.gms.websocket import AsgiWebSocketConnector
from cxkit.webchat import PageInfo, Ports, install_webchat_service


class RecordingConnector:
    """Wraps AsgiWebSocketConnector; each frame the page sends goes into ``sent`` (kind "ws")."""

    def __init__(self, app: Any, sent: list[dict[str, Any]]) -> None:
        self.inner = AsgiWebSocketConnector(app)
        self.sent = sent
        self.sockets: list[Any] = []

    @property
    def refusals(self) -> list[int]:
        return self.inner.refusals

    async def open(self, url: str, *, timeout: float | None) -> Any:
        self.sent.append({"time": asyncio.get_running_loop().time(), "kind": "ws-open", "url": url,
                          "op": "ws-open", "payload": [], "fields": [], "headers": {}, "timeout": timeout})
        socket = await self.inner.open(url, timeout=timeout)
        if socket is None:
            return None
        self.sockets.append(socket)
        return _RecordingSocket(socket, url, self.sent)


class _RecordingSocket:
    def __init__(self, inner: Any, url: str, sent: list[dict[str, Any]]) -> None:
        self.inner, self.url, self.sent = inner, url, sent

    @property
    def close_code(self) -> int | None:
        return self.inner.close_code

    async def send(self, text: str) -> bool:
        payload = json.loads(text)
        first = payload[0] if payload else {}
        data = first.get("data") if isinstance(first.get("data"), dict) else {}
        self.sent.append({"time": asyncio.get_running_loop().time(), "kind": "ws", "url": self.url,
                          "op": data.get("operation") or first.get("channel"), "payload": payload,
                          "fields": [], "headers": {}, "timeout": None})
        return await self.inner.send(text)

    async def receive(self) -> str | None:
        return await self.inner.receive()

    async def close(self) -> None:
        await self.inner.close()


class CometdPage(Page):
    def __init__(self, gms: Any, *, websocket: bool = True, **kw: Any) -> None:
        super().__init__(gms, **kw)
        self.connector = RecordingConnector(gms.app, self.transport.sent) if websocket else None

    def boot(self, *, start: bool = True) -> CometdPage:
        loop = asyncio.get_running_loop()
        self.service = install_webchat_service(self.bus, self.config, Ports(
            self.transport, self.storage,
            PageInfo(url="http://shop.test/p", title="Shop", browser="Chrome", os="Linux"),
            now=lambda: EPOCH_MS + loop.time() * 1000, downloader=self.downloader,
            websocket=self.connector), start=start)
        return self

    def frames(self, op: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.transport.sent if r["kind"] == "ws" and (op is None or r["op"] == op)]

    def long_polls(self) -> list[dict[str, Any]]:
        return [r for r in self.transport.sent if r["kind"] == "json"]


async def started(page: Page, **options: Any) -> dict[str, Any]:
    """startChat; it resolves with the first notification of the chat (the Chat V2 body)."""
    body = await page.cmd("startChat", {"nickname": "Nick", **options})
    assert body["statusCode"] == 0 and body["chatId"] and body["secureKey"], body
    assert [m["type"] for m in body["messages"]] == ["ParticipantJoined"]
    await page.wait_for(lambda: page.service.session.active and page.of("messageReceived"))
    return body
