"""The JS face of the bus: the one object the loader calls into.

    >>> bridge = JsBridge(bus, loader)            # doctest: +SKIP
    >>> loader.attach(create_proxy(bridge))        # doctest: +SKIP

``widgets.js`` turns every ``CXBus`` / plugin-interface call into
``bridge.call(plugin, method, token, *args)``. A command's JS Deferred is known by an integer
token; when the Python Deferred settles, the bridge calls ``loader.settle(token, ok, *args)``.
A JS command handler is run by ``loader.invoke(fn, token, time, commander, command, data[,
caller, own])`` (``own``: the token of the page command whose own options object it gets) with
a JS Deferred that reports back through ``bridge.settle(token, ok, *args)``; a JS
subscriber gets its event object from ``loader.deliver(fn, time, publisher, event, data)``.
So no proxy is made per call: a JS function is held here as a JsProxy only while it is
subscribed, registered or intercepting (dropped on ``unsubscribe``), and everything sent to
JS is plain data.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import weakref
from collections.abc import Callable
from typing import Any

import js

from ..bus import Bus, Deferred
from ..bus.face import PROMISE_RESULT_MEMBERS
from .convert import calmed, error_text, to_js_plain, to_py_plain

__all__ = ["JsBridge", "ConsoleHandler"]

log = logging.getLogger("cxkit.browser")

_DEFERRED_METHODS = frozenset(PROMISE_RESULT_MEMBERS)
_PUBLISH_METHODS = frozenset(("publish", "publishDirect", "republish"))


class PageData(dict):
    """Event data page code published: Python's copy of it, which names the page's own object
    (``token``), so the page's JS subscribers get that very object, as with the original's bus
    (its class, its identity, its ``null``s). When this copy goes (the events delivered, a sticky
    one replaced), the page lets go of its object."""

    __slots__ = ("token", "__weakref__")
    token: int

    def __copy__(self) -> dict[str, Any]:  # a copy is not the page's object: a plain dict
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        return copy.deepcopy(dict(self), memo)

    def __reduce__(self) -> Any:
        return (dict, (dict(self),))


def _when_settled(future: asyncio.Future[Any], convert: Callable[[Any], Any]) -> Deferred:
    """A Deferred that settles as the page's Promise (a future) does, with its value converted;
    a rejection rejects it. A done callback, not a task: the page's call may come with no loop running."""
    deferred = Deferred()

    def settled(done: asyncio.Future[Any]) -> None:
        if done.cancelled() or done.exception() is not None:
            deferred.reject()
            return
        try:
            value = convert(done.result())
        except Exception:  # what cannot be read (a cycle) cancels the command, as a plain value would
            log.exception("cxkit: a before function's Promise gave options that cannot be read")
            deferred.reject()
            return
        deferred.resolve(value)

    future.add_done_callback(settled)
    return deferred


def _to_console(level: str, text: str) -> None:
    getattr(js.console, level)(text)


class ConsoleHandler(logging.Handler):
    """Python log records to the browser console (debug/info -> log, warning -> warn, error -> error);
    ``write(level, text)`` is where they go (a worker forwards them to the page's console)."""

    def __init__(self, write: Callable[[str, str], Any] = _to_console) -> None:
        super().__init__()
        self.write = write

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # a bad format string must not break the bus
            text = str(record.msg)
        level = "error" if record.levelno >= logging.ERROR else "warn" if record.levelno >= logging.WARNING else "log"
        self.write(level, text)


def install_console_logging(write: Callable[[str, str], Any] = _to_console) -> None:
    """Send cxkit's log records to the console through ``write(level, text)`` (once)."""
    root = logging.getLogger("cxkit")
    if not any(isinstance(h, ConsoleHandler) for h in root.handlers):
        handler = ConsoleHandler(write)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        root.propagate = False
        # The bus writes its debug lines only while configured with debug: true (A.2).
        logging.getLogger("cxkit.bus").setLevel(logging.DEBUG)


