"""DNS rebinding: requests naming a host the mock does not know are refused before anything runs;
the CORS localhost pattern only takes real ports."""

from __future__ import annotations

import httpx
import pytest

from cxkit.mockgms import MockConfig, MockGMS

from .support import BASE, make_gms

REBIND_PATHS = [("GET", "/mock/requests"), ("GET", "/mock/chats"), ("POST", "/mock/reset"),
                ("POST", "/mock/faults"), ("GET", "/agent"), ("POST", BASE + "/")]


@pytest.fixture(scope="module")
def server():
    with MockGMS.running(config=MockConfig(idle_alert_seconds=0, allowed_hosts=("gms.example",)),
                         agent="silent") as gms:
        yield gms


@pytest.mark.parametrize(("method", "path"), REBIND_PATHS)
def test_a_rebound_name_gets_nothing(server: MockGMS, method, path) -> None:
    port = server.url.rsplit(":", 1)[1]
    with httpx.Client(base_url=server.url) as c:
        c.post(BASE + "/", data={"nickname": "Victim"})
        before = server.chats()
        r = c.request(method, path, headers={"Host": f"rebind.test:{port}", "Origin": f"http://rebind.test:{port}"},
                      json={"operation": "*", "mode": "drop"} if path == "/mock/faults" else None)
        assert r.status_code == 403 and "rebind.test" in r.json()["errors"][0]["advice"]
        assert "secureKey" not in r.text
        assert server.chats() == before and server.faults() == []
        server.reset()


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "app.localhost:{port}", "gms.example",
                                  "GMS.example.:{port}"])
def test_loopback_names_ip_literals_and_configured_hosts_pass(server: MockGMS, host) -> None:
    port = server.url.rsplit(":", 1)[1]
    with httpx.Client(base_url=server.url) as c:
        assert c.get("/mock/chats", headers={"Host": host.format(port=port)}).status_code == 200


async def test_in_process_asgi_requests_name_the_server_itself() -> None:
    gms = make_gms()
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    for host, server, status in [(b"gms.test", ("gms.test", 80), 200), (b"rebind.test:8000", ("127.0.0.1", 8000), 403),
                                 (b"a.test", None, 403)]:
        sent.clear()
        scope = {"type": "http", "method": "GET", "path": "/mock/chats", "raw_path": b"/mock/chats",
                 "query_string": b"", "headers": [(b"host", host)], "server": server, "scheme": "http",
                 "http_version": "1.1", "root_path": "", "client": ("127.0.0.1", 5000)}
        await gms.app(scope, receive, send)
        assert sent[0]["status"] == status, host


async def test_two_host_headers_are_refused(client) -> None:
    r = await client.get("/mock/chats", headers=[("Host", "testserver"), ("Host", "rebind.test")])
    assert r.status_code == 403


def test_star_turns_the_check_off() -> None:
    from cxkit.mockgms.hosts import host_allowed

    assert host_allowed("anything.example", ("*",)) and not host_allowed("anything.example", ())


@pytest.mark.parametrize("origin", ["http://localhost:99999", "http://127.0.0.1:65536", "http://localhost:0",
                                    "http://localhost:08080"])
async def test_cors_localhost_pattern_refuses_impossible_ports(client, origin) -> None:
    r = await client.post(BASE + "/", data={"nickname": "N"}, headers={"Origin": origin})
    assert r.status_code == 403


async def test_cors_localhost_pattern_takes_the_highest_port(client) -> None:
    r = await client.post(BASE + "/", data={"nickname": "N"}, headers={"Origin": "http://localhost:65535"})
    assert r.status_code == 200
