"""The loader's own JS, before and without Python: the original's Deferred, the answers the face
gives at once from its mirror, the configuration it reads, and what page code sees when the
boot fails.

Most pages here use the ``command`` boot policy and never issue a WebChatService command, so
nothing is downloaded and no Python runs: what is checked is the JS alone. The failure tests
make one part of the bundle fail to load (a Playwright route) and watch every call settle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from e2e_support import wait_booted

from cxkit.bus.face import PROMISE_MEMBERS

NO_BOOT = "window.cxkitTestConfig = (w) => { w.cxkit = {boot: 'command'}; };"


def quiet_page(page: Any, server_url: str) -> Any:
    """The e2e page with the face only (boot policy ``command``, no command issued)."""
    page.add_init_script(NO_BOOT)
    page.goto(f"{server_url}/cxkit/e2e.html")
    return page


# -- the original's Deferred -------------------------------------------------------------------------

def test_deferred_callbacks_arguments_and_late_callbacks(page, server_url):
    got = quiet_page(page, server_url).evaluate("""() => {
        const d = new __cxkit.Deferred(), seen = [];
        const p = d.promise();
        const chained = p.done(function (a, b) { seen.push(['done1', a, b]); },
                               [a => seen.push(['done2', a]), null, a => seen.push(['done3', a])], 'not a function');
        p.fail(() => seen.push(['fail']));
        p.always(() => seen.push(['always']));
        const thenResult = p.then(a => seen.push(['then', a]), () => seen.push(['then-fail']));
        const pending = [p.state(), p.isResolved(), p.isRejected()];
        const resolvedReturns = d.resolve('a', 'b') === d;
        d.resolve('again'); d.reject('too late');
        const settled = seen.splice(0);
        p.done(a => seen.push(['late', a]));       // runs at once, with the stored arguments
        p.fail(() => seen.push(['late fail']));  // never
        const late = seen.splice(0);
        return {chained: chained === p, thenResult: thenResult === undefined, pending, resolvedReturns, settled, late,
                after: [p.state(), p.isResolved(), p.isRejected()],
                promiseHasNoResolver: p.resolve === undefined && p.reject === undefined && p.notify === undefined};
    }""")
    assert got["chained"] and got["thenResult"] and got["resolvedReturns"] and got["promiseHasNoResolver"]
    assert got["pending"] == ["pending", False, False]
    assert got["settled"] == [["done1", "a", "b"], ["done2", "a"], ["done3", "a"], ["always"], ["then", "a"]]
    assert got["late"] == [["late", "a"]]
    assert got["after"] == ["resolved", True, False]


def test_deferred_rejection_progress_and_the_with_variants(page, server_url):
    got = quiet_page(page, server_url).evaluate("""() => {
        const seen = [];
        const r = new __cxkit.Deferred();
        r.fail((a, b) => seen.push(['fail', a, b])).always(() => seen.push(['always'])).done(() => seen.push(['done']));
        r.progress(v => seen.push(['progress', v]));
        const notifyReturns = r.notify(1) === r;
        r.notifyWith(null, [2]);
        r.rejectWith(null, ['why', 'more']);
        r.notify(3);  // settled: progress callbacks no longer run
        const w = new __cxkit.Deferred();
        w.done((...args) => seen.push(['with', args]));
        w.resolveWith({}, ['x', 'y']);
        const empty = new __cxkit.Deferred();
        empty.done((...args) => seen.push(['empty', args.length]));
        empty.resolveWith({});
        return {seen, notifyReturns, state: [r.state(), r.isRejected(), r.isResolved()]};
    }""")
    assert got["notifyReturns"] is True
    assert got["seen"] == [["progress", 1], ["progress", 2], ["fail", "why", "more"], ["always"],
                           ["with", ["x", "y"]], ["empty", 0]]
    assert got["state"] == ["rejected", True, False]


def test_deferred_promise_target_and_a_throwing_callback(page, server_url):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    got = quiet_page(page, server_url).evaluate("""() => {
        const d = new __cxkit.Deferred(), seen = [];
        const target = {mine: 1};
        const made = d.promise(target);
        made.done(() => { throw new Error('callback blew up'); });
        made.done(v => seen.push(v));  // the next callback still runs
        d.resolve(5);
        return {same: made === target, mine: target.mine, state: target.state(), seen,
                members: Object.keys(d.promise()).sort()};
    }""")
    assert got["same"] and got["mine"] == 1 and got["state"] == "resolved" and got["seen"] == [5]
    assert got["members"] == sorted(PROMISE_MEMBERS)
    assert any("callback blew up" in e for e in errors), errors


def test_deferred_pipe_filters_and_follows(page, server_url):
    got = quiet_page(page, server_url).evaluate("""async () => {
        const D = __cxkit.Deferred, out = {};
        const settled = d => new Promise(r => d.done((...a) => r(['done', ...a])).fail((...a) => r(['fail', ...a])));
        const ok = new D(); ok.resolve(2, 'extra');
        out.mapped = await settled(ok.pipe(v => v * 10));
        out.passed = await settled(ok.pipe());  // no filter: every argument passes
        const inner = new D();
        const followed = ok.pipe(() => inner.promise());
        inner.reject('inner said no');
        out.followed = await settled(followed);
        const bad = new D(); bad.reject('no');
        out.failMapped = await settled(bad.pipe(null, why => why + '!'));
        out.failPassed = await settled(bad.pipe(v => v));
        out.isPromise = typeof ok.pipe().resolve === 'undefined';
        return out;
    }""")
    assert got == {"mapped": ["done", 20], "passed": ["done", 2, "extra"], "followed": ["fail", "inner said no"],
                   "failMapped": ["fail", "no!"], "failPassed": ["fail", "no"], "isPromise": True}


# -- what the face answers at once, before Python is up ---------------------------------------------

def test_synchronous_answers_before_boot(page, server_url):
    got = quiet_page(page, server_url).evaluate("""() => {
        const qb = _genesys.widgets.bus, p = CXBus.registerPlugin('Pre'), other = qb.registerPlugin('PreOther');
        const fn = () => {};
        const out = {
            attached: __cxkit.attached, thread: __cxkit.thread,
            taken: CXBus.registerPlugin('Pre'), reserved: CXBus.registerPlugin('WebChatService'),
            notString: CXBus.registerPlugin(7), ns: [p.namespace(), qb.namespace(), other.namespace()],
            subscribed: other.subscribe('Pre.went', fn), noFn: other.subscribe('Pre.went'),
            notName: other.subscribe(5, fn),
            command: p.registerCommand('go', fn), events: p.registerEvents(['went', 'stopped']),
            again: p.registerEvents('went'),
            written: p.data('mode', 'chat'), read: p.data('mode'), cross: CXBus.data('Pre.mode'),
            missing: p.data('nothing'), published: p.publish('went', {}), ready: p.ready(),
            module: CXBus.registerModule('m', fn), moduleTaken: CXBus.registerModule('m', fn),
            moduleBadName: CXBus.registerModule(3, fn), configured: CXBus.configure({debug: false}),
            master: CXBus.registerMaster(), commandState: p.command('PreOther.x').state(),
        };
        out.subscribers = p.subscribers();
        const registry = p.registry();
        registry.Pre.events.push('changed here');
        out.registry = p.registry().Pre;
        const store = p.data();
        store.mode = 'changed here';
        out.store = p.data();
        out.unsubscribed = other.unsubscribe('Pre.went');
        out.unsubscribedAgain = other.unsubscribe('Pre.went');
        out.subscribersAfter = p.subscribers();
        return out;
    }""")
    assert got.pop("registry") == {"events": ["went", "stopped"], "commands": ["COMMANDS", "EVENTS", "LOAD", "go"]}
    assert got == {
        "attached": False, "thread": None, "taken": False, "reserved": False, "notString": False,
        "ns": ["Pre", "QuickBus", "PreOther"], "subscribed": "Pre.went", "noFn": False, "notName": False,
        "command": True, "events": True, "again": True, "written": "chat", "read": "chat", "cross": "chat",
        "missing": None, "published": True, "ready": True, "module": True, "moduleTaken": False,
        "moduleBadName": False, "configured": None, "master": None, "commandState": "pending",
        "subscribers": {"Pre.went": ["PreOther"]}, "store": {"mode": "chat"}, "unsubscribed": True,
        "unsubscribedAgain": False, "subscribersAfter": {},
    }


def test_the_loader_included_twice_keeps_the_first(page, server_url):
    got = quiet_page(page, server_url).evaluate("""() => new Promise(done => {
        const bus = window.CXBus, loader = window.__cxkit, quick = _genesys.widgets.bus;
        CXBus.registerPlugin('First');
        const again = document.createElement('script');
        again.src = 'widgets.js?again';
        again.onload = () => done([window.CXBus === bus, window.__cxkit === loader, _genesys.widgets.bus === quick,
                                   CXBus.registerPlugin('First')]);
        document.head.appendChild(again);
    })""")
    assert got == [True, True, True, False]


def test_the_original_cxwidget_configuration_is_read(page, server_url):
    html = """<!doctype html><meta charset="utf-8"><title>cxwidget</title>
