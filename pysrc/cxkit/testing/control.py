"""A synchronous client of the mock GMS control API, for Playwright suites.

    >>> gms = MockGmsControl("http://127.0.0.1:8000")        # doctest: +SKIP
    >>> chat = gms.wait_chat()                                 # the next chat a page starts
    >>> gms.agent(chat["chatId"], "join", nickname="Anna")
    >>> gms.agent(chat["chatId"], "say", text="Hello!")
    >>> gms.wait_message(chat["chatId"], type="Message", text="hi")   # the customer answered

Every wait is a long poll on the server (no sleeping); a timeout raises ``TimeoutError``.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

__all__ = ["MockGmsControl"]


class MockGmsControl:
    """Drive the mock GMS's agent, faults and waits over its JSON control API."""

    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout + 5)
        self._seen_chats = 0

    def close(self) -> None:
        self.http.close()

    def _json(self, response: httpx.Response) -> Any:
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        self._json(self.http.post("/mock/reset"))
        self._seen_chats = 0

    def chats(self) -> list[dict[str, Any]]:
        return self._json(self.http.get("/mock/chats"))["chats"]

    def chat(self, chat_id: str) -> dict[str, Any]:
        return self._json(self.http.get(f"/mock/chats/{chat_id}"))

    def agent(self, chat_id: str, action: str, **params: Any) -> list[dict[str, Any]]:
        body = self._json(self.http.post(f"/mock/chats/{chat_id}/agent", json={"action": action, **params}))
        return body.get("messages", [])

    def fault(self, operation: str, mode: str, count: int = 1, delay_ms: int = 0) -> None:
        self._json(self.http.post("/mock/faults", json={
            "operation": operation, "mode": mode, "count": count, "delayMs": delay_ms}))

    def requests(self, operation: str | None = None, chat_id: str | None = None) -> list[dict[str, Any]]:
        params = {k: v for k, v in (("operation", operation), ("chatId", chat_id)) if v}
        body = self._json(self.http.get("/mock/requests", params=params))
        return body["requests"] if isinstance(body, dict) else body

    def wait_chat(self, timeout: float | None = None) -> dict[str, Any]:
        """The next chat started since the last ``wait_chat`` (or reset)."""
        body = self._json(self.http.get("/mock/wait-chat", params={
            "after": self._seen_chats, "timeout": timeout or self.timeout}))
        if body.get("timedOut") or not body.get("chat"):
            raise TimeoutError("no new chat was started")
        self._seen_chats += 1
        return body["chat"]

    def wait_message(self, chat_id: str, *, timeout: float | None = None, **match: Any) -> dict[str, Any]:
        """The first transcript message whose fields equal ``match`` (``from_type`` matches
        ``from.type``); waits for it to appear."""
        deadline = time.monotonic() + (timeout or self.timeout)
        after = 0
        while True:
            for message in self.chat(chat_id)["messages"]:
                if _matches(message, match):
                    return message
                after = max(after, int(message.get("index") or 0))
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no message matching {match} in chat {chat_id}")
            self._json(self.http.get(f"/mock/chats/{chat_id}/wait", params={"after": after, "timeout": min(left, 10)}))


def _matches(message: dict[str, Any], match: dict[str, Any]) -> bool:
    for key, want in match.items():
        have = (message.get("from") or {}).get("type") if key == "from_type" else message.get(key)
        if have != want:
            return False
    return True
