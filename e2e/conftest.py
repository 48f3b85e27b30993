"""The project's e2e suite on the cxkit pytest plugin (cxkit.testing.plugin).

The plugin gives the session server, the mock GMS (``gms``), chat pages and Chromium; this
file only adds what this suite wants on top:

- every test's browser context is kept offline (``offline_guard`` for any test using
  ``page`` or ``context``; a test that provokes outside requests calls ``offline_guard.expect()``);
- the how-to pages of ``examples/site`` are served at ``/site`` (a ``cxkit_server_args``
  override, as a user would write it);
- the names older tests use: ``server_url`` and ``mock_gms`` (session), ``bundle_dir``,
  ``booted_page``, and ``window.ev`` / ``window.T`` on chat pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import ALIASES, wait_booted
from playwright.sync_api import expect

EXAMPLE_SITE = Path(__file__).parent / "examples" / "site"

# What an assertion waits for often comes by polling (up to pollRateMax, 3 s, apart); 5 s, the
# default, left a loaded machine little room.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def cxkit_server_args(cxkit_server_args: dict[str, Any]) -> dict[str, Any]:
    return {**cxkit_server_args, "extra_static": {"/site": EXAMPLE_SITE, **cxkit_server_args["extra_static"]}}


@pytest.fixture(autouse=True)
def _offline(request: pytest.FixtureRequest) -> Iterator[None]:
    if "context" in request.fixturenames or "page" in request.fixturenames:
        request.getfixturevalue("offline_guard")
    yield


@pytest.fixture(scope="session")
def bundle_dir(cxkit_bundle_dir: Path) -> Path:
    return cxkit_bundle_dir


@pytest.fixture(scope="session")
def mock_gms(cxkit_mock: Any) -> Any:
    return cxkit_mock


@pytest.fixture(scope="session")
def server_url(cxkit_server: Any) -> str:
    """The session server's URL (session-scoped for module fixtures; resets come with ``gms``)."""
    return cxkit_server.url


@pytest.fixture
def booted_page(page: Any, cxkit_url: str) -> Any:
    """The e2e page with cxkit booted (no recorder, no wait for WebChatService.ready)."""
    page.goto(f"{cxkit_url}/cxkit/e2e.html")
    wait_booted(page)
    return page


@pytest.fixture
def chat_page(open_chat_page: Any) -> Any:
    """The plugin's chat page, plus ``window.ev`` / ``window.T`` for the tests written before it."""
    return open_chat_page(init_script=ALIASES)
