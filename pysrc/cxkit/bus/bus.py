"""The bus: one per page. Registry, command dispatch, event delivery, stickiness (A.1-A.5).

    >>> from cxkit.bus import Bus
    >>> bus = Bus()
    >>> page = bus.register_plugin("Page")
    >>> page.subscribe("Clock.tick", lambda e: print(e.publisher, e.event, e.data))
    'Clock.tick'
    >>> bus.register_plugin("Clock").publish("tick", {"n": 1})
    Clock Clock.tick {'n': 1}
    True

Handlers and deliveries go through a FIFO queue. `Bus(wake=fn)` is told `fn(drain)` each time the
queue stops being empty (the browser passes JS `queueMicrotask`). Without `wake`, the queue drains
on the running asyncio loop (`call_soon`), or, with no loop, at the end of the outermost bus call.

Deliberate differences from Genesys Widgets 9.0.018.07:
- an unknown command on a ready plugin rejects with "Command does not exist" (the original's
  promise stays pending forever);
- a handler that raises rejects its command (handlers.py says how); a `before` function that
  raises cancels the command;
- `subscribers()` matches events by the "<namespace>." prefix, not by a regular expression;
- delivery costs one host tick (a microtask in the browser), not a 0 ms setTimeout.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from .config import DEFAULT_CONFIG, option_changes
from .deferred import Deferred
from .errors import RegistrationRefused
from .events import BusEvent, CommandEvent, now_ms
from .handlers import deliver, resolve_command, run_command_handler
from .loader import PluginLoader
from .master import Master
from .messages import CANCELLED_BY_BEFORE, COMMAND_DOES_NOT_EXIST, PLUGIN_LOAD_FAILED
from .plugin import MISSING, Plugin
from .scheduler import CallQueue, Wake

__all__ = ["Bus", "Master", "PluginFactory"]

logger = logging.getLogger("cxkit.bus")
P = TypeVar("P", bound=Plugin)

#: ``factory(bus)`` registers its plugin and calls ready(); it may be async or return a Deferred.
PluginFactory = Callable[["Bus"], "Awaitable[Any] | Deferred | None"]

class Bus:
    """CXBus: plugins, commands, events, Deferreds. Its own plugin "CXBus" backs command/subscribe/data.

    >>> Bus().command("Nobody.here").state()  # no plugin and no factory for it
    'rejected'"""

    def __init__(self, *, wake: Wake | None = None) -> None:
        self.config: dict[str, Any] = dict(DEFAULT_CONFIG)
        self._debug = False
        self._depth = 0
        self._sync_due = False
        self._queue = CallQueue(wake if wake is not None else self._default_wake)
        self._schedule: Callable[..., None] = self._queue.push
        self._plugins: dict[str, Plugin] = {}
        self._subscribers: dict[str, list[tuple[str, Callable[..., Any]]]] = {}
        self._sticky: dict[str, tuple[str, Any]] = {}
        self._before: dict[str, list[Callable[[Any], Any]]] = {}
        self._locked = False
        self._master_taken = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loader: PluginLoader[Bus] = PluginLoader(self)
        self._modules: dict[str, Any] = {}
        self.version = 0
        self._watcher: Callable[[], None] | None = None
        self.plugin: Plugin = self._register("CXBus", Plugin)

    # -- global members (A.1) --------------------------------------------------------------------

    def register_plugin(self, name: str) -> Plugin:
        """A new plugin interface; raises `RegistrationRefused` for a taken name or a locked registry.

        A name that is not a string raises TypeError. `registerPlugin` answers False instead."""
        return self._register(name, Plugin)

    def registerPlugin(self, name: Any) -> Plugin | bool:
        """The original's `registerPlugin`: the plugin interface, or False when refused."""
        try:
            return self._register(name, Plugin)
        except (RegistrationRefused, TypeError):
            return False

    def register_master(self) -> Master | None:
        """`{lock, unlock, config}` for the first caller; None afterwards."""
        if self._master_taken:
            return None
        self._master_taken = True
        return Master(self._set_locked, self.configure)

    registerMaster = register_master

    def register_plugin_factory(self, name: str, factory: PluginFactory) -> None:
        """Make `name` loadable: `factory(bus)` registers the plugin and calls ready() (may be async)."""
        self._loader.register(name, factory)

    registerPluginFactory = register_plugin_factory

    def load_plugin(self, name: str) -> Deferred:
        """Load a plugin through its factory. Rejects with no reason when the name (any case) is taken or was loaded."""
        self._depth += 1
        try:
            return self._loader.load(name)
        finally:
            self._leave()

    loadPlugin = load_plugin

    def register_module(self, name: str, factory: Any) -> bool:
        """Register a module factory (A.8); the first registration of a name wins."""
        if not isinstance(name, str) or name in self._modules:
            return False
        self._modules[name] = factory
        return True

    registerModule = register_module

    def load_module(self, name: str) -> Deferred:
        """Resolve with a registered module's factory; modules are never fetched, so otherwise reject."""
        deferred = Deferred()
        if name in self._modules:
            return deferred.resolve(self._modules[name])
        return deferred.reject(f"Could not load module file: {name}")

    loadModule = load_module

    def configure(self, options: Mapping[str, Any] | None = None, /, **kw: Any) -> dict[str, Any]:
        """Set A.2 options: `configure(debug=True, async_=False)` or `configure({"async": False})`."""
        self.config.update(option_changes(options, kw))
        self._debug = bool(self.config["debug"])
        self._schedule = self._queue.push if self.config["async"] else _call_now
        return dict(self.config)

    def command(self, name: str, options: Any = None, /, **kw: Any) -> Deferred:
        """Run a command as the "CXBus" plugin."""
        return self.plugin.command(name, options, **kw)

    def subscribe(self, event: str, fn: Callable[..., Any]) -> str | bool:
        """Subscribe as the "CXBus" plugin."""
        return self._subscribe(self.plugin, event, fn)

    def on(self, event: str) -> Callable[[Any], Any]:
        """Decorator: subscribe as the "CXBus" plugin."""
        return self.plugin.on(event)

    def data(self, key: str | None = None, value: Any = MISSING) -> Any:
        """The "CXBus" plugin's data store; `data("Other.key")` reads another plugin's value."""
        return self.plugin.data(key, value)

    def registry(self) -> dict[str, dict[str, list[str]]]:
        """`{plugin: {"events": [...], "commands": [...]}}`."""
        return {
            name: {"events": list(p._events), "commands": list(p._commands)}
            for name, p in self._plugins.items()
        }

    def watch(self, fn: Callable[[], None] | None) -> None:
        """Call ``fn()`` after each change a synchronous reader sees: a plugin registered, a
        subscription, a command or event name declared, a data value (``version`` counts them).
        The worker glue uses it to keep the page's mirror of `state()` current."""
        self._watcher = fn

    def state(self) -> dict[str, Any]:
        """What the bus answers synchronously, as plain data: ``names`` (registered plugins),
        ``subs`` (``{event: [subscriber names]}``), ``data`` (``{plugin: {key: value}}``), ``registry``."""
        return {
            "names": {name: 1 for name in self._plugins},
            "subs": {event: [name for name, _ in handlers]
                     for event, handlers in self._subscribers.items() if handlers},
            "data": {name: p.data() for name, p in self._plugins.items() if p._data},
            "registry": self.registry(),
        }

    def _changed(self) -> None:
        self.version += 1
        if self._watcher is not None:
            self._watcher()

    def get_plugin(self, name: str) -> Plugin | None:
        """The registered plugin interface called `name` (the original's unlocked getPluginInterface)."""
        return self._plugins.get(name)

    getPluginInterface = get_plugin

    def flush(self) -> None:
        """Run everything queued now (tests, and hosts that want to drain eagerly)."""
        self._queue.drain()

    @property
    def pending(self) -> int:
        """How many queued calls wait for the next drain."""
        return len(self._queue)

    def census(self) -> dict[str, int]:
        """How many things the bus holds, table by table (for leak checks).

        A page that subscribes and unsubscribes, or sends commands, comes back to the same counts.

            >>> bus = Bus()
            >>> before = bus.census()
            >>> p = bus.register_plugin("Census")
            >>> _ = p.subscribe("Census.ping", print); _ = p.unsubscribe("Census.ping")
            >>> {k: v for k, v in bus.census().items() if v != before[k]}
            {'plugins': 2}
        """
        return {
            "plugins": len(self._plugins),
            "subscribers": sum(len(handlers) for handlers in self._subscribers.values()),
            "interceptors": sum(len(fns) for fns in self._before.values()),
            "sticky": len(self._sticky),
            "tasks": len(self._tasks),
            "queued": len(self._queue),
        }

    # -- registration ----------------------------------------------------------------------------

    def _register(self, name: Any, cls: type[P]) -> P:
        if not isinstance(name, str):
            raise TypeError(f"a plugin name must be a string, not {type(name).__name__}")
        if self._locked or name in self._plugins:
            self._log("registration refused: %r", name)
            raise RegistrationRefused(name, "locked" if self._locked else "taken")
        plugin = cls(self, name)
        plugin._commands.update(
            COMMANDS=self._list_registry_command,
            EVENTS=self._list_registry_command,
            LOAD=resolve_command,
        )
        self._plugins[name] = plugin
        self._changed()
        self._log("registered plugin %s", name)
        return plugin

    def _set_locked(self, locked: bool) -> None:
        self._locked = locked

    def _list_registry_command(self, e: CommandEvent) -> None:
        name = e.command.partition(".")[0]
        self._log("registry of %s: %r", name, self.registry().get(name))
        e.deferred.resolve()

    # -- commands (A.5) --------------------------------------------------------------------------

    def _command(self, commander: Plugin, name: str, options: Any, intercept: bool) -> Deferred:
        deferred = Deferred()
        self._depth += 1
        try:
            if "." not in name:
                name = f"{commander._name}.{name}"
            if options is None or (not options and not isinstance(options, Mapping)):
                options = {}
            if self._debug:
                self._log("%s commands %s %r", commander._name, name, options)
                deferred.fail(lambda *args: logger.error("Error (%s): %s", name, args[0] if args else None))
            interceptors = self._before.get(name) if intercept else None
            if interceptors:
                self._intercept(commander, name, options, deferred, list(interceptors), 0)
            elif type(options) is dict or isinstance(options, Mapping):  # a dict needs no ABC check
                self._dispatch(commander, name, options, deferred)
            else:
                self._schedule(deferred.reject, CANCELLED_BY_BEFORE)
        finally:
            self._leave()
        return deferred

    def _intercept(self, commander: Plugin, name: str, options: Any, deferred: Deferred,
                   interceptors: list[Callable[[Any], Any]], start: int) -> None:
        """Run the `before` functions from ``start`` on. One that answers later (a JS function
        on the page's main thread, seen from the worker) returns a Deferred: the chain goes on
        when it settles, with its value as the options (a rejection cancels the command)."""
        for index in range(start, len(interceptors)):
            if not isinstance(options, Mapping):
                break
            try:
                options = interceptors[index](options)
            except Exception:
                logger.exception("'before' function for %s raised", name)
                options = None
                break
            if isinstance(options, Deferred):
                def resume(*args: Any, _next: int = index + 1) -> None:
                    self._resume(commander, name, args[0] if args else None, deferred, interceptors, _next)

                options.done(resume).fail(lambda *_: self._resume(commander, name, None, deferred, [], 0))
                return
        if isinstance(options, Mapping):
            self._dispatch(commander, name, options, deferred)
        else:
            self._schedule(deferred.reject, CANCELLED_BY_BEFORE)

    def _resume(self, commander: Plugin, name: str, options: Any, deferred: Deferred,
                interceptors: list[Callable[[Any], Any]], start: int) -> None:
        self._depth += 1
        try:
            self._intercept(commander, name, options, deferred, interceptors, start)
        finally:
            self._leave()

    def _dispatch(self, commander: Plugin, name: str, options: Any, deferred: Deferred) -> None:
        target = self._plugins.get(name.partition(".")[0])
        if target is None:
            self._load_and_dispatch(commander, name, options, deferred)
        elif target._ready or commander is target:
            self._invoke(target, commander, name, options, deferred)
        elif target._failure is not None:
            self._schedule(deferred.reject, target._failure)
        else:
            self._log("%s is not ready: buffering %s", target._name, name)
            target._buffer.append((commander, name, options, deferred))

    def _invoke(self, target: Plugin, commander: Plugin, name: str, options: Any, deferred: Deferred) -> None:
        handler = target._commands.get(name.partition(".")[2])
        if handler is None:
            self._schedule(deferred.reject, COMMAND_DOES_NOT_EXIST)
            return
        event = CommandEvent(now_ms(), commander._name, name, deferred, options)
        self._schedule(run_command_handler, handler, event, self._tasks)

    def _load_and_dispatch(self, commander: Plugin, name: str, options: Any, deferred: Deferred) -> None:
        namespace = name.partition(".")[0]

        def loaded(*_: Any) -> None:
            if namespace in self._plugins:
                self._dispatch(commander, name, options, deferred)
            else:
                deferred.reject(PLUGIN_LOAD_FAILED)

        self._loader.load(namespace).done(loaded).fail(lambda *_: deferred.reject(PLUGIN_LOAD_FAILED))

    def _set_ready(self, plugin: Plugin) -> None:
        self._depth += 1
        try:
            plugin._ready = True
            self._log("%s is ready", plugin._name)
            buffered, plugin._buffer = plugin._buffer, []
            for commander, name, options, deferred in buffered:
                self._invoke(plugin, commander, name, options, deferred)
        finally:
            self._leave()

    # -- events (A.3, A.4) -----------------------------------------------------------------------

    def _publish(self, publisher: Plugin, event: str, data: Any, sticky: bool, direct: bool) -> bool:
        if self._plugins.get(publisher._name) is not publisher:
            return False
        full = f"{publisher._name}.{event}"
        if data is None:
            data = {}
        self._depth += 1
        try:
            if sticky:
                self._sticky[full] = (publisher._name, data)
            handlers = self._subscribers.get(full)
            if self._debug and (handlers or not direct):
                self._log("%s %s %s %r", publisher._name, "republishes" if sticky else "publishes", full, data)
            if handlers:
                event_record = BusEvent(now_ms(), publisher._name, full, data)
                self._schedule(deliver, tuple(fn for _, fn in handlers), event_record)
        finally:
            self._leave()
        return True

    def _subscribe(self, subscriber: Plugin, event: Any, fn: Any) -> str | bool:
        if not isinstance(event, str) or not callable(fn) or self._plugins.get(subscriber._name) is not subscriber:
            return False
        self._depth += 1
        try:
            self._subscribers.setdefault(event, []).append((subscriber._name, fn))
            self._changed()
            self._log("%s subscribed to %s", subscriber._name, event)
            sticky = self._sticky.get(event)
            if sticky is not None:
                self._schedule(deliver, (fn,), BusEvent(now_ms(), sticky[0], event, sticky[1]))
        finally:
            self._leave()
        return event

    def _unsubscribe(self, subscriber: Plugin, event: str) -> bool:
        handlers = self._subscribers.get(event)
        if not handlers:
            return False
        kept = [entry for entry in handlers if entry[0] != subscriber._name]
        if len(kept) == len(handlers):
            return False
        if kept:
            self._subscribers[event] = kept
        else:
            del self._subscribers[event]
        self._changed()
        self._log("%s unsubscribed from %s", subscriber._name, event)
        return True

    def _subscribers_of(self, namespace: str) -> dict[str, list[str]]:
        prefix = f"{namespace}."
        return {
            event: [name for name, _ in handlers]
            for event, handlers in self._subscribers.items()
            if event.startswith(prefix) and handlers
        }

    # -- data (A.7) ------------------------------------------------------------------------------

    def _set_data(self, plugin: Plugin, key: str, value: Any) -> Any:
        record, changed = plugin._store(key, value)
        self._changed()
        if changed:
            self._depth += 1
            try:
                self._publish(plugin, "data", plugin.data(), False, True)
                self._publish(plugin, f"data.{key}", record, False, True)
                self._publish(plugin, plugin._changed_event(key, value), record, False, True)
            finally:
                self._leave()
        return value

    # -- scheduling ------------------------------------------------------------------------------

    def _default_wake(self, drain: Callable[[], None]) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            if self._depth:
                self._sync_due = True
            else:
                drain()
            return
        loop.call_soon(drain)

    def _leave(self) -> None:
        self._depth -= 1
        if not self._depth and self._sync_due:
            self._sync_due = False
            self._queue.drain()

    def _log(self, message: str, *args: Any) -> None:
        if self._debug:
            logger.debug(message, *args)


def _call_now(fn: Callable[..., Any], *args: Any) -> None:
    fn(*args)
