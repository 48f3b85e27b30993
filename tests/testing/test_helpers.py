"""The plugin's pure parts: Chromium choice, the offline guard, bundle resolution, the page opener."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cxkit.bundle import BuildError
from cxkit.testing import ChromiumNotFound, OfflineGuard, chromium_launch_args, find_chromium, resolve_bundle
from cxkit.testing.chromium import CHROMIUM_FLAGS, playwright_has_chromium
from cxkit.testing.page import EVENTS, ChatPageOpener, CxkitBootError, init_script, wait_ready
from cxkit.webchat import catalog

# -- Chromium ------------------------------------------------------------------------------------

@pytest.fixture
def fake_chromium(tmp_path: Path) -> Path:
    exe = tmp_path / "bin" / "chromium"
    exe.parent.mkdir()
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    return exe


def test_playwright_s_own_chromium_is_left_alone(fake_chromium: Path) -> None:
    env = {"PATH": str(fake_chromium.parent)}
    assert chromium_launch_args({"headless": True}, browser_name="chromium", bundled_exists=True, env=env) == {
        "headless": True}


def test_without_playwright_s_chromium_the_one_on_path_is_used(fake_chromium: Path) -> None:
    env = {"PATH": str(fake_chromium.parent)}
    args = chromium_launch_args({"args": ["--lang=de"]}, browser_name="chromium", bundled_exists=False, env=env)
    assert args["executable_path"] == str(fake_chromium)
    assert args["args"] == ["--lang=de", *CHROMIUM_FLAGS]


def test_chromium_path_always_wins(fake_chromium: Path) -> None:
    env = {"CHROMIUM_PATH": str(fake_chromium), "PATH": ""}
    args = chromium_launch_args({}, browser_name="chromium", bundled_exists=True, env=env)
    assert args["executable_path"] == str(fake_chromium)


@pytest.mark.parametrize("base, browser", [
    ({}, "firefox"), ({"channel": "chrome"}, "chromium"), ({"executable_path": "/x/chrome"}, "chromium"),
])
def test_other_browsers_channels_and_chosen_binaries_are_left_alone(base: dict[str, Any], browser: str) -> None:
    assert chromium_launch_args(base, browser_name=browser, bundled_exists=False, env={"PATH": ""}) == base


def test_no_chromium_anywhere_says_what_to_install() -> None:
    with pytest.raises(ChromiumNotFound, match="playwright install chromium.*apt-get install chromium.*CHROMIUM_PATH"):
        chromium_launch_args({}, browser_name="chromium", bundled_exists=False, env={"PATH": ""})
    with pytest.raises(ChromiumNotFound, match="CHROMIUM_PATH=/no/such/chrome does not exist"):
        chromium_launch_args({}, browser_name="chromium", bundled_exists=True, env={"CHROMIUM_PATH": "/no/such/chrome"})


def test_find_chromium(fake_chromium: Path) -> None:
    assert find_chromium({"PATH": str(fake_chromium.parent)}) == str(fake_chromium)
    assert find_chromium({"PATH": "", "CHROMIUM_PATH": "/no/such"}) is None
    assert find_chromium({"PATH": ""}) is None


def test_playwright_headless_shell_counts_as_downloaded(tmp_path: Path) -> None:
    exe = tmp_path / "chromium-1255" / "chrome-linux64" / "chrome"
    assert not playwright_has_chromium(str(exe))
    shell = tmp_path / "chromium_headless_shell-1255" / "chrome-linux"
    shell.mkdir(parents=True)
    assert playwright_has_chromium(str(exe))


# -- offline guard -------------------------------------------------------------------------------

def test_offline_guard_records_and_fails_unless_expected() -> None:
    guard = OfflineGuard()
    for url in ("http://localhost:3000/", "ws://[::1]:9/x", "data:,x", "blob:http://127.0.0.1/1"):
        assert guard.check(url)
    assert not guard.check("https://gms.acme.example/genesys/2/chat/x")
    with pytest.raises(AssertionError, match="gms.acme.example"):
        guard.assert_clean()
    assert guard.expect() == ["https://gms.acme.example/genesys/2/chat/x"]
    guard.assert_clean()


class Emitter:
    """A Playwright page or context as the guard uses it: listeners by event."""

    def __init__(self) -> None:
        self.listeners: dict[str, list] = {}

    def on(self, event, fn) -> None:
        self.listeners.setdefault(event, []).append(fn)

    def remove_listener(self, event, fn) -> None:
        self.listeners[event].remove(fn)


def test_the_guard_hears_the_sockets_of_a_page_opened_before_it() -> None:
    """The first chat page is opened before the guard watches the context: its WebSockets
    elsewhere went unrecorded (pytest-plugin.md: a WebSocket elsewhere is recorded)."""

    class Socket:
        url = "wss://push.example.com/socket"

    page, context = Emitter(), Emitter()
    context.pages = [page]  # type: ignore[attr-defined]
    guard = OfflineGuard().watch(context)
    for fn in page.listeners["websocket"]:
        fn(Socket())
    assert guard.violations == ["wss://push.example.com/socket"]
    guard.uninstall(context)
    assert page.listeners["websocket"] == []


def test_the_origins_the_suite_declares_are_not_outside() -> None:
    """``--cxkit-cors-origin https://shop.test:8443`` names the page's own dev server: the guard
    lets it through and the chat context's blocking proxy is bypassed for it (a page there could
    not load at all); anything else still counts as leaving the machine."""
    from cxkit.testing.guard import blocking_proxy, hosts_of

    allowed = hosts_of(("https://shop.test:8443",))
    guard = OfflineGuard(allowed)
    assert guard.check("https://shop.test:8443/checkout") and guard.check("wss://shop.test:8443/live")
    assert not guard.check("https://cdn.example.com/x.js")
    assert guard.violations == ["https://cdn.example.com/x.js"]
    assert blocking_proxy(allowed)["bypass"].split(",") == ["127.0.0.1", "localhost", "[::1]", "shop.test"]
    assert not OfflineGuard().check("https://shop.test:8443/checkout")


def test_offline_guard_watch_records_without_routes_and_lets_go() -> None:
    from cxkit.testing.guard import BLOCKING_PROXY

    class Context(Emitter):
        def route(self, *args) -> None:
            raise AssertionError("watch() must not route: routes turn the HTTP cache off")

    class Request:
        url = "https://cdn.example.com/x.js"

    context = Context()
    guard = OfflineGuard().watch(context)
    for fn in context.listeners["request"]:
        fn(Request())
    assert guard.violations == ["https://cdn.example.com/x.js"]
    guard.uninstall(context)
    assert context.listeners == {"request": [], "page": []}
    assert BLOCKING_PROXY["server"].startswith("http://127.0.0.1:") and "127.0.0.1" in BLOCKING_PROXY["bypass"]


def test_offline_guard_routes_only_non_local_urls() -> None:
    from cxkit.testing.guard import NOT_LOCAL

    assert not NOT_LOCAL.search("http://127.0.0.1:8000/genesys/2/chat/x")
    assert not NOT_LOCAL.search("http://localhost/")
    assert NOT_LOCAL.search("http://127.0.0.1.evil.test/")
    assert NOT_LOCAL.search("https://cdn.example.com/pyodide.js")


# -- bundle --------------------------------------------------------------------------------------

def test_given_bundle_needs_widgets_js(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="no widgets.js there"):
        resolve_bundle(str(tmp_path))
    (tmp_path / "widgets.js").write_text("")
    assert resolve_bundle(str(tmp_path)) == tmp_path.resolve()


def test_an_installed_cxkit_builds_from_its_own_assets_into_a_cache_folder(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import cxkit
    import cxkit.testing.server as server

    built: list[tuple] = []
    monkeypatch.setattr(server, "find_checkout", lambda: None)
    monkeypatch.setattr(server, "build_bundle", lambda root, out, *, test_pages: built.append((root, out, test_pages)))
    monkeypatch.delenv("CXKIT_BUNDLE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    out = tmp_path / "cache" / "cxkit" / f"test-bundle-{cxkit.__version__}"
    assert resolve_bundle(None) == out
    assert built == [(None, out, True)]   # from the package's assets (root None), with the test pages


def test_the_checkout_is_built_into_cxkit_bundle(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import cxkit.testing.server as server

    built: list[tuple] = []
    monkeypatch.setattr(server, "find_checkout", lambda: tmp_path / "checkout")
    monkeypatch.setattr(server, "build_bundle", lambda root, out, *, test_pages: built.append((root, out, test_pages)))
    monkeypatch.setenv("CXKIT_BUNDLE", str(tmp_path / "out"))
    assert resolve_bundle(None) == tmp_path / "out"
    monkeypatch.delenv("CXKIT_BUNDLE")
    assert resolve_bundle(None) == tmp_path / "checkout" / "build"
    assert built == [(tmp_path / "checkout", tmp_path / "out", True),
                     (tmp_path / "checkout", tmp_path / "checkout" / "build", True)]


# -- pages (a stand-in for Playwright's Page) ----------------------------------------------------

class FakeResponse:
    def __init__(self, url: str, status: int = 200, status_text: str = "OK") -> None:
        self.url, self.status, self.status_text = url, status, status_text


class FakeRequest:
    def __init__(self, url: str, failure: str) -> None:
        self.url, self.failure = url, failure


class FakePage:
    def __init__(self, context: FakeContext) -> None:
        self.context = context
        self.scripts: list[str] = []
        self.url = "about:blank"
        self.ready = True
        self.failure: str | None = None
        self.load_errors: list[dict[str, str]] = []
        self.no_loader = False  # loaded NO_LOADER_MS ago, and no widgets.js
        self.status = 200
        self.listeners: dict[str, list[Any]] = {}

    def add_init_script(self, script: str) -> None:
        self.scripts.append(script)

    def on(self, event: str, fn: Any) -> None:
        self.listeners.setdefault(event, []).append(fn)

    def emit(self, event: str, arg: Any) -> None:
        for fn in self.listeners.get(event, []):
            fn(arg)

    def goto(self, url: str) -> FakeResponse:
        self.url = url
        return FakeResponse(url, self.status, "Not Found" if self.status == 404 else "OK")

    def wait_for_function(self, expression: str, arg: Any = None, timeout: float = 0) -> None:
        if not self.ready and not self.failure and not self.load_errors and not self.no_loader:
            raise TimeoutError(f"Timeout {timeout}ms exceeded")

    def evaluate(self, expression: str, arg: Any = None) -> Any:
        if "readyState" in expression:
            return self.no_loader
        if "loadErrors" in expression:
            return self.load_errors
        return self.failure if "failure" in expression else False


class FakeContext:
    def __init__(self) -> None:
        self.pages: list[FakePage] = []

    def new_page(self) -> FakePage:
        self.pages.append(FakePage(self))
        return self.pages[-1]


def script_args(script: str) -> dict[str, Any]:
    return json.loads(script[script.rindex("})(") + 3:script.rindex(");")])


def test_opener_uses_the_page_first_then_new_pages_in_its_context() -> None:
    context = FakeContext()
    first = context.new_page()
    opener = ChatPageOpener(first, "http://127.0.0.1:9/", config={"main": {"debug": True}})
    assert opener() is first and first.url == "http://127.0.0.1:9/cxkit/e2e.html"
    second = opener("/site/shop.html", {"webchat": {"userData": {"a": "1"}}}, init_script="window.x = 1")
    assert second is context.pages[1] and second.url == "http://127.0.0.1:9/site/shop.html"
    assert second.scripts[1] == "window.x = 1"
    args = script_args(second.scripts[0])
    assert args["mockOrigin"] == "http://127.0.0.1:9"
    assert args["config"] == {"main": {"debug": True}, "webchat": {"userData": {"a": "1"}}}
    third = opener("http://localhost:3000/", mock=False)
    assert third.url == "http://localhost:3000/" and script_args(third.scripts[0])["mockOrigin"] is None


def test_boot_failures_and_timeouts_are_explained() -> None:
    page = FakePage(FakeContext())
    page.url = "http://127.0.0.1:9/e2e.html"
    page.failure = "ImportError: no cxkit"
    with pytest.raises(CxkitBootError, match="e2e.html: cxkit boot failed: ImportError: no cxkit"):
        wait_ready(page)
    page.failure, page.ready = None, False
    with pytest.raises(CxkitBootError, match="not ready within 1s .the loader never ran: does the page include widgets.js"):
        wait_ready(page, timeout=1000)
    page.no_loader = True  # the page says so itself before the time-out
    with pytest.raises(CxkitBootError, match="e2e.html: the loader never ran: no widgets.js on the page 10 s after"):
        wait_ready(page, timeout=1000)


def test_init_script_is_valid_json_inside() -> None:
    script = init_script("http://127.0.0.1:9", {"webchat": {"x": "</script>"}})
    args = script_args(script)
    assert args["config"] == {"webchat": {"x": "</script>"}}
    assert "ready" in args["events"] and args["plugin"] == "cxkitTest"


def test_a_page_that_answers_an_http_error_fails_at_once_naming_it() -> None:
    page = FakeContext().new_page()
    page.status, page.ready = 404, False
    with pytest.raises(CxkitBootError, match=r"^http://127.0.0.1:9/cxkit/e2e.html: HTTP 404 Not Found "
                       r"\(e2e.html is one of the bundle's test pages: .*without `--test-pages`"):
        ChatPageOpener(page, "http://127.0.0.1:9")()
    shop = page.context.new_page()
    shop.status = 404
    with pytest.raises(CxkitBootError, match=r"^http://127.0.0.1:9/site/shop.html: HTTP 404 Not Found$"):
        ChatPageOpener(shop, "http://127.0.0.1:9")("/site/shop.html")


def test_a_loader_that_did_not_load_is_named_with_its_status() -> None:
    page = FakeContext().new_page()
    ChatPageOpener(page, "http://127.0.0.1:9")("/site/shop.html", wait=False)
    loader = "http://127.0.0.1:9/widgets.js"
    page.emit("response", FakeResponse("http://127.0.0.1:9/site/shop.html"))
    page.emit("response", FakeResponse(loader, 404, "Not Found"))
    page.load_errors = [{"url": loader, "error": ""}]
    with pytest.raises(CxkitBootError, match=r"shop.html: the loader http://127.0.0.1:9/widgets.js did not load: "
                       r"HTTP 404 Not Found$"):
        wait_ready(page)
    page.emit("requestfailed", FakeRequest(loader, "net::ERR_ABORTED"))   # Chromium's echo of the 404
    with pytest.raises(CxkitBootError, match="did not load: HTTP 404 Not Found$"):
        wait_ready(page)
    page.emit("requestfailed", FakeRequest(loader + "?v=2", "net::ERR_CONNECTION_REFUSED"))
    page.load_errors = [{"url": loader + "?v=2", "error": ""}]
    with pytest.raises(CxkitBootError, match="did not load: network error net::ERR_CONNECTION_REFUSED$"):
        wait_ready(page)
    other = FakeContext().new_page()  # no log: the page's own account (a loader that is not JavaScript)
    other.load_errors = [{"url": loader, "error": "SyntaxError: Unexpected token '<'"}]
    with pytest.raises(CxkitBootError, match="did not load: SyntaxError: Unexpected token '<'$"):
        wait_ready(other)


def test_init_script_watches_the_loader_s_load_errors() -> None:
    script = init_script("http://127.0.0.1:9")
    assert "loadErrors: []" in script and "addEventListener('error'" in script


def test_a_tests_config_section_is_merged_into_the_plugins_not_over_it() -> None:
    """open_chat_page(config={"cxkit": {"thread": "main"}}) dropped the plugin's own cxkit
    options (snapshot, boot "now"): the sections were merged one level only."""
    import json

    from cxkit.testing.page import ChatPageOpener

    class Page:
        def __init__(self) -> None:
            self.scripts: list[str] = []

        def add_init_script(self, script: str) -> None:
            self.scripts.append(script)

        def on(self, event, fn) -> None:
            pass

        def goto(self, url):
            return None

    page = Page()
    opener = ChatPageOpener(page, "http://127.0.0.1:1", config={"cxkit": {"snapshot": True, "boot": "now"}})
    opener.open(config={"cxkit": {"thread": "main"}, "webchat": {"userData": {"a": "1"}}}, wait=False)
    script = page.scripts[0]
    config = json.loads(script[script.rindex("})(") + 3:script.rindex(");")])["config"]  # the script's argument
    assert config == {"cxkit": {"snapshot": True, "boot": "now", "thread": "main"}, "webchat": {"userData": {"a": "1"}}}


def test_the_chat_page_records_every_webchatservice_event_but_ajax_response():
    """pytest-plugin.md: every WebChatService event but ajaxResponse is recorded (EVENTS names
    them): an event the service gains must be recorded too."""
    assert sorted(EVENTS) == sorted(set(catalog.EVENTS) - {"ajaxResponse"})