class JsBridge:
    """Dispatch calls from the JS face to the Python bus."""

    # How data goes to page functions and comes back: JS objects on the page's own thread; the
    # worker's bridge passes Python data through (its link converts each batch once).
    _to_page = staticmethod(to_js_plain)
    _from_page = staticmethod(to_py_plain)
    #: Do the page's arguments come as Python data already (the worker's JSON batches)?
    _args_are_python = False

    def __init__(self, bus: Bus, loader: Any) -> None:
        self.bus = bus
        self.loader = loader
        # Looked up once: a JsProxy attribute lookup costs about 2 us per call.
        self._settle_js = loader.settle
        self._invoke_js = loader.invoke
        self._deliver_js = loader.deliver
        self._forget_js = loader.forget
        self._handler_deferreds: dict[int, Deferred] = {}
        # The options each page command came with, by its token, until a JS handler gets them:
        # unchanged by any `before`, the handler gets the page's own object (see `_js_handler`).
        self._given: dict[int, Any] = {}
        self._calling = 0  # the page command the bus is running now, while it runs
        self._next_token = 0
        self._plugins: dict[str, Any] = {}
        install_console_logging()

    # -- called from JS -------------------------------------------------------------------
    def call(self, plugin: str | None, method: str, token: int, *args: Any) -> Any:
        try:
            if method == "command":  # the hot path (1,000s a second in a busy page): no generic dispatch
                target = self._plugins.get(plugin) if plugin else self.bus
                if target is not None:
                    if not self._args_are_python:
                        args = [to_py_plain(a) for a in args]  # type: ignore[assignment]
                    if token and len(args) > 1 and type(args[1]) is dict:
                        self._given[token] = args[1]
                    # a handler the bus runs at once (async: false) finds its page command here
                    outer, self._calling = self._calling, token
                    deferred = target.command(*args)
                    self._calling = outer
                    deferred._on_settle(self._settled, token)
                    return None
            return self._call(plugin, method, token, [to_py_plain(a) for a in args])
        except Exception as exc:  # a JS caller gets a console error, a command a rejection
            log.exception("cxkit: %s.%s failed", plugin or "CXBus", method)
            self._calling = 0
            self._given.pop(token, None)
            if token and method in _PUBLISH_METHODS:
                self._forget_js(token)
            elif token:
                self._settle_js(token, False, error_text(exc))
            return False

    def settle(self, token: int, ok: bool, *args: Any) -> None:
        deferred = self._handler_deferreds.pop(token, None)
        if deferred is None:
            return
        try:
            values = args if self._args_are_python else [to_py_plain(a) for a in args]
        except Exception as exc:  # a value that cannot be read (a getter that throws): the caller still hears
            log.exception("cxkit: a JS handler's answer could not be read")
            deferred.reject(error_text(exc))
            return
        (deferred.resolve if ok else deferred.reject)(*values)

    def settled_on_page(self, token: int, ok: bool) -> None:
        """JS handler ``token`` settled, and the page gave its values to the one waiting for
        them, a JS command of its own (`_js_handler` named it): no answer goes back, and no
        values cross (nothing here reads them)."""
        deferred = self._handler_deferreds.pop(token, None)
        if deferred is not None:
            deferred._unwatch()
            (deferred.resolve if ok else deferred.reject)()

    @property
    def given_options(self) -> int:
        """Page commands whose options are kept for a JS handler that has not run yet (leak checks)."""
        return len(self._given)

    @property
    def pending_handlers(self) -> int:
        """JS command handlers that have not settled yet (for leak checks)."""
        return len(self._handler_deferreds)

    # -- dispatch -----------------------------------------------------------------------
    def _target(self, plugin: str | None) -> Any:
        if not plugin:
            return self.bus
        # A plugin registered in Python answers too: `CXBus.getPluginInterface` (unlocked) names any.
        target = self._plugins.get(plugin) or self.bus.get_plugin(plugin)
        if target is None:
            raise LookupError(f"plugin {plugin!r} is not registered on this page")
        return target

    def expose(self, name: str, plugin: Any) -> None:
        """Give the JS face of ``name`` (e.g. ``QuickBus``) its Python plugin."""
        self._plugins[name] = plugin

    def _call(self, plugin: str | None, method: str, token: int, args: list[Any]) -> Any:
        if not plugin and method == "registerPlugin":
            registered = self.bus.registerPlugin(*args)
            if registered is False:
                return False
            self._plugins[args[0]] = registered
            return True
        target = self._target(plugin)
        if token and method in _PUBLISH_METHODS:
            if len(args) > 1 and type(args[1]) is dict:
                args[1] = data = PageData(args[1])
                data.token = token
                weakref.finalize(data, self._forget_js, token)
            else:  # not data Python copies (a class instance stays itself on the page's thread)
                self._forget_js(token)
        if method in _DEFERRED_METHODS:
            self._report(getattr(target, method)(*args), token)
            return None
        if method == "subscribe":
            return target.subscribe(args[0], self._js_subscriber(args[1]) if len(args) > 1 else None)
        if method == "registerCommand":
            return target.register_command(args[0], self._js_handler(args[1]) if len(args) > 1 else None)
        if method == "before":
            return target.before(args[0], self._js_interceptor(args[1]) if len(args) > 1 else None)
        return to_js_plain(getattr(target, method)(*args))

    def _report(self, deferred: Deferred, token: int) -> None:
        deferred._on_settle(self._settled, token)

    def _settled(self, token: int, resolved: bool, args: tuple) -> None:
        """The page's command `token` settled (one bound method for every command, no closures)."""
        self._given.pop(token, None)
        self._answer(token, resolved, args)

    def _answer(self, token: int, resolved: bool, args: tuple) -> None:
        """Settle the JS Deferred known by `token`. A value that cannot cross (a circular dict)
        rejects it with the error's text instead."""
        if not args:
            self._settle_js(token, resolved)
            return
        try:  # one value is the usual case: no list for it
            value = to_js_plain(args[0]) if len(args) == 1 else [to_js_plain(v) for v in args]
        except Exception as exc:
            log.exception("cxkit: a command's result cannot be converted to JS")
            self._settle_js(token, False, error_text(exc))
            return
        if len(args) == 1:
            self._settle_js(token, resolved, value)
        else:
            self._settle_js(token, resolved, *value)

    # -- wrapping JS functions (the JsProxy lives exactly as long as the wrapper) -----------
    def _js_subscriber(self, fn: Any) -> Any:
        if not callable(fn):
            return fn
        deliver_js, to_page = self._deliver_js, self._to_page

        def deliver(event: Any) -> None:
            data = event.data
            if type(data) is PageData:  # the page has the very object: no copy crosses
                deliver_js(fn, float(event.time), event.publisher, event.event, None, data.token)
            else:
                deliver_js(fn, float(event.time), event.publisher, event.event, to_page(data))

        deliver.js_function = fn  # type: ignore[attr-defined]
        return deliver

    def _js_handler(self, fn: Any) -> Any:
        if not callable(fn):
            return fn
        invoke_js, to_page = self._invoke_js, self._to_page
        waiting, settled, given, befores = self._handler_deferreds, self._settled, self._given, self.bus._before

        def handle(e: Any) -> None:
            self._next_token += 1
            token = self._next_token
            deferred = waiting[token] = e.deferred
            caller = deferred._sole_watch(settled)  # a page command only the page waits for
            sent = deferred._watch_tag(settled)  # the page command, whoever else waits for it
            mine = given.pop(sent, None) if sent else None  # its one handler takes its options
            if not sent and self._calling and given.get(self._calling) is e.data:  # run at once (async: false)
                sent = self._calling
                mine = given.pop(sent)
            if mine is not None and mine is e.data and not befores.get(e.command):
                # The page's own options, untouched by any `before`: the handler gets that very
                # object (its class, its identity, what it changes), as with the original's bus.
                invoke_js(fn, token, float(e.time), e.commander, e.command, None, caller or 0, sent)
                return
            # Command data is always a mapping; an empty one goes as None and the loader makes the {}.
            # The time goes as a float: the same JS number, but an int above 2**31 crosses slower.
            args = [fn, token, float(e.time), e.commander, e.command, to_page(e.data) if e.data else None]
            if caller:  # the page settles that command itself
                args.append(caller)
            invoke_js(*args)

        return handle

    def _js_interceptor(self, fn: Any) -> Any:
        if not callable(fn):
            return fn

        to_page, from_page = self._to_page, self._from_page
        fn = calmed(fn)  # on the page's thread: a Promise it returns settles

        def intercept(options: Any) -> Any:
            result = fn(to_page(options))
            if asyncio.isfuture(result):  # a Promise: Pyodide hands it to Python as a future
                return _when_settled(result, from_page)  # the command goes on once it settles, as from the worker
            return from_page(result)

        return intercept
