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
from collections.abc import Awaitable
from typing import Any

from ..common import tasks

__all__ = ["spawn"]

logger = logging.getLogger("cxkit.webchat")


def spawn(coro: Awaitable[Any]) -> asyncio.Task[Any]:
    """Run ``coro`` as a task on the running loop; a failure is logged when it ends."""
    return tasks.spawn(coro, what="WebChatService task", logger=logger)
