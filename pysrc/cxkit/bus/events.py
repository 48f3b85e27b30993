"""What subscribers and command handlers receive: records readable as attributes or as a mapping.

    >>> from cxkit.bus.events import BusEvent
    >>> e = BusEvent(0, "App", "App.ready", {})
    >>> e.publisher, e["event"], e.get("data")
    ('App', 'App.ready', {})
    >>> dict(e)
    {'time': 0, 'publisher': 'App', 'event': 'App.ready', 'data': {}}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..common.clock import now_ms
from .deferred import Deferred

__all__ = ["BusEvent", "CommandEvent", "now_ms"]


class _Record(Mapping[str, Any]):
    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def __getitem__(self, key: str) -> Any:
        if key in self._fields:
            return getattr(self, key)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (for conversion to a JS object)."""
        return {name: getattr(self, name) for name in self._fields}

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({inner})"


class BusEvent(_Record):
    """`{time, publisher, event, data}` as delivered to a subscriber (A.4).

        >>> from cxkit.bus import Bus
        >>> bus = Bus()
        >>> _ = bus.subscribe("Shop.open", lambda e: print(e.publisher, e.event, e["data"]))
        >>> bus.register_plugin("Shop").publish("open", {"id": 1})
        Shop Shop.open {'id': 1}
        True
    """

    __slots__ = ("time", "publisher", "event", "data")
    _fields = ("time", "publisher", "event", "data")

    def __init__(self, time: int, publisher: str, event: str, data: Any) -> None:
        self.time = time
        self.publisher = publisher
        self.event = event
        self.data = data


class CommandEvent(_Record):
    """`{time, commander, command, deferred, data}` as passed to a command handler (A.5).

        >>> from cxkit.bus import Bus
        >>> bus = Bus()
        >>> svc = bus.register_plugin("Svc")
        >>> _ = svc.register_command("who", lambda e: e.deferred.resolve(e.commander, e.command, e.data))
        >>> _ = svc.ready()
        >>> bus.command("Svc.who", n=1).done(print).state()
        CXBus Svc.who {'n': 1}
        'resolved'
    """

    __slots__ = ("time", "commander", "command", "deferred", "data")
    _fields = ("time", "commander", "command", "deferred", "data")

    def __init__(self, time: int, commander: str, command: str, deferred: Deferred, data: Any) -> None:
        self.time = time
        self.commander = commander
        self.command = command
        self.deferred = deferred
        self.data = data
