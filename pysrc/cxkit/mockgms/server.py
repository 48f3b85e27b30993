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
import concurrent.futures
import contextlib
import copy
from typing import Any, AsyncIterator, Awaitable, Callable, Iterator, TypeVar

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import control
from .bayeux import CometdConfig
from .bodycap import BodyCapMiddleware
from .cometd import CometdFace, NoDelay
from .config import MockConfig
from .cors import CorsMiddleware
from .hosts import HostGuardMiddleware, host_allowed
from .faults import ConnectionDropped
from .routes_chat import DROP_SCOPE_KEY, ChatApi, chat_routes
from .routes_control import console_routes, control_routes
from .serving import BodyTimeoutMiddleware, QuietDisconnect, uvicorn_config
from .state import ServerState

__all__ = ["MockGMS", "PREFIXES"]

T = TypeVar("T")
PREFIXES = ("/genesys/", "/mock/", "/agent/")
CALL_TIMEOUT_S = 10.0  # how long a thread waits for the server loop to run a control call


class MockGMS:
    """A mock GMS chat server: `.app` (ASGI), `.routes`, `.url` (when running), control methods."""

    def __init__(self, config: MockConfig | None = None, *, agent: str = "echo",
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

    # -- Python control API ---------------------------------------------------------------------
    # Results are deep copies made on the server loop: a caller (perhaps on another thread) must
    # not hold the live transcript dicts the loop goes on serialising.
    def _call(self, fn: Callable[[], T]) -> T:
        """Run fn on the server loop (directly when we are on it, or when none is known)."""
        loop = self._loop
        if loop is None or not loop.is_running() or _on_loop(loop):
            return copy.deepcopy(fn())

        async def run() -> T:
            return copy.deepcopy(fn())

        return _result(asyncio.run_coroutine_threadsafe(run(), loop), CALL_TIMEOUT_S)

    async def _await(self, coro: Awaitable[T]) -> T:
        loop = self._loop
        if loop is None or _on_loop(loop):
            return await _copied(coro)
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(_copied(coro), loop))

    def _block(self, coro: Awaitable[T], timeout: float) -> T:
        loop = self._loop
        if loop is None or not loop.is_running():
            raise RuntimeError("the blocking waits need a server started with MockGMS.running()")
        if _on_loop(loop):
            raise RuntimeError("the blocking waits cannot run on the server loop; use the async waits")
        wait_s = min(max(timeout, 0.0), self.config.max_wait_seconds)
        return _result(asyncio.run_coroutine_threadsafe(_copied(coro), loop), wait_s + CALL_TIMEOUT_S)

    def list_chats(self) -> list[dict[str, Any]]:
        return self._call(lambda: control.list_chats(self.state))

    def get_chat(self, chat_id: str) -> dict[str, Any]:
        """The chat's detail; raises ActionError(404) for an unknown chat."""
        return self._call(lambda: control.get_chat(self.state, chat_id))

    def agent(self, chat_id: str, action: str, **params: Any) -> list[dict[str, Any]]:
        """Apply an agent action (join, say, ...); returns the messages appended."""
        return self._call(lambda: control.agent_action(self.state, chat_id, action, params))["messages"]

    def fault(self, operation: str, mode: str, count: int = 1, delay_ms: int = 0) -> dict[str, Any]:
        return self._call(lambda: control.add_fault(self.state, operation, mode, count, delay_ms))

    def faults(self) -> list[dict[str, Any]]:
        return self._call(self.state.faults.pending)

    def reset(self) -> None:
        self._call(self.state.reset)

    def requests(self, operation: str | None = None, chat_id: str | None = None) -> list[dict[str, Any]]:
        return self._call(lambda: self.state.log.entries(operation, chat_id))

    async def wait_messages(
        self, chat_id: str, after: int = 0, timeout: float = 10.0, type: str | None = None
    ) -> list[dict[str, Any]]:
        """Messages with index > after (only `type` ones if given); TimeoutError if none came."""
        result = await self._await(control.wait_messages(self.state, chat_id, after, timeout, type))
        if result["timedOut"]:
            raise TimeoutError(f"no message after index {after} in chat {chat_id} within {timeout}s")
        return result["messages"]

    async def wait_chat(self, after: int = 0, timeout: float = 10.0) -> dict[str, Any]:
        """The first chat numbered > after (1, 2, ... since the last reset); TimeoutError if none."""
        found = await self._await(control.wait_chat(self.state, after, timeout))
        if found is None:
            raise TimeoutError(f"no chat numbered above {after} within {timeout}s")
        return found

    async def wait_requests(
        self, operation: str | None = None, chat_id: str | None = None, after: int = 0, timeout: float = 10.0,
        form: dict[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Logged requests numbered > after, answered (or failed or dropped), matching the filters
        (`form`: fields that must be equal); TimeoutError if none came."""
        result = await self._await(control.wait_requests(self.state, operation, chat_id, after, timeout, form))
        return _requests_or_timeout(result, operation, form, timeout)

    def wait_messages_blocking(
        self, chat_id: str, after: int = 0, timeout: float = 10.0, type: str | None = None
    ) -> list[dict[str, Any]]:
        result = self._block(control.wait_messages(self.state, chat_id, after, timeout, type), timeout)
        if result["timedOut"]:
            raise TimeoutError(f"no message after index {after} in chat {chat_id} within {timeout}s")
        return result["messages"]

    def wait_chat_blocking(self, after: int = 0, timeout: float = 10.0) -> dict[str, Any]:
        found = self._block(control.wait_chat(self.state, after, timeout), timeout)
        if found is None:
            raise TimeoutError(f"no chat numbered above {after} within {timeout}s")
        return found

    def wait_requests_blocking(
        self, operation: str | None = None, chat_id: str | None = None, after: int = 0, timeout: float = 10.0,
        form: dict[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        result = self._block(control.wait_requests(self.state, operation, chat_id, after, timeout, form), timeout)
        return _requests_or_timeout(result, operation, form, timeout)

    # -- background server ----------------------------------------------------------------------
    @classmethod
    @contextlib.contextmanager
    def running(
        cls,
        host: str = "127.0.0.1",
        port: int = 0,
        config: MockConfig | None = None,
        *,
        agent: str = "echo",
        **uvicorn_kw: Any,
    ) -> Iterator["MockGMS"]:
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


def _requests_or_timeout(result: dict[str, Any], operation: str | None, form: dict[str, str] | None,
                         timeout: float) -> list[dict[str, Any]]:
    if result["timedOut"]:
        raise TimeoutError(f"no {operation or 'Chat API'} request matching {form or {}} within {timeout}s")
    return result["requests"]


async def _copied(coro: Awaitable[T]) -> T:
    return copy.deepcopy(await coro)


def _result(future: "concurrent.futures.Future[T]", timeout: float) -> T:
    """The future's result; a clear error instead of a hang when the server loop has stopped."""
    try:
        return future.result(timeout)
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise RuntimeError(f"the mock GMS server loop did not answer within {timeout}s; "
                           "has the server stopped?") from None


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


class _DropConnection:
    """Implements the `drop` fault: abort the TCP connection so the client gets no response.

    The route marks the scope and raises ConnectionDropped; Starlette's error middleware then tries
    to send a 500, which is swallowed here. Under uvicorn the server's send callable is bound to the
    connection's cycle, whose transport we abort. Elsewhere (httpx's ASGITransport) the exception is
    re-raised, which is what the client then sees.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

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