<script>window._genesys = {cxwidget: {cxkit: {boot: 'command'}, webchat: {dataURL: '/genesys/2/chat/x'}}};</script>
<script src="widgets.js"></script>"""
    page.route(f"{server_url}/cxkit/cxwidget.html", lambda route: route.fulfill(body=html, content_type="text/html"))
    page.goto(f"{server_url}/cxkit/cxwidget.html")
    got = page.evaluate("""() => [_genesys.widgets === _genesys.cxwidget, __cxkit.config === _genesys.cxwidget,
                                  _genesys.cxwidget.bus.namespace()]""")
    assert got == [True, True, "QuickBus"]


def test_the_originals_modular_bootstrap_works_unchanged(page, server_url):
    """observed-client.md, Recipe B: cxbus.min.js's onload configures the bus and loads
    widgets-core; onReady pulls in WebChatService. Here both are built in: widgets-core's load
    resolves, and WebChatService, registered already, rejects its load with no reason as the
    all-in-one bundle's does, while its ready comes as usual."""
    html = """<!doctype html><meta charset="utf-8"><title>modular</title>
<script>
window.seen = [];
window._genesys = {widgets: {main: {debug: false, preload: []}, cxkit: {boot: 'now'},
  webchat: {dataURL: '/genesys/2/chat/customer-support'},
  onReady: function () {
    CXBus.loadPlugin('webchatservice').done(function () { seen.push('webchatservice resolved'); })
      .fail(function () { seen.push('webchatservice rejected ' + arguments.length); });
  }}};
</script>
<script src="widgets.js" onload="CXBus.configure({debug: false, pluginsPath: 'plugins/'});
  CXBus.loadPlugin('widgets-core').done(function () { seen.push('widgets-core resolved'); })
    .fail(function (why) { seen.push('widgets-core rejected: ' + why); });
  CXBus.subscribe('WebChatService.ready', function () { seen.push('WebChatService.ready'); });"></script>"""
    page.route(f"{server_url}/cxkit/modular.html", lambda route: route.fulfill(body=html, content_type="text/html"))
    page.goto(f"{server_url}/cxkit/modular.html")
    page.wait_for_function("window.seen.length === 3", timeout=60_000)
    seen = page.evaluate("window.seen")
    assert sorted(seen) == ["WebChatService.ready", "webchatservice rejected 0", "widgets-core resolved"], seen


