"""CORS with an origin allowlist: the request's own origin, localhost/127.0.0.1/[::1] on any port
(unless turned off), and configured extra origins. Never `*`: responses allow credentials, so the
origin is echoed. Requests from other origins are refused with 403 before they can change
anything (a browser would only hide the answer; a cross-site form post would still act).

    >>> from cxkit.mockgms.cors import origin_allowed
    >>> origin_allowed("http://127.0.0.1:9999", "example.org:80", "http", (), True)
    True
    >>> origin_allowed("https://evil.test", "example.org", "http", (), True)
    False
    >>> origin_allowed("http://localhost:99999", "example.org", "http", (), True)
    False
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.datastructures import Headers
from starlette.types import Message, Receive, Scope, Send

from .httponly import ConfiguredMiddleware

__all__ = ["CorsMiddleware", "origin_allowed"]

_LOCAL = re.compile(r"^https?://(localhost|127\.0\.0\.1|\[::1\])(?::([1-9]\d{0,4}))?$")
ALLOW_METHODS = "GET, POST, OPTIONS"
EXPOSE_HEADERS = "Content-Disposition"


def origin_allowed(origin: str, host: str, scheme: str, extra: tuple[str, ...], allow_local: bool) -> bool:
    if origin in extra:
        return True
    local = _LOCAL.match(origin) if allow_local else None
    if local and int(local.group(2) or 80) <= 65535:
        return True
    if host:
        default_port = {"http": ":80", "https": ":443"}.get(scheme, "")
        own = f"{scheme}://{host}"
        if origin == own or origin + default_port == own:
            return True
    return False


class CorsMiddleware(ConfiguredMiddleware):
    async def handle_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        scheme = scope.get("scheme", "http")
        allowed = origin_allowed(
            origin, headers.get("host", ""), scheme, self.config.cors_allow_origins, self.config.cors_allow_localhost
        )
        preflight = scope["method"] == "OPTIONS" and "access-control-request-method" in headers
        if not allowed:
            await _send_json(send, 403, {
                "statusCode": 2, "chatEnded": False, "messages": [],
                "errors": [{"code": 403, "advice": f"Origin {origin} is not allowed (see cors_allow_origins)"}],
            }, [])
            return
        cors = [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-allow-credentials", b"true"),
            (b"vary", b"Origin"),
        ]
        if preflight:
            requested = headers.get("access-control-request-headers", "")
            extra = [
                (b"access-control-allow-methods", ALLOW_METHODS.encode()),
                (b"access-control-max-age", b"600"),
            ]
            if requested:
                extra.append((b"access-control-allow-headers", requested.encode("latin-1")))
            await _send_raw(send, 204, b"", cors + extra)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = [
                    *message.get("headers", []), *cors,
                    (b"access-control-expose-headers", EXPOSE_HEADERS.encode()),
                ]
            await send(message)

        await self.app(scope, receive, send_with_cors)


async def _send_json(send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]]) -> None:
    await _send_raw(send, status, json.dumps(body).encode(), [(b"content-type", b"application/json"), *headers])


async def _send_raw(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})
