"""The bus's FIFO of pending callbacks, drained by whatever "next tick" the host offers.

    >>> from cxkit.bus.scheduler import CallQueue
    >>> wakes = []
    >>> q = CallQueue(wakes.append)
    >>> q.push(print, "first"); q.push(print, "second")
    >>> len(wakes), len(q)
    (1, 2)
    >>> wakes[0]()
    first
    second

In the browser the wake function is JS `queueMicrotask`, so a delivery costs a microtask,
not a setTimeout (the original's 4 ms clamp) and not an asyncio round trip.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Any

__all__ = ["CallQueue"]

logger = logging.getLogger("cxkit.bus")

Wake = Callable[[Callable[[], None]], Any]


class CallQueue:
    """Calls queued in order; `wake(drain)` is called once each time the queue stops being empty.

    `drain` is the same callable object on every wake.
    """

    __slots__ = ("_items", "_wake", "_draining", "_drain")

    def __init__(self, wake: Wake) -> None:
        self._items: deque[tuple[Callable[..., Any], tuple[Any, ...]]] = deque()
        self._wake = wake
        self._draining = False
        # One bound method, so a host can wrap it in a single long-lived JS proxy.
        self._drain = self.drain

    def push(self, fn: Callable[..., Any], *args: Any) -> None:
        """Queue `fn(*args)`."""
        items = self._items
        items.append((fn, args))
        if len(items) == 1 and not self._draining:
            self._wake(self._drain)

    def drain(self) -> None:
        """Run everything queued, including what gets queued meanwhile. Re-entrant calls do nothing."""
        if self._draining:
            return
        self._draining = True
        items = self._items
        try:
            while items:
                fn, args = items.popleft()
                try:
                    fn(*args)
                except Exception:
                    logger.exception("Queued bus call %r raised", fn)
        finally:
            self._draining = False
            if items:  # interrupted by a BaseException: do not strand the rest
                self._wake(self._drain)

    def __len__(self) -> int:
        return len(self._items)