# -- a page that inlines the loader, or bundles it into a script of its own ------------------------

SITE_CONFIG = ("window._genesys = {widgets: {webchat: {dataURL: '/genesys/2/chat/customer-support'}, "
               "cxkit: {boot: 'now'%s}}};")


def loader_elsewhere(page: Any, server_url: str, how: str, base: str | None) -> dict[str, Any]:
    """A page at /site/ that runs widgets.js's text ``how``: in an inline script, in the site's own
    script file after its config (``bundled``), or as a module under another name; with
    ``cxkit.base`` set to ``base``. What the page's code saw once the boot settled."""
    loader = page.request.get(f"{server_url}/cxkit/widgets.js").text()
    config = SITE_CONFIG % (f", base: '{base}'" if base else "")
    scripts = {
        "inline": f"<script>{config}</script><script>{loader}</script>",
        "bundled": "<script src='/site/app.js'></script>",
        "module": f"<script>{config}</script><script type='module' src='/site/chat.js'></script>",
    }
    page.route(f"{server_url}/site/app.js", lambda r: r.fulfill(body=config + "\n" + loader, content_type="text/javascript"))
    page.route(f"{server_url}/site/chat.js", lambda r: r.fulfill(body=loader, content_type="text/javascript"))
    html = "<!doctype html><meta charset='utf-8'><title>site</title>" + scripts[how] + """
<script type='module'>
window.answer = await new Promise(r => CXBus.registerPlugin('Site').command('WebChatService.getSessionData')
  .done(() => r('answered')).fail(r));
</script>"""
    page.route(f"{server_url}/site/page.html", lambda r: r.fulfill(body=html, content_type="text/html"))
    page.goto(f"{server_url}/site/page.html")
    page.wait_for_function("window.answer !== undefined", timeout=60_000)
    return page.evaluate("({base: __cxkit.base, answer: window.answer, attached: __cxkit.attached})")


