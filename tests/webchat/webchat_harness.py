"""A page in a test: a bus, a WebChatService over the real mock GMS (httpx ASGI transport), an
event recorder and a request recorder, all on the virtual-clock loop."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from cxkit.bus import Bus, CommandRejected
from cxkit.gms import HttpResponse, HttpxTransport
from cxkit.mockgms import MockConfig, MockGMS
from cxkit.webchat import EVENTS, MemoryDownloader, MemoryStorage, PageInfo, Ports, install_webchat_service

BASE = "http://gms.test/genesys/2/chat/customer-support"
EPOCH_MS = 1_700_000_000_000
DATA_KEYS = ("sessionActive", "agentTyping", "userData", "sleeping")


def mock_gms(**config: Any) -> MockGMS:
    config.setdefault("idle_alert_seconds", 0)
    return MockGMS(MockConfig(**config), agent="silent")


class RecordingTransport:
    """Wraps a Transport; remembers (loop time, url, fields) of every request."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.sent: list[dict[str, Any]] = []
        self.in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}

    def _note(self, kind: str, url: str, fields: Any, headers: Any, timeout: Any) -> None:
        self.sent.append({"time": asyncio.get_running_loop().time(), "kind": kind, "url": url,
                          "op": url.rsplit("/", 1)[-1] if not url.endswith("/") else "requestChat",
                          "fields": list(fields), "headers": dict(headers), "timeout": timeout})

    async def post_form(self, url, fields, *, headers, timeout):
        self._note("form", url, fields, headers, timeout)
        op = self.sent[-1]["op"]
        self.in_flight[op] = self.in_flight.get(op, 0) + 1
        self.max_in_flight[op] = max(self.max_in_flight.get(op, 0), self.in_flight[op])
        try:
            return await self.inner.post_form(url, fields, headers=headers, timeout=timeout)
        finally:
            self.in_flight[op] -= 1

    async def post_multipart(self, url, parts, *, headers, timeout):
        self._note("multipart", url, parts, headers, timeout)
        return await self.inner.post_multipart(url, parts, headers=headers, timeout=timeout)

    async def post_json(self, url, payload, *, headers, timeout):
        # CometD: op is the Bayeux channel (or the chat operation of a publish).
        first = payload[0] if payload else {}
        data = first.get("data") if isinstance(first.get("data"), dict) else {}
        self.sent.append({"time": asyncio.get_running_loop().time(), "kind": "json", "url": url,
                          "op": data.get("operation") or first.get("channel"), "payload": payload,
                          "fields": [], "headers": dict(headers), "timeout": timeout})
        return await self.inner.post_json(url, payload, headers=headers, timeout=timeout)

    def ops(self) -> list[str]:
        return [r["op"] for r in self.sent]

    def of(self, op: str) -> list[dict[str, Any]]:
        return [r for r in self.sent if r["op"] == op]


