"""Test helpers for suites that drive cxkit pages against the mock GMS.

The pytest plugin (``cxkit.testing.plugin``, loaded by pytest automatically) gives the
fixtures; this package holds what tests import:

    >>> from cxkit.testing import MockGmsControl, command, events, wait_event, wait_text
    >>> def test_agent_answers(chat_page, gms):                  # doctest: +SKIP
    ...     command(chat_page, "WebChatService.startChat", {"nickname": "Jo"})
    ...     chat_id = gms.wait_chat()["chatId"]
    ...     gms.join(chat_id)
    ...     gms.say(chat_id, "Hello!")
    ...     wait_text(chat_page, "Hello!")
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .chromium import ChromiumNotFound, chromium_launch_args, find_chromium
    from .control import MockGmsControl
    from .guard import OfflineGuard
    from .page import ChatPageOpener, CxkitBootError, command, events, init_script, wait_event, wait_ready, wait_text
    from .server import CxkitServer, resolve_bundle, serve

# Where each name lives: imported on first use, so that loading the pytest plugin (which
# imports this package) does not pull in httpx and Starlette for every pytest run.
_HOMES = {
    "ChromiumNotFound": "chromium", "chromium_launch_args": "chromium", "find_chromium": "chromium",
    "MockGmsControl": "control", "OfflineGuard": "guard",
    "ChatPageOpener": "page", "CxkitBootError": "page", "command": "page", "events": "page",
    "init_script": "page", "wait_event": "page", "wait_ready": "page", "wait_text": "page",
    "CxkitServer": "server", "resolve_bundle": "server", "serve": "server",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'cxkit.testing' has no attribute {name!r}")
    return getattr(import_module(f".{_HOMES[name]}", __name__), name)


__all__ = [
    "ChatPageOpener",
    "ChromiumNotFound",
    "CxkitBootError",
    "CxkitServer",
    "MockGmsControl",
    "OfflineGuard",
    "chromium_launch_args",
    "command",
    "events",
    "find_chromium",
    "init_script",
    "resolve_bundle",
    "serve",
    "wait_event",
    "wait_ready",
    "wait_text",
]
