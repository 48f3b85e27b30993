"""The cxkit pytest plugin: a mock GMS, the widget bundle and booted chat pages for Playwright suites.

Installed with cxkit (entry point ``pytest11``), so the fixtures are simply there::

    def test_agent_answers(chat_page, gms):
        command(chat_page, "WebChatService.startChat", {"nickname": "Jo"})
        chat_id = gms.wait_chat()["chatId"]
        gms.join(chat_id, nickname="Anna")
        gms.say(chat_id, "Hello!")
        wait_text(chat_page, "Hello!")          # from cxkit.testing import command, wait_text

One server per session serves the bundle at ``/cxkit/`` (pages embed ``/cxkit/widgets.js``),
the mock GMS at ``/genesys``, ``/mock`` and ``/agent``, and your own pages (``--cxkit-static``)
at ``/site``, all on one 127.0.0.1 origin.
Each test that asks for ``cxkit_url``, ``gms`` or a chat page starts on a reset mock (no
chats, faults or logged requests).

Options (group ``cxkit``)
    ``--cxkit-port N``          port of the session server (default 0: a free one). With
                                pytest-xdist (``-n 2``) every worker has its own server:
                                worker ``gwK`` listens on N+K.
    ``--cxkit-bundle DIR``      a built bundle (``cxkit build --test-pages``) served as it is.
                                Without it the bundle, test pages included, is built from the
                                assets installed with cxkit (no Node) into ``$CXKIT_BUNDLE`` or a
                                user cache folder (``~/.cache/cxkit/test-bundle-<version>``); in
                                a cxkit checkout from the checkout into ``<checkout>/build``.
                                Incremental: cheap when up to date; with pytest-xdist the first
                                worker builds, under a file lock, and the others wait for it.
    ``--cxkit-agent PRESET``    agent of the session mock: ``silent`` (default; your test
                                drives the agent), ``echo``, or ``script:PATH``.
    ``--cxkit-static DIR``      serve your own pages from DIR at ``/site``.
    ``--cxkit-cors-origin ORIGIN``  (repeatable) let pages on ORIGIN call the mock.
                                Local origins (localhost, 127.0.0.1, [::1], any port) always can.

Fixtures
    ``cxkit_server_args`` (session)  ``{"host", "port", "isolate", "extra_static"}`` for the server.
    ``cxkit_mock_args`` (session)    ``{"agent", **MockConfig fields}`` for the mock GMS.
    ``cxkit_chat_page_args``         ``{"path", "timeout", "config"}`` defaults of chat pages.
    ``cxkit_bundle_dir`` (session)   the bundle folder (built or given).
    ``cxkit_server`` (session)       ``CxkitServer``: ``.url``, ``.mock`` (the in-process
                                     ``MockGMS``), ``.data_url``, ``.reset()``.
    ``cxkit_mock`` (session)         the ``MockGMS`` itself (Python API; does not reset).
    ``cxkit_url``                    the server's base URL, mock reset for this test.
    ``gms``                          ``MockGmsControl`` on the reset mock: ``wait_chat``,
                                     ``join``/``say``/``typing``/``end``/``agent``, ``fault``,
                                     ``cometd_fault``, ``clear_faults``, ``wait_message``,
                                     ``wait_request``, ``wait_typing_preview``, ``requests``,
                                     ``chat``: the names of ``MockGMS``'s own API.
    ``open_chat_page``               factory ``open_chat_page(url=None, config=None, *, mock=True,
                                     init_script=None, wait=True) -> Page``: opens the bundled
                                     test page or ``url`` (a path is relative to the server),
                                     points ``webchat.dataURL`` at the mock, merges ``config``
                                     into ``_genesys.widgets``, waits for ``WebChatService.ready``.
                                     The first page is ``cxkit_page``; later ones open in the
                                     same context (the session's, reset for each test).
    ``chat_page``                    ``open_chat_page()``: the bundled test page, booted.
    ``offline_guard``                on for chat pages, opt-in for ``page``: requests and
                                     WebSockets of the test's browser context that leave the
                                     machine are aborted and fail the test, unless it calls
                                     ``offline_guard.expect()``.
    ``browser_type_launch_args``     (only with pytest-playwright) unchanged when Playwright's
                                     own Chromium is downloaded; else ``CHROMIUM_PATH`` or a
                                     Chromium on PATH (Debian's ``chromium``); else a clear
                                     failure saying what to install. ``CHROMIUM_PATH`` always wins.

Override a ``*_args`` fixture in your root ``conftest.py`` (the server is per session, so a
module-level override of a session ``*_args`` would apply to whichever test starts it)::

    @pytest.fixture(scope="session")
    def cxkit_mock_args(cxkit_mock_args):
        return {**cxkit_mock_args, "agent": "echo", "echo_join_delay": 0}

Page helpers (``cxkit.testing``): ``command(page, name, options)``, ``events(page, name)``,
``wait_event(page, name)``, ``wait_text(page, text)``, ``wait_ready(page)``; events are recorded
in ``window.cxkitTest.events`` from before boot. Full guide: docs/pytest-plugin.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .page import BOOT_TIMEOUT_MS, ChatPageOpener

if TYPE_CHECKING:  # httpx and Starlette are imported when a fixture first needs them
    from .control import MockGmsControl
    from .server import CxkitServer

__all__: list[str] = []  # a pytest plugin: hooks and fixtures only


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cxkit", "cxkit: mock GMS, widget bundle and chat pages")
    group.addoption("--cxkit-port", type=int, default=0, metavar="N",
                    help="port of the session server (default 0: a free port)")
    group.addoption("--cxkit-bundle", default=None, metavar="DIR",
                    help="serve this built bundle as it is (default: build one, with the test pages, "
                         "into $CXKIT_BUNDLE or ~/.cache/cxkit/test-bundle-<version>)")
    group.addoption("--cxkit-agent", default="silent", metavar="PRESET",
                    help="agent preset of the session mock GMS: silent (default), echo, script:PATH")
    group.addoption("--cxkit-static", default=None, metavar="DIR",
                    help="serve your own pages from DIR at /site, beside the bundle and the mock")
    group.addoption("--cxkit-cors-origin", action="append", default=[], metavar="ORIGIN",
                    help="let pages on ORIGIN (scheme://host[:port]) call the mock GMS; repeatable")


#: pytest-base-url (pulled in by pytest-playwright) defines its session fixture the old way, and
#: pytest 9 warns about it on every run of every suite: not the user's to fix.
BASE_URL_DEPRECATION = "ignore:Session-scoped fixtures defined as instance methods:DeprecationWarning"


def pytest_configure(config: pytest.Config) -> None:
    _check_options(config)
    config.addinivalue_line("filterwarnings", BASE_URL_DEPRECATION)
    if config.pluginmanager.hasplugin("playwright") and not config.pluginmanager.hasplugin("cxkit-playwright"):
        # registered now, after every entry-point plugin, so these override pytest-playwright's
        # browser_type_launch_args and this module's stand-ins for the page fixtures
        from . import playwright_fixtures

        config.pluginmanager.register(playwright_fixtures, "cxkit-playwright")


def _check_options(config: pytest.Config) -> None:
    agent = config.getoption("cxkit_agent")
    if agent != "silent":  # the mock (and Starlette) loads only when a test needs it
        from cxkit.mockgms.agent import parse_preset

        try:
            parse_preset(agent)
        except (ValueError, OSError) as exc:
            raise pytest.UsageError(f"--cxkit-agent: {exc}") from None
    for option in ("cxkit_static", "cxkit_bundle"):  # a folder there without a bundle fails the tests that need one
        folder = config.getoption(option)
        if folder and not Path(folder).expanduser().is_dir():
            raise pytest.UsageError(f"--{option.replace('_', '-')} {folder}: not a directory")
    for origin in config.getoption("cxkit_cors_origin"):
        if origin == "*" or "://" not in origin or origin.rstrip("/").count("/") > 2:
            raise pytest.UsageError(f"--cxkit-cors-origin {origin}: expected scheme://host[:port], not '*' or a path")


# -- the session server -------------------------------------------------------------------------

@pytest.fixture(scope="session")
def cxkit_server_args(pytestconfig: pytest.Config) -> dict[str, Any]:
    """Arguments of the session server; override to add static folders or isolation."""
    static = pytestconfig.getoption("cxkit_static")
    port = pytestconfig.getoption("cxkit_port")
    if port:  # pytest-xdist: worker gwK listens on N+K, so the workers' servers never collide
        port += int(getattr(pytestconfig, "workerinput", {}).get("workerid", "gw0")[2:] or 0)
    return {
        "host": "127.0.0.1",
        "port": port,
        "isolate": False,
        "extra_static": {"/site": Path(static).expanduser().resolve()} if static else {},
    }


@pytest.fixture(scope="session")
def cxkit_mock_args(pytestconfig: pytest.Config) -> dict[str, Any]:
    """Arguments of the session mock GMS: ``agent`` plus any ``MockConfig`` field."""
    return {
        "agent": pytestconfig.getoption("cxkit_agent"),
        "cors_allow_origins": tuple(o.rstrip("/") for o in pytestconfig.getoption("cxkit_cors_origin")),
    }


@pytest.fixture(scope="session")
def cxkit_bundle_dir(pytestconfig: pytest.Config) -> Path:
    """The bundle the server serves: ``--cxkit-bundle`` as it is, or built (`resolve_bundle`)."""
    from cxkit.bundle import BuildError

    from .server import resolve_bundle

    workerinput = getattr(pytestconfig, "workerinput", {})  # set on pytest-xdist workers
    try:
        return resolve_bundle(pytestconfig.getoption("cxkit_bundle"), run_id=workerinput.get("testrunuid"))
    except BuildError as exc:
        pytest.fail(f"cxkit bundle: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def cxkit_server(
    cxkit_bundle_dir: Path, cxkit_server_args: dict[str, Any], cxkit_mock_args: dict[str, Any]
) -> Iterator[CxkitServer]:
    """The running session server (bundle, mock GMS, your static folders) on 127.0.0.1."""
    from .server import serve

    with serve(cxkit_bundle_dir, mock_args=cxkit_mock_args, server_args=cxkit_server_args) as server:
        yield server


@pytest.fixture(scope="session")
def cxkit_mock(cxkit_server: CxkitServer) -> Any:
    """The session's ``MockGMS`` (in-process Python API); not reset by itself."""
    return cxkit_server.mock


