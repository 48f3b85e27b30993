"""Page start-up: build the page's bus, connect the JS face, publish App.ready.

    <script src="/cxkit/widgets.js"></script>   <!-- runs cxkit.browser.boot() under PyScript -->

Order, as the original App does it: the JS face is attached (calls queued before boot are
replayed in order), function-valued ``_genesys.widgets.extensions`` run with
``(jQuery or null, CXBus, Common)``, ``App.ready`` is republished with the config,
``App.data("ready", True)``, then ``_genesys.widgets.onReady(bus)`` gets the QuickBus.

An exception out of ``boot()`` reaches the loader's ``fail()``: before attach it rejects the
queued calls; after attach the bus stays up, and the failure is still reported
(``console.error("cxkit: boot failed: ...")`` and a ``cxkit:failed`` event on ``window``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import js
from pyodide.ffi import create_proxy, jsnull

from ..bus import Bus, boot_app, set_bus
from ..webchat.install import start_services
from ..webchat.tabs import cookies_changed
from .bridge import JsBridge
from .convert import error_text, to_py_plain
from .cookies import CookieStorage, watch_cookies
from .services import install_services

__all__ = ["boot", "MicrotaskWake"]


class MicrotaskWake:
    """Bus wake-up through ``queueMicrotask``: one proxy for the page's lifetime."""

    def __init__(self) -> None:
        self._proxy: Any = None
        self._queue_microtask = js.queueMicrotask

    def __call__(self, drain: Callable[[], None]) -> None:
        if self._proxy is None:
            self._proxy = create_proxy(drain)
        self._queue_microtask(self._proxy)


def _run_extensions(config: dict[str, Any], loader: Any) -> None:
    jquery = getattr(js.window, "jQuery", None) or jsnull
    for name, ext in (config.get("extensions") or {}).items():
        if callable(ext):
            try:
                ext(jquery, js.window.CXBus, loader.common)
            except Exception as exc:  # one broken extension must not stop the others
                js.console.error(f"cxkit: extension {name} failed: {error_text(exc)}")


def boot() -> Bus:
    """Start cxkit in this page; called by the loader's PyScript tag."""
    loader = getattr(js.window, "__cxkit")
    config = to_py_plain(loader.config) or {}
    bus = Bus(wake=MicrotaskWake())
    set_bus(bus)
    bridge = JsBridge(bus, loader)
    bridge.expose("CXBus", bus)

    services: list[Any] = []
    storage = CookieStorage() if config.get("webchat") else None  # it probes the cookie domain: only if used

    def join_page() -> None:
        # The page's queued calls and its extensions come in once App and QuickBus exist and
        # before App.ready: boot_app runs this as its extensions step, which keeps A.1's order.
        # boot_app only logs what its extensions step raises; a failure to join must also
        # reach the loader, which rejects the queued calls with it and reports it.
        try:
            for name in ("App", "QuickBus"):
                bridge.expose(name, bus.get_plugin(name))
            services.extend(_install_services(bus, config, bridge, storage))
        except Exception as exc:
            loader.fail(f"cxkit could not start its services: {error_text(exc)}")
            raise
        face = create_proxy(bridge)  # lives as long as the page, unless the loader refuses it
        if not loader.attachPython(face):
            face.destroy()
            raise RuntimeError("the loader gave up before Python was up")
        _run_extensions(config, loader)

    on_ready = config.get("onReady")

    def start_and_ready(_quickbus: Any) -> None:
        # After App.ready, as the original loads its services on it; the page's queued
        # subscriptions are attached by now, so they see everything a service publishes.
        if not start_services(services, loader.fail):
            return
        watch_cookies(lambda: _cookies_changed(services), storage)
        try:
            if callable(on_ready):
                on_ready(loader.config.bus)
        finally:
            loader.extensionFiles()  # the extensions given as script URLs, after onReady (spec A.1)

    booted = boot_app(bus, config, extensions=join_page, on_ready=start_and_ready)
    _track_visibility(booted.app)
    return bus


def _track_visibility(app: Any) -> None:
    """Keep ``App.data('pageHidden')`` (sleepEnabled uses it) and ``App.data('pageFocus')`` current,
    as the original App does. The listeners live as long as the page: their proxies are never destroyed."""
    app.data("pageHidden", bool(js.document.hidden))
    app.data("pageFocus", bool(js.document.hasFocus()))
    js.document.addEventListener(
        "visibilitychange", create_proxy(lambda _event: app.data("pageHidden", bool(js.document.hidden)))
    )
    focus = create_proxy(lambda event: app.data("pageFocus", event.type == "focus"))
    js.window.addEventListener("focus", focus)
    js.window.addEventListener("blur", focus)


def _cookies_changed(services: list[Any]) -> None:
    """Another tab may have started or ended a chat (`cxkit.webchat.tabs`)."""
    for service in services:
        try:
            cookies_changed(service)
        except Exception as exc:
            js.console.error(f"cxkit: a cookie change could not be handled: {error_text(exc)}")


def _install_services(bus: Bus, config: dict[str, Any], bridge: JsBridge,
                      storage: CookieStorage | None) -> list[Any]:
    installed = install_services(bus, config, storage=storage)
    for name, service in installed.items():
        bridge.expose(name, service.plugin)
    return list(installed.values())
