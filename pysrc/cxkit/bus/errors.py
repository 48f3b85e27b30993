"""Why the bus refuses a registration, as an exception for Python callers.

    >>> from cxkit.bus import Bus, RegistrationRefused
    >>> bus = Bus()
    >>> _ = bus.register_plugin("Page")
    >>> try:
    ...     bus.register_plugin("Page")
    ... except RegistrationRefused as exc:
    ...     print(exc.name, exc.reason)
    Page taken

The JS face keeps the original's answer: ``registerPlugin`` returns false instead.
"""

from __future__ import annotations

__all__ = ["RegistrationRefused"]


class RegistrationRefused(RuntimeError):
    """`register_plugin(name)` was refused: ``reason`` is "taken" (a plugin of that exact name
    exists) or "locked" (the master registration locked the registry). A RuntimeError, so code
    written for the earlier ``RuntimeError("... already registered")`` keeps working.

        >>> from cxkit.bus import Bus
        >>> bus = Bus()
        >>> bus.register_master().lock()
        >>> try:
        ...     bus.register_plugin("Late")
        ... except RuntimeError as exc:
        ...     print(type(exc).__name__, exc.name, exc.reason)
        RegistrationRefused Late locked
    """

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        what = "is already registered" if reason == "taken" else "cannot be registered: the registry is locked"
        super().__init__(f"a plugin named {name!r} {what} on this bus")