@pytest.mark.parametrize("how", ["inline", "bundled", "module"])
def test_a_loader_not_beside_its_bundle_finds_it_at_cxkit_base(page, server_url, how):
    """``_genesys.widgets.cxkit.base`` names the bundle's folder (relative to the page) for a page
    whose widgets.js is not a file beside it: before, an inline copy threw at once (no CXBus at all)."""
    got = loader_elsewhere(page, server_url, how, "/cxkit")
    assert got == {"base": f"{server_url}/cxkit/", "answer": "answered", "attached": True}


@pytest.mark.parametrize("how", ["inline", "bundled"])
def test_without_cxkit_base_such_a_page_is_told_where_the_bundle_was_looked_for(page, server_url, how):
    got = loader_elsewhere(page, server_url, how, None)
    assert got["base"] == f"{server_url}/site/" and got["attached"] is False
    assert got["answer"].endswith(f" (HTTP 404) (widgets.js looks for the rest of its bundle in {server_url}/site/; "
                                  "one not beside it needs _genesys.widgets.cxkit.base)"), got


@pytest.mark.parametrize("base, says", [
    ("http://[not-a-host", "_genesys.widgets.cxkit.base http://[not-a-host: TypeError: "),
    ("/nowhere?v=2#top", " (HTTP 404) (_genesys.widgets.cxkit.base names {server_url}/nowhere/)"),
])
def test_a_cxkit_base_that_is_wrong_fails_the_boot_naming_it(page, server_url, base, says):
    """A base that is no URL fails the boot (threads.md: `CXBus` is there all the same, and a
    plugin registered then has its calls rejected with the reason); one where the bundle is not is
    named as the place looked in (its query and fragment dropped)."""
    got = loader_elsewhere(page, server_url, "inline", base)
    assert got["attached"] is False and says.format(server_url=server_url) in got["answer"], got


# -- a boot that fails: every call settles ----------------------------------------------------------

EARLY_CALLS = """
window.cxkitTestEarly = () => {
  window.failed = [];
  addEventListener('cxkit:failed', e => window.failed.push(e.detail));
  window.rejections = [];
  const p = CXBus.registerPlugin('Early');
  p.command('WebChatService.getSessionData').fail(why => window.rejections.push(why));
  CXBus.loadPlugin('Other').fail(why => window.rejections.push(why));
};
"""


