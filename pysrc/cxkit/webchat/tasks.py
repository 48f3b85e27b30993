"""Background tasks of the service: kept alive until done, their failures logged.

The event loop holds tasks only weakly, and an exception nobody awaits is otherwise reported
late or never; every fire-and-forget task in webchat goes through `spawn`::

    >>> import asyncio
    >>> from cxkit.webchat.tasks import spawn
    >>> async def main():
    ...     return await spawn(asyncio.sleep(0, "done"))
    >>> asyncio.run(main())
    'done'
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Coroutine

__all__ = ["spawn"]

logger = logging.getLogger("cxkit.webchat")

_running: set[asyncio.Task] = set()


def spawn(coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
    """Run ``coro`` as a task on the running loop; a failure is logged when it ends."""
    task = asyncio.get_running_loop().create_task(coro)
    _running.add(task)
    task.add_done_callback(_done)
    return task


def _done(task: asyncio.Task) -> None:
    _running.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.error("WebChatService task failed", exc_info=task.exception())
