"""serve_in_thread: the one uvicorn-in-a-thread runner (MockGMS.running, cxkit.server.run_in_thread)."""

import threading
import urllib.request

import pytest

from cxkit.mockgms.serving import uvicorn_config
from cxkit.mockgms.threaded import serve_in_thread


async def ok_app(scope, receive, send):
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"served"})


async def failing_startup_app(scope, receive, send):
    if scope["type"] == "lifespan":
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no database"})


def test_serves_until_the_block_ends_then_stops_its_thread():
    with serve_in_thread(uvicorn_config(ok_app, lifespan="off"), "127.0.0.1", name="threaded-test") as (host, port):
        assert host == "127.0.0.1" and port > 0
        assert urllib.request.urlopen(f"http://{host}:{port}/").read() == b"served"
        assert "threaded-test" in [t.name for t in threading.enumerate()]
    assert "threaded-test" not in [t.name for t in threading.enumerate()]
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://{host}:{port}/", timeout=5)


def test_a_server_that_cannot_start_raises_with_the_reason():
    with pytest.raises(RuntimeError, match="server did not start"):
        with serve_in_thread(uvicorn_config(failing_startup_app, lifespan="on"), "127.0.0.1", name="threaded-fail"):
            pytest.fail("must not be reached")
    assert "threaded-fail" not in [t.name for t in threading.enumerate()]
