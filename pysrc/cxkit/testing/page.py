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

A page that cannot boot fails fast with the real cause instead of the boot timeout: a page
that answers an HTTP error (e.g. ``/cxkit/e2e.html`` on a bundle built without test pages), or
a ``widgets.js`` that does not load (``CxkitBootError: http://127.0.0.1:8000/shop.html: the
loader http://127.0.0.1:8000/widgets.js did not load: HTTP 404 Not Found``).
"""

from __future__ import annotations

import json
import re
import weakref
from typing import Any

__all__ = [
    "BOOT_TIMEOUT_MS", "CxkitBootError", "ChatPageOpener", "EVENTS", "LoadLog", "command", "events", "init_script",
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
  const rec = window.cxkitTest = {events: [], plugin: null, loadErrors: []};
  // A loader that never runs (HTTP error, network error, not JavaScript) ends the wait at once.
  const isLoader = url => /widgets\\.js([?#]|$)/.test(url || '');
  window.addEventListener('error', e => {
    const el = e.target;
    if (el && el.tagName === 'SCRIPT' && isLoader(el.src)) rec.loadErrors.push({url: el.src, error: ''});
    else if (e.filename && isLoader(e.filename) && !window.__cxkit)
      rec.loadErrors.push({url: e.filename, error: String(e.message)});
  }, true);
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
    """The page's widget did not boot (its loader's failure, or nothing within the timeout).

    An AssertionError, so pytest reports a page that cannot boot as a test failure:

        >>> issubclass(CxkitBootError, AssertionError)
        True
    """


def init_script(
    mock_origin: str | None, config: dict[str, Any] | None = None, *, service: str = "customer-support",
    plugin: str = "cxkitTest",
) -> str:
    """The page init script; ``mock_origin=None`` leaves ``dataURL`` as the page set it.

        >>> script = init_script("http://127.0.0.1:8000", {"webchat": {"userData": {"tier": "gold"}}})
        >>> '"mockOrigin": "http://127.0.0.1:8000"' in script, '"tier": "gold"' in script
        (True, True)
    """
    args = {"mockOrigin": mock_origin, "config": config or {}, "service": service, "plugin": plugin,
            "events": list(EVENTS)}
    return _SCRIPT % json.dumps(args)


class LoadLog:
    """The failed responses of one page (HTTP status >= 400, or a network error), by URL: what a
    boot error names. ``LoadLog.attach(page)`` starts recording; ``LoadLog.of(page)`` finds it."""

    _pages: weakref.WeakKeyDictionary[Any, LoadLog] = weakref.WeakKeyDictionary()

    def __init__(self) -> None:
        self.failed: dict[str, str] = {}

    @classmethod
    def attach(cls, page: Any) -> LoadLog:
        log = cls._pages.get(page)
        if log is None:
            log = cls._pages[page] = cls()
            page.on("response", log.on_response)
            page.on("requestfailed", log.on_request_failed)
        return log

    @classmethod
    def of(cls, page: Any) -> LoadLog | None:
        return cls._pages.get(page)

    def on_response(self, response: Any) -> None:
        if response.status >= 400:
            self.failed[response.url] = http_status(response)

    def on_request_failed(self, request: Any) -> None:
        # Chromium also fails (net::ERR_ABORTED) a script request that answered 404: keep the status
        self.failed.setdefault(request.url, f"network error {request.failure or ''}".strip())

    def describe(self, url: str) -> str:
        """Why ``url`` failed (``HTTP 404 Not Found``), or "" when nothing was recorded."""
        return self.failed.get(url, "")


def http_status(response: Any) -> str:
    """``HTTP 404 Not Found`` for a Playwright response."""
    return f"HTTP {response.status} {response.status_text or ''}".strip()


def _not_found_hint(url: str) -> str:
    name = re.search(r"/cxkit/(e2e[\w-]*\.html)", url)
    if name:
        return (f" ({name.group(1)} is one of the bundle's test pages: a bundle built with "
                "`cxkit build` without `--test-pages` has none)")
    return ""


#: A page with no ``widgets.js`` this long after its load event is taken for one without it (a
#: tag manager may add it a little after the load event).
NO_LOADER_MS = 10_000

#: True once the page has been loaded, and waited for since ``since``, `NO_LOADER_MS` without a loader
#: running or being added (a page opened with set_content has no navigation entry).
_NO_LOADER = f"""document.readyState === 'complete' && !window.__cxkit
    && !document.querySelector('script[src*="widgets.js"]')
    && performance.now() - Math.max(since, (performance.getEntriesByType('navigation')[0] || {{}}).loadEventEnd || 0)
       > {NO_LOADER_MS}"""


def wait_ready(page: Any, timeout: float = BOOT_TIMEOUT_MS) -> None:
    """Until ``WebChatService.ready`` reached the page; raises ``CxkitBootError`` on a boot failure,
    at once when the loader (``widgets.js``) could not load, naming its URL and HTTP status, and
    `NO_LOADER_MS` after the page's load event when it has no loader at all.

        >>> page.goto(cxkit_url + "/site/shop.html")   # doctest: +SKIP
        >>> wait_ready(page)                            # doctest: +SKIP
    """
    since = page.evaluate("performance.now()") or 0
    try:
        page.wait_for_function(
            f"""(since) => (window.__cxkit && window.__cxkit.failure)
                || (window.cxkitTest && (window.cxkitTest.loadErrors.length
                    || window.cxkitTest.events.some(e => e.name === 'ready')))
                || ({_NO_LOADER})""",
            arg=since, timeout=timeout,
        )
    except Exception as exc:  # Playwright's TimeoutError; playwright is optional at import time
        hooked = page.evaluate("!!(window.cxkitTest && window.cxkitTest.plugin)")
        why = "the loader never ran: does the page include widgets.js?" if not hooked else "no WebChatService.ready"
        raise CxkitBootError(f"{page.url}: widget not ready within {timeout / 1000:g}s ({why})") from exc
    if page.evaluate(f"(since) => !!({_NO_LOADER})", since):
        raise CxkitBootError(f"{page.url}: the loader never ran: no widgets.js on the page "
                             f"{NO_LOADER_MS / 1000:g} s after its load event")
    load_errors = page.evaluate("window.cxkitTest && window.cxkitTest.loadErrors")
    if load_errors:
        first = load_errors[0]
        log = LoadLog.of(page)
        why = (log.describe(first["url"]) if log else "") or first.get("error") or "it failed to load"
        raise CxkitBootError(f"{page.url}: the loader {first['url']} did not load: {why}")
    failure = page.evaluate("window.__cxkit.failure")
    if failure:
        raise CxkitBootError(f"{page.url}: cxkit boot failed: {failure}")


def events(page: Any, name: str | None = None) -> list[Any]:
    """Recorded WebChatService event names, or the data of each event called ``name``.

        >>> events(chat_page)                           # doctest: +SKIP
        ['ready']
        >>> events(chat_page, "ready")                  # doctest: +SKIP
        [{}]
    """
    if name is None:
        return page.evaluate("window.cxkitTest.events.map(e => e.name)")
    return page.evaluate("n => window.cxkitTest.events.filter(e => e.name === n).map(e => e.data)", name)


def wait_event(page: Any, name: str, count: int = 1, timeout: float = EVENT_TIMEOUT_MS) -> None:
    """Until ``WebChatService.<name>`` was published ``count`` times.

        >>> gms.end(chat_id)                            # doctest: +SKIP
        >>> wait_event(chat_page, "ended")              # doctest: +SKIP
    """
    page.wait_for_function(
        "([n, c]) => window.cxkitTest && window.cxkitTest.events.filter(e => e.name === n).length >= c",
        arg=[name, count], timeout=timeout,
    )


def wait_text(page: Any, text: str, timeout: float = EVENT_TIMEOUT_MS) -> None:
    """Until a ``messageReceived`` carried a message with this text.

        >>> gms.say(chat_id, "Hello!")                  # doctest: +SKIP
        >>> wait_text(chat_page, "Hello!")              # doctest: +SKIP
    """
    page.wait_for_function(
        """t => window.cxkitTest && window.cxkitTest.events.some(e => e.name === 'messageReceived'
            && e.data.messages.some(m => m.text === t))""",
        arg=text, timeout=timeout,
    )


def command(page: Any, name: str, options: Any = None) -> dict[str, Any]:
    """Run a bus command from the page; returns ``{"ok": bool, "value": ...}`` once it settles.

        >>> command(chat_page, "WebChatService.sendMessage", {"message": "hi"})    # doctest: +SKIP
        {'ok': False, 'value': 'There is no active chat session'}
    """
    return page.evaluate(
        """([n, o]) => new Promise(r => window.cxkitTest.plugin.command(n, o === null ? undefined : o)
            .done(v => r({ok: true, value: v === undefined ? null : v}))
            .fail(v => r({ok: false, value: v === undefined ? null : v})))""",
        [name, options],
    )


class ChatPageOpener:
    """Opens pages with the widget booted; the first ``open`` uses ``page``, later ones open new
    pages in its context.

        >>> opener = ChatPageOpener(page, "http://127.0.0.1:8000")     # doctest: +SKIP
        >>> shop = opener.open("/site/shop.html", config={"webchat": {"userData": {"tier": "gold"}}})  # doctest: +SKIP
        >>> events(shop)                                                # doctest: +SKIP
        ['ready']
    """

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
        merged = _merged(self.config, config or {})
        page.add_init_script(_hook(self.base_url if mock else None, merged))
        if init_script:
            page.add_init_script(init_script)
        LoadLog.attach(page)
        response = page.goto(target)
        if wait:
            if response is not None and response.status >= 400:
                raise CxkitBootError(f"{response.url}: {http_status(response)}{_not_found_hint(response.url)}")
            wait_ready(page, self.timeout)
        return page

    __call__ = open


_hook = init_script  # open()'s ``init_script`` parameter shadows the module function


def _merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``extra`` over ``base``, section by section (a test's ``{"cxkit": {"thread": "main"}}``
    keeps the plugin's ``snapshot`` and ``boot``), as the page script merges it into the page's."""
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out
