"""`MockGMS`: the ASGI app, its Python control API, and a background-thread runner.

In-process (unit tests; everything runs on the test's event loop):

    >>> import asyncio, httpx
    >>> from cxkit.mockgms import MockGMS, MockConfig
    >>> async def demo():
    ...     gms = MockGMS(MockConfig(echo_join_delay=0, echo_typing_delay=0), agent="echo")
    ...     async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gms.app), base_url="http://testserver") as c:
    ...         await c.post("/genesys/2/chat/customer-support", data={"nickname": "Nick"})
    ...         chat = await gms.wait_chat()
    ...         joined = await gms.wait_messages(chat["chatId"], after=1, type="ParticipantJoined")
    ...         return joined[0]["from"]["type"]
    >>> asyncio.run(demo())
    'Agent'

In a thread on a free port (Playwright suites; the Python API marshals into the server loop):

    >>> with MockGMS.running(agent="silent") as gms:
    ...     httpx.get(gms.url + "/mock/chats").json()
    {'chats': []}
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .agent import AgentPreset
from .api import MockControlApi
from .bayeux import CometdConfig
from .bodycap import BodyCapMiddleware
from .cometd import CometdFace, NoDelay
from .config import MockConfig
from .cors import CorsMiddleware
from .faults import ConnectionDropped
from .hosts import HostGuardMiddleware, host_allowed
from .httponly import HttpOnlyMiddleware
from .routes_chat import DROP_SCOPE_KEY, ChatApi, chat_routes
from .routes_control import console_routes, control_routes
from .serving import BodyTimeoutMiddleware, QuietDisconnect, uvicorn_config
from .state import ServerState

__all__ = ["MockGMS", "PREFIXES"]

PREFIXES = ("/genesys/", "/mock/", "/agent/")


class MockGMS(MockControlApi):
    """A mock GMS chat server: `.app` (ASGI), `.routes`, `.url` (when running), and the control
    methods of api.py (`chats`, `agent`, `fault`, `wait_message`, ...).

        >>> import asyncio, httpx
        >>> gms = MockGMS(agent="silent")
        >>> async def start_chat():
        ...     async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gms.app), base_url="http://gms") as c:
        ...         answer = await c.post("/genesys/2/chat/customer-support", data={"nickname": "Jo"})
        ...         return answer.json()["chatId"]
        >>> chat_id = asyncio.run(start_chat())
        >>> _ = gms.join(chat_id, nickname="Anna")
        >>> gms.say(chat_id, "Hello!")["text"], [m["type"] for m in gms.messages(chat_id)]
        ('Hello!', ['ParticipantJoined', 'ParticipantJoined', 'Message'])
    """

    def __init__(self, config: MockConfig | None = None, *, agent: str | AgentPreset = "echo",
                 cometd: CometdConfig | None = None) -> None:
        self.config = config or MockConfig()
        self.state = ServerState(self.config, agent)
        self.cometd = CometdFace(self.state, ChatApi(self.state), cometd)
        self.routes = [*chat_routes(self.state), *self.cometd.routes(), *control_routes(self.state),
                       *console_routes()]
        self.starlette = Starlette(
            routes=self.routes,
            middleware=[
                # first: inside Starlette's error middleware, which would answer it with a 500
                Middleware(QuietDisconnect),
                Middleware(HostGuardMiddleware, config=self.config),
                Middleware(CorsMiddleware, config=self.config),
                Middleware(BodyCapMiddleware, config=self.config),
            ],
            lifespan=self._lifespan,
        )
        self.app: ASGIApp = NoDelay(_DropConnection(
            BodyTimeoutMiddleware(self.starlette, self.config.body_timeout_seconds)))
        self.url: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        self._loop = asyncio.get_running_loop()
        try:
            yield
        finally:
            self.state.reset()
            self._loop = None

    def wrap(self, other: ASGIApp) -> ASGIApp:
        """An ASGI app sending /genesys/..., /mock/... and /agent here and everything else to `other`."""
        mock = self.app

        async def combined(scope: Scope, receive: Receive, send: Send) -> None:
            path = scope.get("path", "")
            # lifespan goes to the mock only: it records the server loop for the Python API
            if scope["type"] == "lifespan" or path.startswith(PREFIXES) or path == "/agent":
                await mock(scope, receive, send)
            else:
                await other(scope, receive, send)

        return combined

    # -- background server ----------------------------------------------------------------------
    @classmethod
    @contextlib.contextmanager
    def running(
        cls,
        host: str = "127.0.0.1",
        port: int = 0,
        config: MockConfig | None = None,
        *,
        agent: str | AgentPreset = "echo",
        **uvicorn_kw: Any,
    ) -> Iterator[MockGMS]:
        """Serve with uvicorn in a daemon thread; yields the MockGMS with `.url` set. The keep-alive
        and header timeouts of serving.py apply (`keep_alive=`, `header_timeout=` override them)."""
        from .threaded import serve_in_thread

        gms = cls(config, agent=agent)
        if not host_allowed(host, gms.config.allowed_hosts):
            gms.config.allowed_hosts = (*gms.config.allowed_hosts, host)  # the name it was started on
        uvicorn_kw.setdefault("header_timeout", gms.config.header_timeout_seconds)
        with serve_in_thread(uvicorn_config(gms.app, lifespan="on", **uvicorn_kw), host, port,
                             name="mockgms") as (_, bound_port):
            shown = f"[{host}]" if ":" in host else host
            gms.url = f"http://{shown}:{bound_port}"
            yield gms


class _DropConnection(HttpOnlyMiddleware):
    """Implements the `drop` fault: abort the TCP connection so the client gets no response.

    The route marks the scope and raises ConnectionDropped; Starlette's error middleware then tries
    to send a 500, which is swallowed here. Under uvicorn the server's send callable is bound to the
    connection's cycle, whose transport we abort. Elsewhere (httpx's ASGITransport) the exception is
    re-raised, which is what the client then sees.
    """

    async def handle_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def guarded_send(message: Message) -> None:
            if not scope.get(DROP_SCOPE_KEY):
                await send(message)

        try:
            await self.app(scope, receive, guarded_send)
        except ConnectionDropped:
            transport = getattr(getattr(send, "__self__", None), "transport", None)
            if transport is None or not hasattr(transport, "abort"):
                raise
            transport.abort()
            # let connection_lost run so the server knows not to answer on its own
            for _ in range(3):
                await asyncio.sleep(0)
