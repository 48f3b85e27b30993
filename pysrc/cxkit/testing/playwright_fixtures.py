"""Fixtures registered only when pytest-playwright is installed (after it, so they override
its ``browser_type_launch_args`` and the plugin's stand-ins that explain it is missing).

    $ pytest                           # Playwright's Chromium if downloaded, else Debian's
    $ CHROMIUM_PATH=/opt/chrome/chrome pytest          # this binary, always
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from .chromium import ChromiumNotFound, chromium_launch_args, playwright_has_chromium
from .guard import OfflineGuard
from .page import ChatPageOpener


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any], browser_type: Any, browser_name: str) -> dict[str, Any]:
    """pytest-playwright's launch arguments, pointed at a system Chromium only when needed
    (see ``cxkit.testing.chromium``)."""
    try:
        return chromium_launch_args(
            browser_type_launch_args, browser_name=browser_name,
            bundled_exists=playwright_has_chromium(browser_type.executable_path),
        )
    except ChromiumNotFound as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def open_chat_page(
    request: pytest.FixtureRequest, page: Any, cxkit_url: str, cxkit_chat_page_args: dict[str, Any]
) -> ChatPageOpener:
    """Factory: ``open_chat_page(url=None, config=None, *, mock=True, init_script=None)`` -> a
    Playwright page with the widget booted and ``WebChatService.ready`` received."""
    if "offline_guard" in request.fixturenames:
        request.getfixturevalue("offline_guard")  # routes must be in place before the first page loads
    return ChatPageOpener(page, cxkit_url, **cxkit_chat_page_args)


@pytest.fixture
def offline_guard(context: Any) -> Iterator[OfflineGuard]:
    """Keep the test's browser context on this machine; fails the test at teardown if a request
    tried to leave, unless the test called ``offline_guard.expect()``."""
    guard = OfflineGuard().install(context)
    yield guard
    guard.assert_clean()
