"""A change signal that coroutines can wait on with a predicate (no polling, no sleeps).

All notifications happen on the server's event loop; waiters on that loop are woken directly.

    >>> import asyncio
    >>> from cxkit.mockgms.signal import ChangeSignal
    >>> async def demo():
    ...     sig, box = ChangeSignal(), []
    ...     asyncio.get_running_loop().call_soon(lambda: (box.append(1), sig.notify()))
    ...     return await sig.wait_for(lambda: box, timeout=1)
    >>> asyncio.run(demo())
    [1]
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

__all__ = ["ChangeSignal"]

T = TypeVar("T")


class ChangeSignal:
    def __init__(self) -> None:
        self._waiters: list[asyncio.Future[None]] = []

    @property
    def waiting(self) -> int:
        """How many coroutines are waiting (for tests that must act only once a wait is parked)."""
        return len(self._waiters)

    def notify(self) -> None:
        if not self._waiters:
            return  # the common case on the request path: nobody waits, nothing to allocate
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def wait_for(self, predicate: Callable[[], T], timeout: float) -> T | None:
        """Return the first truthy predicate() value, or None after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.append(fut)
            # Not asyncio.wait_for: on Python 3.11 it swallows a cancellation that arrives just
            # after notify() (the inner future is done), and the cancelled waiter waits again.
            timer = loop.call_later(remaining, _wake, fut)
            try:
                await fut
            finally:
                timer.cancel()
                if fut in self._waiters:
                    self._waiters.remove(fut)


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)
