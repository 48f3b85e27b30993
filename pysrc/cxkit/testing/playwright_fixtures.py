"""Fixtures registered only when pytest-playwright is installed (after it, so they override).

    $ pytest                           # Playwright's Chromium if downloaded, else Debian's
    $ CHROMIUM_PATH=/opt/chrome/chrome pytest          # this binary, always
"""

from __future__ import annotations

from typing import Any

import pytest

from .chromium import ChromiumNotFound, chromium_launch_args, playwright_has_chromium


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
