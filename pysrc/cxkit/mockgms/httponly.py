"""The shared front of the mock's ASGI middlewares: each acts on HTTP requests only, and every other
scope (lifespan, websocket) passes straight through to the wrapped app.

    >>> import asyncio
    >>> seen = []
    >>> async def app(scope, receive, send): seen.append(scope["type"])
    >>> class Refuse(HttpOnlyMiddleware):
    ...     async def handle_http(self, scope, receive, send): seen.append("refused")
    >>> for kind in ("lifespan", "http"): asyncio.run(Refuse(app)({"type": kind}, None, None))
    >>> seen
    ['lifespan', 'refused']
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from .config import MockConfig

__all__ = ["ConfiguredMiddleware", "HttpOnlyMiddleware"]


class HttpOnlyMiddleware:
    """Base of a middleware that only looks at HTTP requests; subclasses write `handle_http`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle_http(scope, receive, send)

    async def handle_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one HTTP request; the default passes it on unchanged."""
        await self.app(scope, receive, send)


class ConfiguredMiddleware(HttpOnlyMiddleware):
    """An HTTP-only middleware that reads its limits from the mock's `MockConfig`."""

    def __init__(self, app: ASGIApp, config: MockConfig) -> None:
        super().__init__(app)
        self.config = config
