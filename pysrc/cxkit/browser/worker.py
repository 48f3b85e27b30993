"""cxkit in a Web Worker: the bus and the WebChatService, with the page's main thread as a peer.

    // cxkit/web/worker.mjs, once Pyodide is up (the page's cxkit/web/link.mjs is the other end):
    receive = py.pyimport("cxkit.browser.worker").start(init, post)

The main thread sends batches (``[seq, flags, ops]`` or ``[seq, flags, ops, cookie]`` as
JSON text, or ``{seq, flags, ops, cookie?}`` as structured-clone data when they hold Files,
Dates, undefined properties or shared objects; ``flags``: 1 the ops may hold handles, 2 a part
of a burst whose last part follows, until which the bus runs nothing; ``cookie`` when
``document.cookie`` changed since the last batch, so other tabs' writes reach the
WebChatService: `cxkit.webchat.tabs`) and receives lists of ops, one message per microtask each
way (a burst in parts of 100 ops). Ops to the page are JSON text, made by the C
encoder as each op is sent (the page parses a batch with one ``JSON.parse``); an op holding a JS
object (a File, a Blob) or a value JSON cannot write crosses as structured-clone data instead.
A batch from the page is run whole, then the bus calls it queued, then the answers go back: one
message in, one out. Start-up, as the original App orders it: App and QuickBus exist -> ``up``
(the page replays its queued calls: everything but commands, then ``services`` starts the
WebChatService, then the commands) -> the page runs its extensions -> ``go``: ``App.ready``
(sticky), ``App.data('ready')``, then ``onReady(QuickBus)`` on the page.

JS functions and DOM elements stay on the page: here they are `RemoteFunction` and
`RemoteElement` handles. After each change a synchronous reader could see (`Bus.watch`), the
page gets the bus's `Bus.state` to answer ``registerPlugin``, ``data()``, ``subscribers()``
and ``registry()`` at once.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from time import perf_counter
from typing import Any

import js
from pyodide.ffi import create_proxy

from ..bus import Bus, Deferred, install_app, install_quickbus, mark_app_ready, publish_app_ready, set_bus
from ..webchat.install import start_services
from ..webchat.tabs import cookies_changed
from .boot import MicrotaskWake
from .bridge import JsBridge, install_console_logging
from .convert import error_text, from_json, to_js_plain, to_json, to_py_plain
from .cookies import WorkerCookies
from .fetch import PageAddress
from .handles import RemoteElement, RemoteFunction, handle_of
from .services import install_services, page_info

__all__ = ["WorkerLink", "start"]

log = logging.getLogger("cxkit.browser")


class BatchWake(MicrotaskWake):
    """The bus's wake-up: a microtask, except while a batch from the page is being run, after
    which `Worker.receive` drains the bus itself (no JS call per batch for it)."""

    def __init__(self) -> None:
        super().__init__()
        self.holding = False
        self.woken = False

    def __call__(self, drain: Callable[[], None]) -> None:
        if self.holding:
            self.woken = True
        else:
            super().__call__(drain)


#: Ops to the page go as soon as this many are waiting (a burst of answers: the page runs the
#: first ones while this thread makes the rest), else at the end of the microtask.
POST_EVERY = 100


class WorkerLink:
    """Ops to the page, one ``post`` per microtask (or per `POST_EVERY` ops), with the bus's
    state when it changed."""

    def __init__(self, post: Callable[[Any], Any], bus: Bus) -> None:
        self._post = post
        self._bus = bus
        self._out: list[Any] = []
        self._mixed = False  # does _out hold an op as JS data (not JSON text)?
        self._drops: list[int] = []
        self._due = False
        self._flush = create_proxy(self.flush)  # one proxy for the worker's lifetime
        self._asks: dict[int, Deferred] = {}
        self._asked = 0
        self._mirrored = (-1, -1)
        self.seq = 0  # the page's count of its own mirror changes, as last received
        self.handles = True  # may the batch being run hold handles? (the page says)
        self.elements: weakref.WeakValueDictionary[int, RemoteElement] = weakref.WeakValueDictionary()

    def send(self, *op: Any) -> None:
        """Queue ``op`` for the page; converted now, so a value that cannot cross raises here."""
        out = self._out
        out.append(self._encoded(op))
        if not self._due:
            self.schedule()
        elif len(out) >= POST_EVERY:
            self._post_out()

    def _encoded(self, op: tuple[Any, ...]) -> Any:
        """``op`` as JSON text, or as JS data when JSON cannot carry it (raises if neither can)."""
        try:
            return to_json(op)
        except (TypeError, ValueError):
            value = to_js_plain(list(op))
            self._mixed = True
            return value

    def drop(self, handle: int) -> None:
        self._drops.append(handle)
        self.schedule()

    def ask(self, handle: int, args: list[Any], op: str = "call") -> Deferred:
        """Call the page's function ``handle`` (op "read": element ``handle``'s value) -> ``(value, args)``."""
        self._asked += 1
        deferred = self._asks[self._asked] = Deferred()
        try:
            self.send(op, self._asked, handle, args)
        except Exception:  # nothing will answer it
            del self._asks[self._asked]
            raise
        return deferred

    def answer(self, reply: int, ok: bool, value: Any, args: Any) -> None:
        deferred = self._asks.pop(reply, None)
        if deferred is not None:
            deferred.resolve(value, args) if ok else deferred.reject(value)

    def schedule(self) -> None:
        if not self._due:
            self._due = True
            js.queueMicrotask(self._flush)

    def hold(self) -> None:
        """Until `flush`, sends wait without scheduling one (the caller flushes)."""
        self._due = True

    def flush(self) -> None:
        self._due = False
        self._post_out()

    def _post_out(self) -> None:
        if self._drops:  # swapped out first: a stand-in collected while encoding goes in the next one
            drops, self._drops = self._drops, []
            self._out.append(to_json(("drop", drops)))
        if (self.seq, self._bus.version) != self._mirrored:
            # First: page code run by the ops after it (onReady, a handler) reads the bus as it is now.
            self._mirrored = (self.seq, self._bus.version)
            try:
                self._out.insert(0, self._encoded(("mirror", self.seq, self._bus.state())))
            except Exception:
                log.exception("cxkit: the bus's state could not be sent to the page")
        ops, self._out, mixed, self._mixed = self._out, [], self._mixed, False
        if not ops:
            return
        try:
            if not mixed:  # the usual case: one string, one JSON.parse on the page
                self._post("[" + ",".join(ops) + "]")
            else:  # some ops are JS data: the page parses the others one by one
                self._post(to_js_plain(ops))
        except Exception:  # the page must still hear of the next batch
            log.exception("cxkit: a message to the page could not be sent")

    def decode(self, value: Any, made: dict[Any, Any] | None = None) -> Any:
        """Plain data from the page with its handles made stand-ins: one per handle, also where
        a shared object holds it twice (each stand-in drops its handle on the page when it goes);
        a shared or cyclic object (structured-clone data) is copied once, its cycles kept."""
        if not self.handles:
            return value
        kind = type(value)
        if kind is not dict and kind is not list:
            return value
        made = {} if made is None else made
        if ("c", id(value)) in made:
            return made["c", id(value)]
        if kind is dict:
            if "__cxkit" in value:
                number = int(value["id"])
                if number not in made:
                    made[number] = handle_of(self, value, self.elements)
                return made[number]
            copy: dict[str, Any] = {}
            made["c", id(value)] = copy
            copy.update((k, self.decode(v, made)) for k, v in value.items())
            return copy
        items: list[Any] = []
        made["c", id(value)] = items
        items.extend(self.decode(v, made) for v in value)
        return items


class _WorkerBridge(JsBridge):
    """The bridge with the page in another thread: values go to the link as Python data, which
    converts each op once, instead of being made JS objects one by one."""

    _args_are_python = True

    def _settled(self, token: int, resolved: bool, args: tuple) -> None:  # inline: the hot path
        self._given.pop(token, None)
        send = self.loader.send
        try:
            send("settle", token, resolved, list(args))
        except Exception as exc:  # a value that cannot cross (a cycle) rejects the command instead
            log.exception("cxkit: a command's result cannot be sent to the page")
            send("settle", token, False, [error_text(exc)])

    @staticmethod
    def _to_page(value: Any) -> Any:
        return value

    @staticmethod
    def _from_page(value: Any) -> Any:
        return value


class _Page:
    """Stands in for the loader the main-thread bridge calls (``settle``, ``invoke``, ``deliver``)."""

    def __init__(self, link: WorkerLink) -> None:
        self.send = link.send

    def settle(self, token: int, ok: bool, *args: Any) -> None:
        self.send("settle", token, ok, list(args))

    def invoke(self, fn: RemoteFunction, token: int, time: float, commander: str, command: str, data: Any,
               caller: int = 0, own: int = 0) -> None:
        # own: the page still holds that command's own options, so no data goes back
        tail = (None, caller, own) if own else (data, caller) if caller else (data,)
        self.send("invoke", fn.id, token, time, commander, command, *tail)

    def deliver(self, fn: RemoteFunction, time: float, publisher: str, event: str, data: Any, own: int = 0) -> None:
        self.send("deliver", fn.id, time, publisher, event, data, *((own,) if own else ()))

    def forget(self, own: int) -> None:
        self.send("forget", own)


class _JsPreprocessor:
    """A pre-processor the page gave as a JS function: it runs on the page, on a copy of the
    message, and what it changed there is copied into ``message`` (the original's in-place
    rule). It answers later, so the service waits for it. Back in JS it is the page's function."""

    answers_later = True

    def __init__(self, fn: RemoteFunction) -> None:
        self.fn = self.js_function = fn

    async def __call__(self, message: dict[str, Any]) -> None:
        _value, args = await self.fn.edit(message)
        if args and isinstance(args[0], dict):
            message.clear()
            message.update(args[0])

    def to_dict(self) -> dict[str, Any]:
        return self.fn.to_dict()


