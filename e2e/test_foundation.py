"""The loader, the bundle and the offline promise, in real Chromium."""

from __future__ import annotations

import json
import shutil
from typing import Any
from urllib.parse import urlsplit

import pytest
from e2e_support import named_host_browser, wait_async, wait_booted

from cxkit.server import create_app, run_in_thread


def test_script_tag_defines_cxbus_at_once_and_boots(page, server_url):
    page.add_init_script(
        "window.cxkitTestEarly = () => { window.seenEarly = typeof window.CXBus.registerPlugin"
        " + '/' + typeof window._genesys.widgets.bus.registerPlugin; }"
    )
    page.goto(f"{server_url}/cxkit/e2e.html")
    assert page.evaluate("window.seenEarly") == "function/function"
    wait_booted(page)
    assert page.evaluate("window.__cxkit.failure") is None
    assert page.evaluate("window.__cxkit.attached") is True


def test_call_queued_before_boot_is_answered_after_boot(page, server_url):
    page.add_init_script("""
        window.cxkitTestEarly = () => {
          window.attachedWhenCalled = window.__cxkit.attached;
          const p = CXBus.registerPlugin('Early');
          p.registerCommand('ping', e => e.deferred.resolve('pong:' + e.data.n));
          p.ready();
          window.answers = [];
          for (const n of [1, 2, 3]) p.command('Early.ping', {n}).done(v => window.answers.push(v));
        };
    """)
    page.goto(f"{server_url}/cxkit/e2e.html")
    page.wait_for_function("window.answers && window.answers.length === 3", timeout=60_000)
    assert page.evaluate("window.attachedWhenCalled") is False
    assert page.evaluate("window.answers") == ["pong:1", "pong:2", "pong:3"]


@pytest.mark.parametrize("variant", ["e2e_async.html", "e2e_defer.html"])
def test_async_and_defer_script_tags_boot(page, server_url, variant):
    page.goto(f"{server_url}/cxkit/{variant}")
    wait_booted(page)
    assert page.evaluate("window.__cxkit.attached") is True


@pytest.mark.parametrize("variant", ["e2e_async.html", "e2e_defer.html"])
def test_with_async_or_defer_page_code_goes_in_an_extension_or_on_ready(page, server_url, variant):
    """The README's advice for an async or deferred tag: inline code after it may not find CXBus
    (a deferred tag runs after the page is parsed), an extension and onReady always do."""
    page.add_init_script("""
        window.cxkitTestConfig = (widgets) => {
          widgets.extensions = {Mine: ($, bus, Common) => {
            const mine = bus.registerPlugin('Mine');
            mine.registerCommand('hello', e => e.deferred.resolve('hello ' + e.data.name));
            mine.ready();
          }};
          widgets.onReady = (bus) => {
            bus.command('Mine.hello', {name: 'page'}).done(v => { window.answer = v; });
          };
        };
        window.cxkitTestEarly = () => { window.inline = typeof window.CXBus; };
    """)
    page.goto(f"{server_url}/cxkit/{variant}")
    page.wait_for_function("window.answer || window.__cxkit && window.__cxkit.failure", timeout=60_000)
    assert page.evaluate("window.answer") == "hello page"
    if variant == "e2e_defer.html":
        assert page.evaluate("window.inline") == "undefined"


def test_offline_guard_catches_an_outside_request(page, server_url, offline_guard):
    page.goto(f"{server_url}/cxkit/e2e.html")
    violations = offline_guard.expect()
    page.evaluate("fetch('http://example.invalid/probe.js').catch(() => null)")
    page.evaluate("""new Promise(done => {
        const img = new Image(); img.onerror = img.onload = done;
        img.src = 'https://cdn.example.com/pixel.png';
    })""")
    assert violations == ["http://example.invalid/probe.js", "https://cdn.example.com/pixel.png"]


