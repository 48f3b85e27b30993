"""Fixtures registered only when pytest-playwright is installed (after it, so they override
its ``browser_type_launch_args`` and the plugin's stand-ins that explain it is missing).

    $ pytest                           # Playwright's Chromium if downloaded, else Debian's
    $ CHROMIUM_PATH=/opt/chrome/chrome pytest          # this binary, always
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .chromium import ChromiumNotFound, chromium_launch_args, playwright_has_chromium
from .guard import OfflineGuard, blocking_proxy, hosts_of
from .page import ChatPageOpener
from .shared_context import SharedContext


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any], browser_type: Any,
                             browser_name: str) -> dict[str, Any]:
    """pytest-playwright's launch arguments, pointed at a system Chromium only when needed
    (see ``cxkit.testing.chromium``)."""
    try:
        return chromium_launch_args(
            browser_type_launch_args, browser_name=browser_name,
            bundled_exists=playwright_has_chromium(browser_type.executable_path),
        )
    except ChromiumNotFound as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def cxkit_shared_context(browser: Any, browser_context_args: dict[str, Any],
                         cxkit_mock_args: dict[str, Any]) -> Iterator[SharedContext]:
    """The session's context for chat pages (``cxkit.testing.shared_context``), behind the
    offline guard's blocking proxy unless the suite's context arguments name a proxy; the hosts
    of ``--cxkit-cors-origin`` (the page's own dev server) bypass it, as local ones do."""
    allowed = hosts_of(cxkit_mock_args.get("cors_allow_origins"))
    context = browser.new_context(**{"proxy": blocking_proxy(allowed), **browser_context_args})
    shared = SharedContext(context)
    shared.blocked = "proxy" not in browser_context_args
    yield shared
    context.close()


@pytest.fixture
def cxkit_page(cxkit_shared_context: SharedContext) -> Iterator[Any]:
    """A new page in the session's chat context; the context is reset to new after the test
    (while its pages are still open: Cache Storage is reached through them)."""
    yield cxkit_shared_context.new_page()
    cxkit_shared_context.reset()


@pytest.fixture
def open_chat_page(
    request: pytest.FixtureRequest, cxkit_page: Any, cxkit_url: str, cxkit_chat_page_args: dict[str, Any]
) -> ChatPageOpener:
    """Factory: ``open_chat_page(url=None, config=None, *, mock=True, init_script=None)`` -> a
    Playwright page with the widget booted and ``WebChatService.ready`` received. Its pages live
    in the session's shared context (reset for each test), boot at once (``cxkit.boot`` "now":
    no wait for the browser to be idle) and from the loader's snapshot."""
    args = dict(cxkit_chat_page_args)
    config = dict(args.get("config") or {})
    config["cxkit"] = {"snapshot": True, "boot": "now", **(config.get("cxkit") or {})}
    args["config"] = config
    request.getfixturevalue("offline_guard")  # in place before the first page loads
    return ChatPageOpener(cxkit_page, cxkit_url, **args)


@pytest.fixture
def offline_guard(request: pytest.FixtureRequest) -> Iterator[OfflineGuard]:
    """Keep the test's browser context on this machine (the chat pages' shared context for a
    test that opens chat pages, else ``context``); fails the test at teardown if a request
    tried to leave, unless the test called ``offline_guard.expect()``."""
    guard = OfflineGuard(hosts_of(request.getfixturevalue("cxkit_mock_args").get("cors_allow_origins")))
    if "open_chat_page" in request.fixturenames:
        shared: SharedContext = request.getfixturevalue("cxkit_shared_context")
        request.getfixturevalue("cxkit_page")  # the reset after the test comes after this teardown
        context = shared.context
        if shared.blocked:  # the blocking proxy keeps the HTTP cache on (a route would turn it off: slower boots)
            guard.watch(context)
        else:
            guard.install(context)
    else:
        context = request.getfixturevalue("context")
        guard.install(context)
    yield guard
    guard.uninstall(context)
    guard.assert_clean()
