"""Serving the mock with uvicorn: timeouts so idle or slow connections cannot pile up.

uvicorn closes a keep-alive connection that stays idle `timeout_keep_alive` seconds after a
response, but it waits forever for the headers of a request (a connection that sends nothing,
or drips its headers) and the app would wait forever for a body that never completes. So:

- `HeaderTimeout` protocols close a connection whose request headers have not all arrived
  `header_timeout` seconds after it opened or after its previous response;
- `BodyTimeoutMiddleware` answers 408 (and closes) when a request body is not complete
  `body_timeout` seconds after its headers;
- a client that goes away in the middle of its body is not an error: no traceback is logged.

`uvicorn_config(app, ...)` puts it together; `MockGMS.running()` uses it, and so should any
other place that starts the mock with uvicorn.

    >>> from cxkit.mockgms.serving import uvicorn_config
    >>> cfg = uvicorn_config(lambda *a: None, keep_alive=5, header_timeout=10)
    >>> cfg.timeout_keep_alive, cfg.http.header_timeout
    (5, 10)
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .httponly import HttpOnlyMiddleware

__all__ = ["BodyTimeoutMiddleware", "QuietDisconnect", "header_timeout_protocol", "uvicorn_config",
           "KEEP_ALIVE_S", "HEADER_TIMEOUT_S", "BODY_TIMEOUT_S"]

KEEP_ALIVE_S = 5  # idle time after a response before uvicorn closes the connection
HEADER_TIMEOUT_S = 10.0  # from connection (or previous response) to complete request headers
BODY_TIMEOUT_S = 30.0  # from request headers to the end of its body (10 MB on loopback: well under 1 s)


def header_timeout_protocol(base: type[asyncio.Protocol], timeout: float) -> type[asyncio.Protocol]:
    """`base` (a uvicorn HTTP protocol) that closes connections slow to send request headers."""

    class HeaderTimeout(base):  # type: ignore[valid-type, misc]
        header_timeout = timeout

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm_header_deadline()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm_header_deadline()

        def connection_lost(self, exc: Exception | None) -> None:
            handle = getattr(self, "_header_deadline", None)
            if handle is not None:
                handle.cancel()
            super().connection_lost(exc)

        def _arm_header_deadline(self) -> None:
            old = getattr(self, "_header_deadline", None)
            if old is not None:
                old.cancel()
            # uvicorn makes a new cycle when a request's headers are complete
            armed_for = self.cycle
            self._header_deadline = self.loop.call_later(self.header_timeout, self._header_deadline_passed,
                                                         armed_for)

        def _header_deadline_passed(self, armed_for: Any) -> None:
            # An upgraded connection (the CometD WebSocket) belongs to another protocol now and
            # sends no more request headers: its deadline, armed when it opened, is not its own.
            if self.transport.get_protocol() is not self:
                return
            if self.cycle is armed_for and not self.transport.is_closing():
                self.transport.close()

    HeaderTimeout.__name__ = HeaderTimeout.__qualname__ = f"HeaderTimeout{base.__name__}"
    return HeaderTimeout


class BodyTimeoutMiddleware(HttpOnlyMiddleware):
    """408 when the request body a request declares (Content-Length, Transfer-Encoding) has not
    fully arrived `timeout` seconds after the headers.

    One timer per request, not a timeout around every receive: the request path stays as cheap
    as it was. At the deadline the request's task is cancelled and the cancel turned into a 408.
    """

    def __init__(self, app: ASGIApp, timeout: float = BODY_TIMEOUT_S) -> None:
        super().__init__(app)
        self.timeout = timeout

    async def handle_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or ())
        if b"transfer-encoding" not in headers and headers.get(b"content-length", b"0").strip() in (b"", b"0"):
            # No body to wait for (a GET): a handler that never reads one, as a long poll of the
            # control API, would get the 408 after `timeout` however long it was asked to wait.
            await self.app(scope, receive, send)
            return
        task = asyncio.current_task()
        assert task is not None
        state = {"body_done": False, "started": False, "timed_out": False}

        def deadline_passed() -> None:
            if not state["body_done"]:
                state["timed_out"] = True
                task.cancel()

        timer = asyncio.get_running_loop().call_later(self.timeout, deadline_passed)

        async def timed_receive() -> Message:
            message = await receive()
            if not state["body_done"] and (message["type"] != "http.request" or not message.get("more_body")):
                state["body_done"] = True
                timer.cancel()
            return message

        async def tracking_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, timed_receive, tracking_send)
        except asyncio.CancelledError:
            if not state["timed_out"] or task.uncancel() > 0:
                raise  # a cancel of the server's own, or one besides ours
            if not state["started"]:
                await _send_408(send, self.timeout)
        finally:
            timer.cancel()


async def _send_408(send: Send, timeout: float) -> None:
    body = json.dumps({"statusCode": 2, "chatEnded": False, "messages": [], "errors": [
        {"code": 408, "advice": f"Request body did not arrive within {timeout:g} s"}]}).encode()
    await send({"type": "http.response.start", "status": 408, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class QuietDisconnect:
    """A client that went away before its body was read has nobody left to answer: end the
    request without raising, so the server logs no 'Exception in ASGI application'."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except ClientDisconnect:
            pass


def uvicorn_config(app: ASGIApp, *, keep_alive: int = KEEP_ALIVE_S, header_timeout: float = HEADER_TIMEOUT_S,
                   **kw: Any) -> Any:
    """A `uvicorn.Config` for the mock: keep-alive and header timeouts set, httptools if present."""
    import uvicorn
    from uvicorn.protocols.http.h11_impl import H11Protocol

    base: type[asyncio.Protocol] = H11Protocol
    if kw.pop("http", "auto") in ("auto", "httptools"):
        try:
            from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
            base = HttpToolsProtocol
        except ImportError:
            pass
    kw.setdefault("log_level", "warning")
    return uvicorn.Config(app, http=header_timeout_protocol(base, header_timeout), timeout_keep_alive=keep_alive, **kw)
