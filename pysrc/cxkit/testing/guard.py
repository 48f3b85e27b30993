"""The offline guard: a browser context whose requests may not leave the local machine.

    >>> guard = OfflineGuard()
    >>> guard.check("http://127.0.0.1:8000/widgets.js"), guard.check("https://cdn.example.com/x.js")
    (True, False)
    >>> guard.violations
    ['https://cdn.example.com/x.js']

``guard.install(context)`` aborts and records every non-local request of a Playwright
context, and every WebSocket to elsewhere (routes do not see WebSockets). Routes turn the
context's HTTP cache off, so the chat pages' shared context is guarded another way: it is made
with ``proxy=BLOCKING_PROXY`` (a proxy nobody listens on: every non-local request fails, local
ones bypass it) and ``guard.watch(context)`` records what tried to leave, cache kept.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

__all__ = ["BLOCKING_PROXY", "LOCAL_HOSTS", "NOT_LOCAL", "OfflineGuard", "blocking_proxy", "hosts_of"]

LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
#: URLs that are not local, as a regex Playwright matches inside its driver.
NOT_LOCAL = re.compile(
    r"^(?!(?:https?|wss?)://(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?(?:/|$))(?!data:|blob:|about:)"
)

#: A context proxy that fails every request it gets (the discard port, closed on a test machine);
#: loopback bypasses it (named: Playwright makes Chromium proxy loopback too unless told), so the
#: page's own server and the mock still answer.
BLOCKING_PROXY = {"server": "http://127.0.0.1:9", "bypass": "127.0.0.1,localhost,[::1]"}


def hosts_of(origins: Any) -> tuple[str, ...]:
    """The host names of ``scheme://host[:port]`` origins (``--cxkit-cors-origin``): the page's
    own dev server the suite declared, which the guard lets the browser reach.

        >>> hosts_of(["https://shop.test:8443", "http://127.0.0.1:5000"])
        ('shop.test', '127.0.0.1')
    """
    return tuple(h for h in (urlsplit(str(o)).hostname for o in origins or ()) if h)


def blocking_proxy(allowed_hosts: tuple[str, ...] = ()) -> dict[str, str]:
    """`BLOCKING_PROXY`, bypassed also for ``allowed_hosts``.

        >>> blocking_proxy(("shop.test",))["bypass"]
        '127.0.0.1,localhost,[::1],shop.test'
    """
    extra = [h for h in allowed_hosts if h not in LOCAL_HOSTS]
    return {**BLOCKING_PROXY, "bypass": ",".join([BLOCKING_PROXY["bypass"], *extra])}


class OfflineGuard:
    """Records every request that tried to leave the local machine.

        >>> guard = OfflineGuard(allowed_hosts=("shop.test",))
        >>> guard.check("https://shop.test/index.html"), guard.check("wss://push.example.com/")
        (True, False)
        >>> guard.assert_clean()
        Traceback (most recent call last):
        AssertionError: requests left the local machine: ['wss://push.example.com/']
    """

    def __init__(self, allowed_hosts: tuple[str, ...] = ()) -> None:
        self.allowed_hosts = frozenset(LOCAL_HOSTS | set(allowed_hosts))  # local, and the page's own server
        self.violations: list[str] = []
        self.expected = False
        self._route: Any = None  # install(): the route handler
        self._on_request: Any = None  # watch(): the request listener

    def expect(self) -> list[str]:
        """Declare that this test provokes outside requests; returns the (live) record."""
        self.expected = True
        return self.violations

    def check(self, url: str) -> bool:
        """Whether ``url`` is local; a non-local one is recorded."""
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about", "chrome-extension"):
            return True
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname in self.allowed_hosts:
            return True
        self.violations.append(url)
        return False

    def install(self, context: Any) -> OfflineGuard:
        """Abort and record the non-local requests and WebSockets of a Playwright context."""

        def route(r: Any) -> None:
            if self.check(r.request.url):
                r.continue_()
            else:
                r.abort("blockedbyclient")

        # Only non-local URLs are routed, and the regex is matched inside the Playwright driver:
        # with the sync API a routed request waits until the test next talks to the browser, so
        # routing local requests would stall the page while a test blocks on the mock's long poll.
        self._route = route
        context.route(NOT_LOCAL, route)
        return self._watch_sockets(context)

    def watch(self, context: Any) -> OfflineGuard:
        """Record the non-local requests and WebSockets of a context made with
        ``proxy=BLOCKING_PROXY``, which makes them fail (no route: the HTTP cache stays on)."""
        self._on_request = lambda request: self.check(request.url)
        context.on("request", self._on_request)
        return self._watch_sockets(context)

    def _watch_sockets(self, context: Any) -> OfflineGuard:
        self._on_socket = lambda ws: self.check(ws.url)
        self._on_page = lambda page: page.on("websocket", self._on_socket)
        for page in getattr(context, "pages", ()):  # opened before the guard (the first chat page)
            self._on_page(page)
        context.on("page", self._on_page)
        return self

    def uninstall(self, context: Any) -> None:
        """Stop guarding ``context`` (a shared context outlives the test that guarded it)."""
        if self._route is not None:
            context.unroute(NOT_LOCAL, self._route)
        if self._on_request is not None:
            context.remove_listener("request", self._on_request)
        context.remove_listener("page", self._on_page)
        for page in getattr(context, "pages", ()):
            try:
                page.remove_listener("websocket", self._on_socket)
            except (KeyError, ValueError):  # a page this guard never listened to
                pass

    def assert_clean(self) -> None:
        """Fail unless nothing left the machine or the test said it expected it."""
        if not self.expected and self.violations:
            raise AssertionError(f"requests left the local machine: {self.violations}")
