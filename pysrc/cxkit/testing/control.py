"""A synchronous client of the mock GMS control API, for Playwright suites.

    >>> import httpx
    >>> from cxkit.mockgms import MockGMS
    >>> with MockGMS.running(agent="silent") as mock, MockGmsControl(mock.url) as gms:
    ...     _ = httpx.post(mock.url + "/genesys/2/chat/customer-support", data={"nickname": "Jo"})
    ...     chat_id = gms.wait_chat()["chatId"]             # the next chat a page starts
    ...     _ = gms.join(chat_id, nickname="Anna")
    ...     gms.say(chat_id, "Hello!")["text"]
    ...     _ = gms.fault("refresh", "http500", count=3)     # the next three polls fail
    ...     gms.wait_request("requestChat")["form"]["nickname"]   # what the client sent
    'Hello!'
    'Jo'

Waits on the transcript, on new chats and on the request log are long polls on the server (no
sleeping in the test); a timeout raises ``TimeoutError`` naming what did not happen. The names are
those of ``MockGMS``'s Python API and of the HTTP control API (the table: docs/pytest-plugin.md,
"One vocabulary").
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from cxkit.mockgms.api import AgentShortcuts
from cxkit.mockgms.control import message_matches

__all__ = ["MockGmsControl"]


class MockGmsControl(AgentShortcuts):
    """Drive the mock GMS's agent, faults and waits over its JSON control API, with the names of
    `MockGMS`'s Python API (the table: docs/pytest-plugin.md, "One vocabulary").

    ``timeout`` (seconds) is the default for every wait.

        >>> from cxkit.mockgms import MockGMS
        >>> with MockGMS.running(agent="silent") as mock, MockGmsControl(mock.url, timeout=5) as gms:
        ...     gms.config()["agent"], gms.chats()
        ('silent', [])
    """

    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout + 5)
        self._seen_chats = 0

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> MockGmsControl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _json(self, response: httpx.Response) -> Any:
        if response.is_error:
            # the control API explains itself in {"error": ...}; keep that in the exception
            try:
                detail = response.json().get("error")
            except ValueError:
                detail = response.text
            raise httpx.HTTPStatusError(
                f"{response.request.method} {response.request.url.path}: {response.status_code} {detail}",
                request=response.request, response=response,
            )
        return response.json()

    # -- state --------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every chat, fault and logged request (the agent preset stays)."""
        self._json(self.http.post("/mock/reset"))
        self._seen_chats = 0

    def config(self) -> dict[str, Any]:
        """The mock's effective configuration (``agent`` is the preset's name)."""
        return self._json(self.http.get("/mock/config"))

    def chats(self) -> list[dict[str, Any]]:
        """A summary of every chat, oldest first."""
        return self._json(self.http.get("/mock/chats"))["chats"]

    def chat(self, chat_id: str) -> dict[str, Any]:
        """The chat's detail: state, participants, messages, userData, files, typingPreview."""
        return self._json(self.http.get(f"/mock/chats/{chat_id}"))

    def messages(self, chat_id: str, type: str | None = None) -> list[dict[str, Any]]:
        """The chat's transcript as a client would receive it (only ``type`` ones if given)."""
        found = self.chat(chat_id)["messages"]
        return [m for m in found if m["type"] == type] if type else found

    # -- the agent (join, say, typing and end come from AgentShortcuts) -------------------------
    def agent(self, chat_id: str, action: str, **params: Any) -> list[dict[str, Any]]:
        """Apply an agent action (``join``, ``say``, ``typing``, ``end``, ...); returns the
        messages it appended to the transcript."""
        body = self._json(self.http.post(f"/mock/chats/{chat_id}/agent", json={"action": action, **params}))
        return body.get("messages", [])

    # -- faults -------------------------------------------------------------------------------
    def fault(self, operation: str, mode: str, count: int = 1, delay_ms: int = 0) -> dict[str, Any]:
        """The next ``count`` requests of ``operation`` (``*`` for all; -1 = until reset) fail
        with ``mode``: http500 / http404 (a plain-text body, "Internal Server Error" / "Not
        Found", as a failing server or proxy answers), http500json / http404json (the same
        statuses with a GMS JSON error body), status1 (HTTP 200, chat server offline), status2,
        delay (``delay_ms``, then the request is served) or drop (the connection is cut).
        Returns the fault as the mock recorded it."""
        return self._json(self.http.post("/mock/faults", json={
            "operation": operation, "mode": mode, "count": count, "delayMs": delay_ms}))["fault"]

    def faults(self) -> list[dict[str, Any]]:
        """Faults still pending (a fault is used up as requests take it)."""
        return self._json(self.http.get("/mock/faults"))["faults"]

    def cometd_fault(self, operation: str, mode: str, count: int = 1, delay_ms: int = 0) -> dict[str, Any]:
        """The next ``count`` CometD ``operation``s fail with ``mode``: ``handshake`` or ``connect``
        with http500, drop, delay (``delay_ms``) or unknown (``402::Unknown client``);
        ``websocket`` with http405 / http403 (the upgrade is refused), close, drop or delay.
        Returns the fault as the mock recorded it."""
        return self._json(self.http.post("/mock/cometd/faults", json={
            "operation": operation, "mode": mode, "count": count, "delayMs": delay_ms}))["fault"]

    def cometd_faults(self) -> list[dict[str, Any]]:
        """CometD faults still pending."""
        return self._json(self.http.get("/mock/cometd/faults"))["faults"]

    def clear_faults(self) -> None:
        """Drop every pending fault, Chat API and CometD (chats and the request log stay)."""
        self._json(self.http.delete("/mock/faults"))
        self._json(self.http.delete("/mock/cometd/faults"))

    # -- what the client sent -----------------------------------------------------------------
    def requests(self, operation: str | None = None, chat_id: str | None = None) -> list[dict[str, Any]]:
        """The Chat API request log, oldest first: ``{"operation", "chatId", "form", ...}``."""
        params = {k: v for k, v in (("operation", operation), ("chatId", chat_id)) if v}
        return self._json(self.http.get("/mock/requests", params=params))["requests"]

    # -- waits (long polls on the mock) ---------------------------------------------------------
    def wait_chat(self, timeout: float | None = None, *, after: int | None = None) -> dict[str, Any]:
        """The next chat started since the last ``wait_chat`` (or reset); with ``after``, the
        first chat numbered above it (1, 2, ... since the reset). ``timeout`` stays the first
        positional parameter, as it always was here."""
        seen = self._seen_chats if after is None else after
        wait = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + wait
        while True:
            body = self._json(self.http.get("/mock/chats/wait", params={
                "after": seen, "timeout": self._chunk(deadline)}))
            if body.get("chat"):
                break
            if time.monotonic() >= deadline:
                what = "new chat" if after is None else f"chat numbered above {after}"
                raise TimeoutError(f"no {what} was started within {wait}s")
        self._seen_chats = max(self._seen_chats, int(body["chat"]["seq"]))
        return body["chat"]

    def _chunk(self, deadline: float) -> float:
        """One long poll's timeout on the way to ``deadline``: within this client's HTTP timeout
        (``timeout`` + 5 s) and under the mock's own cap (``max_wait_seconds``, 60 s by default),
        so a wait of any length is a series of polls, never an HTTP timeout."""
        return max(0.0, min(deadline - time.monotonic(), self.timeout, 10.0))

    def wait_messages(self, chat_id: str, *, after: int = 0, timeout: float | None = None,
                      type: str | None = None) -> list[dict[str, Any]]:
        """Every message with index > ``after`` (only ``type`` ones if given), once there is one."""
        wait = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + wait
        while True:
            body = self._json(self.http.get(f"/mock/chats/{chat_id}/wait", params={
                "after": after, "timeout": self._chunk(deadline), **({"type": type} if type else {})}))
            if body["messages"]:
                return body["messages"]
            if time.monotonic() >= deadline:
                what = f" of type {type}" if type else ""
                raise TimeoutError(f"no message{what} after index {after} in chat {chat_id} within {wait}s")

    def wait_message(self, chat_id: str, *, after: int = 0, timeout: float | None = None,
                     **match: Any) -> dict[str, Any]:
        """The first transcript message with index > ``after`` whose fields equal ``match``
        (``from_type`` matches ``from.type``); waits for it to appear."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        seen = after
        while True:
            for message in self.chat(chat_id)["messages"]:
                index = int(message.get("index") or 0)
                if index > after and message_matches(message, match):
                    return message
                seen = max(seen, index)
            if deadline <= time.monotonic():
                raise TimeoutError(f"no message matching {match} in chat {chat_id}")
            self._json(self.http.get(f"/mock/chats/{chat_id}/wait",
                                     params={"after": seen, "timeout": self._chunk(deadline)}))

    def wait_typing_preview(self, chat_id: str, text: str, *, timeout: float | None = None) -> dict[str, Any]:
        """The chat (``chat(chat_id)``) once the visitor's typing preview, the mock's
        ``typingPreview``, reads ``text``. The client's first ``startTyping`` carries only the
        first characters; the whole text comes with the next poll (every ``refresh`` carries the
        input's text) or ``stopTyping`` (2 s after the last keystroke), whichever is first, so
        wait for the full text rather than reading it at once. A sent message clears the
        preview (``""``)."""
        wait = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + wait
        while True:
            chat = self.chat(chat_id)
            if chat.get("typingPreview") == text:
                return chat
            if deadline <= time.monotonic():
                raise TimeoutError(f"the typing preview of chat {chat_id} is {chat.get('typingPreview')!r}, "
                                   f"not {text!r}, after {wait}s")
            # startTyping and stopTyping each add a message: wake on the next one
            after = max((int(m.get("index") or 0) for m in chat["messages"]), default=0)
            self._json(self.http.get(f"/mock/chats/{chat_id}/wait",
                                     params={"after": after, "timeout": self._chunk(deadline)}))

    def wait_requests(
        self, operation: str | None = None, *, chat_id: str | None = None, after: int = 0,
        timeout: float | None = None, **form: Any
    ) -> list[dict[str, Any]]:
        """Every logged request numbered > ``after`` (of ``operation``, of ``chat_id``) whose
        form fields equal ``form`` (compared as text), once answered; waits for one."""
        wait = self.timeout if timeout is None else timeout
        params = {"after": after, **{f"form.{k}": v for k, v in form.items()}}
        if operation:
            params["operation"] = operation
        if chat_id:
            params["chatId"] = chat_id
        deadline = time.monotonic() + wait
        while True:
            found = self._json(self.http.get("/mock/requests/wait", params={
                **params, "timeout": self._chunk(deadline)}))["requests"]
            if found:
                return found
            if time.monotonic() >= deadline:
                raise TimeoutError(f"no {operation or 'Chat API'} request matching {form} within {wait}s")

    def wait_request(
        self, operation: str | None = None, *, chat_id: str | None = None, after: int = 0,
        timeout: float | None = None, **form: Any
    ) -> dict[str, Any]:
        """The first logged ``operation`` request (of ``chat_id``) whose form fields equal
        ``form`` (compared as text), once answered; waits for it. For requests that add nothing
        to the transcript (updateData, refresh, fileLimits, ...); for messages prefer
        ``wait_message``."""
        return self.wait_requests(operation, chat_id=chat_id, after=after, timeout=timeout, **form)[0]