@pytest.fixture
def cxkit_url(cxkit_server: CxkitServer) -> str:
    """Base URL of the session server (no trailing slash); the mock is reset for this test."""
    cxkit_server.reset()
    return cxkit_server.url


@pytest.fixture
def gms(cxkit_url: str) -> Iterator[MockGmsControl]:
    """The reset mock GMS, driven over its control API (agent, faults, waits, request log)."""
    from .control import MockGmsControl

    with MockGmsControl(cxkit_url) as control:
        yield control


# -- pages --------------------------------------------------------------------------------------

@pytest.fixture
def cxkit_chat_page_args() -> dict[str, Any]:
    """Defaults of ``open_chat_page``: the page ``path``, boot ``timeout`` (ms), widget ``config``."""
    return {"path": "/cxkit/e2e.html", "timeout": BOOT_TIMEOUT_MS, "config": {}}


@pytest.fixture
def open_chat_page() -> Any:
    """Factory of booted chat pages; the real one comes with pytest-playwright
    (``cxkit.testing.playwright_fixtures``)."""
    _need_playwright("page")


@pytest.fixture
def chat_page(open_chat_page: ChatPageOpener) -> Any:
    """The bundled test page (``/cxkit/e2e.html``) with the widget booted and ready."""
    return open_chat_page()


@pytest.fixture
def offline_guard() -> Any:
    """Keeps the browser context offline; the real one comes with pytest-playwright."""
    _need_playwright("context")


def _need_playwright(name: str) -> None:
    pytest.fail(f"cxkit's page fixtures need pytest-playwright (no {name!r} fixture): "
                "pip install pytest-playwright", pytrace=False)
