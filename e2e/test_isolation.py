"""Chat pages share one browser context per session (for speed), yet nothing leaks between
tests: the second test sees none of what the first left, and does not restore its chat.

The two tests run in file order; the second fails if the shared context is not reset.
"""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import urlsplit

from e2e_support import command, events, named_host_browser, wait_event

from cxkit.testing.guard import blocking_proxy

LEAVE_TRACES = """async () => {
    document.cookie = 'left=1; path=/';
    localStorage.setItem('left', '1');
    sessionStorage.setItem('left', '1');
    await (await caches.open('page-cache')).put('/left', new Response('1'));
    await new Promise((ok, no) => {
        const open = indexedDB.open('left', 1);
        open.onupgradeneeded = () => open.result.createObjectStore('s');
        open.onsuccess = () => { open.result.close(); ok(); };
        open.onerror = no;
    });
}"""

FIND_TRACES = """async () => ({
    cookie: document.cookie,
    local: localStorage.getItem('left'),
    session: sessionStorage.getItem('left'),
    caches: (await caches.keys()).filter(k => k !== 'cxkit'),
    idb: (await indexedDB.databases()).map(d => d.name),
})"""


def other_origin(url: str) -> str:
    """The same page on another origin of the same server (localhost for 127.0.0.1)."""
    return url.replace("127.0.0.1", "localhost")


def test_first_leaves_a_chat_and_traces_everywhere(chat_page, gms):
    assert command(chat_page, "WebChatService.startChat", {"nickname": "Jo"})["ok"]
    gms.wait_chat()
    chat_page.evaluate(LEAVE_TRACES)
    assert chat_page.evaluate(FIND_TRACES)["local"] == "1"  # the traces are really there
    here = chat_page.url  # traces on a second origin, which no page shows when the test ends
    chat_page.goto(other_origin(here))
    chat_page.evaluate(LEAVE_TRACES)
    assert chat_page.evaluate(FIND_TRACES)["caches"] == ["page-cache"]
    chat_page.goto(here)


def test_second_sees_none_of_them_and_restores_nothing(chat_page):
    found = chat_page.evaluate(FIND_TRACES)
    assert "left=" not in found["cookie"] and "_genesys.widgets.webchat.state" not in found["cookie"]
    assert (found["local"], found["session"], found["caches"], found["idb"]) == (None, None, [], [])
    assert "restored" not in events(chat_page)
    assert command(chat_page, "WebChatService.verifySession")["value"] == {"sessionActive": False}
    wait_event(chat_page, "ready")
    chat_page.goto(other_origin(chat_page.url))
    found = chat_page.evaluate(FIND_TRACES)
    assert "left=" not in found["cookie"]
    assert (found["local"], found["session"], found["caches"], found["idb"]) == (None, None, [], [])


CACHED_MODULES = """() => performance.getEntriesByType('resource')
    .filter(e => e.name.endsWith('.mjs')).map(e => e.transferSize)"""


def test_chat_pages_keep_the_http_cache_and_nothing_leaves(open_chat_page, offline_guard):
    """The shared context is guarded by a proxy that fails outside requests, not by routes
    (which would turn the HTTP cache off and make every boot fetch everything again)."""
    first = open_chat_page()
    second = open_chat_page()  # a second page of the context: the loader's modules come from the cache
    assert first.evaluate(CACHED_MODULES) and second.evaluate(CACHED_MODULES) == [0] * len(
        second.evaluate(CACHED_MODULES))
    left = offline_guard.expect()
    assert second.evaluate("fetch('http://example.invalid/probe.js').then(() => 'loaded', () => 'failed')") == "failed"
    assert left == ["http://example.invalid/probe.js"]


def test_the_chat_contexts_proxy_lets_the_suites_own_origin_through(browser_type, browser_type_launch_args,
                                                                     server_url):
    """The chat pages' context is made with a proxy nobody listens on (the offline guard); the
    hosts of ``--cxkit-cors-origin`` bypass it like loopback does, so a page on the suite's own
    dev server loads, while any other host still cannot be reached."""
    port = urlsplit(server_url).port
    browser = named_host_browser(browser_type, browser_type_launch_args, "shop.cxkit.test")
    try:
        for allowed, loads in (((), False), (("shop.cxkit.test",), True)):
            context = browser.new_context(proxy=blocking_proxy(allowed))
            try:
                page = context.new_page()
                try:
                    answer = page.goto(f"http://shop.cxkit.test:{port}/cxkit/e2e.html")
                    loaded = answer is not None and answer.ok
                except Exception:  # the proxy refuses: net::ERR_PROXY_CONNECTION_FAILED
                    loaded = False
                assert loaded is loads, allowed
            finally:
                context.close()
    finally:
        browser.close()


PROXY_SUITE_CONFTEST = '''
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Answer(BaseHTTPRequestHandler):  # a proxy that answers every request itself
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    server = f"http://127.0.0.1:{proxy.server_address[1]}"
    return {**browser_context_args, "proxy": {"server": server, "bypass": "127.0.0.1,localhost"}}
'''

PROXY_SUITE_TEST = '''
def test_a_chat_page_reaches_out(open_chat_page):
    page = open_chat_page()
    reached = page.evaluate(
        "fetch('http://example.invalid/probe.js', {mode: 'no-cors'}).then(() => 'answered', () => 'failed')")
    assert reached == "failed"  # the proxy answers everything: only a route stops the request
'''


def test_a_suite_with_a_proxy_of_its_own_is_guarded_by_a_route(bundle_dir, tmp_path):
    """docs/pytest-plugin.md: when the suite's `browser_context_args` name a proxy of their own,
    the offline guard routes instead of using its blocking proxy: an outside request from a chat
    page is stopped (though that proxy would answer it) and fails the test, naming the URL (a
    user's suite, run in a pytest of its own)."""
    (tmp_path / "conftest.py").write_text(PROXY_SUITE_CONFTEST)
    (tmp_path / "test_proxy.py").write_text(PROXY_SUITE_TEST)
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS" and not k.startswith("PYTEST_XDIST")}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                          f"--cxkit-bundle={bundle_dir}", str(tmp_path)],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert "1 passed, 1 error" in run.stdout, run.stdout[-3000:]
    assert "http://example.invalid/probe.js" in run.stdout, run.stdout[-3000:]
