"""A plugin's interface to the bus: commands, events, interceptors and its data store (A.3-A.7).

    >>> from cxkit.bus import Bus
    >>> bus = Bus()
    >>> svc = bus.register_plugin("Greeter")
    >>> @svc.register_command("hello")
    ... def hello(e):
    ...     e.deferred.resolve("hello " + e.data["name"])
    >>> svc.ready()
    True
    >>> bus.register_plugin("Page").command("Greeter.hello", name="Ada").done(print).state()
    hello Ada
    'resolved'

Every member has its CXBus name (`publishDirect`, `registerCommand`, ...) and, where that differs,
a Pythonic one (`publish_direct`, `register_command`, ...); both are the same function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, TypeVar

from .deferred import Deferred
from .events import now_ms
from .jsvalues import js_string, loosely_equal

__all__ = ["MISSING", "Plugin", "PluginHost"]

F = TypeVar("F", bound=Callable[..., Any])


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class PluginHost(Protocol):
    """What a plugin asks of the bus it belongs to. `cxkit.bus.Bus` is the implementation; the
    protocol keeps this module from importing it (the bus imports plugins, not the reverse)."""

    _before: dict[str, list[Callable[[Any], Any]]]

    @property
    def _plugins(self) -> Mapping[str, Plugin]: ...
    def register_plugin(self, name: str) -> Plugin: ...
    def registerPlugin(self, name: Any) -> Plugin | bool: ...
    def command(self, name: str, options: Any = None, /, **kw: Any) -> Deferred: ...
    def configure(self, options: Mapping[str, Any] | None = None, /, **kw: Any) -> dict[str, Any]: ...
    def get_plugin(self, name: str) -> Plugin | None: ...
    def registry(self) -> dict[str, dict[str, list[str]]]: ...
    def _command(self, commander: Plugin, name: str, options: Any, intercept: bool) -> Deferred: ...
    def _changed(self) -> None: ...
    def _log(self, message: str, *args: Any) -> None: ...
    def _set_ready(self, plugin: Plugin) -> None: ...
    _schedule: Callable[..., None]
    def _publish(self, publisher: Plugin, event: str, data: Any, sticky: bool, direct: bool) -> bool: ...
    def _subscribe(self, subscriber: Plugin, event: Any, fn: Any) -> str | bool: ...
    def _unsubscribe(self, subscriber: Plugin, event: str) -> bool: ...
    def _subscribers_of(self, namespace: str) -> dict[str, list[str]]: ...
    def _set_data(self, plugin: Plugin, key: str, value: Any) -> Any: ...


class Plugin:
    """The interface object `registerPlugin(name)` returns.

        >>> from cxkit.bus import Bus
        >>> svc = Bus().register_plugin("Svc")
        >>> svc.name, svc.is_ready, svc.ready(), svc.is_ready
        ('Svc', False, True, True)
    """

    __slots__ = ("_bus", "_name", "_commands", "_events", "_ready", "_buffer", "_data", "_failure", "__weakref__")

    def __init__(self, bus: PluginHost, name: str) -> None:
        self._bus = bus
        self._name = name
        self._commands: dict[str, Callable[..., Any]] = {}
        self._events: list[str] = []
        self._ready = False
        self._buffer: list[tuple[Plugin, str, Any, Deferred]] = []
        self._data: dict[str, dict[str, Any]] = {}
        self._failure: str | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def bus(self) -> PluginHost:
        return self._bus

    @property
    def is_ready(self) -> bool:
        return self._ready

    def namespace(self) -> str:
        """The plugin's name, which prefixes its events and commands."""
        return self._name

    # -- commands --------------------------------------------------------------------------------

    def command(self, name: str, options: Any = None, /, **kw: Any) -> Deferred:
        """Run a command as this plugin: `command("X.y", {"a": 1})` or `command("X.y", a=1)` (A.5)."""
        if kw:
            if options is None:
                options = kw
            elif isinstance(options, Mapping):
                options = {**options, **kw}
        return self._bus._command(self, name, options, True)

    def register_command(self, name: str, fn: Callable[..., Any] | None = None) -> Any:
        """Add or replace the command `<namespace>.<name>`; returns True.

        The handler gets a `CommandEvent` and settles `e.deferred`. It may be `async def`.
        Without `fn`, returns a decorator.
        """
        if fn is None:
            def decorate(handler: F) -> F:
                self._commands[name] = handler
                self._bus._changed()
                return handler

            return decorate
        self._commands[name] = fn
        self._bus._changed()
        self._bus._log("%s registered command %s.%s", self._name, self._name, name)
        return True

    registerCommand = register_command

    def before(self, name: str, fn: Callable[[Any], Any]) -> bool:
        """Intercept the fully-qualified command `name` for every caller; fn must return the options.
        False, and nothing added, without a function (it would cancel every such command)."""
        if not callable(fn):
            return False
        self._bus._before.setdefault(name, []).append(fn)
        self._bus._log("%s added a 'before' interceptor to %s", self._name, name)
        return True

    def ready(self) -> bool:
        """Mark the plugin ready and run the commands buffered until now, in order."""
        self._bus._set_ready(self)
        return True

    def give_up(self, reason: str) -> bool:
        """This plugin will never be ready (its start failed): the commands buffered for it, and
        every later one sent to it, are rejected with ``reason``. False if it is ready already.

            >>> from cxkit.bus import Bus
            >>> bus = Bus()
            >>> svc = bus.register_plugin("Svc")
            >>> waiting = bus.command("Svc.go")
            >>> svc.give_up("Svc could not start")
            True
            >>> bus.flush(); waiting.state(), waiting.debug()["args"]
            ('rejected', ('Svc could not start',))
        """
        if self._ready:
            return False
        self._failure = reason
        self._bus._log("%s will not be ready: %s", self._name, reason)
        buffered, self._buffer = self._buffer, []
        for *_, deferred in buffered:
            self._bus._schedule(deferred.reject, reason)
        return True

    # -- events ----------------------------------------------------------------------------------

    def publish(self, event: str, data: Any = None) -> bool:
        """Publish `<namespace>.<event>`; True when this plugin is registered."""
        return self._bus._publish(self, event, data, False, False)

    def publish_direct(self, event: str, data: Any = None) -> bool:
        """Like publish; logged only when someone listens (for noisy events)."""
        return self._bus._publish(self, event, data, False, True)

    publishDirect = publish_direct

    def republish(self, event: str, data: Any = None) -> bool:
        """Publish and make sticky: later subscribers to this exact name get the last data."""
        return self._bus._publish(self, event, data, True, False)

    def subscribe(self, event: str, fn: Callable[..., Any]) -> str | bool:
        """Call fn with a `BusEvent` for each `event` (full "Plugin.event" name); returns the name or False."""
        return self._bus._subscribe(self, event, fn)

    def on(self, event: str) -> Callable[[F], F]:
        """Decorator form of subscribe: `@plugin.on("WebChatService.ready")`."""
        if not isinstance(event, str):
            raise TypeError(f"event name must be a string, not {type(event).__name__}")

        def decorate(fn: F) -> F:
            self._bus._subscribe(self, event, fn)
            return fn

        return decorate

    def unsubscribe(self, event: str) -> bool:
        """Remove all of this plugin's callbacks for `event`; True if there were any."""
        return self._bus._unsubscribe(self, event)

    def register_events(self, names: str | Iterable[str]) -> bool:
        """Declare event names for the registry (informational only)."""
        for event in [names] if isinstance(names, str) else names:
            if event not in self._events:
                self._events.append(event)
        self._bus._changed()
        return True

    registerEvents = register_events

    # -- introspection ---------------------------------------------------------------------------

    def subscribers(self) -> dict[str, list[str]]:
        """`{event: [subscriber plugin names]}` for this plugin's events that have subscribers.

        The original matches event names against the plugin name as a regular expression;
        here the event must start with "<namespace>.".
        """
        return self._bus._subscribers_of(self._name)

    def registry(self) -> dict[str, dict[str, list[str]]]:
        """`{plugin: {"events": [...], "commands": [...]}}` for every registered plugin."""
        return self._bus.registry()

    # -- data store ------------------------------------------------------------------------------

    def data(self, key: str | None = None, value: Any = MISSING) -> Any:
        """Read or write this plugin's key/value store (A.7).

        `data()` is `{key: value}` for all keys; `data("Other.key")` reads another plugin's key.
        Writing a value that differs (JS loose `!=`) publishes `<P>.data` (the whole map),
        `<P>.data.<key>` (`{last, value, time}`) and, direct, `<P>.data.<key>:<value>` where the
        value is printed like JS `String(value)` (True -> `true`, 1.0 -> `1`) and strings are quoted:
        `<P>.data.<key>:'<value>'`. None never overwrites (JS `value != null`).
        """
        if key is None:
            return {k: rec["value"] for k, rec in self._data.items()}
        if value is MISSING or value is None:
            store = self._data
            if "." in key:
                owner_name, _, key = key.partition(".")
                owner = self._bus._plugins.get(owner_name)
                if owner is None:
                    return None
                store = owner._data
            record = store.get(key)
            return None if record is None else record["value"]
        return self._bus._set_data(self, key, value)

    # -- used by the bus -------------------------------------------------------------------------

    def _store(self, key: str, value: Any) -> tuple[dict[str, Any], bool]:
        previous = self._data.get(key)
        last = None if previous is None else previous["value"]
        record = {"last": last, "value": value, "time": now_ms()}
        self._data[key] = record
        return record, not loosely_equal(last, value)

    def _changed_event(self, key: str, value: Any) -> str:
        shown = f"'{value}'" if isinstance(value, str) else js_string(value)
        return f"data.{key}:{shown}"

    def __repr__(self) -> str:
        return f"<Plugin {self._name}{'' if self._ready else ' (not ready)'}>"
