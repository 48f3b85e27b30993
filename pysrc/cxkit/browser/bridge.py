"""The JS face of the bus: the one object the loader calls into.

    >>> bridge = JsBridge(bus, loader)            # doctest: +SKIP
    >>> loader.attach(create_proxy(bridge))        # doctest: +SKIP

``widgets.js`` turns every ``CXBus`` / plugin-interface call into
``bridge.call(plugin, method, args, token)``. A command's JS Deferred is known by an integer
token; when the Python Deferred settles, the bridge calls ``loader.settle(token, ok, args)``.
A JS command handler gets a JS Deferred from ``loader.invoke`` that reports back through
``bridge.settle``. So no proxy is made per call: JS functions arrive here as JsProxy
objects (released with them), and everything sent to JS is plain data.
"""

from __future__ import annotations

import logging
from typing import Any

from ..bus import Bus, Deferred
from .convert import error_text, to_js_plain, to_py_plain

__all__ = ["JsBridge"]

log = logging.getLogger("cxkit.browser")


class JsBridge:
    """Dispatch calls from the JS face to the Python bus."""

    def __init__(self, bus: Bus, loader: Any) -> None:
        self.bus = bus
        self.loader = loader
        self._handler_deferreds: dict[int, Deferred] = {}
        self._next_token = 0
        self._plugins: dict[str, Any] = {}

    # -- called from JS -------------------------------------------------------------------
    def call(self, plugin: str | None, method: str, args: Any, token: int) -> Any:
        try:
            return self._call(plugin, method, [to_py_plain(a) for a in args], token)
        except Exception as exc:  # a JS caller gets a console error, a command a rejection
            log.exception("cxkit: %s.%s failed", plugin or "CXBus", method)
            if token:
                self.loader.settle(token, False, to_js_plain([error_text(exc)]))
            return False

    def settle(self, token: int, ok: bool, args: Any) -> None:
        deferred = self._handler_deferreds.pop(token, None)
        if deferred is None:
            return
        values = [to_py_plain(a) for a in args]
        (deferred.resolve if ok else deferred.reject)(*values)

    # -- dispatch -----------------------------------------------------------------------
    def _target(self, plugin: str | None) -> Any:
        if not plugin:
            return self.bus
        target = self._plugins.get(plugin)
        if target is None:
            raise LookupError(f"plugin {plugin!r} is not registered on this page")
        return target

    def expose(self, name: str, plugin: Any) -> None:
        """Give the JS face of ``name`` (e.g. ``QuickBus``) its Python plugin."""
        self._plugins[name] = plugin

    def _call(self, plugin: str | None, method: str, args: list[Any], token: int) -> Any:
        if not plugin and method == "registerPlugin":
            registered = self.bus.register_plugin(*args)
            if registered is False:
                return False
            self._plugins[args[0]] = registered
            return True
        target = self._target(plugin)
        if method in ("command", "loadPlugin", "loadModule", "loadFile"):
            deferred = getattr(target, method)(*args)
            self._report(deferred, token)
            return None
        if method == "subscribe":
            return target.subscribe(args[0], self._js_subscriber(args[1]) if len(args) > 1 else None)
        if method == "registerCommand":
            return target.register_command(args[0], self._js_handler(args[1]))
        if method == "before":
            return target.before(args[0], self._js_interceptor(args[1]))
        return to_js_plain(getattr(target, method)(*args))

    def _report(self, deferred: Deferred, token: int) -> None:
        settle = self.loader.settle
        deferred.done(lambda *a: settle(token, True, to_js_plain(list(a))))
        deferred.fail(lambda *a: settle(token, False, to_js_plain(list(a))))

    # -- wrapping JS functions --------------------------------------------------------------
    def _js_subscriber(self, fn: Any) -> Any:
        if not callable(fn):
            return fn

        def deliver(event: Any) -> None:
            fn(to_js_plain({"time": event.time, "publisher": event.publisher,
                            "event": event.event, "data": event.data}))

        deliver.js_function = fn  # type: ignore[attr-defined]
        return deliver

    def _js_handler(self, fn: Any) -> Any:
        if not callable(fn):
            return fn
        invoke = self.loader.invoke

        def handle(e: Any) -> None:
            self._next_token += 1
            token = self._next_token
            self._handler_deferreds[token] = e.deferred
            event = {"time": e.time, "commander": e.commander, "command": e.command, "data": e.data}
            invoke(fn, to_js_plain(event), token)

        return handle

    def _js_interceptor(self, fn: Any) -> Any:
        def intercept(options: Any) -> Any:
            return to_py_plain(fn(to_js_plain(options)))

        return intercept
