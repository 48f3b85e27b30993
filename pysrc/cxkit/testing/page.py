"""Pages with the widget booted: the init script, the opener, and helpers on a booted page.

With a Playwright ``page`` and a running server (the plugin's ``open_chat_page`` does this)::

    opener = ChatPageOpener(page, "http://127.0.0.1:8000")
    chat = opener.open()                      # the bundled test page, WebChatService ready
    command(chat, "WebChatService.startChat", {"nickname": "Jo"})   # {"ok": True, "value": {...}}
    wait_text(chat, "Hello!")                 # an agent message reached the page
    shop = opener.open("/site/index.html", config={"webchat": {"userData": {"tier": "gold"}}})

The init script runs before any page script, on every load (reloads included). When the
page's loader starts (``widgets.js`` sets ``window.__cxkit``) it points ``webchat.dataURL`` at
the mock (the page's own service name is kept), merges ``config`` into
``window._genesys.widgets`` and registers a bus plugin that records every WebChatService event
in ``window.cxkitTest.events`` (``window.cxkitTest.plugin`` runs commands). Works on any page
that includes ``widgets.js``: the bundled one or the user's own.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "BOOT_TIMEOUT_MS", "CxkitBootError", "ChatPageOpener", "EVENTS", "command", "events", "init_script",
    "wait_event", "wait_ready", "wait_text",
]

BOOT_TIMEOUT_MS = 60_000
EVENT_TIMEOUT_MS = 20_000
EVENTS = (
    "ready", "restored", "restoreTimeout", "restoreFailed", "messageReceived", "error", "started", "ended",
    "agentTypingStarted", "agentTypingStopped", "pollingStarted", "pollingStopped", "clientConnected",
    "clientDisconnected", "agentConnected", "agentDisconnected", "supervisorConnected", "supervisorDisconnected",
    "botConnected", "botDisconnected", "clientTypingStarted", "clientTypingStopped", "disconnected",
    "reconnected", "chatServerWentOffline", "chatServerBackOnline", "sleeping", "waking",
)

_SCRIPT = """
(cfg => {
  const rec = window.cxkitTest = {events: [], plugin: null};
  function merge(into, from) {
    for (const [k, v] of Object.entries(from || {})) {
      if (v && typeof v === 'object' && !Array.isArray(v) && into[k] && typeof into[k] === 'object') merge(into[k], v);
      else into[k] = v;
    }
  }
  function toMock(url) {
    const path = /\\/genesys\\/2\\/chat\\/[^/?#]+/.exec(url || '');
    return cfg.mockOrigin + (path ? path[0] : '/genesys/2/chat/' + cfg.service);
  }
  function start(loader) {
    const widgets = loader.config || {};
    if (cfg.mockOrigin) {
      const wc = widgets.webchat = widgets.webchat || {};
      wc.dataURL = toMock(wc.dataURL);
      if (wc.transport && wc.transport.dataURL) wc.transport.dataURL = toMock(wc.transport.dataURL);
    }
    merge(widgets, cfg.config);
    const plugin = rec.plugin = window.CXBus.registerPlugin(cfg.plugin);
    for (const n of cfg.events) plugin.subscribe('WebChatService.' + n, e => rec.events.push({name: n, data: e.data}));
  }
  // The loader announces itself by setting window.__cxkit, after the page's config and
  // before Python reads it: the one moment to patch the config and subscribe early.
  Object.defineProperty(window, '__cxkit', {configurable: true, get: () => undefined, set(loader) {
    Object.defineProperty(window, '__cxkit', {value: loader, writable: true, configurable: true, enumerable: true});
    try { start(loader); } catch (e) { console.error('cxkit test hook: ' + e); }
  }});
})(%s);
"""


class CxkitBootError(AssertionError):
    """The page's widget did not boot (its loader's failure, or nothing within the timeout)."""


def init_script(
    mock_origin: str | None, config: dict[str, Any] | None = None, *, service: str = "customer-support",
    plugin: str = "cxkitTest",
) -> str:
    """The page init script; ``mock_origin=None`` leaves ``dataURL`` as the page set it."""
    args = {"mockOrigin": mock_origin, "config": config or {}, "service": service, "plugin": plugin,
            "events": list(EVENTS)}
    return _SCRIPT % json.dumps(args)


def wait_ready(page: Any, timeout: float = BOOT_TIMEOUT_MS) -> None:
    """Until ``WebChatService.ready`` reached the page; raises ``CxkitBootError`` on a boot failure."""
    try:
        page.wait_for_function(
            """() => (window.__cxkit && window.__cxkit.failure)
                || (window.cxkitTest && window.cxkitTest.events.some(e => e.name === 'ready'))""",
            timeout=timeout,
        )
    except Exception as exc:  # Playwright's TimeoutError; playwright is optional at import time
        hooked = page.evaluate("!!(window.cxkitTest && window.cxkitTest.plugin)")
        why = "the loader never ran: does the page include widgets.js?" if not hooked else "no WebChatService.ready"
        raise CxkitBootError(f"{page.url}: widget not ready within {timeout / 1000:g}s ({why})") from exc
    failure = page.evaluate("window.__cxkit.failure")
    if failure:
        raise CxkitBootError(f"{page.url}: cxkit boot failed: {failure}")


def events(page: Any, name: str | None = None) -> list[Any]:
    """Recorded WebChatService event names, or the data of each event called ``name``."""
    if name is None:
        return page.evaluate("window.cxkitTest.events.map(e => e.name)")
    return page.evaluate("n => window.cxkitTest.events.filter(e => e.name === n).map(e => e.data)", name)


def wait_event(page: Any, name: str, count: int = 1, timeout: float = EVENT_TIMEOUT_MS) -> None:
    """Until ``WebChatService.<name>`` was published ``count`` times."""
    page.wait_for_function(
        "([n, c]) => window.cxkitTest && window.cxkitTest.events.filter(e => e.name === n).length >= c",
        arg=[name, count], timeout=timeout,
    )


def wait_text(page: Any, text: str, timeout: float = EVENT_TIMEOUT_MS) -> None:
    """Until a ``messageReceived`` carried a message with this text."""
    page.wait_for_function(
        """t => window.cxkitTest && window.cxkitTest.events.some(e => e.name === 'messageReceived'
            && e.data.messages.some(m => m.text === t))""",
        arg=text, timeout=timeout,
    )


def command(page: Any, name: str, options: Any = None) -> dict[str, Any]:
    """Run a bus command from the page; returns ``{"ok": bool, "value": ...}`` once it settles."""
    return page.evaluate(
        """([n, o]) => new Promise(r => window.cxkitTest.plugin.command(n, o === null ? undefined : o)
            .done(v => r({ok: true, value: v === undefined ? null : v}))
            .fail(v => r({ok: false, value: v === undefined ? null : v})))""",
        [name, options],
    )


class ChatPageOpener:
    """Opens pages with the widget booted; the first ``open`` uses ``page``, later ones open new
    pages in its context."""

    def __init__(
        self, page: Any, base_url: str, *, path: str = "/cxkit/e2e.html", timeout: float = BOOT_TIMEOUT_MS,
        config: dict[str, Any] | None = None,
    ) -> None:
        self.page = page
        self.base_url = base_url.rstrip("/")
        self.path = path
        self.timeout = timeout
        self.config = config or {}
        self.opened: list[Any] = []

    def open(
        self, url: str | None = None, config: dict[str, Any] | None = None, *, mock: bool = True,
        init_script: str | None = None, wait: bool = True,
    ) -> Any:
        """Open ``url`` (default: the bundled test page; a path is relative to the server) and
        wait for ``WebChatService.ready``. ``config`` is merged into ``_genesys.widgets``;
        ``mock=False`` keeps the page's own ``dataURL``; ``init_script`` runs before page scripts."""
        target = url or self.path
        if target.startswith("/"):
            target = self.base_url + target
        page = self.page if not self.opened else self.page.context.new_page()
        self.opened.append(page)
        merged = {**self.config, **(config or {})}
        page.add_init_script(_hook(self.base_url if mock else None, merged))
        if init_script:
            page.add_init_script(init_script)
        page.goto(target)
        if wait:
            wait_ready(page, self.timeout)
        return page

    __call__ = open


_hook = init_script  # open()'s ``init_script`` parameter shadows the module function
