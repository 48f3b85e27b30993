"""What the browser benches share: the Chromium they run, a fresh or a shared browser context
per load, and the machine facts every result carries.

    from common import Fresh, Shared, find_chromium, machine
    browser = pw.chromium.launch(executable_path=find_chromium())
    with Fresh(browser) as context: ...          # empty cache: a cold load
"""

from __future__ import annotations

import os
import platform
import sys
from typing import Any

from cxkit.testing.chromium import find_chromium as _find_chromium


def find_chromium() -> str:
    """The Chromium the benches drive (``CHROMIUM_PATH``, else the first on PATH), or exit."""
    path = _find_chromium()
    if not path:
        sys.exit("no Chromium found: apt-get install chromium, or set CHROMIUM_PATH")
    return path


class Fresh:
    """A new browser context (empty cache) for one load, closed after it."""

    def __init__(self, browser: Any) -> None:
        self.browser = browser

    def __enter__(self) -> Any:
        self.context = self.browser.new_context()
        return self.context

    def __exit__(self, *exc: object) -> None:
        self.context.close()


class Shared:
    """The same (persistent, warm) context for every load; left open."""

    def __init__(self, context: Any) -> None:
        self.context = context

    def __enter__(self) -> Any:
        return self.context

    def __exit__(self, *exc: object) -> None:
        pass


def machine(user_agent: str, **extra: Any) -> dict[str, Any]:
    """The facts of this machine a result is read against."""
    return {"cpus": os.cpu_count(), "platform": platform.platform(), "browser": user_agent, **extra}
