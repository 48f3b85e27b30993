"""Serve an ASGI app with uvicorn in a daemon thread: the mock's `MockGMS.running()` and
`cxkit.server.run_in_thread` (the bundle with the mock, for test suites) both go through here.

    >>> from cxkit.mockgms.serving import uvicorn_config
    >>> from cxkit.mockgms.threaded import serve_in_thread
    >>> async def app(scope, receive, send):
    ...     if scope["type"] == "http":
    ...         await send({"type": "http.response.start", "status": 204, "headers": []})
    ...         await send({"type": "http.response.body", "body": b""})
    >>> import urllib.request
    >>> with serve_in_thread(uvicorn_config(app, lifespan="off"), "127.0.0.1") as (host, port):
    ...     urllib.request.urlopen(f"http://{host}:{port}/").status
    204
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

import uvicorn

__all__ = ["serve_in_thread"]


@contextlib.contextmanager
def serve_in_thread(config: uvicorn.Config, host: str = "127.0.0.1", port: int = 0, *,
                    name: str = "cxkit-server", start_timeout: float = 30.0) -> Iterator[tuple[str, int]]:
    """Bind ``host:port`` (0: a free port; IPv6 literals too), serve ``config``'s app on it in a
    daemon thread named ``name``, and yield the bound ``(address, port)`` once uvicorn has started.
    A server that fails or takes longer than ``start_timeout`` seconds to start raises RuntimeError
    with the reason; on exit the server is told to stop and the thread joined."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server = uvicorn.Server(config)
    started = threading.Event()
    failure: list[BaseException] = []

    def serve() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # reported to the caller below
            failure.append(exc)
        finally:
            started.set()

    startup = server.startup

    async def startup_then_signal(*args: Any, **kwargs: Any) -> None:
        await startup(*args, **kwargs)
        started.set()

    server.startup = startup_then_signal  # type: ignore[method-assign]
    thread = threading.Thread(target=serve, name=name, daemon=True)
    try:
        sock.bind((host, port))
        thread.start()
        started.wait(start_timeout)
        if failure or not server.started:
            raise RuntimeError(f"server did not start: {failure[0] if failure else 'timeout'}")
        address, bound_port = sock.getsockname()[:2]
        yield address, bound_port
    finally:
        server.should_exit = True
        if thread.is_alive():
            thread.join(10)
        sock.close()