def test_a_broken_bundle_is_reported_and_queued_calls_rejected(page, bundle_dir, tmp_path):
    broken = tmp_path / "bundle"
    shutil.copytree(bundle_dir, broken)
    # the wheel the loader names (a rebuild keeps the ones it replaced for a day beside it)
    wheel = broken / json.loads((broken / "manifest.json").read_text())["wheels"][0]
    for twin in wheel.parent.iterdir():
        twin.unlink()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.add_init_script("""
        window.cxkitTestEarly = () => {
          window.rejections = [];
          CXBus.command('App.anything').fail(r => window.rejections.push(r));
        };
    """)
    with run_in_thread(create_app(broken)) as url:
        page.goto(f"{url}/cxkit/e2e.html")
        page.wait_for_function("window.rejections.length === 1", timeout=60_000)
    reason = page.evaluate("window.rejections[0]")
    assert wheel.name in reason and "404" in reason
    assert any("cxkit: boot failed" in e and wheel.name in e for e in errors)
    # a call made after the failure is rejected at once with the same reason
    later = page.evaluate("new Promise(r => CXBus.command('App.x').fail(r))")
    assert later == reason



def test_a_failure_after_attach_is_still_reported(page, server_url):
    # Main-thread mode: boot() reads document.hidden after attaching the JS face
    # (App.data('pageHidden')); a page that breaks that getter makes boot raise after attach,
    # on the real code path.
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.add_init_script("""
        window.cxkitTestConfig = (widgets) => {
          widgets.cxkit = {thread: 'main'};
          Object.defineProperty(document, 'hidden', {
            configurable: true, get() { throw new Error('hidden is broken'); }});
        };
        window.cxkitTestEarly = () => {
          window.failed = [];
          addEventListener('cxkit:failed', e => window.failed.push(e.detail));
        };
    """)
    page.goto(f"{server_url}/cxkit/e2e.html")
    page.wait_for_function("window.failed.length === 1", timeout=60_000)
    detail = page.evaluate("window.failed[0]")
    assert "hidden is broken" in detail
    assert page.evaluate("[window.__cxkit.attached, window.__cxkit.failure]") == [True, detail]
    assert any(e == f"cxkit: boot failed: {detail}" for e in errors)
    # the bus was attached before the failure: it keeps answering
    assert page.evaluate("""new Promise(r => {
        const p = CXBus.registerPlugin('Late');
        p.registerCommand('ping', e => e.deferred.resolve('pong'));
        p.ready();
        p.command('Late.ping').done(r);
    })""") == "pong"


def test_an_unrelated_rejection_during_boot_does_not_fail_cxkit(page, server_url):
    page.add_init_script("""
        window.cxkitTestEarly = () => {
          Promise.reject('page code rejected');
          Promise.reject(new Error('page bug'));
          window.answers = [];
          CXBus.command('App.nothing').fail(r => window.answers.push(r));
        };
    """)
    page.goto(f"{server_url}/cxkit/e2e.html")
    wait_booted(page)
    assert page.evaluate("[window.__cxkit.attached, window.__cxkit.failure]") == [True, None]
    page.wait_for_function("window.answers.length === 1")
    assert page.evaluate("window.answers") == ["Command does not exist"]


def rejection_on_a_page_where(page: Any, server_url: str, thread: str, member: str, throw: str) -> str:
    """The reason a queued WebChatService call is rejected with, on the e2e page booting on
    ``thread`` where reading ``document.<member>`` throws ``throw`` (JS)."""
    page.add_init_script("""
        Object.defineProperty(Document.prototype, '%s', {configurable: true, get() { throw %s; }, set() {}});
        window.cxkitTestConfig = (widgets) => { widgets.cxkit = {thread: '%s'}; };
        window.cxkitTestEarly = () => {
          window.rejections = [];
          CXBus.command('WebChatService.getSessionData').fail(r => window.rejections.push(r));
        };
    """ % (member, throw, thread))
    page.goto(f"{server_url}/cxkit/e2e.html")
    page.wait_for_function("window.rejections.length === 1", timeout=60_000)
    reason = page.evaluate("window.rejections[0]")
    assert page.evaluate("window.__cxkit.failure") == reason
    return reason