def failed_boot(page: Any, server_url: str, thread: str, part: str, *, network: bool = False,
                answer: Callable[[Any], None] | None = None) -> dict[str, Any]:
    """Boot now on ``thread`` with the bundle file matching ``part`` missing (404), with the
    network failing it (``network``), or answered by ``answer(route)``; what page code saw, and
    the wheel's and Pyodide's URLs."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.route(part, answer or (lambda route: route.abort() if network else route.fulfill(status=404, body="not here")))
    choose = "window.cxkitTestConfig = (w) => { w.cxkit = {boot: 'now', thread: '" + thread + "'}; };"
    page.add_init_script(choose + EARLY_CALLS)
    page.goto(f"{server_url}/cxkit/e2e.html")
    page.wait_for_function("window.failed.length === 1 && window.rejections.length === 2", timeout=60_000)
    got = page.evaluate("""async () => ({
        failure: __cxkit.failure, failed: window.failed, rejections: window.rejections, attached: __cxkit.attached,
        later: await new Promise(r => CXBus.command('App.anything').done(() => r('resolved')).fail(r)),
        laterPlugin: await new Promise(r => CXBus.registerPlugin('Later').command('Later.x').done(() => r('resolved')).fail(r)),
        taken: CXBus.registerPlugin('Later') === false, waiting: __cxkit.waiting(),
        wheel: new URL(__cxkit.manifest.wheels[0], __cxkit.base).href,
        pyodide: new URL(__cxkit.manifest.pyodide, __cxkit.base).href.replace(/[^/]*$/, ''),
    })""")
    got["errors"] = errors
    return got


@pytest.mark.parametrize("thread, part, says", [
    ("worker", "**/link.mjs", "cannot load "),
    ("worker", "**/worker.mjs", "cannot start the cxkit worker "),
    ("main", "**/pyscript/*/core.js", "cannot load PyScript from "),
])
def test_a_part_that_cannot_load_rejects_every_call_with_the_reason(page, server_url, thread, part, says):
    got = failed_boot(page, server_url, thread, part)
    reason = got["failure"]
    assert reason.startswith(says), reason
    # the browser says only "Failed to fetch ...", or nothing: the server's answer is added
    assert " (HTTP 404)" in reason, reason
    if part == "**/link.mjs":  # the first file looked for beside widgets.js: where it looked is said
        assert reason.endswith(f" (HTTP 404) (widgets.js looks for the rest of its bundle in {server_url}/cxkit/; "
                               "one not beside it needs _genesys.widgets.cxkit.base)"), reason
    else:
        assert reason.endswith(" (HTTP 404)"), reason
    if thread == "worker":
        assert part.removeprefix("**/") in reason, reason
    assert got["failed"] == [reason] and got["rejections"] == [reason, reason] and got["later"] == reason
    # a plugin registered after the failure is there, and its calls are rejected with the reason
    assert got["attached"] is False and got["laterPlugin"] == reason and got["taken"] and got["waiting"] == 0
    assert f"cxkit: boot failed: {reason}" in got["errors"]


@pytest.mark.parametrize("thread, says", [
    ("worker", "loading Pyodide from {pyodide}: pyodide.asm.wasm: TypeError: "),
    ("main", "{pyodide}pyodide.asm.wasm: TypeError: "),
])
def test_a_missing_pyodide_wasm_fails_the_boot_naming_it(page, server_url, thread, says):
    """Pyodide only logs a failed WebAssembly start and never settles: the loader hears it."""
    got = failed_boot(page, server_url, thread, "**/pyodide.asm.wasm")
    assert got["failure"].startswith(says.format(pyodide=got["pyodide"])), got["failure"]
    assert got["rejections"] == [got["failure"]] * 2 and got["later"] == got["failure"]


@pytest.mark.parametrize("part, says", [
    ("**/wheels/*/*.whl", "{wheel}: "),
    ("**/python_stdlib.zip", "loading Pyodide from {pyodide}: "),
])
def test_a_file_the_network_fails_is_named_in_the_worker_boots_failure(page, server_url, part, says):
    got = failed_boot(page, server_url, "worker", part, network=True)
    assert got["failure"].startswith(says.format(**got)), got


def test_a_module_served_with_a_type_a_module_cannot_have_fails_the_boot_saying_so(page, server_url):
    def untyped(route: Any) -> None:
        route.fulfill(status=200, body=route.fetch().body(), headers={"content-type": "application/octet-stream"})

    got = failed_boot(page, server_url, "worker", "**/link.mjs", answer=untyped)
    assert got["failure"].endswith(" (Content-Type application/octet-stream: a module needs text/javascript)"), got


@pytest.mark.parametrize("thread", ["worker", "main"])
def test_a_wasm_served_without_its_content_type_fails_the_boot_saying_so(page, server_url, thread):
    """docs/serving.md: application/wasm is required, not a faster path: the browser compiles
    Pyodide's WebAssembly only from a response of that type, and Pyodide does not fall back."""
    def untyped(route: Any) -> None:
        real = route.fetch(headers={**route.request.headers, "accept-encoding": "identity"})
        route.fulfill(status=200, body=real.body(), headers={"content-type": "application/octet-stream"})

    got = failed_boot(page, server_url, thread, "**/pyodide.asm.wasm", answer=untyped)
    assert "pyodide.asm.wasm: TypeError: " in got["failure"], got["failure"]
    assert "Expected 'application/wasm'" in got["failure"], got["failure"]
    assert got["rejections"] == [got["failure"]] * 2 and got["attached"] is False


