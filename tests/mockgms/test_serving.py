"""Connections that stall or go away: header and body timeouts, keep-alive, aborted bodies."""

from __future__ import annotations

import asyncio
import http.client
import socket
import time

import pytest

from cxkit.mockgms import MockConfig, MockGMS
from cxkit.testing.control import MockGmsControl

from .support import BASE, make_gms


def _socket_to(gms: MockGMS) -> socket.socket:
    host, port = gms.url.removeprefix("http://").rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def _closed_by_server(sock: socket.socket) -> bool:
    """Reads until the server closes (b"") or the 10 s socket timeout says it did not."""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


@pytest.fixture(scope="module")
def server():
    cfg = MockConfig(idle_alert_seconds=0, header_timeout_seconds=0.3, body_timeout_seconds=0.3)
    with MockGMS.running(config=cfg, agent="silent") as gms:
        yield gms


def test_a_connection_that_sends_nothing_is_closed(server: MockGMS) -> None:
    with _socket_to(server) as sock:
        assert _closed_by_server(sock)


def test_headers_dripped_too_slowly_are_cut_off(server: MockGMS) -> None:
    with _socket_to(server) as sock:
        sock.sendall(b"GET /mock/chats HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        assert _closed_by_server(sock)


def test_after_a_response_the_next_headers_have_the_same_deadline(server: MockGMS) -> None:
    with _socket_to(server) as sock:
        sock.sendall(b"GET /mock/chats HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /mock/chats HTTP/1.1\r\n")  # the next request never completes
        assert _closed_by_server(sock)


def test_a_websocket_outlives_the_header_deadline(server: MockGMS) -> None:
    """The header deadline is armed as a connection opens; an upgraded one (CometD's WebSocket)
    sends no more headers, and the deadline closed it: every socket died after 10 s (the
    client reopened it, and long-polled meanwhile)."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    with connect(server.url.replace("http://", "ws://") + "/genesys/cometd") as ws:
        try:
            ws.recv(timeout=10 * server.config.header_timeout_seconds)  # nothing comes; the socket must stay
        except TimeoutError:
            pass
        except ConnectionClosed as closed:
            pytest.fail(f"the server closed the WebSocket: {closed}")
        ws.send('[{"channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": ["websocket"]}]')
        assert '"successful":true' in ws.recv(timeout=10).replace(" ", "")


def test_a_body_that_stops_coming_gets_408(server: MockGMS) -> None:
    with _socket_to(server) as sock:
        sock.sendall(b"POST " + BASE.encode() + b"/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nnickname=")
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 408")
    assert server.chats() == []


def test_uvicorn_keeps_alive_and_answers_normal_requests() -> None:
    # deadlines a loaded machine's pause between two requests cannot reach
    with MockGMS.running(config=MockConfig(header_timeout_seconds=10, body_timeout_seconds=10), agent="silent") as server:
        _keeps_alive(server)


def _keeps_alive(server: MockGMS) -> None:
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", "/mock/chats")
        first = conn.getresponse()
        assert first.status == 200 and first.read() == b'{"chats":[]}'
        sock = conn.sock
        for _ in range(3):
            conn.request("GET", "/mock/chats")
            assert conn.getresponse().read() == b'{"chats":[]}'
        assert conn.sock is sock  # one connection throughout
    finally:
        conn.close()


async def test_a_client_that_aborts_its_body_raises_nothing() -> None:
    gms = make_gms()
    sent: list[dict] = []
    messages = [{"type": "http.request", "body": b"nickname=N", "more_body": True}, {"type": "http.disconnect"}]

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message)

    for path, ctype in ((BASE + "/", b"application/x-www-form-urlencoded"), ("/mock/faults", b"application/json"),
                        ("/genesys/cometd", b"application/json"), (BASE + "/x/file", b"multipart/form-data; boundary=b")):
        messages[:] = [{"type": "http.request", "body": b"--b\r\n", "more_body": True}, {"type": "http.disconnect"}]
        sent.clear()
        scope = {"type": "http", "method": "POST", "path": path, "raw_path": path.encode(), "query_string": b"",
                 "headers": [(b"host", b"testserver"), (b"content-type", ctype), (b"content-length", b"100")],
                 "server": ("testserver", 80), "scheme": "http", "http_version": "1.1", "root_path": "",
                 "client": ("127.0.0.1", 5000)}
        await gms.app(scope, receive, send)  # uvicorn logs a traceback for anything raised here
        assert not [m for m in sent if m.get("status", 0) >= 500], path
    assert all(e["done"] for e in gms.requests())


async def test_body_timeout_in_process() -> None:
    gms = make_gms(body_timeout_seconds=0.05)
    sent: list[dict] = []
    first = True

    async def receive():
        nonlocal first
        if first:
            first = False
            return {"type": "http.request", "body": b"nickname=", "more_body": True}
        await asyncio.Event().wait()  # the rest never comes

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": BASE + "/", "raw_path": b"", "query_string": b"",
             "headers": [(b"host", b"testserver"), (b"content-type", b"application/x-www-form-urlencoded"),
                         (b"content-length", b"100")],
             "server": ("testserver", 80), "scheme": "http", "http_version": "1.1", "root_path": "",
             "client": ("127.0.0.1", 5000)}
    await asyncio.wait_for(gms.app(scope, receive, send), 5)
    assert sent[0]["status"] == 408 and (b"connection", b"close") in sent[0]["headers"]
    assert gms.chats() == []


def test_a_long_poll_of_the_control_api_outlasts_the_body_timeout(server: MockGMS) -> None:
    """pytest-plugin.md: a wait raises TimeoutError at the time asked for (up to the mock's
    ``max_wait_seconds``); a GET long poll, which has no body to read, got the body timeout's 408
    once that passed (30 s by default: ``gms.wait_chat(timeout=45)`` failed with HTTPStatusError).
    Here the body timeout is 0.3 s."""
    control = MockGmsControl(server.url)
    began = time.monotonic()
    with pytest.raises(TimeoutError):
        control.wait_chat(timeout=1.0)
    assert time.monotonic() - began >= 1.0
    with _socket_to(server) as sock:  # a declared body that stops coming still gets its 408
        sock.sendall(b"POST " + BASE.encode() + b"/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nn=")
        assert sock.recv(65536).startswith(b"HTTP/1.1 408")