@pytest.mark.parametrize("thread", ["main", "worker"])
def test_a_page_whose_cookies_cannot_be_read_fails_the_boot_instead_of_hanging(page, server_url, thread):
    """A sandboxed frame without allow-same-origin throws on ``document.cookie``. The idle boot
    reads it to see whether a chat is to be restored: before, that threw in the load handler, the
    boot never started and every queued call stayed pending. Now the boot runs and fails saying
    why, and the queued call settles: worker mode rejects it with the reason; on the page's thread
    the bus and the service are up by the time the restore check throws, so it is answered."""
    page.add_init_script("""
        Object.defineProperty(Document.prototype, 'cookie', {configurable: true,
          get() { throw new DOMException('no cookies in this frame', 'SecurityError'); }, set() {}});
        window.cxkitTestConfig = (widgets) => { widgets.cxkit = {thread: '%s'}; };
        window.cxkitTestEarly = () => {
          window.outcome = null;
          CXBus.command('WebChatService.getSessionData').done(() => { window.outcome = 'resolved'; })
            .fail(r => { window.outcome = r; });
        };
    """ % thread)
    page.goto(f"{server_url}/cxkit/e2e.html")
    page.wait_for_function("window.__cxkit.failure && window.outcome", timeout=60_000)
    failure, outcome = page.evaluate("[window.__cxkit.failure, window.outcome]")
    assert "could not start" in failure and "no cookies in this frame" in failure
    assert outcome == (failure if thread == "worker" else "resolved")


@pytest.mark.parametrize("thread, why", [("main", "could not start its services"), ("worker", "could not start")])
def test_a_service_that_cannot_start_rejects_the_queued_calls_with_the_reason(page, server_url, thread, why):
    # the WebChatService reads the page's title for its userData (the worker gets it with the
    # page's facts); a page where that throws makes the start fail before the queued calls run
    reason = rejection_on_a_page_where(page, server_url, thread, "title", "new Error('no title here')")
    assert why in reason and "no title here" in reason


def test_the_memory_snapshot_on_a_page_without_cache_storage_boots_as_usual(browser_type, browser_type_launch_args,
                                                                             server_url):
    """``cxkit.snapshot`` keeps Python's memory in Cache Storage, which a page on plain http under
    a name other than localhost does not have (not a secure context): the worker made a snapshot
    anyway, then failed the boot on ``caches`` (the pytest plugin turns the snapshot on for chat
    pages, so a suite testing its page on such a name could not boot). It boots as usual."""
    port = urlsplit(server_url).port
    browser = named_host_browser(browser_type, browser_type_launch_args, "shop.cxkit.test")
    try:
        page = browser.new_page()
        page.add_init_script("window.cxkitTestConfig = (w) => { w.cxkit = {snapshot: true, boot: 'now'}; };")
        page.goto(f"http://shop.cxkit.test:{port}/cxkit/e2e.html")
        assert page.evaluate("window.isSecureContext || typeof caches !== 'undefined'") is False
        wait_booted(page)
        assert page.evaluate("[window.__cxkit.failure || null, window.__cxkit.thread]") == [None, "worker"]
        answered = page.evaluate("""() => new Promise(r => CXBus.registerPlugin('SnapshotProbe')
            .command('WebChatService.getSessionData').done(() => r('resolved')).fail(e => r(String(e))))""")
        assert answered == "resolved"
    finally:
        browser.close()


SNAPSHOT_KEYS = """async () => Promise.all((await (await caches.open('cxkit')).keys()).map(async (r) =>
    [r.url, (await (await (await caches.open('cxkit')).match(r)).arrayBuffer()).byteLength]))"""


def wait_snapshots(page, condition: str) -> None:
    """Until the ``cxkit`` cache's ``[url, bytes]`` entries ``k`` meet ``condition`` (JS); each read
    copies every entry (~30 MB), so it is asked every 500 ms."""
    wait_async(page, f"async () => (({SNAPSHOT_KEYS})()).then((k) => {condition})", every_ms=500)


