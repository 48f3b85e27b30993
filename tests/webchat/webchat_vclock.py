"""An asyncio loop whose clock jumps straight to the next timer when nothing else can run.

Timers (call_later, asyncio.sleep, wait_for timeouts) keep their order and spacing, so tests of
polling cadence and timeouts are exact and take milliseconds. Real I/O still works: the selector
is asked first, without blocking. (The in-process mock GMS does no thread work for small bodies;
a test that needs real threads should not use this loop.)
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import selectors


class _FastForwardSelector(selectors.DefaultSelector):  # type: ignore[misc,valid-type]
    def __init__(self) -> None:
        super().__init__()
        self.loop: VirtualClockLoop | None = None

    def select(self, timeout: float | None = None):  # type: ignore[override]
        events = super().select(0)
        if events or timeout == 0:
            return events
        if timeout is None:
            events = super().select(5)
            if not events:
                raise RuntimeError("deadlock: nothing scheduled and nothing to wait for")
            return events
        assert self.loop is not None
        self.loop.virtual_time += timeout
        return []


class VirtualClockLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self.virtual_time = 0.0
        selector = _FastForwardSelector()
        super().__init__(selector)
        selector.loop = self

    def time(self) -> float:
        return self.virtual_time


def virtual_time(fn):
    """Run an ``async def`` test on a fresh `VirtualClockLoop` (fixtures still injected)."""
    assert inspect.iscoroutinefunction(fn)

    @functools.wraps(fn)
    def run(*args, **kwargs):
        loop = VirtualClockLoop()
        asyncio.set_event_loop(loop)
        try:
            return loop.run_until_complete(fn(*args, **kwargs))
        finally:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            asyncio.set_event_loop(None)
            loop.close()

    run.__wrapped__ = fn
    return run
