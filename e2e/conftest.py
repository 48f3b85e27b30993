"""Real-browser test rig: Debian's Chromium, one session server, an offline guard.

Every test's browser context is watched: a request to anything but the local server is
aborted and recorded, and so is any WebSocket, and the test fails at teardown unless it
says it expected them (``offline_guard.expect()``).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import pytest

from cxkit.bundle import build_bundle, project_root
from cxkit.server import create_app, run_in_thread
from e2e_support import wait_booted

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
NOT_LOCAL = re.compile(r"^(?!(?:https?|wss?)://(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?(?:/|$))(?!data:|blob:|about:)")


def find_chromium() -> str | None:
    """``CHROMIUM_PATH`` if set, else the first Chromium on PATH."""
    env = os.environ.get("CHROMIUM_PATH")
    if env:
        return env if Path(env).exists() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    exe = find_chromium()
    if exe is None:
        pytest.exit(
            "no Chromium found: install Debian's package (`apt-get install chromium`) "
            "or set CHROMIUM_PATH to a Chromium binary",
            returncode=4,
        )
    return {**browser_type_launch_args, "executable_path": exe, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="session")
def bundle_dir() -> Path:
    out = Path(os.environ.get("CXKIT_BUNDLE") or project_root() / "build")
    build_bundle(project_root(), out)
    return out


def _mock_gms():
    try:
        from cxkit.mockgms import MockGMS
    except ImportError:
        return None
    return MockGMS(agent="silent")


@pytest.fixture(scope="session")
def mock_gms():
    return _mock_gms()


@pytest.fixture(scope="session")
def server_url(bundle_dir: Path, mock_gms) -> Iterator[str]:
    with run_in_thread(create_app(bundle_dir, mock=mock_gms)) as url:
        yield url


class OfflineGuard:
    """Records every request that tried to leave the local machine."""

    def __init__(self) -> None:
        self.violations: list[str] = []
        self.expected = False

    def expect(self) -> list[str]:
        """Declare that this test provokes outside requests; returns the record."""
        self.expected = True
        return self.violations

    def check(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about", "chrome-extension"):
            return True
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname in LOCAL_HOSTS:
            return True
        self.violations.append(url)
        return False


@pytest.fixture
def offline_guard(context) -> OfflineGuard:
    guard = OfflineGuard()

    def route(r) -> None:
        if guard.check(r.request.url):
            r.continue_()
        else:
            r.abort("blockedbyclient")

    # Only non-local URLs are routed, and the regex is matched inside the Playwright driver:
    # with the sync API a routed request waits until the test next talks to the browser, so
    # routing local requests would stall the page while a test blocks on the mock's long poll.
    context.route(NOT_LOCAL, route)
    context.on("page", lambda page: page.on("websocket", lambda ws: guard.check(ws.url)))
    return guard


@pytest.fixture(autouse=True)
def _no_outside_requests(request: pytest.FixtureRequest) -> Iterator[None]:
    if "context" not in request.fixturenames and "page" not in request.fixturenames:
        yield
        return
    guard: OfflineGuard = request.getfixturevalue("offline_guard")
    yield
    if not guard.expected:
        assert guard.violations == [], f"requests left 127.0.0.1: {guard.violations}"


@pytest.fixture
def booted_page(page, server_url: str, offline_guard: OfflineGuard):
    """The e2e page with cxkit booted."""
    page.goto(f"{server_url}/e2e.html")
    wait_booted(page)
    return page


@pytest.fixture
def gms(server_url: str):
    """The session's mock GMS, reset for this test, driven over its control API."""
    from cxkit.testing import MockGmsControl

    control = MockGmsControl(server_url)
    control.reset()
    yield control
    control.close()


@pytest.fixture
def chat_page(page, server_url: str, gms, offline_guard: OfflineGuard):
    """The e2e page booted, with every WebChatService event recorded (e2e_support.RECORDER)."""
    from e2e_support import RECORDER

    page.add_init_script(RECORDER)
    page.goto(f"{server_url}/e2e.html")
    wait_booted(page)
    page.wait_for_function("window.ev.some(e => e.name === 'ready')")
    return page
