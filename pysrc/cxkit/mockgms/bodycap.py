"""Request body cap: over `max_body_bytes` (uploads: `max_file_bytes` + 64 KiB) answers 413 with a
GMS-style error, whether the size is announced by Content-Length or only found while reading.

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
                    await _send_413(send, limit)
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
                await _send_413(send, limit)


async def _send_413(send: Send, limit: int) -> None:
    body = json.dumps({
        "statusCode": 2, "chatEnded": False, "messages": [],
        "errors": [{"code": int(Code.BODY_TOO_LARGE), "advice": f"Request body is larger than {limit} bytes"}],
    }).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
