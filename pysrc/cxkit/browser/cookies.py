"""`Storage` on ``document.cookie``, under the names the original uses.

    >>> storage = CookieStorage()            # doctest: +SKIP
    >>> storage.set("_genesys.widgets.webchat.state.session", "0001")   # doctest: +SKIP

Session cookies with ``path=/``. On a named host the cookie goes to the widest domain the
browser accepts (so, as with the original, sub-domains share a session: the first parent
that is not a public suffix); on ``localhost`` and IP hosts, where the original's cookies do not
work at all, they are host-only, which is what makes restore work there.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import js
from pyodide.ffi import create_proxy

__all__ = ["CookieStorage", "WorkerCookies", "cookie_domain", "parse_cookies", "watch_cookies"]

_PROBE = "_cxkit.cookie.probe"


def _is_ip(host: str) -> bool:
    # a literal address (IPv6 hosts come bracketed or with colons); no ipaddress import at boot
    return ":" in host or re.fullmatch(r"\d{1,3}(?:\.\d{1,3}){3}", host) is not None


def _decode(text: str) -> str:
    try:
        return str(js.decodeURIComponent(text))
    except Exception:  # a malformed escape someone else wrote: keep it as it is
        return text


def cookie_domain(host: str) -> str:
    """The widest parent domain of ``host`` that accepts a cookie, or "" for host-only."""
    if not host or _is_ip(host) or "." not in host:
        return ""
    labels = host.split(".")
    for size in range(2, len(labels) + 1):
        candidate = ".".join(labels[-size:])
        js.document.cookie = f"{_PROBE}=1; path=/; domain={candidate}"
        if f"{_PROBE}=1" in str(js.document.cookie):
            js.document.cookie = f"{_PROBE}=; path=/; domain={candidate}; max-age=0"
            return candidate
    return ""


def parse_cookies(text: str) -> dict[str, str]:
    """``document.cookie`` as ``{name: value}`` (decoded; the first of two same names wins)."""
    jar: dict[str, str] = {}
    for part in text.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            jar.setdefault(_decode(name), _decode(value))
    return jar


class CookieStorage:
    """Cookie-backed `cxkit.webchat.Storage`; ``_read``/``_write`` are where the document is.

    A cookie change event can come before this tab's ``document.cookie`` shows the change
    (Chromium delivers it first at times): `hear` takes the event's own values, which are laid
    over the cookies read until they show there or this tab writes that cookie itself.
    """

    def __init__(self, domain: str | None = None) -> None:
        self.domain = cookie_domain(str(js.location.hostname)) if domain is None else domain
        self._suffix = "; path=/" + (f"; domain={self.domain}" if self.domain else "") + "; SameSite=Lax"
        self._heard: dict[str, str | None] = {}

    def _read(self) -> str:
        return str(js.document.cookie)

    def _write(self, line: str) -> None:
        js.document.cookie = line

    def _jar(self) -> dict[str, str]:
        return parse_cookies(self._read())

    def _shown(self, jar: dict[str, str]) -> dict[str, str]:
        """``jar``, after forgetting the heard values it shows."""
        if self._heard:
            self._heard = {name: value for name, value in self._heard.items() if jar.get(name) != value}
        return jar

    def hear(self, changes: list[list[Any]]) -> None:
        """A change event's ``[name, value or None for deleted]`` pairs, as written (encoded)."""
        for name, value in changes:
            self._heard[_decode(str(name))] = None if value is None else _decode(str(value))
        self._shown(self._jar())

    def get(self, name: str) -> str | None:
        jar = self._shown(self._jar())
        return self._heard[name] if name in self._heard else jar.get(name)

    def set(self, name: str, value: str) -> None:
        self._heard.pop(name, None)  # this tab's own write is the newer
        self._write(f"{js.encodeURIComponent(name)}={js.encodeURIComponent(value)}{self._suffix}")

    def delete(self, name: str) -> None:
        self._heard.pop(name, None)
        self._write(f"{js.encodeURIComponent(name)}={self._suffix}; max-age=0")


def watch_cookies(changed: Callable[[], Any], storage: CookieStorage | None = None) -> None:
    """Main thread: call ``changed()`` whenever ``document.cookie`` has changed, as another tab's
    writes change it (Chromium's ``cookieStore`` says so at once; elsewhere a look each second),
    and when the page comes back into view; a change event's own values go to
    ``storage.hear`` first, as ``document.cookie`` may not show them yet. The listener lives as
    long as the page, so its one proxy is never destroyed. (In a worker, the page's link sends
    the changed cookies.)

        >>> watch_cookies(lambda: print("cookies changed"))   # doctest: +SKIP
    """
    last = [str(js.document.cookie)]

    def look(event: Any = None) -> None:
        heard = []
        if storage is not None and hasattr(event, "deleted"):  # a CookieChangeEvent
            heard = [[c.name, c.value] for c in event.changed] + [[c.name, None] for c in event.deleted]
            storage.hear(heard)
        now = str(js.document.cookie)
        if now != last[0] or heard:
            last[0] = now
            changed()

    proxy = create_proxy(look)
    store = getattr(js.window, "cookieStore", None)
    if store is not None and hasattr(store, "addEventListener"):
        store.addEventListener("change", proxy)
    else:
        js.setInterval(proxy, 1000)
    js.document.addEventListener("visibilitychange", proxy)
    js.window.addEventListener("focus", proxy)


class WorkerCookies(CookieStorage):
    """The page's cookies, as of the page's last message (with the values change events
    announced on top: `CookieStorage.hear`), and this worker's own writes on top of those until
    the page confirms them (its next ``cookies`` op)."""

    def __init__(self, text: str, domain: str, send: Callable[..., Any]) -> None:
        super().__init__(domain)
        self._page_jar = parse_cookies(text)
        self._pending: list[tuple[int, str, str | None]] = []
        self._count = 0
        self._send = send  # to the page: ("cookie", count, line)

    def refresh(self, text: str, confirmed: int | None = None) -> None:
        self._page_jar = self._shown(parse_cookies(text))  # what it shows now is no longer "heard"
        if confirmed is not None:
            self._pending = [p for p in self._pending if p[0] > confirmed]

    def _jar(self) -> dict[str, str]:
        return self._page_jar

    def get(self, name: str) -> str | None:
        value = super().get(name)
        for _, key, written in self._pending:
            if key == name:
                value = written
        return value

    def set(self, name: str, value: str) -> None:
        self._note(name, value)
        super().set(name, value)

    def delete(self, name: str) -> None:
        self._note(name, None)
        super().delete(name)

    def _note(self, name: str, value: str | None) -> None:
        self._count += 1
        self._pending.append((self._count, name, value))

    def _write(self, line: str) -> None:
        self._send("cookie", self._count, line)
