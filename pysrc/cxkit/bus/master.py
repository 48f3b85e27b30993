"""The master registration `registerMaster()` hands its first caller: lock, unlock, config.

    >>> from cxkit.bus import Bus
    >>> bus = Bus()
    >>> master = bus.register_master()
    >>> master.lock()
    >>> bus.registerPlugin("Late")
    False
    >>> master.unlock()
    >>> bus.register_plugin("Late")
    <Plugin Late (not ready)>
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["Master"]


class Master:
    """The master registration (`registerMaster()`): only the first caller gets one.

        >>> from cxkit.bus import Bus
        >>> bus = Bus()
        >>> master = bus.register_master()
        >>> master.config(pluginsPath="/plugins")["pluginsPath"], bus.register_master()
        ('/plugins/', None)
    """

    __slots__ = ("_set_locked", "_configure")

    def __init__(self, set_locked: Callable[[bool], None], configure: Callable[..., dict[str, Any]]) -> None:
        self._set_locked = set_locked
        self._configure = configure

    def lock(self) -> None:
        """Refuse further plugin registrations."""
        self._set_locked(True)

    def unlock(self) -> None:
        """Accept plugin registrations again."""
        self._set_locked(False)

    def config(self, options: Mapping[str, Any] | None = None, /, **kw: Any) -> dict[str, Any]:
        """Set bus options, as `Bus.configure` does."""
        return self._configure(options, **kw)
