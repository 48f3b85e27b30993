"""Fire-and-forget tasks that are kept alive until done and whose failures are logged.

The event loop holds tasks only weakly, and an exception nobody awaits is otherwise reported
late or never. Every background task in cxkit goes through `spawn`:

    >>> import asyncio
    >>> from cxkit.common.tasks import spawn
    >>> async def main():
    ...     return await spawn(asyncio.sleep(0, "done"), what="example")
    >>> asyncio.run(main())
    'done'
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

__all__ = ["spawn"]

T = TypeVar("T")

_logger = logging.getLogger("cxkit")
# tasks spawned without an owner's set: held here until they end
_running: set[asyncio.Task[Any]] = set()


def spawn(
    awaitable: Awaitable[T],
    *,
    what: str,
    logger: logging.Logger | None = None,
    into: set[asyncio.Task[Any]] | None = None,
    on_failure: Callable[[BaseException], None] | None = None,
) -> asyncio.Task[T]:
    """Run ``awaitable`` as a task on the running loop, hold it until it ends, and log its failure.

    ``into`` is the owner's set of tasks (so the owner can cancel them); the task leaves it when
    done. A failure is logged on ``logger`` as "<what> failed" with its traceback, then passed to
    ``on_failure``; a cancellation is not a failure. With no running loop a coroutine is closed
    (no "never awaited" warning) and RuntimeError is raised.

        >>> import asyncio, logging
        >>> async def boom():
        ...     raise ValueError("no")
        >>> async def main():
        ...     seen = []
        ...     task = spawn(boom(), what="boom", on_failure=seen.append,
        ...                  logger=logging.getLogger("doctest.silent"))
        ...     await asyncio.wait([task])
        ...     return seen
        >>> logging.getLogger("doctest.silent").disabled = True
        >>> asyncio.run(main())
        [ValueError('no')]
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        if inspect.iscoroutine(awaitable):
            awaitable.close()
        raise
    task = loop.create_task(awaitable if inspect.iscoroutine(awaitable) else _wait_for(awaitable))
    held = _running if into is None else into
    held.add(task)

    def done(finished: asyncio.Task[T]) -> None:
        held.discard(finished)
        if finished.cancelled():
            return
        exc = finished.exception()
        if exc is None:
            return
        (logger or _logger).error("%s failed", what, exc_info=exc)
        if on_failure is not None:
            on_failure(exc)

    task.add_done_callback(done)
    return task


async def _wait_for(awaitable: Awaitable[T]) -> T:
    return await awaitable