class ScriptedTransport:
    """Wraps a Transport; answers the next requests of an operation with a given `HttpResponse`
    (an exact HTTP error or a network failure) instead of asking the mock GMS."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.scripted: dict[str, list[HttpResponse]] = {}

    def answer(self, op: str, response: HttpResponse, count: int = 1) -> None:
        self.scripted.setdefault(op, []).extend([response] * count)

    def _take(self, url: str) -> HttpResponse | None:
        op = url.rsplit("/", 1)[-1] if not url.endswith("/") else "requestChat"
        queue = self.scripted.get(op)
        return queue.pop(0) if queue else None

    async def post_form(self, url, fields, *, headers, timeout):
        return self._take(url) or await self.inner.post_form(url, fields, headers=headers, timeout=timeout)

    async def post_multipart(self, url, parts, *, headers, timeout):
        return self._take(url) or await self.inner.post_multipart(url, parts, headers=headers,
                                                                  timeout=timeout)

    async def post_json(self, url, payload, *, headers, timeout):
        return await self.inner.post_json(url, payload, headers=headers, timeout=timeout)


class Page:
    """One page load: bus + service + recorders. Several pages may share a mock and storage."""

    def __init__(self, gms: MockGMS, *, storage: MemoryStorage | None = None,
                 config: dict[str, Any] | None = None, transport: Any = None) -> None:
        self.gms = gms
        self.storage = storage if storage is not None else MemoryStorage()
        self.config = {"dataURL": BASE, "userData": {"a": "1"}, **(config or {})}
        inner = transport or HttpxTransport(transport=httpx.ASGITransport(app=gms.app))
        self.scripted = ScriptedTransport(inner)
        self.transport = RecordingTransport(self.scripted)
        self.downloader = MemoryDownloader()
        self.bus = Bus()
        self.events: list[tuple[str, Any]] = []
        self.probe = self.bus.register_plugin("Probe")
        self.probe.ready()
        for name in [*EVENTS, "restoredOffline"]:
            self.probe.subscribe(f"WebChatService.{name}", self._recorder(name))
        for key in DATA_KEYS:
            self.probe.subscribe(f"WebChatService.data.{key}", self._recorder(f"data.{key}"))
        self.service = None

    def _recorder(self, name: str):
        def record(event: Any) -> None:
            self.events.append((name, event.data))
        return record

    def boot(self, *, start: bool = True, page_info: Any = None) -> Page:
        loop = asyncio.get_running_loop()
        self.service = install_webchat_service(self.bus, self.config, Ports(
            self.transport, self.storage,
            page_info or PageInfo(url="http://shop.test/p", title="Shop", browser="Chrome", os="Linux"),
            now=lambda: EPOCH_MS + loop.time() * 1000, downloader=self.downloader), start=start)
        return self

    # -- driving ---------------------------------------------------------------------------------

    async def cmd(self, name: str, options: Any = None, **kw: Any) -> Any:
        """Run WebChatService.<name>; returns the resolution, raises CommandRejected."""
        result = await self.probe.command(f"WebChatService.{name}", options, **kw)
        await settle()
        return result

    async def reject(self, name: str, options: Any = None, **kw: Any) -> Any:
        try:
            value = await self.probe.command(f"WebChatService.{name}", options, **kw)
        except CommandRejected as exc:
            await settle()
            return exc.reason
        raise AssertionError(f"{name} resolved with {value!r}")

    def deferred(self, name: str, options: Any = None, **kw: Any):
        return self.probe.command(f"WebChatService.{name}", options, **kw)

    async def start(self, **options: Any) -> dict[str, Any]:
        options.setdefault("nickname", "Nick")
        body = await self.cmd("startChat", options)
        await self.wait_for(lambda: self.service.session.transcript.next_index > 1)
        return body

    @property
    def chat_id(self) -> str:
        return self.service.session.identity.chat_id

    def agent(self, action: str, **params: Any) -> list[dict[str, Any]]:
        return self.gms.agent(self.chat_id, action, **params)

    async def wait_for(self, condition, timeout: float = 30.0, step: float = 0.05) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            if loop.time() > deadline:
                raise AssertionError("condition not met in virtual time")
            await asyncio.sleep(step)
        await settle()

    async def wait_event(self, name: str, timeout: float = 30.0) -> Any:
        start = len(self.events)
        await self.wait_for(lambda: any(n == name for n, _ in self.events[start:]), timeout)
        return next(d for n, d in self.events[start:] if n == name)

    # -- reading ---------------------------------------------------------------------------------

    def names(self, since: int = 0, *, data: bool = True, ajax: bool = False) -> list[str]:
        return [n for n, _ in self.events[since:]
                if (data or not n.startswith("data.")) and (ajax or n != "ajaxResponse")]

    def of(self, name: str) -> list[Any]:
        return [d for n, d in self.events if n == name]

    def delivered_indexes(self) -> list[int]:
        return [m["index"] for d in self.of("messageReceived") for m in d["messages"]]

    def mark(self) -> int:
        return len(self.events)


async def settle(rounds: int = 20) -> None:
    """Let queued bus deliveries and ready callbacks run, without moving the clock."""
    for _ in range(rounds):
        await asyncio.sleep(0)