@pytest.mark.parametrize("thread, file", [
    ("worker", "python_stdlib.zip"), ("worker", "pyodide-lock.json"), ("main", "pyodide-lock.json"),
])
def test_a_pyodide_file_that_answers_an_http_error_is_named_in_the_boots_failure(page, server_url, thread, file):
    # Pyodide's own error seldom names it: "Program terminated with exit(1)" for the stdlib in
    # the worker, the JSON parser's text for the lock file in both threads. The loader asks for
    # its files again (Resource Timing may not list the failed response when the error comes).
    got = failed_boot(page, server_url, thread, f"**/{file}")
    if thread == "worker":
        assert got["failure"].startswith(f"loading Pyodide from {got['pyodide']}: "), got["failure"]
    assert f"({got['pyodide']}{file}: HTTP 404)" in got["failure"], got["failure"]
    assert got["failure"].count("HTTP 404") == 1, got["failure"]  # only the file that failed
    assert got["rejections"] == [got["failure"]] * 2


@pytest.mark.parametrize("thread", ["worker", "main"])
def test_a_file_that_does_not_answer_when_asked_again_does_not_hold_the_failure(page, server_url, thread):
    asked: list[str] = []

    def refused_then_silent(route: Any) -> None:
        asked.append(route.request.method)
        if len(asked) == 1:
            route.fulfill(status=404, body="not here")
        # asked again: no answer at all (a stalled server); the failure comes anyway, 2 s later at most

    got = failed_boot(page, server_url, thread, "**/pyodide-lock.json", answer=refused_then_silent)
    assert len(asked) == 2 and "HTTP 404" not in got["failure"], (asked, got["failure"])
    assert got["rejections"] == [got["failure"]] * 2


def test_a_wheel_the_network_fails_fails_the_main_thread_boot_with_its_url(page, server_url):
    # PyScript's fetch rejects with a bare "Failed to fetch": the loader adds the files whose
    # preload failed
    got = failed_boot(page, server_url, "main", "**/wheels/*/*.whl", network=True)
    assert "Failed to fetch" in got["failure"] and got["wheel"] in got["failure"], got


def test_a_missing_wheel_fails_the_main_thread_boot_with_its_url(page, server_url):
    # PyScript fetches the wheel itself: the failure reaches the page as an unhandled rejection
    # naming the wheel, which the loader recognises as its own boot's
    got = failed_boot(page, server_url, "main", "**/wheels/*/*.whl")
    reason = got["failure"]
    assert ".whl" in reason, reason
    assert got["rejections"] == [reason, reason] and got["later"] == reason and got["attached"] is False


@pytest.mark.parametrize("replaced", [False, True], ids=["kept", "replaced-by-the-page"])
def test_a_main_thread_boot_leaves_the_pages_console_warn_as_it_is(page, server_url, replaced):
    """The main-thread loader listens to console.warn while Pyodide starts (it only logs a failed
    WebAssembly start); afterwards the page's own function is back, or the one the page set meanwhile."""
    page.add_init_script("""window.cxkitTestConfig = (w) => { w.cxkit = {boot: 'now', thread: 'main'}; };
        window.pageWarn = console.warn;""" + ("""
        addEventListener('DOMContentLoaded', () => { window.pageWarn = console.warn = function () {}; });"""
                                           if replaced else ""))
    page.goto(f"{server_url}/cxkit/e2e.html")
    wait_booted(page)
    assert page.evaluate("__cxkit.attached && __cxkit.thread") == "main"
    assert page.evaluate("console.warn === window.pageWarn") is True