def test_a_memory_snapshot_that_cannot_be_read_is_replaced_and_older_builds_deleted(browser, server_url):
    """threads.md: the snapshot is keyed by the wheel's and Pyodide's versioned URLs, so another
    build's entry is never read (an older one beside ours is deleted when ours is made: ~30 MB
    each). One that cannot be read (damaged on disk) failed the boot of every later view
    ("Snapshot has invalid magic number") until the visitor cleared the site's data; the worker
    now starts without it and makes a new one."""
    context = browser.new_context()  # not the suite's shared context: its snapshot stays as it is
    try:
        page = context.new_page()
        page.add_init_script("window.cxkitTestConfig = (w) => { w.cxkit = {snapshot: true, boot: 'now'}; };")
        warnings: list[str] = []
        page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
        page.goto(f"{server_url}/cxkit/e2e.html")
        wait_booted(page)
        wait_snapshots(page, "k.length === 1")
        [[key, size]] = page.evaluate(SNAPSHOT_KEYS)
        wheel = page.evaluate("new URL(window.__cxkit.manifest.wheels[0], window.__cxkit.base).href")
        assert key.startswith(wheel + "?snapshot=") and size > 1_000_000
        older = key.replace("/wheels/", "/wheels/0000").replace(wheel.rsplit("/", 1)[1], "cxkit-0.0.9-py3-none-any.whl")
        elsewhere = key.replace("/cxkit/wheels/", "/shop/cxkit/wheels/")  # another bundle of the site
        page.evaluate("""async (keys) => { const c = await caches.open('cxkit');
            for (const k of keys) await c.put(k, new Response(new Uint8Array(5000))); }""", [key, older, elsewhere])
        page.reload()
        wait_booted(page)
        assert page.evaluate("window.__cxkit.failure || null") is None
        answered = page.evaluate("""() => new Promise(r => CXBus.registerPlugin('SnapshotProbe')
            .command('WebChatService.getSessionData').done(() => r('resolved')).fail(e => r(String(e))))""")
        assert answered == "resolved"
        assert [w for w in warnings if "snapshot could not be used" in w and "invalid magic number" in w], warnings
        # a new one under the same key; the older build's beside it is deleted, another folder's kept
        wait_snapshots(page, "k.length === 2 && k.some(([u, n]) => n > 1000000)")
        kept = dict(page.evaluate(SNAPSHOT_KEYS))
        assert kept.keys() == {key, elsewhere} and kept[elsewhere] == 5000 and kept[key] > 1_000_000
        warnings.clear()
        page.reload()  # and the new one is read
        wait_booted(page)
        assert page.evaluate("window.__cxkit.failure || null") is None
        assert not [w for w in warnings if "snapshot" in w], warnings
    finally:
        context.close()


def test_a_boot_that_fails_after_reading_the_snapshot_drops_it(browser, server_url):
    """threads.md: a boot that fails after reading the memory snapshot drops it, so the next view
    starts from scratch (here the wheel answers 404 on the second view, once the snapshot is read)."""
    context = browser.new_context()  # not the suite's shared context: its snapshot stays as it is
    try:
        page = context.new_page()
        page.add_init_script("window.cxkitTestConfig = (w) => { w.cxkit = {snapshot: true, boot: 'now'}; };")
        page.goto(f"{server_url}/cxkit/e2e.html")
        wait_booted(page)
        wait_snapshots(page, "k.length === 1 && k[0][1] > 1000000")
        wheel = page.evaluate("new URL(window.__cxkit.manifest.wheels[0], window.__cxkit.base).href")
        context.route(wheel, lambda route: route.fulfill(status=404, body="gone"))
        page.reload()
        wait_booted(page)
        assert wheel + ": HTTP 404" in page.evaluate("window.__cxkit.failure")
        wait_snapshots(page, "k.length === 0")
        context.unroute(wheel)
        page.reload()  # from scratch: a new snapshot is made
        wait_booted(page)
        assert page.evaluate("window.__cxkit.failure || null") is None
        wait_snapshots(page, "k.length === 1")
    finally:
        context.close()
