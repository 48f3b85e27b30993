"""Asynchronous chat: the page keeps the session through its two callbacks (spec B.4), named
as the original names them: ``async.setSessionData`` is the *reader* (called once at
configure), ``async.getSessionData`` the *writer* (called whenever the secureKey changes)::

    writer = SessionDataWriter()
    writer.write(service.config, identity)       # the page's async.getSessionData(data, ...)
    start_async_restore(service)                 # reads it back and restores that chat
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ..gms import Identity
from .config import WebChatConfig
from .restore import RestoreHost, restore_session
from .tasks import spawn

__all__ = ["KEYS_COOKIE", "SessionDataWriter", "read_session_data", "start_async_restore"]

logger = logging.getLogger("cxkit.webchat")

KEYS_COOKIE = "_genesys.widgets.webchat.state.keys"  # the key name the reader is given


async def _settle(awaitable: Any, name: str) -> None:
    try:
        await awaitable
    except Exception:
        logger.exception("WebChatService: %s failed", name)


class SessionDataWriter:
    """Gives the page's writer the identity each time its secureKey changes (empty at the end)."""

    def __init__(self) -> None:
        self._written_key: str | None = None

    def write(self, config: WebChatConfig, identity: Identity) -> None:
        writer = config.async_get_session_data
        if writer is None:
            return
        key = identity.secure_key
        if key == self._written_key or (self._written_key is None and not key):
            return
        self._written_key = key
        try:
            result = writer(identity.as_session_data(), None, {})
            if result is not None and hasattr(result, "__await__"):
                spawn(_settle(result, "async.getSessionData"))
        except Exception:
            logger.exception("WebChatService: async.getSessionData raised")


async def read_session_data(config: WebChatConfig) -> Any:
    """What the page's reader returns (awaited when it answers later, as a JS function seen
    from a Web Worker does); None on failure."""
    reader = config.async_set_session_data
    if reader is None:
        return None
    try:
        result = reader(KEYS_COOKIE, None, {})
        if result is not None and hasattr(result, "__await__"):
            result = await result
    except Exception:
        logger.exception("WebChatService: async.setSessionData raised")
        return None
    return result


def start_async_restore(host: RestoreHost) -> None:
    """Read the page's session data and restore that chat; ``restoring`` holds from now on, so
    a startChat or verifySession waits for the outcome."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        logger.error("WebChatService: async mode needs a running event loop to restore")
        return
    session = host.session
    session.restoring = True
    session.restore_done = done = asyncio.Event()

    async def run() -> None:
        data = None
        try:
            data = await read_session_data(host.config)
        finally:
            session.restoring = False
        try:
            if data is not None:
                await restore_session(host, session_data=data)  # no await before it flags restoring
        finally:
            done.set()

    spawn(run())  # held until done: the loop keeps tasks only weakly
