"""The bundle on another origin than the page (a static host, a CDN-like subdomain, another
port): the loader, its modules, the worker and Pyodide's downloads are CORS requests, and a
worker script from another origin starts from a ``blob:`` URL. Here the page comes from a plain
static server of its own, and the bundle and the mock GMS from the session server.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from e2e_support import RECORDER, command

#: Records the URL of each worker the page starts.
WORKERS = """
window.workersStarted = [];
const PageWorker = window.Worker;
window.Worker = function (url, options) { workersStarted.push(String(url)); return new PageWorker(url, options); };
"""

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Shop</title></head><body>
<script>window._genesys = {widgets: {webchat: {dataURL: "%(bundle)s/genesys/2/chat/customer-support"},
  cxkit: {boot: "now", thread: "%(thread)s"}}};</script>
<script src="%(bundle)s/cxkit/widgets.js"></script>
<script>cxkitTestEarly();</script>
</body></html>"""


class _SiteHandler(SimpleHTTPRequestHandler):
    """Pages named ``*-isolated.html`` come with COOP/COEP, as a cross-origin isolated site's."""

    def end_headers(self) -> None:
        if self.path.endswith("-isolated.html"):
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def site(tmp_path: Path, server_url: str) -> Iterator[str]:
    """A plain static server (another port: another origin) with a page per thread, each also
    cross-origin isolated."""
    for thread in ("worker", "main"):
        for name in (thread, f"{thread}-isolated"):
            (tmp_path / f"{name}.html").write_text(PAGE % {"bundle": server_url, "thread": thread})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_SiteHandler, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("isolated", [False, True], ids=["plain", "coop-coep"])
@pytest.mark.parametrize("thread", ["worker", "main"])
def test_a_bundle_on_another_origin_boots_and_chats(page, server_url, site, gms, thread, isolated):
    page.add_init_script(WORKERS + RECORDER)
    page.goto(f"{site}/{thread}{'-isolated' if isolated else ''}.html")
    page.wait_for_function("() => window.__cxkit && (__cxkit.failure || ev.some(e => e.name === 'ready'))",
                           timeout=60_000)
    assert page.evaluate("window.__cxkit.failure") is None
    assert page.evaluate("location.origin") == site
    assert page.evaluate("crossOriginIsolated") is isolated
    assert page.evaluate("window.__cxkit.thread") == thread
    workers = page.evaluate("workersStarted")
    if thread == "worker":
        assert [url[:5] for url in workers] == ["blob:"], workers

    assert command(page, "WebChatService.startChat", {"nickname": "Jo"})["ok"]
    chat_id = gms.wait_chat()["chatId"]
    gms.agent(chat_id, "join", nickname="Anna")
    gms.agent(chat_id, "say", text="Hello across origins")
    page.wait_for_function("""() => ev.some(e => e.name === 'messageReceived'
        && e.data.messages.some(m => m.text === 'Hello across origins'))""", timeout=20_000)
    assert command(page, "WebChatService.sendMessage", {"message": "hi back"})["ok"]
    gms.wait_message(chat_id, type="Message", text="hi back", from_type="Client")
