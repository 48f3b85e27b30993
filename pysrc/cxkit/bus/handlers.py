"""Running what page code hands the bus: command handlers (plain or async) and subscribers.

    >>> from cxkit.bus import Bus
    >>> bus = Bus()
    >>> svc = bus.register_plugin("Calc")
    >>> svc.register_command("fail", lambda e: 1 / 0)
    True
    >>> svc.ready()
    True
    >>> bus.command("Calc.fail").fail(print).state()  # the traceback goes to the log
    division by zero
    'rejected'

Deliberate differences from Genesys Widgets 9.0.018.07, whose promise stays pending in each case:
a handler that raises is logged and its Deferred rejected with the exception's message, except a
`CommandRejected` (an awaited command's rejection), which passes its arguments on unchanged; an
async handler (run as a task the bus keeps alive) whose task is cancelled rejects with "Command
was cancelled". A subscriber that raises is logged and the other subscribers still run.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ..common.tasks import spawn
from .deferred import CommandRejected, Deferred, Promise
from .events import BusEvent, CommandEvent
from .messages import COMMAND_CANCELLED

__all__ = ["deliver", "reject_with", "resolve_command", "run_command_handler"]

logger = logging.getLogger("cxkit.bus")


def run_command_handler(handler: Callable[[CommandEvent], Any], event: CommandEvent,
                        tasks: set[asyncio.Task[Any]]) -> None:
    """Call ``handler(event)``; an awaitable it returns runs as a task held in ``tasks``."""
    try:
        result = handler(event)
    except Exception as exc:
        reject_with(event, exc)
        return
    # A lambda handler often returns `e.deferred.resolve(...)`, itself awaitable: not a coroutine to run.
    if result is not None and not isinstance(result, (Deferred, Promise)) and inspect.isawaitable(result):
        _run_async(result, event, tasks)


def _run_async(awaitable: Awaitable[Any], event: CommandEvent, tasks: set[asyncio.Task[Any]]) -> None:
    async def finish() -> None:
        try:
            await awaitable
        except Exception as exc:
            reject_with(event, exc)
        except asyncio.CancelledError:
            event.deferred.reject(COMMAND_CANCELLED)
            raise

    try:
        spawn(finish(), what=f"command handler for {event.command}", logger=logger, into=tasks)
    except RuntimeError:
        if inspect.iscoroutine(awaitable):
            awaitable.close()
        logger.error("Command handler for %s is async but no event loop is running", event.command)
        event.deferred.reject("No running event loop for an async command handler")


def resolve_command(e: CommandEvent) -> None:
    """A command handler that resolves at once (the registry's ``LOAD``)."""
    e.deferred.resolve()


def deliver(handlers: tuple[Callable[..., Any], ...], event: BusEvent) -> None:
    """Call each subscriber with ``event``; one that raises is logged and the rest still run."""
    for fn in handlers:
        try:
            fn(event)
        except Exception:
            logger.exception("Subscriber %r to %s raised", fn, event.event)


def reject_with(event: CommandEvent, exc: Exception) -> None:
    """Reject a handler's command: a CommandRejected (an awaited command's rejection) passes its
    arguments on unchanged, so a structured reason stays data; any other exception becomes its text."""
    if isinstance(exc, CommandRejected):
        event.deferred.reject(*exc.args)
        return
    logger.exception("Command handler for %s raised", event.command)
    event.deferred.reject(str(exc) or type(exc).__name__)
