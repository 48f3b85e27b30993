"""Request body cap: over `max_body_bytes` answers 413 with a GMS-style error, whether the size is
announced by Content-Length or only found while reading. An upload (capped at `max_file_bytes`
+ 64 KiB) over it is a file too big: HTTP 400 with code 202 and the byte limit as ``advice``, as
the upload check answers one just over the limit (the widget knows 202, not 413).

    >>> from cxkit.mockgms.bodycap import body_limit
    >>> from cxkit.mockgms.config import MockConfig
    >>> body_limit("/genesys/2/chat/s/c/file", MockConfig()) > body_limit("/genesys/2/chat/s/c/send", MockConfig())
    True
"""

from __future__ import annotations

import json

from starlette.types import Message, Receive, Scope, Send

from .config import MockConfig
from .errors import Code
from .httponly import ConfiguredMiddleware

__all__ = ["BodyCapMiddleware", "body_limit"]


class _TooLarge(Exception):
    pass


def body_limit(path: str, config: MockConfig) -> int:
    if (path.startswith("/genesys/") and path.endswith("/file")) or path == "/genesys/2/chat-ntf":
        return config.max_upload_body_bytes
    if path.startswith("/mock/chats/") and path.endswith("/agent"):
        # agent 'file' actions carry base64 content
        return config.max_upload_body_bytes * 4 // 3 + 64 * 1024
    return config.max_body_bytes


class BodyCapMiddleware(ConfiguredMiddleware):
    async def handle_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = body_limit(scope["path"], self.config)
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    announced = int(value)
                except ValueError:
                    announced = 0
                if announced > limit:
                    await _refuse(send, scope["path"], limit, self.config)
                    return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _refuse(send, scope["path"], limit, self.config)


async def _refuse(send: Send, path: str, limit: int, config: MockConfig) -> None:
    if limit == config.max_upload_body_bytes and path.startswith("/genesys/"):
        parts = path.split("/")  # /genesys/2/chat/{service}/{chatId}/file (chat-ntf names no service)
        service_limit = config.limits_for(parts[4]).max_file_size if len(parts) > 5 else config.max_file_bytes
        error = {"code": int(Code.MAX_SIZE), "advice": str(min(service_limit, config.max_file_bytes))}
        status = 400
    else:
        error = {"code": int(Code.BODY_TOO_LARGE), "advice": f"Request body is larger than {limit} bytes"}
        status = 413
    body = json.dumps({"statusCode": 2, "chatEnded": False, "messages": [], "errors": [error]}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
