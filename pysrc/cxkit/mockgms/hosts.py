"""Host header allowlist: the defence against DNS rebinding.

A page on `http://rebind.test:P` whose name is later pointed at 127.0.0.1 talks to the mock as
its own origin: CORS sees nothing cross-origin. The `Host` header still says `rebind.test:P`,
so requests naming a host the mock does not know are refused (403) before anything runs.

Allowed: no Host header (not a browser), IP literals (a rebinding needs a DNS name),
`localhost` and `*.localhost` (browsers resolve them to loopback themselves), the name the ASGI
server reports for itself (`scope["server"]`: an in-process client such as httpx's
ASGITransport), and `MockConfig.allowed_hosts` (`"*"` turns the check off).

    >>> from cxkit.mockgms.hosts import host_allowed
    >>> [host_allowed(h, ()) for h in ("127.0.0.1:8080", "[::1]:1", "app.localhost", "rebind.test:80")]
    [True, True, True, False]
    >>> host_allowed("gms.example:443", ("gms.example",))
    True
"""

from __future__ import annotations

import ipaddress
import json

from starlette.types import Receive, Scope, Send

from .httponly import ConfiguredMiddleware

__all__ = ["HostGuardMiddleware", "host_allowed", "host_name"]


def host_name(host: str) -> str:
    """The name part of a Host header value, lower-cased, without port, brackets or final dot."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def host_allowed(host: str, allowed: tuple[str, ...], own: str | None = None) -> bool:
    if "*" in allowed:
        return True
    name = host_name(host)
    if not name:
        return False
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    if name == "localhost" or name.endswith(".localhost"):
        return True
    if own is not None and name == host_name(own):
        return True
    return name in {host_name(a) for a in allowed}


class HostGuardMiddleware(ConfiguredMiddleware):
    async def handle_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        hosts = [v for k, v in scope.get("headers", []) if k == b"host"]
        server = scope.get("server")
        own = str(server[0]) if server else None
        if hosts:
            host = hosts[0].decode("latin-1")
            if len(hosts) > 1 or not host_allowed(host, self.config.allowed_hosts, own):
                await _refuse(send, host)
                return
        await self.app(scope, receive, send)


async def _refuse(send: Send, host: str) -> None:
    body = json.dumps({
        "statusCode": 2, "chatEnded": False, "messages": [],
        "errors": [{"code": 403, "advice": f"Host {host!r} is not allowed (see MockConfig.allowed_hosts)"}],
    }).encode()
    await send({"type": "http.response.start", "status": 403,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