class Worker:
    """One page's cxkit: the ops the page sends, and the start-up steps."""

    def __init__(self, init: dict[str, Any], post: Callable[[Any], Any]) -> None:
        self.wake = BatchWake()
        bus = self.bus = Bus(wake=self.wake)
        set_bus(bus)
        link = self.link = WorkerLink(post, bus)
        install_console_logging(lambda level, text: link.send("log", level, text))
        bus.watch(link.schedule)
        self.config = link.decode(init.get("config")) or {}
        self.page = init.get("page") or {}
        url = str(self.page.get("url") or "")
        self.address = PageAddress(url, str(self.page.get("base") or url), str(self.page.get("referrerPolicy") or ""))
        self.test_hook = bool(init.get("testHook"))
        self.storage = WorkerCookies(str(self.page.get("cookie") or ""), str(self.page.get("cookieDomain") or ""),
                                     link.send)
        self.bridge = _WorkerBridge(bus, _Page(link))
        self.bridge.expose("CXBus", bus)
        self.app = install_app(bus, self.config)
        self.bridge.expose("App", self.app)
        self.bridge.expose("QuickBus", install_quickbus(bus))
        self.app.data("pageHidden", bool(self.page.get("hidden")))
        self.app.data("pageFocus", bool(self.page.get("focused")))
        self.started: list[Any] = []
        self.failed = False  # the page was told the boot failed: no App.ready, no onReady
        #: Seconds this thread spent on the page's batches, their bus work and answers (bench/bus.py)
        self.busy_s = 0.0
        self.ops: dict[str, Callable[..., Any]] = {
            "call": self.call, "settle": self.settle, "reply": self.reply, "services": self.services,
            "go": self.go, "input": self.input, "hidden": self.hidden, "focus": self.focus, "cookies": self.cookies,
            "exec": self.exec, "heard": self.heard, "page": self.moved,
        }
        link.send("up")

    def receive(self, batch: Any) -> None:
        link, wake = self.link, self.wake
        more = False  # a part of a burst: the bus waits for its last part
        started = perf_counter()
        link.hold()
        try:
            wake.holding = True
            try:
                more, ops = self._read(batch)
                for op in ops:
                    try:
                        self.ops[op[0]](*op[1:])
                    except Exception:
                        log.exception("cxkit: the page's %r could not be handled", op[0])
            except Exception:  # a batch that cannot be read still ends a burst: the bus must not stay held
                log.exception("cxkit: a message from the page could not be read")
            finally:
                wake.holding = more
            if wake.woken and not more:  # what the batch queued on the bus runs now, and its answers go in this flush
                wake.woken = False
                self.bus.flush()
        finally:
            link.handles = True
            link.flush()
            self.busy_s += perf_counter() - started

    def _read(self, batch: Any) -> tuple[bool, Any]:
        """The batch's ops, and whether more parts of its burst follow; its cookies applied."""
        link = self.link
        if type(batch) is str:  # JSON text: [seq, flags, ops] or [seq, flags, ops, cookie]
            message = from_json(batch)
            link.seq, flags, ops = message[0], message[1], message[2]
            if len(message) > 3:  # before the ops: a startChat in this batch sees the other tab's lock or chat
                self.cookies(str(message[3]))
        else:  # structured-clone data: {seq, flags, ops, cookie?}
            message = to_py_plain(batch)
            link.seq = message.get("seq", link.seq)
            flags = message.get("flags", 1)
            ops = message.get("ops") or ()
            if message.get("cookie") is not None:
                self.cookies(str(message["cookie"]))
        link.handles = bool(flags & 1)  # may hold handles
        return bool(flags & 2), ops

    def cookies(self, text: str, confirmed: int | None = None) -> None:
        """The page's cookies as they are now (after our write ``confirmed``): other tabs'
        writes are among them, so the services hear of every change (`cxkit.webchat.tabs`)."""
        self.storage.refresh(text, confirmed)
        self._cookies_changed()

    def _cookies_changed(self) -> None:
        for service in self.started:
            try:
                cookies_changed(service)
            except Exception:
                log.exception("cxkit: a cookie change could not be handled")

    def heard(self, changes: list[list[Any]]) -> None:
        """A cookie change event's own values (see `WorkerCookies`); the services hear of it."""
        self.storage.hear(changes)
        self._cookies_changed()

    def call(self, plugin: str, method: str, token: int, args: list[Any]) -> None:
        self.bridge.call(plugin, method, token, *(self.link.decode(args) if self.link.handles else args))

    def settle(self, token: int, ok: bool, args: list[Any], relayed: int = 0) -> None:
        if relayed:
            self.bridge.settled_on_page(token, ok)
        else:
            self.bridge.settle(token, ok, *(self.link.decode(args) if self.link.handles else args))

    def reply(self, reply: int, ok: bool, value: Any, args: Any) -> None:
        self.link.answer(reply, ok, self.link.decode(value), self.link.decode(args))

    def services(self) -> None:
        page, address = self.page, self.address  # the URL is the address's (a single-page app moves it)
        try:
            plugins = install_services(
                self.bus, self.config, storage=self.storage,
                info=lambda: page_info(address.url, str(page.get("referrer") or ""), str(page.get("title") or "")),
                save=lambda blob, name: self.link.send("download", blob, name),
                adapters={"registerPreProcessor": _preprocessor}, address=self.address,
            )
        except Exception as exc:
            log.exception("cxkit: the services could not start")
            self.link.send("failed", f"cxkit could not start its services: {error_text(exc)}")
            self.failed = True
            return
        for name, service in plugins.items():
            self.bridge.expose(name, service.plugin)
        self.started = list(plugins.values())

    def go(self) -> None:
        """After the page's extensions: App.ready, the services start (as the original's load
        on App.ready), then the page's onReady."""
        if self.failed:
            return
        publish_app_ready(self.app, self.config)
        mark_app_ready(self.app)
        if start_services(self.started, lambda reason: self.link.send("failed", reason)):
            self.link.send("onReady")

    def moved(self, url: str, base: str, title: str) -> None:
        """A single-page app changed its URL or title: later requests and chats say so."""
        self.page["title"] = title
        self.address.url, self.address.base = url, base

    def input(self, handle: int, value: str) -> None:
        element = self.link.elements.get(handle)
        if element is not None:
            element.typed(value)

    def hidden(self, hidden: bool) -> None:
        self.app.data("pageHidden", bool(hidden))

    def focus(self, focused: bool) -> None:
        self.app.data("pageFocus", bool(focused))

    def exec(self, reply: int, source: str) -> None:
        """Test pages only (``testHook``): run ``source`` with ``bus`` in scope; ``result`` comes back."""
        if not self.test_hook:
            self.link.send("reply", reply, False, "the test hook is off", None)
            return
        scope = self._scope = getattr(self, "_scope", None) or {"bus": self.bus, "js": js, "worker": self}
        scope.pop("result", None)
        try:
            exec(source, scope)
        except Exception as exc:
            self.link.send("reply", reply, False, error_text(exc), None)
        else:
            try:
                self.link.send("reply", reply, True, scope.get("result"), None)
            except Exception as exc:  # a result that cannot cross (a cycle): the page still hears
                self.link.send("reply", reply, False, error_text(exc), None)


def _preprocessor(options: Any) -> Any:
    fn = options.get("preprocessor") if isinstance(options, dict) else None
    if isinstance(fn, RemoteFunction):
        options = {**options, "preprocessor": _JsPreprocessor(fn)}
    return options


def start(init: Any, post: Any) -> Any:
    """Start cxkit in this worker; returns the function the worker script hands the page's messages to."""
    worker = Worker(to_py_plain(init), post)
    return create_proxy(worker.receive)
