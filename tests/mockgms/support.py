"""Helpers shared by the mock GMS tests: a widget-like customer and app/client factories."""

from __future__ import annotations

from typing import Any

import httpx

from cxkit.mockgms import MockConfig, MockGMS

BASE = "/genesys/2/chat/customer-support"


class Customer:
    """What the widget does, request by request: identity triple on every call."""

    def __init__(self, client: httpx.AsyncClient, service: str = "customer-support") -> None:
        self.client = client
        self.base = f"/genesys/2/chat/{service}"
        self.start: dict[str, Any] = {}

    @property
    def chat_id(self) -> str:
        return self.start["chatId"]

    def identity(self) -> dict[str, str]:
        return {k: self.start.get(k, "") for k in ("alias", "secureKey", "userId")}

    async def request_chat(self, **fields: str) -> httpx.Response:
        data = {"alias": "", "secureKey": "", "userId": "", "nickname": "Nick", **fields}
        r = await self.client.post(self.base + "/", data=data)
        if r.status_code == 200 and r.json()["statusCode"] == 0:
            self.start = r.json()
        return r

    async def op(self, operation: str, **fields: str) -> httpx.Response:
        return await self.client.post(f"{self.base}/{self.chat_id}/{operation}", data={**self.identity(), **fields})


def make_gms(agent: str = "silent", **cfg: Any) -> MockGMS:
    cfg.setdefault("echo_join_delay", 0.0)
    cfg.setdefault("echo_typing_delay", 0.0)
    cfg.setdefault("idle_alert_seconds", 0)
    return MockGMS(MockConfig(**cfg), agent=agent)


def client_for(gms: MockGMS, **kw: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=gms.app), base_url="http://testserver", **kw)
