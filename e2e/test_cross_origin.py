"""The bundle on another origin than the page (a static host, a CDN-like subdomain, another
port): the loader, its modules, the worker and Pyodide's downloads are CORS requests, and a
worker script from another origin starts from a ``blob:`` URL. Here the page comes from a plain
static server of its own, and the bundle and the mock GMS from the session server: as it is,
cross-origin isolated (COOP/COEP), and under the policies docs/csp.md gives for this case.

Waits poll inside the page (``until``, from e2e_support.VIOLATIONS): Playwright's
``wait_for_function`` uses ``eval``, which the worker's policy blocks.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from e2e_support import RECORDER, VIOLATIONS, command, documented_policies, trusted_types_policy

#: Records the URL of each worker the page starts.
WORKERS = """
window.workersStarted = [];
const PageWorker = window.Worker;
window.Worker = function (url, options) { workersStarted.push(String(url)); return new PageWorker(url, options); };
"""

#: The page; with a policy, its <meta> comes first. No inline script: the policies allow none.
PAGE = """<!doctype html><html><head><meta charset="utf-8">%(meta)s<title>Shop</title></head><body>
<script src="config-%(thread)s.js"></script>
<script src="%(bundle)s/cxkit/widgets.js"></script>
<script src="early.js"></script>
</body></html>"""
CONFIG = """window._genesys = {widgets: {webchat: {dataURL: "%(bundle)s/genesys/2/chat/customer-support"},
  cxkit: {boot: "now", thread: "%(thread)s"}}};"""
#: The origin docs/csp.md names for the bundle in its policies.
DOC_ORIGIN = "https://static.your.site"
THREADS = ("worker", "main")
BOOT_TIMEOUT_MS = 60_000


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
    """A plain static server (another port: another origin) with, per thread, a plain page, a
    cross-origin isolated one, one under the thread's documented policy, and one under that
    policy without the sources that let WebAssembly compile; and a worker page under the worker
    policy plus the Trusted Types line."""
    policies = dict(zip(THREADS, documented_policies()[2:], strict=True))
    (tmp_path / "early.js").write_text("cxkitTestEarly();\n")
    for thread in THREADS:
        fill = {"bundle": server_url, "thread": thread, "meta": ""}
        (tmp_path / f"config-{thread}.js").write_text(CONFIG % fill)
        for name in (thread, f"{thread}-isolated"):
            (tmp_path / f"{name}.html").write_text(PAGE % fill)
        policy = policies[thread].replace(DOC_ORIGIN, server_url)
        meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        (tmp_path / f"{thread}-csp.html").write_text(PAGE % {**fill, "meta": meta})
        strict = meta.replace(" 'wasm-unsafe-eval'", "").replace(" 'unsafe-eval'", "")
        (tmp_path / f"{thread}-nowasm.html").write_text(PAGE % {**fill, "meta": strict})
    worker_policy = policies["worker"].replace(DOC_ORIGIN, server_url) + "; " + trusted_types_policy()
    (tmp_path / "worker-trusted-types.html").write_text(PAGE % {
        "bundle": server_url, "thread": "worker",
        "meta": f'<meta http-equiv="Content-Security-Policy" content="{worker_policy}">'})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_SiteHandler, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("thread, variant", [(thread, variant) for thread in THREADS
                                             for variant in ("plain", "isolated", "csp")]
                         + [("worker", "trusted-types")])  # docs/csp.md: main-thread mode cannot
def test_a_bundle_on_another_origin_boots_and_chats(page, server_url, site, gms, thread, variant):
    page.add_init_script(VIOLATIONS + WORKERS + RECORDER)
    page.goto(f"{site}/{thread}{'' if variant == 'plain' else '-' + variant}.html")
    page.evaluate("ms => until(() => window.__cxkit && (__cxkit.failure || ev.some(e => e.name === 'ready')), ms)",
                  BOOT_TIMEOUT_MS)
    assert page.evaluate("window.__cxkit.failure") is None
    assert page.evaluate("location.origin") == site != server_url
    assert page.evaluate("crossOriginIsolated") is (variant == "isolated")
    assert page.evaluate("window.__cxkit.thread") == thread
    if thread == "worker":
        assert [url[:5] for url in page.evaluate("workersStarted")] == ["blob:"]

    assert command(page, "WebChatService.startChat", {"nickname": "Jo"})["ok"]
    chat_id = gms.wait_chat()["chatId"]
    gms.agent(chat_id, "join", nickname="Anna")
    gms.agent(chat_id, "say", text="Hello across origins")
    page.evaluate("""() => until(() => ev.some(e => e.name === 'messageReceived'
        && e.data.messages.some(m => m.text === 'Hello across origins')))""")
    assert command(page, "WebChatService.sendMessage", {"message": "hi back"})["ok"]
    gms.wait_message(chat_id, type="Message", text="hi back", from_type="Client")
    assert page.evaluate("cspViolations") == []


@pytest.mark.parametrize("thread", THREADS)
def test_a_policy_that_forbids_webassembly_fails_the_boot_at_once(page, site, thread):
    """Pyodide only logs a failed compile and never settles: the loader hears it, and the page's
    waiting calls are rejected with the reason instead of hanging."""
    page.add_init_script(VIOLATIONS + RECORDER)
    page.goto(f"{site}/{thread}-nowasm.html")
    page.evaluate("() => { CXBus.command('WebChatService.getSessionData').fail(r => { window.rejected = r; }); }")
    failure = page.evaluate("() => until(() => window.__cxkit.failure)")
    assert "pyodide.asm.wasm: CompileError" in failure and "Content Security" in failure, failure
    assert page.evaluate("() => until(() => window.rejected)") == failure



class _NoCorsHandler(SimpleHTTPRequestHandler):
    """A plain static server that sends no CORS headers (and .mjs as JavaScript)."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".mjs": "text/javascript"}

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_bundle_on_another_origin_without_cors_fails_the_boot_at_once(page, site, bundle_dir, tmp_path):
    """docs/serving.md: without Access-Control-Allow-Origin on the bundle's files the boot fails
    at once, naming the loader's module it could not load; waiting calls are rejected with it."""
    (tmp_path / "plain" / "cxkit").parent.mkdir()
    (tmp_path / "plain" / "cxkit").symlink_to(bundle_dir)
    bundle = ThreadingHTTPServer(("127.0.0.1", 0), partial(_NoCorsHandler, directory=str(tmp_path / "plain")))
    threading.Thread(target=bundle.serve_forever, daemon=True).start()
    no_cors = f"http://127.0.0.1:{bundle.server_address[1]}"
    (tmp_path / "shop.html").write_text(f'<!doctype html><script src="config-worker.js"></script>'
                                        f'<script src="{no_cors}/cxkit/widgets.js"></script>')
    page.add_init_script(VIOLATIONS + RECORDER)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{site}/shop.html")
        page.evaluate("() => { CXBus.command('WebChatService.getSessionData').fail(r => { window.rejected = r; }); }")
        failure = page.evaluate("() => until(() => window.__cxkit.failure)")
    finally:
        bundle.shutdown()
        bundle.server_close()
    link = failure.split(": ")[0].removeprefix("cannot load ")
    assert link.startswith(f"{no_cors}/cxkit/modules/") and link.endswith("/link.mjs"), failure
    assert failure == f"cannot load {link}: TypeError: Failed to fetch dynamically imported module: {link}"
    assert page.evaluate("() => until(() => window.rejected)") == failure
    assert f"cxkit: boot failed: {failure}" in errors
