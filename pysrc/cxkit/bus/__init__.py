"""CXBus in Python: plugins, commands, events and Deferreds, rule for rule as Genesys Widgets has them.

    >>> from cxkit import bus
    >>> svc = bus.register_plugin("Doc")
    >>> svc.register_command("add", lambda e: e.deferred.resolve(e.data["a"] + e.data["b"]))
    True
    >>> svc.ready()
    True
    >>> bus.command("Doc.add", a=1, b=2).done(print).state()
    3
    'resolved'

Module-level `register_plugin`, `command`, `subscribe`, `data`, `configure` and `load_plugin`
act on the page's bus (`get_bus()`; the browser glue installs it with `set_bus`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .app import (
    AJAX_HEADER_NAMES,
    APP_EVENTS,
    BootedApp,
    QuickBus,
    boot_app,
    install_app,
    install_quickbus,
    mark_app_ready,
    publish_app_ready,
)
from .bus import Bus, Master
from .deferred import CommandRejected, Deferred, Promise
from .errors import RegistrationRefused
from .events import BusEvent, CommandEvent
from .messages import CANCELLED_BY_BEFORE, COMMAND_DOES_NOT_EXIST, PLUGIN_LOAD_FAILED
from .plugin import MISSING, Plugin

__all__ = [
    "AJAX_HEADER_NAMES",
    "APP_EVENTS",
    "BootedApp",
    "Bus",
    "BusEvent",
    "CANCELLED_BY_BEFORE",
    "COMMAND_DOES_NOT_EXIST",
    "CommandEvent",
    "CommandRejected",
    "Deferred",
    "Master",
    "PLUGIN_LOAD_FAILED",
    "Plugin",
    "Promise",
    "QuickBus",
    "RegistrationRefused",
    "boot_app",
    "command",
    "configure",
    "data",
    "get_bus",
    "install_app",
    "install_quickbus",
    "load_plugin",
    "mark_app_ready",
    "on",
    "publish_app_ready",
    "register_plugin",
    "set_bus",
    "subscribe",
]

_default_bus: Bus | None = None


def get_bus() -> Bus:
    """The page's bus, created on first use.

        >>> from cxkit.bus import get_bus
        >>> get_bus() is get_bus()
        True
    """
    global _default_bus
    if _default_bus is None:
        _default_bus = Bus()
    return _default_bus


def set_bus(new_bus: Bus | None) -> None:
    """Install the page's bus (the browser glue does this at boot); None means "make a fresh one on next use".

        >>> from cxkit.bus import Bus, get_bus, set_bus
        >>> page_bus = Bus()
        >>> set_bus(page_bus)
        >>> get_bus() is page_bus
        True
    """
    global _default_bus
    _default_bus = new_bus


def register_plugin(name: str) -> Plugin:
    """Register a plugin on the page's bus; raises `RegistrationRefused` for a taken name.

        >>> from cxkit.bus import get_bus, register_plugin
        >>> shop = register_plugin("Shop")
        >>> shop, get_bus().get_plugin("Shop") is shop
        (<Plugin Shop (not ready)>, True)
    """
    return get_bus().register_plugin(name)


def command(name: str, options: Any = None, /, **kw: Any) -> Deferred:
    """Run a command on the page's bus: `command("X.y", {"a": 1})` or `command("X.y", a=1)`.

        >>> from cxkit.bus import command, register_plugin
        >>> calc = register_plugin("Calc")
        >>> calc.register_command("double", lambda e: e.deferred.resolve(2 * e.data["n"]))
        True
        >>> calc.ready()
        True
        >>> command("Calc.double", {"n": 21}).done(print).state()
        42
        'resolved'
    """
    return get_bus().command(name, options, **kw)


def subscribe(event: str, fn: Callable[..., Any]) -> str | bool:
    """Call ``fn`` with a `BusEvent` for each ``event`` (a full "Plugin.event" name) on the page's bus.

        >>> from cxkit.bus import register_plugin, subscribe
        >>> subscribe("Clock.tick", lambda e: print("tick", e.data))
        'Clock.tick'
        >>> register_plugin("Clock").publish("tick", {"n": 1})
        tick {'n': 1}
        True
    """
    return get_bus().subscribe(event, fn)


def on(event: str) -> Callable[[Any], Any]:
    """Decorator form of `subscribe`, on the page's bus.

        >>> from cxkit.bus import on, register_plugin
        >>> @on("Timer.done")
        ... def finished(e):
        ...     print("done after", e.data["seconds"], "s")
        >>> register_plugin("Timer").publish("done", {"seconds": 3})
        done after 3 s
        True
    """
    return get_bus().on(event)


def data(key: str | None = None, value: Any = MISSING) -> Any:
    """The page bus's data store; ``data("Other.key")`` reads another plugin's value.

        >>> from cxkit.bus import data, register_plugin
        >>> _ = register_plugin("Theme").data("color", "dark")
        >>> data("Theme.color")
        'dark'
    """
    return get_bus().data(key, value)


def configure(options: Any = None, /, **kw: Any) -> dict[str, Any]:
    """Set the page bus's options (A.2); returns them all.

        >>> from cxkit.bus import configure
        >>> configure(pluginsPath="/plugins")["pluginsPath"]
        '/plugins/'
    """
    return get_bus().configure(options, **kw)


def load_plugin(name: str) -> Deferred:
    """Load a plugin through the factory registered for it on the page's bus.

        >>> from cxkit.bus import get_bus, load_plugin
        >>> get_bus().register_plugin_factory("Lazy", lambda bus: bus.register_plugin("Lazy").ready())
        >>> load_plugin("Lazy").state(), get_bus().get_plugin("Lazy")
        ('resolved', <Plugin Lazy>)
    """
    return get_bus().load_plugin(name)
