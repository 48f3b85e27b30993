"""The JS face of the bus (window.CXBus, the QuickBus, plugin interfaces), driven as page code
written for the original product drives it, in real Chromium.

Most tests share one booted page per mode and use their own plugin names; the boot-order tests
load their own. Both modes: the worker (``e2e.html`` with the test hook on: ``cxkitPy(source)``
runs Python in the worker and answers a Promise) and the main thread (``e2e_python.html``, whose
``cxkitPy(source)`` runs Python in the page under PyScript). The bus rules are the same in both.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from e2e_support import command, start_chat, wait_booted, wait_text

from cxkit.bus.face import (
    CXBUS_MEMBERS,
    DEFERRED_MEMBERS,
    PLUGIN_MEMBERS,
    PROMISE_MEMBERS,
    PROMISE_RESULT_MEMBERS,
    QUICKBUS_MEMBERS,
    UNLOCKED_MEMBERS,
)

CANCELLED = "Command was cancelled by a 'before' function."
LOAD_FAILED = "Could not load plugin file in given location. Check your plugins path option."

PY_SERVICES = """
svc = bus.register_plugin("PySvc")
svc.register_command("getAgents", lambda e: e.deferred.resolve({"agents": {}}))
svc.register_command("echo", lambda e: e.deferred.resolve({"commander": e.commander, "data": dict(e.data)}))
svc.register_command("intercepted", lambda e: e.deferred.resolve({"commander": e.commander, "data": dict(e.data)}))
svc.register_command("mul", lambda e: e.deferred.resolve(e.data["a"] * e.data["b"]))
svc.ready()
result = True
"""


def _local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob") or parts.hostname in ("127.0.0.1", "localhost")


def py(page, source: str) -> Any:
    """Run Python in the page (``bus`` is the page's bus); returns the value of ``result``."""
    return page.evaluate("src => cxkitPy(src)", source)


def until_py(page, source: str, timeout_ms: int = 10_000) -> None:
    """Until the Python ``source`` sets ``result`` true (cxkitPy answers a Promise in the worker)."""
    page.evaluate("""async ([src, ms]) => {
        const end = performance.now() + ms;
        while (!(await cxkitPy(src))) {
            if (performance.now() > end) throw new Error('timed out: ' + src);
            await new Promise(r => setTimeout(r, 10));
        }
    }""", [source, timeout_ms])


PAGES = {"worker": "e2e.html", "main": "e2e_python.html"}

#: ``window.inWorkerMessage`` is true while the link's handler of a worker message runs;
#: ``window.workerMessages`` counts those messages.
IN_WORKER_MESSAGE = """
const d = Object.getOwnPropertyDescriptor(Worker.prototype, 'onmessage');
Object.defineProperty(Worker.prototype, 'onmessage', {configurable: true, get() { return d.get.call(this); },
  set(fn) { d.set.call(this, function (e) {
    window.workerMessages = (window.workerMessages || 0) + 1;
    window.inWorkerMessage = true; try { return fn.call(this, e); } finally { window.inWorkerMessage = false; } }); }});
"""


@pytest.fixture(scope="module", params=list(PAGES))
def bus_page(request, browser, server_url: str) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: None if _local(r.url) else outside.append(r.url))
    page.console_lines = []
    page.on("console", lambda m: page.console_lines.append(m.text))
    page.add_init_script("window.cxkitTestConfig = (w) => { w.cxkit = {testHook: true}; };")
    page.add_init_script(IN_WORKER_MESSAGE)
    page.goto(f"{server_url}/cxkit/{PAGES[request.param]}")
    wait_booted(page)
    page.wait_for_function("() => !!window.cxkitPy")
    py(page, PY_SERVICES)
    yield page
    context.close()
    assert outside == [], f"requests left 127.0.0.1: {outside}"


# -- the commands page's own example -------------------------------------------------------------

def test_quickbus_register_plugin_and_command_like_the_docs(bus_page):
    got = bus_page.evaluate("""async () => {
        const oMyPlugin = window._genesys.widgets.bus.registerPlugin('MyPlugin');
        const seen = [];
        const promise = oMyPlugin.command('PySvc.getAgents');
        const chained = promise.done(e => seen.push(['done', e])).fail(e => seen.push(['fail', e]));
        const thenResult = promise.then(() => {});
        const awaited = await oMyPlugin.command('PySvc.getAgents');
        return {seen, awaited, chained: chained === promise, thenResult: thenResult === undefined,
                state: promise.state(), isResolved: promise.isResolved(),
                ns: oMyPlugin.namespace(), taken: window._genesys.widgets.bus.registerPlugin('MyPlugin'),
                notString: CXBus.registerPlugin(42)};
    }""")
    assert got["seen"] == [["done", {"agents": {}}]]
    assert got["awaited"] == {"agents": {}}
    assert got["chained"] and got["thenResult"]
    assert (got["state"], got["isResolved"], got["ns"]) == ("resolved", True, "MyPlugin")
    assert got["taken"] is False and got["notString"] is False


def test_deferred_quirks_late_callbacks_pipe_and_await_rejection(bus_page):
    got = bus_page.evaluate("""async () => {
        const p = CXBus.registerPlugin('Quirks');
        const d = p.command('PySvc.mul', {a: 6, b: 7});
        await d;
        const late = [];
        d.done(v => late.push(v));           // after settling: runs at once, synchronously
        const piped = await d.pipe(v => v + 1);
        const followed = await d.pipe(v => p.command('PySvc.mul', {a: v, b: 2}));
        let reason = null;
        try { await p.command('PySvc.nothing'); } catch (e) { reason = e; }
        return {late, piped, followed, reason};
    }""")
    assert got == {"late": [42], "piped": 43, "followed": 84, "reason": "Command does not exist"}


def test_a_js_handlers_notify_reaches_the_js_callers_progress(bus_page):
    """Spec A.5/A.6: a handler settles the Deferred whose promise ``command()`` returned, and
    ``notify``/``progress`` are members of both: what the handler notifies reaches the caller's
    ``progress`` callbacks (and ``then``'s third argument) before ``done``. It did not: the handler
    got a Deferred of its own, and only its settlement was passed on."""
    got = bus_page.evaluate("""() => new Promise((resolve) => {
        const svc = CXBus.registerPlugin('Progressing'), seen = [];
        svc.registerCommand('work', (e) => { e.deferred.notify(25); e.deferred.notify(50, 'half'); e.deferred.resolve('done'); });
        svc.ready();
        const promise = CXBus.registerPlugin('ProgressCaller').command('Progressing.work', {cart: {items: 2}});
        promise.progress((...a) => seen.push(['progress', ...a]));
        promise.then(null, null, (p) => seen.push(['then', p]));
        promise.done((v) => resolve([...seen, ['done', v]]));
    })""")
    assert got == [["progress", 25], ["then", 25], ["progress", 50, "half"], ["then", 50], ["done", "done"]]


# -- before(), options, unknown targets -------------------------------------------------------------

def test_before_modifies_and_cancels_with_the_exact_string(bus_page):
    got = bus_page.evaluate("""async () => {
        const p = CXBus.registerPlugin('Interceptor');
        p.before('PySvc.intercepted', o => Object.assign({}, o, {message: o.message + ' [mod]'}));
        const modified = await p.command('PySvc.intercepted', {message: 'orig'});
        const q = CXBus.registerPlugin('Canceller');
        q.before('PySvc.intercepted', o => (o.cancel ? false : o));
        const ok = (await q.command('PySvc.intercepted', {n: 6})).data.n;
        const cancelled = await new Promise(r => q.command('PySvc.intercepted', {cancel: true}).done(() => r('resolved')).fail(r));
        const stringOptions = await new Promise(r => q.command('PySvc.getAgents', 'str').done(() => r('resolved')).fail(r));
        return {modified, ok, cancelled, stringOptions};
    }""")
    assert got["modified"] == {"commander": "Interceptor", "data": {"message": "orig [mod]"}}  # before Canceller's
    assert got["ok"] == 6
    assert got["cancelled"] == CANCELLED
    assert got["stringOptions"] == CANCELLED


def test_a_before_that_throws_cancels_the_command(bus_page):
    """README: a `before` function that raises cancels the command (and the console shows why)."""
    errors: list[str] = []
    bus_page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    got = bus_page.evaluate("""async () => {
        const p = CXBus.registerPlugin('Thrower');
        p.before('PySvc.echo', o => { if (o.boom) throw new Error('no such field'); return o; });
        const why = data => new Promise(r => p.command('PySvc.echo', data).done(v => r(v.data)).fail(r));
        return {thrown: await why({boom: true}), passed: await why({n: 1})};
    }""")
    assert got == {"thrown": CANCELLED, "passed": {"n": 1}}
    assert any("no such field" in e for e in errors), errors


def test_unknown_plugin_and_unknown_command_rejections(bus_page):
    got = bus_page.evaluate("""async () => {
        const p = CXBus.registerPlugin('Asker');
        const why = cmd => new Promise(r => p.command(cmd).done(() => r('resolved')).fail(r));
        return {plugin: await why('NoSuchPlugin.foo'), command: await why('PySvc.doesNotExist')};
    }""")
    assert got == {"plugin": LOAD_FAILED, "command": "Command does not exist"}


# -- events ------------------------------------------------------------------------------------------

def test_sticky_app_ready_reaches_a_late_subscriber_as_a_plain_object(bus_page):
    got = bus_page.evaluate("""() => new Promise(done => {
        const late = CXBus.registerPlugin('Late');
        late.subscribe('App.ready', e => done({
            keys: Object.keys(e).sort(), publisher: e.publisher, event: e.event,
            plain: Object.getPrototypeOf(e) === Object.prototype && e.data.constructor === Object,
            timeIsNumber: typeof e.time === 'number', dataURL: e.data.webchat.dataURL}));
    })""")
    assert got["keys"] == ["data", "event", "publisher", "time"]
    assert (got["publisher"], got["event"], got["plain"], got["timeIsNumber"]) == ("App", "App.ready", True, True)
    assert got["dataURL"].endswith("/genesys/2/chat/customer-support")


def test_js_subscribers_get_the_data_a_page_plugin_published_as_itself(bus_page):
    """Spec A.4: a subscriber gets the publisher's own data object. Through Python it got a copy:
    a class instance lost its methods, ``e.data === data`` failed, and a ``null`` came back
    ``undefined`` (a fidelity audit). Now a JS subscriber gets the page's object, a Python one a
    copy, a sticky event's late subscriber the object too; the page lets go of it when Python does."""
    py(bus_page, "seen_in_python = []\nbus.subscribe('Shop.plain', lambda e: seen_in_python.append(dict(e.data)))\n"
                 "result = True")
    got = bus_page.evaluate("""async () => {
        const before = window.__cxkit.kept();
        class Cart { constructor() { this.items = 2; this.note = null; } total() { return this.items * 10; } }
        const pub = CXBus.registerPlugin('Shop'), sub = CXBus.registerPlugin('Till'), seen = [];
        const cart = new Cart(), plain = {agent: null, n: 1}, sticky = {when: new Date(0), none: null};
        const arrived = (n) => new Promise((r) => { const t = () => seen.length >= n ? r() : setTimeout(t, 1); t(); });
        sub.subscribe('Shop.cart', (e) => seen.push(['cart', e.data === cart, e.data.total(), e.data.note === null]));
        sub.subscribe('Shop.plain', (e) => seen.push(['plain', e.data === plain, JSON.stringify(e.data)]));
        pub.publish('cart', cart);
        pub.publishDirect('plain', plain);
        pub.republish('open', sticky);
        await arrived(2);
        sub.subscribe('Shop.open', (e) => seen.push(['sticky', e.data === sticky, e.data.none === null]));
        await arrived(3);
        const keptWhileSticky = window.__cxkit.kept();
        pub.republish('open', {later: true});  // the first sticky data is not needed any more
        sub.subscribe('Shop.open', (e) => seen.push(['replaced', e.data.later]));
        await arrived(5);
        return {seen, keptWhileSticky: keptWhileSticky - before, before};
    }""")
    assert got["seen"] == [["cart", True, 20, True], ["plain", True, '{"agent":null,"n":1}'],
                           ["sticky", True, True], ["sticky", False, False], ["replaced", True]], got
    assert got["keptWhileSticky"] == 1
    bus_page.wait_for_function("(n) => window.__cxkit.kept() === n", arg=got["before"] + 1)  # the later sticky data
    assert py(bus_page, "result = seen_in_python") == [{"agent": None, "n": 1}]


def test_subscribe_publish_unsubscribe(bus_page):
    got = bus_page.evaluate("""async () => {
        // delivery is asynchronous (a microtask here, a round trip to the worker there): wait for
        // a later event to prove an earlier one came or did not
        const pub = CXBus.registerPlugin('Ticker'), sub = CXBus.registerPlugin('Listener');
        const seen = [];
        let marks = 0;
        CXBus.registerPlugin('Marker').subscribe('Ticker.mark', () => { marks += 1; });
        const mark = async () => {
            const want = marks + 1;
            pub.publish('mark');
            while (marks < want) await new Promise(r => setTimeout(r, 1));
        };
        const name = sub.subscribe('Ticker.tick', e => seen.push(e.data));
        sub.subscribe('Ticker.tick', e => seen.push('second'));
        pub.publish('tick', {n: 1});
        pub.publish('tick');
        await mark();
        const first = seen.splice(0);
        const removed = sub.unsubscribe('Ticker.tick');
        pub.publish('tick', {n: 2});
        await mark();
        return {name, first, removed, after: seen, again: sub.unsubscribe('Ticker.tick'),
                noFn: sub.subscribe('Ticker.tick'), published: pub.publish('x')};
    }""")
    assert got["name"] == "Ticker.tick"
    assert got["first"] == [{"n": 1}, "second", {}, "second"]
    assert got["removed"] is True and got["after"] == [] and got["again"] is False
    assert got["noFn"] is False and got["published"] is True


def test_data_store_events_and_cross_plugin_reads(bus_page):
    got = bus_page.evaluate("""async () => {
        const p = CXBus.registerPlugin('Store'), seen = [];
        for (const ev of ['Store.data', 'Store.data.mode', "Store.data.mode:'chat'"])
            p.subscribe(ev, e => seen.push([e.event, e.data]));
        const written = p.data('mode', 'chat');
        p.data('mode', 'chat');  // unchanged: no events
        p.subscribe('Store.done', () => seen.push(['done']));
        p.publish('done');  // after the data events, if there were any
        while (!seen.length || seen[seen.length - 1][0] !== 'done') await new Promise(r => setTimeout(r, 1));
        seen.pop();
        return {written, read: p.data('mode'), all: p.data(), other: CXBus.data('Store.mode'),
                appReady: CXBus.data('App.ready'), seen};
    }""")
    assert got["written"] == "chat" and got["read"] == "chat" and got["other"] == "chat"
    assert got["all"] == {"mode": "chat"} and got["appReady"] is True
    events = [event for event, _ in got["seen"]]
    assert events == ["Store.data", "Store.data.mode", "Store.data.mode:'chat'"]
    record = got["seen"][1][1]
    assert record["last"] is None and record["value"] == "chat" and isinstance(record["time"], (int, float))


def test_registry_and_subscribers(bus_page):
    got = bus_page.evaluate("""() => {
        const p = CXBus.registerPlugin('Listed');
        p.registerCommand('go', e => e.deferred.resolve());
        p.registerEvents(['went', 'stopped']);
        CXBus.registerPlugin('Watcher').subscribe('Listed.went', () => {});
        return {registry: p.registry().Listed, subscribers: p.subscribers()};
    }""")
    assert got["registry"] == {"events": ["went", "stopped"], "commands": ["COMMANDS", "EVENTS", "LOAD", "go"]}
    assert got["subscribers"] == {"Listed.went": ["Watcher"]}


# -- JS <-> Python plugins --------------------------------------------------------------------------

def test_js_plugin_serves_python_and_python_serves_js(bus_page):
    bus_page.evaluate("""() => {
        const js = CXBus.registerPlugin('JsSvc');
        js.registerCommand('add', e => e.deferred.resolve({sum: e.data.a + e.data.b, commander: e.commander}));
        js.registerCommand('boom', e => { throw new Error('handler blew up'); });
        js.ready();
    }""")
    py(bus_page, """
caller = bus.register_plugin("PyCaller")
box = {}
caller.command("JsSvc.add", {"a": 2, "b": 3}).done(lambda v: box.update(add=v))
caller.command("JsSvc.boom").fail(lambda why: box.update(boom=why))
result = True
""")
    until_py(bus_page, "result = len(box) == 2")
    assert py(bus_page, "result = box") == {"add": {"sum": 5, "commander": "PyCaller"}, "boom": "handler blew up"}
    from_js = bus_page.evaluate("() => CXBus.registerPlugin('JsCaller').command('PySvc.echo', {x: [1, {y: 'z'}]})")
    assert from_js == {"commander": "JsCaller", "data": {"x": [1, {"y": "z"}]}}


def test_a_result_that_cannot_cross_to_js_rejects_the_js_command(bus_page):
    py(bus_page, """
loop = bus.register_plugin("PyLoop")
def circular(e):
    d = {"name": "loop"}
    d["self"] = d
    e.deferred.resolve(d)
loop.register_command("get", circular)
loop.ready()
result = True
""")
    bus_page.evaluate("""() => {
        window.loopOut = null;
        CXBus.registerPlugin('LoopCaller').command('PyLoop.get')
          .done(v => { window.loopOut = ['done', v]; }).fail(why => { window.loopOut = ['fail', why]; });
    }""")
    bus_page.wait_for_function("() => window.loopOut !== null", timeout=10_000)
    kind, why = bus_page.evaluate("window.loopOut")
    assert kind == "fail" and isinstance(why, str) and why.startswith("RecursionError"), why


# -- the CXBus global's other members ------------------------------------------------------------------

def test_global_members_modules_master_and_load_file(bus_page, server_url):
    got = bus_page.evaluate("""async () => {
        const why = d => new Promise(r => d.done(() => r('resolved')).fail(r));
        const factory = () => 'made';
        const first = CXBus.registerModule('mod', factory), second = CXBus.registerModule('mod', () => 0);
        const loaded = await CXBus.loadModule('mod');
        window.loadedOnce = 0;
        const file = URL.createObjectURL(new Blob(['window.loadedOnce += 1'], {type: 'text/javascript'}));
        return {members: Object.keys(CXBus).sort(), master: CXBus.registerMaster(),
                first, second, same: loaded === factory, noModule: await why(CXBus.loadModule('nope')),
                fileOk: await why(CXBus.loadFile(file)), ran: window.loadedOnce,
                fileMissing: await why(CXBus.loadFile(location.origin + '/no-such-file.js'))};
    }""")
    assert got["members"] == sorted(CXBUS_MEMBERS)
    assert got["master"] is None
    assert (got["first"], got["second"], got["same"]) == (True, False, True)
    assert got["noModule"] == "Could not load module file: nope"
    assert (got["fileOk"], got["ran"]) == ("resolved", 1)
    assert got["fileMissing"] == f"Could not load plugin file: {server_url}/no-such-file.js"


def test_plugin_interface_and_quickbus_members(bus_page):
    """Exactly the names cxkit.bus.face declares (the reference docs render that table)."""
    plugin, quick = bus_page.evaluate("""() => [Object.keys(CXBus.registerPlugin('Shape')).sort(),
                                                Object.keys(window._genesys.widgets.bus).sort()]""")
    assert plugin == sorted(PLUGIN_MEMBERS)
    assert quick == sorted(QUICKBUS_MEMBERS)


def test_a_commands_promise_and_a_handlers_deferred_have_the_original_members(bus_page):
    """Spec A.6: what a command returns and what a JS handler gets, member for member;
    ``debug()`` tells the state and the settled arguments."""
    got = bus_page.evaluate("""async () => {
        const svc = CXBus.registerPlugin('ShapeSvc');
        let deferred = null;
        svc.registerCommand('pair', e => { deferred = Object.keys(e.deferred).sort(); e.deferred.resolve(1, 'two'); });
        svc.ready();
        const promise = CXBus.registerPlugin('ShapeCaller').command('ShapeSvc.pair');
        const pending = promise.debug();
        await new Promise(r => { setTimeout(r, 10000); promise.always(r); });
        return {promise: Object.keys(promise).sort(), deferred, pending, settled: promise.debug()};
    }""")
    assert got["promise"] == sorted(PROMISE_MEMBERS)
    assert got["deferred"] == sorted(DEFERRED_MEMBERS)
    assert got["pending"] == {"state": "pending", "args": []}
    assert got["settled"] == {"state": "resolved", "args": [1, "two"]}
    later = bus_page.evaluate("names => names.map(n => typeof CXBus[n]('ShapeNothing').done)", list(PROMISE_RESULT_MEMBERS))
    assert later == ["function"] * len(PROMISE_RESULT_MEMBERS)


def test_configure_debug_logs_to_the_console(bus_page):
    bus_page.console_lines.clear()
    bus_page.evaluate("""async () => {
        CXBus.configure({debug: true});
        const p = CXBus.registerPlugin('Dbg');
        await p.command('PySvc.getAgents');
        await new Promise(r => p.command('PySvc.missing').fail(r));
        CXBus.configure({debug: false});
        await p.command('PySvc.getAgents');
    }""")
    lines = bus_page.console_lines
    assert any("registered plugin Dbg" in line for line in lines), lines
    assert sum("Dbg commands PySvc.getAgents" in line for line in lines) == 1, lines
    assert any("Error (PySvc.missing): Command does not exist" in line for line in lines), lines


# -- boot order (own pages) -----------------------------------------------------------------------------

@pytest.mark.parametrize("thread", ["worker", "main"])
def test_extensions_run_before_app_ready_and_on_ready_after_with_the_quickbus(page, server_url, thread):
    """Spec A.1: function extensions run just before App.ready, with (jQuery, CXBus, Common);
    onReady(QuickBus) after it; extensions given as script URLs are injected after onReady (they
    were ignored), and one that cannot load is named on the console."""
    script = "window.order.push(['url extension', typeof CXBus.registerPlugin, window.order.length]);"
    page.route(f"{server_url}/site/extension.js",
               lambda route: route.fulfill(body=script, content_type="text/javascript"))
    page.add_init_script("""
        window.order = [];
        window.cxkitTestConfig = (widgets) => {
            widgets.cxkit = {thread: '%s'};
            widgets.extensions = {
                ByUrl: '/site/extension.js',
                Missing: '/site/no-such-extension.js',
                First(jq, bus, common) {
                    order.push(['ext', jq == null || typeof jq, typeof bus.registerPlugin, typeof common.resolve,
                                bus.data('App.ready') === undefined]);
                    bus.registerPlugin('FromExt').subscribe('App.ready', e => order.push(['App.ready', e.publisher]));
                },
            };
            widgets.onReady = (bus) => order.push(['onReady', bus.namespace(), typeof bus.registerPlugin,
                                                    bus.data('App.ready')]);
        };
    """ % thread)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{server_url}/cxkit/{PAGES[thread]}")
    wait_booted(page)
    page.wait_for_function("() => window.order.length === 4")
    order = page.evaluate("window.order")
    assert order[0] == ["ext", True, "function", "function", True]
    assert order[1] == ["onReady", "QuickBus", "function", True]
    assert order[2] == ["App.ready", "App"]
    assert order[3] == ["url extension", "function", 3]
    missing = "cxkit: extension Missing: Could not load plugin file: /site/no-such-extension.js"
    if missing not in errors:
        page.wait_for_event("console", lambda m: m.text == missing)


# -- proxy hygiene --------------------------------------------------------------------------------------

CYCLES = 10_000

COUNTS_PY = """
import gc, pyodide_js
gc.collect()
m = pyodide_js._module
result = {"jsrefs": m._hiwire_num_refs(), "pyproxies": m.pyproxy_alloc_map.size}
"""


def _counts(page, cdp) -> dict:
    for _ in range(3):
        page.evaluate("() => new Promise(r => setTimeout(r, 0))")  # let finalizers and microtasks run
        cdp.send("HeapProfiler.collectGarbage")
    counts = py(page, COUNTS_PY)
    counts["heap"] = cdp.send("Runtime.getHeapUsage")["usedSize"]
    # worker mode: the functions and elements the page holds for the worker's handles
    counts["held"] = page.evaluate("window.__cxkit.link ? window.__cxkit.link.held() : 0")
    counts["kept"] = page.evaluate("window.__cxkit.kept()")  # published data the page holds for Python's copies
    return counts


def test_many_subscriptions_and_commands_leave_no_proxies_behind(bus_page):
    cdp = bus_page.context.new_cdp_session(bus_page)
    cdp.send("HeapProfiler.enable")
    py(bus_page, "import pyodide_js\npyodide_js._module.enable_pyproxy_allocation_tracing()\nresult = True")
    run = """async (n) => {
        const pub = CXBus.registerPlugin('HygienePub'), sub = CXBus.registerPlugin('HygieneSub');
        const js = CXBus.registerPlugin('HygieneJs');
        js.registerCommand('echo', e => e.deferred.resolve(e.data.i));
        js.ready();
        let got = 0;
        for (let i = 0; i < n; i++) {
            let delivered;
            const arrived = new Promise(r => { delivered = r; });
            sub.subscribe('HygienePub.tick', e => { got += e.data.i === i; delivered(); });
            pub.publish('tick', {i});
            await arrived;
            sub.unsubscribe('HygienePub.tick');
        }
        for (let i = 0; i < n; i++) {
            got += (await sub.command('HygieneJs.echo', {i})) === i;
            got += (await sub.command('PySvc.mul', {a: i, b: 1})) === i;
        }
        return got;
    }"""
    bus_page.evaluate(run, 200)  # warm up: first-use allocations are not leaks
    before = _counts(bus_page, cdp)
    got = bus_page.evaluate(run.replace("'HygienePub'", "'HygienePub2'").replace("'HygieneSub'", "'HygieneSub2'")
                            .replace("'HygieneJs'", "'HygieneJs2'").replace("HygieneJs.echo", "HygieneJs2.echo")
                            .replace("HygienePub.tick", "HygienePub2.tick"), CYCLES)
    after = _counts(bus_page, cdp)
    print(f"\nproxy hygiene after {CYCLES} cycles + {2 * CYCLES} commands: before {before}, after {after}")
    assert got == 3 * CYCLES  # every delivery and every command arrived
    assert after["jsrefs"] - before["jsrefs"] < 50, (before, after)
    assert after["pyproxies"] - before["pyproxies"] < 50, (before, after)
    assert after["heap"] - before["heap"] < 2_000_000, (before, after)
    assert after["held"] - before["held"] < 50, (before, after)
    assert after["kept"] == before["kept"], (before, after)


def test_a_big_batch_from_the_worker_runs_in_order_across_several_tasks(bus_page):
    """The worker's ops run in slices: slow page subscribers (2 ms each) on 60 events published
    at once must not make one long task. A microtask queued by the first delivery has run before
    a later one exactly when a task ended in between; the order stays the publish order."""
    if bus_page.evaluate("window.__cxkit.thread") != "worker":
        pytest.skip("the main thread's bus calls subscribers in the publisher's own task")
    seen = bus_page.evaluate("""async () => {
        const seen = []; let yielded = false;
        CXBus.registerPlugin('SliceWatch').subscribe('SlicePub.tick', e => {
            if (!seen.length) queueMicrotask(() => { yielded = true; });
            const end = performance.now() + 2; while (performance.now() < end) {}
            seen.push([e.data.i, yielded]);
        });
        await cxkitPy('pub = bus.register_plugin("SlicePub")\\n'
            + 'for i in range(60): pub.publish("tick", {"i": i})\\nresult = True');
        await new Promise(r => { const t = setInterval(() => { if (seen.length >= 60) { clearInterval(t); r(); } }, 10); });
        return seen;
    }""")
    assert [i for i, _ in seen] == list(range(60))
    assert seen[0][1] is False and seen[-1][1] is True


def test_a_big_batch_runs_from_the_task_after_the_one_that_received_it(bus_page):
    """A message of a few ops runs in the task that received it (no extra hop for a command's
    answer); one of more than 16 is only parsed there, and its first op runs from the next task,
    so parsing a big batch and its first slice never add up to one long task."""
    if bus_page.evaluate("window.__cxkit.thread") != "worker":
        pytest.skip("no worker messages on the main thread")
    first = bus_page.evaluate("""async () => {
        const first = {};
        for (const n of [1, 40]) {
            const seen = [];
            CXBus.registerPlugin('BatchWatch' + n)
                .subscribe('BatchPub' + n + '.tick', () => seen.push(window.inWorkerMessage));
            await cxkitPy('pub = bus.register_plugin("BatchPub' + n + '")\\n'
                + 'for i in range(' + n + '): pub.publish("tick", {"i": i})\\nresult = True');
            await new Promise(r => {
                const t = setInterval(() => { if (seen.length >= n) { clearInterval(t); r(); } }, 10);
            });
            first[n] = seen[0];
        }
        return first;
    }""")
    assert first == {"1": True, "40": False}


def test_a_burst_of_answers_comes_in_several_messages_in_order(bus_page):
    """250 commands issued at once are run in one batch in the worker; their answers go to the
    page 100 at a time (the page settles the first ones while the worker makes the rest)."""
    if bus_page.evaluate("window.__cxkit.thread") != "worker":
        pytest.skip("no worker messages on the main thread")
    got = bus_page.evaluate("""async () => {
        const p = CXBus.registerPlugin('BurstCaller'), order = [];
        const busy = await cxkitPy('result = worker.busy_s'), before = window.workerMessages;
        const all = [];
        for (let i = 0; i < 250; i++) all.push(p.command('PySvc.mul', {a: i, b: 2}).done(v => order.push(v)));
        await Promise.race([Promise.all(all), new Promise(r => setTimeout(r, 30000))]);  // a lost answer fails below
        return {messages: window.workerMessages - before, ordered: order.every((v, i) => v === 2 * i), n: order.length,
                busy: (await cxkitPy('result = worker.busy_s')) - busy};
    }""")
    assert got["ordered"] and got["n"] == 250
    assert got["messages"] >= 3, got
    assert got["busy"] > 0, got  # the worker's time on the page's batches, which bench/bus.py reports


def test_a_burst_of_calls_runs_after_the_whole_burst_as_one_block_of_page_code(bus_page):
    """The bus runs handlers after the page code that issued the commands (the original: at a
    setTimeout 0), so a subscription made later in the same block hears what an earlier command
    publishes. The worker gets a burst in parts of 100 calls (it reads one while the page makes
    the next) and holds the bus until the last part: 250 calls after the command, it still hears."""
    py(bus_page, """
pub = bus.register_plugin("BurstPub")
pub.register_command("go", lambda e: (pub.publish("went", {"n": 1}), e.deferred.resolve()))
pub.ready()
result = True
""")
    got = bus_page.evaluate("""async () => {
        const p = CXBus.registerPlugin('BurstSub'), heard = [], post = Worker.prototype.postMessage;
        let posts = 0;
        Worker.prototype.postMessage = function () { posts++; return post.apply(this, arguments); };
        const all = [];
        try {
            all.push(p.command('BurstPub.go'));
            for (let i = 0; i < 250; i++) all.push(p.command('PySvc.mul', {a: i, b: 2}));
            p.subscribe('BurstPub.went', e => heard.push(e.data.n));
        } finally { Worker.prototype.postMessage = post; }
        await Promise.all(all.map(d => new Promise((ok, no) => d.done(ok).fail(no))));
        await new Promise(r => setTimeout(r, 0));   // the event is delivered after the command settles
        const deadline = performance.now() + 10000;
        while (!heard.length && performance.now() < deadline) await new Promise(r => setTimeout(r, 10));
        return {heard, posts};
    }""")
    assert got["heard"] == [1]
    if bus_page.evaluate("window.__cxkit.thread") == "worker":  # two parts went while the block still ran
        assert got["posts"] == 2, got


def test_payloads_reach_python_and_come_back_alike_in_both_modes(bus_page):
    """Plain data crosses as JSON in worker mode, data JSON cannot carry (undefined, NaN, a Date,
    an object referenced twice) as structured-clone data: either way page code gets what the main thread's bus gives it
    (Python's None is undefined, keys kept; text, numbers and nesting exact)."""
    got = bus_page.evaluate("""async () => {
        const p = CXBus.registerPlugin('PayloadCaller');
        const echo = async data => (await p.command('PySvc.echo', data)).data;
        const text = 'h\\u00e9llo \\ud83d\\ude00 "quoted" \\\\ </script>';
        const plain = await echo({text, n: null, big: 2 ** 53 - 1, neg: -1.5, list: [1, null, 'x', {a: [true]}], deep: {x: {y: {}}}});
        const when = new Date(Date.UTC(2026, 0, 2));
        const odd = await echo({u: undefined, nan: NaN, inf: -Infinity, when, n: null});
        const none = await echo(undefined);
        const shared = {k: 'v'}, twice = await echo({a: shared, b: shared});  // structured clone keeps the sharing
        return {
            twice: JSON.stringify(twice),
            plainText: plain.text === text, plainKeys: Object.keys(plain).sort(), n: String(plain.n),
            big: plain.big, neg: plain.neg, list: JSON.stringify(plain.list), hole: plain.list[1] === undefined,
            deep: JSON.stringify(plain.deep),
            oddKeys: Object.keys(odd).sort(), u: String(odd.u), nan: Number.isNaN(odd.nan), inf: odd.inf === -Infinity,
            when: odd.when instanceof Date && odd.when.getTime() === when.getTime(), oddN: String(odd.n),
            none: JSON.stringify(none),
        };
    }""")
    assert got == {
        "plainText": True, "plainKeys": ["big", "deep", "list", "n", "neg", "text"], "n": "undefined",
        "big": 2 ** 53 - 1, "neg": -1.5, "list": '[1,null,"x",{"a":[true]}]', "hole": True, "deep": '{"x":{"y":{}}}',
        "oddKeys": ["inf", "n", "nan", "u", "when"], "u": "undefined", "nan": True, "inf": True, "when": True,
        "oddN": "undefined", "none": "{}", "twice": '{"a":{"k":"v"},"b":{"k":"v"}}',
    }


@pytest.mark.parametrize("added", ["assigned", "read-only"])
def test_a_page_that_extends_object_prototype_gets_payloads_with_their_own_keys_only(bus_page, added):
    """Old scripts add enumerable members to Object.prototype. What a handler gets still has
    exactly the keys that were sent: a copy walked with for...in made them its own, and a
    read-only one made it throw, which lost the answer (the command never settled)."""
    add = ("Object.prototype.addedByAnOldScript = function () {};" if added == "assigned" else
           "Object.defineProperty(Object.prototype, 'addedByAnOldScript', {value: 1, enumerable: true, configurable: true});")
    got = bus_page.evaluate("""async () => {
        const p = CXBus.registerPlugin('ProtoCaller%s');
        %s
        try {
            const back = await new Promise((ok, no) => {
                setTimeout(() => no('no answer within 10 s'), 10000);
                p.command('PySvc.echo', {a: {b: [{c: 1}]}}).done((r) => ok(r.data)).fail(no);
            });
            return [Object.keys(back), Object.keys(back.a), Object.keys(back.a.b[0]), JSON.stringify(back)];
        } finally { delete Object.prototype.addedByAnOldScript; }
    }""" % (added, add))
    assert got == [["a"], ["b"], ["c"], '{"a":{"b":[{"c":1}]}}']


#: Prototype.js 1.6 and MooTools 1.2.4 (still on old shop sites) give arrays a toJSON that returns
#: the array's JSON text, so ``JSON.stringify`` writes every array as a quoted string, and add
#: enumerable methods to Array.prototype; other old scripts add members to Object.prototype.
OLD_LIBRARIES = """
Array.prototype.toJSON = function () {
  const own = Array.prototype.toJSON;
  delete Array.prototype.toJSON;
  try { return JSON.stringify(this); } finally { Array.prototype.toJSON = own; }
};
Array.prototype.each = function (fn) { for (let i = 0; i < this.length; i++) fn(this[i], i); };
Object.prototype.oldHelper = function () {};
"""


@pytest.mark.parametrize("thread", ["worker", "main"])
def test_a_page_with_old_libraries_that_extend_array_and_object_prototypes_still_chats(open_chat_page, gms, thread):
    """Such libraries are on the page before the widget. Calls cross to the worker as JSON text, and
    the main thread's PyScript config is JSON: with arrays' own toJSON, every batch to the worker was a string and
    the boot never reached ready, the worker's ``registry()`` answered arrays as strings, and
    PyScript read the list of its plugins to leave off (its error banners among them) as one
    string. Now a chat, arrays through the bus and ``registry()`` all work, in both modes."""
    choose = "window.cxkitTestConfig = w => { w.cxkit = {thread: '%s'}; };" % thread
    page = open_chat_page(init_script=OLD_LIBRARIES + choose)
    assert page.evaluate("[window.__cxkit.thread, typeof Array.prototype.toJSON, typeof ({}).oldHelper]") == [
        thread, "function", "function"]
    if thread == "main":
        assert page.evaluate("""Array.isArray(JSON.parse(
            document.querySelector('script[type="py"]').getAttribute('config')).plugins)""") is True
    chat_id = start_chat(page, gms)
    gms.join(chat_id, nickname="Anna")
    gms.say(chat_id, "Hello from Anna")
    wait_text(page, "Hello from Anna")
    assert command(page, "WebChatService.sendMessage", {"message": "hi"})["ok"]
    gms.wait_message(chat_id, type="Message", text="hi", from_type="Client")
    got = page.evaluate("""() => new Promise((ok, no) => {
        setTimeout(() => no('no answer within 10 s'), 10000);
        const svc = CXBus.registerPlugin('ListSvc'), caller = CXBus.registerPlugin('ListCaller');
        svc.registerCommand('echo', e => e.deferred.resolve({back: e.data.list, nested: [[1], {a: [true]}]}));
        svc.ready();
        caller.command('ListSvc.echo', {list: ['a', ['b']]}).done(r => ok({
            back: Array.isArray(r.back) && Array.isArray(r.back[1]) && r.back.flat().join(),
            nested: Array.isArray(r.nested[0]) && Array.isArray(r.nested[1].a),
            registry: Array.isArray(caller.registry().ListSvc.commands) && caller.registry().ListSvc.commands.join(),
        })).fail(no);
    })""")
    assert got == {"back": "a,b", "nested": True, "registry": "COMMANDS,EVENTS,LOAD,echo"}


def test_a_js_handlers_answer_reaches_a_js_caller_at_once_and_once(bus_page):
    """As in the original, a JS caller's callbacks run inside the JS handler's resolve() (in
    both modes the page settles its own caller, in worker mode without waiting for the worker to
    relay the answer, and Python then sends no answer of its own: two commands, two settles);
    nothing is left waiting on either side."""
    got = bus_page.evaluate("""async () => {
        const svc = CXBus.registerPlugin('SyncSvc'), caller = CXBus.registerPlugin('SyncCaller');
        const order = [], settled = [], face = window.__cxkit, settle = face.settle;
        face.settle = (token, ...rest) => { settled.push(token); return settle(token, ...rest); };
        let answer = null;
        svc.registerCommand('later', e => { answer = e.deferred; });
        svc.registerCommand('fails', e => e.deferred.reject('no', 2));
        svc.ready();
        caller.command('SyncSvc.later', {n: 1}).done(v => order.push('done ' + v.n));
        const end = performance.now() + 10000;
        while (!answer && performance.now() < end) await new Promise(r => setTimeout(r, 5));
        answer.resolve({n: 2});
        order.push('after resolve');
        const failed = await new Promise(r => {
            setTimeout(() => r('no answer within 10 s'), 10000);
            caller.command('SyncSvc.fails').fail((...a) => r(a));
        });
        const py = await cxkitPy(
            'from cxkit.browser.census import census\\nresult = census()["bridge_pending_handlers"]');
        face.settle = settle;
        return {order, failed, settles: settled.length, waiting: face.waiting(), py};
    }""")
    assert got == {"order": ["done 2", "after resolve"], "failed": ["no", 2], "settles": 2, "waiting": 0, "py": 0}


def test_configured_unlocked_the_bus_hands_out_any_plugins_interface(bus_page):
    """Spec A.2: ``CXBus.configure({unlocked: true})`` exposes ``CXBus.getPluginInterface(name)``:
    the object ``registerPlugin`` returned, or an interface of a plugin registered elsewhere (in
    Python here), acting as that plugin; ``undefined`` for an unknown name. Locked again, it is gone."""
    got = bus_page.evaluate("""async () => {
        const before = typeof CXBus.getPluginInterface;
        const mine = CXBus.registerPlugin('UnlockedJs');
        CXBus.configure({unlocked: true});
        const get = CXBus.getPluginInterface;
        const same = get('UnlockedJs') === mine && get('QuickBus') === window._genesys.widgets.bus, unknown = get('NoSuchPlugin'), keys = Object.keys(CXBus).sort();
        const echo = await new Promise(r => {
            setTimeout(() => r('no answer within 10 s'), 10000);
            get('PySvc').command('echo', {x: 1}).done(r).fail(r);
        });
        CXBus.configure({unlocked: false});
        return {before, same, unknown: String(unknown), keys, echo, after: typeof CXBus.getPluginInterface};
    }""")
    assert got["before"] == "undefined" and got["after"] == "undefined"
    assert got["same"] is True and got["unknown"] == "undefined"
    assert got["keys"] == sorted([*CXBUS_MEMBERS, *UNLOCKED_MEMBERS])
    assert got["echo"] == {"commander": "PySvc", "data": {"x": 1}}


def test_a_js_handler_gets_the_callers_own_options_object(bus_page):
    """As with the original's bus, a JS command handler gets the very object the page passed: a
    class instance keeps its methods, what the handler changes the caller sees, and identity
    holds. A `before` that returns other options hands the handler those (as a copy: they went
    through Python)."""
    got = bus_page.evaluate("""async () => {
        class Cart { constructor() { this.items = ['a']; } total() { return this.items.length; } }
        const svc = CXBus.registerPlugin('OwnSvc'), caller = CXBus.registerPlugin('OwnCaller');
        let seen = null;
        svc.registerCommand('take', e => { seen = e.data; e.data.touched = true; e.deferred.resolve(e.data.cart.total()); });
        svc.registerCommand('edited', e => { seen = e.data; e.deferred.resolve(e.data.n); });
        svc.ready();
        const options = {cart: new Cart(), at: new Map([['k', 1]])};
        const total = await caller.command('OwnSvc.take', options);
        const same = seen === options && seen.at instanceof Map && options.touched === true;
        const empty = {};
        await caller.command('OwnSvc.take', Object.assign(empty, {cart: new Cart()}));
        const sameEmpty = seen === empty;
        caller.before('OwnSvc.edited', o => Object.assign({}, o, {n: 2}));
        const given = {n: 1};
        const edited = [await caller.command('OwnSvc.edited', given), seen === given, given.n];
        const py = await cxkitPy(
            'from cxkit.browser.census import census\\nresult = census()["bridge_given_options"]');
        return {total, same, sameEmpty, edited, waiting: window.__cxkit.waiting(), py};
    }""")
    assert got == {"total": 1, "same": True, "sameEmpty": True, "edited": [2, False, 1], "waiting": 0, "py": 0}


def test_the_callers_own_options_with_debug_sync_dispatch_a_python_before_and_a_bad_name(bus_page):
    """The handler gets the page's own object with ``debug: true`` (the bus then watches every
    command) and with ``async: false`` (the handler runs inside the call) too; a Python ``before``
    that edits the options in place hands the handler its edits (a copy: they were made in
    Python); a command the bus refuses at once (a name that is not a string) keeps nothing."""
    py(bus_page, """
def add(options):
    options["added"] = 1
    return options
bus.register_plugin("PyBefore").before("OwnSvc2.take", add)
result = True
""")
    got = bus_page.evaluate("""async () => {
        const svc = CXBus.registerPlugin('OwnSvc2'), caller = CXBus.registerPlugin('OwnCaller2');
        let seen = null;
        svc.registerCommand('plain', e => { seen = e.data; e.deferred.resolve(); });
        svc.registerCommand('take', e => { seen = e.data; e.deferred.resolve(e.data.added); });
        svc.ready();
        const same = async () => { const o = {n: 1}; await caller.command('OwnSvc2.plain', o); return seen === o; };
        CXBus.configure({debug: true});
        const debug = await same();
        CXBus.configure({debug: false, async: false});
        const sync = await same();
        CXBus.configure({async: true});
        const edited = {n: 1};
        const added = await caller.command('OwnSvc2.take', edited);
        const bad = await new Promise(r => CXBus.command(123, {n: 1}).done(() => r('resolved')).fail(() => r('rejected')));
        const py = await cxkitPy(
            'from cxkit.browser.census import census\\nresult = census()["bridge_given_options"]');
        return {debug, sync, edited: [added, seen === edited, edited.added], bad, waiting: window.__cxkit.waiting(), py};
    }""")
    assert got == {"debug": True, "sync": True, "edited": [1, False, None], "bad": "rejected", "waiting": 0, "py": 0}


def test_delivery_is_a_microtask_on_the_pages_thread_and_async_false_runs_handlers_inside_command(bus_page):
    """README / threads.md: on the page's own thread a delivery costs one microtask (before a 0 ms
    setTimeout), and `configure({async: false})` runs a handler inside `command()`; in worker mode
    nothing on the page can wait for the worker, so both stay asynchronous there."""
    got = bus_page.evaluate("""async () => {
        const order = [], pub = CXBus.registerPlugin('TickPub'), sub = CXBus.registerPlugin('TickSub');
        sub.subscribe('TickPub.tick', () => order.push('delivered'));
        setTimeout(() => order.push('timeout'), 0);
        pub.publish('tick', {n: 1});
        order.push('after publish');
        await new Promise(r => setTimeout(r, 0));  // queued after the 'timeout' one: runs after it
        const svc = CXBus.registerPlugin('InsideSvc');
        let ran = false;
        svc.registerCommand('go', e => { ran = true; e.deferred.resolve(); });
        svc.ready();
        CXBus.configure({async: false});
        let inside;
        try {
            const d = CXBus.registerPlugin('InsideCaller').command('InsideSvc.go');
            inside = ran;
            await new Promise((ok, no) => d.done(ok).fail(no));
        } finally { CXBus.configure({async: true}); }
        return {order: order.slice(0, 3), inside, after: ran};
    }""")
    if bus_page.evaluate("window.__cxkit.thread") == "main":
        assert got == {"order": ["after publish", "delivered", "timeout"], "inside": True, "after": True}
    else:
        # the delivery came, after the caller's own code, in its own task
        assert got["order"][0] == "after publish" and sorted(got["order"][1:]) == ["delivered", "timeout"]
        assert got["inside"] is False and got["after"] is True


@pytest.mark.parametrize("thread", ["worker", "main"])
def test_function_extensions_get_the_pages_own_jquery(page, server_url, thread):
    """README: function extensions get the page's own `window.jQuery` (cxkit bundles none)."""
    page.add_init_script("""
        window.jQuery = function pagesOwnJQuery() {};
        window.cxkitTestConfig = (widgets) => {
            widgets.cxkit = {thread: '%s'};
            widgets.extensions = {Jq(jq) { window.gotJq = jq === window.jQuery; }};
        };
    """ % thread)
    page.goto(f"{server_url}/cxkit/{PAGES[thread]}")
    wait_booted(page)
    page.wait_for_function("() => window.gotJq !== undefined")
    assert page.evaluate("window.gotJq") is True


def test_a_before_that_returns_a_promise_goes_on_when_it_settles_in_both_modes(bus_page):
    """threads.md: a page function the bus calls that returns a Promise answers once it settles.
    On the page's own thread a `before`'s Promise was taken for options that are not an object,
    and cancelled the command; now both modes wait for it (a rejection cancels)."""
    got = bus_page.evaluate("""async () => {
        const p = CXBus.registerPlugin('PromiseBefore');
        p.before('PySvc.echo', o => o.later ? new Promise(r => setTimeout(() => r(Object.assign({}, o, {x: 1})), 20)) : o);
        p.before('PySvc.mul', o => (o.no ? Promise.reject('no') : o));
        const later = (await p.command('PySvc.echo', {later: true})).data;
        const refused = await new Promise(r => p.command('PySvc.mul', {a: 2, b: 3, no: true}).done(() => r('resolved')).fail(r));
        const plain = await p.command('PySvc.mul', {a: 2, b: 3});
        p.before('PySvc.getAgents', async o => { o.self = o; return o; });  // options that refer to themselves
        const loop = await new Promise(r => p.command('PySvc.getAgents', {}).done(() => r('settled')).fail(() => r('settled')));
        return {later, refused, plain, loop};
    }""")
    assert got == {"later": {"later": True, "x": 1}, "refused": CANCELLED, "plain": 6, "loop": "settled"}


@pytest.mark.parametrize("thread", ["worker", "main"])
def test_a_page_without_webchat_config_gets_app_ready_and_no_webchatservice(page, server_url, thread):
    """README, spec B (as the original): the WebChatService is loaded only when
    ``_genesys.widgets.webchat`` is non-empty; without it App.ready comes, WebChatService.ready
    never does and its commands are rejected as for any plugin that cannot be loaded."""
    page.add_init_script("""
        window.cxkitTestConfig = (widgets) => { widgets.cxkit = {thread: '%s'}; delete widgets.webchat; };
    """ % thread)
    page.goto(f"{server_url}/cxkit/{PAGES[thread]}")
    wait_booted(page)
    got = page.evaluate("""async () => {
        const p = CXBus.registerPlugin('NoChat'), seen = [];
        p.subscribe('WebChatService.ready', () => seen.push('WebChatService.ready'));
        await new Promise(r => p.subscribe('App.ready', r));
        const answer = await new Promise(r => p.command('WebChatService.getSessionData')
            .done(v => r(['resolved', v])).fail(e => r(['rejected', e])));
        // a round trip after the command: a sticky WebChatService.ready would have come by now
        await new Promise(r => p.command('NoChat.COMMANDS').always(r));
        return {seen, answer, registered: 'WebChatService' in p.registry(), ready: CXBus.data('App.ready')};
    }""")
    assert got["seen"] == [] and got["registered"] is False and got["ready"] is True
    # the bus's answer for a plugin it cannot load (spec A; observed for any unknown plugin)
    assert got["answer"] == ["rejected", "Could not load plugin file in given location. Check your plugins path option."]


def test_a_value_that_cannot_cross_fails_its_own_call_only(bus_page):
    """threads.md ("How data crosses"): a value the worker cannot receive (a detached buffer) or
    that cannot be read (a getter that throws) fails only its own call, with the reason, and the
    calls beside it in the same batch go on; a Symbol reaches Python as None (as `undefined`
    does); a `before` answering a thenable whose `then` throws cancels its command, in both
    modes. Nothing waits forever."""
    got = bus_page.evaluate("""async () => {
        const p = CXBus.registerPlugin('Uncrossable');
        const settle = d => new Promise(r => d.done(v => r(['resolved', v])).fail(e => r(['rejected', String(e)])));
        const detached = new ArrayBuffer(8);
        structuredClone(detached, {transfer: [detached]});
        const unreadable = {get boom() { throw new Error('no reading this'); }};
        const calls = [  // issued in one task: one batch to the worker
            p.command('PySvc.echo', {n: 1}), p.command('PySvc.echo', {n: 2, buffer: detached}),
            p.command('PySvc.echo', unreadable), p.command('PySvc.echo', {n: 4, s: Symbol('x')}),
            p.command('PySvc.echo', {n: 5})];
        const answers = await Promise.all(calls.map(settle));
        p.before('PySvc.mul', o => ({then() { throw new Error('a broken thenable'); }}));
        const thenable = await settle(p.command('PySvc.mul', {a: 1, b: 2}));
        return {answers, thenable, waiting: __cxkit.waiting()};
    }""")
    answers = got["answers"]
    assert [a[0] for a in answers] == ["resolved", "rejected", "rejected", "resolved", "resolved"]
    assert [answers[i][1]["data"] for i in (0, 3, 4)] == [{"n": 1}, {"n": 4, "s": None}, {"n": 5}]
    assert "ArrayBuffer is detached" in answers[1][1] or "detached ArrayBuffer" in answers[1][1], answers[1][1]
    assert "no reading this" in answers[2][1]
    assert got["thenable"] == ["rejected", CANCELLED] and got["waiting"] == 0
    if bus_page.evaluate("window.__cxkit.thread") == "worker":  # the test hook answers a result it cannot send
        refused = bus_page.evaluate("cxkitPy('result = []\\nresult.append(result)').then(() => 'resolved', String)")
        assert "ValueError" in refused or "RecursionError" in refused, refused


def test_a_call_queued_before_boot_that_cannot_be_read_does_not_stop_the_start(page, server_url):
    """threads.md: a command queued before Python is up whose data cannot be read is rejected
    when the queue is replayed; the calls after it and the start-up (App.ready, onReady) go on."""
    page.add_init_script("""
        window.cxkitTestConfig = (widgets) => { widgets.onReady = () => { window.onReadyRan = true; }; };
        window.cxkitTestEarly = () => {
            const p = CXBus.registerPlugin('Early'), settle = d => new Promise(r =>
                d.done(() => r('resolved')).fail(e => r('rejected: ' + e)));
            window.early = Promise.all([
                settle(p.command('WebChatService.getSessionData', {get boom() { throw new Error('unreadable'); }})),
                settle(p.command('WebChatService.getSessionData'))]);
        };
    """)
    page.goto(f"{server_url}/cxkit/e2e.html")
    wait_booted(page)
    assert page.evaluate("window.early") == ["rejected: the value could not be read: unreadable", "resolved"]
    page.wait_for_function("() => window.onReadyRan === true")
    assert page.evaluate("CXBus.data('App.ready')") is True


def test_a_function_held_twice_through_a_shared_object_stays_callable(bus_page):
    """An object the page passes twice in one call (``{a: shared, b: shared}``) crosses as
    structured-clone data; the function in it gets one stand-in in the worker, so dropping one
    of the two copies does not drop the function on the page."""
    if bus_page.evaluate("window.__cxkit.thread") != "worker":
        pytest.skip("handles exist in worker mode only")
    py(bus_page, """
import gc
kept = {}
svc = bus.register_plugin("Keeper")
def keep(e):
    kept["a"], b = e.data["a"]["f"], e.data["b"]["f"]
    same = kept["a"] is b
    del b
    e.deferred.resolve(same)
svc.register_command("keep", keep)
svc.register_command("call", lambda e: kept["a"]("from Python").done(e.deferred.resolve).fail(e.deferred.reject))
svc.ready()
result = True
""")
    got = bus_page.evaluate("""async () => {
        const p = CXBus.registerPlugin('Sharer'), shared = {f: (who) => 'called ' + who};
        const same = await p.command('Keeper.keep', {a: shared, b: shared});
        await cxkitPy('import gc\\ngc.collect()\\nresult = True');
        await cxkitPy('result = True');  // a round trip: the drop of a second stand-in would have reached the page
        const called = await new Promise(r => p.command('Keeper.call').done(r).fail(e => r('failed: ' + e)));
        return {same, called};
    }""")
    assert got == {"same": True, "called": "called from Python"}


def test_a_stray_error_in_the_worker_after_boot_is_logged_and_the_bus_goes_on(bus_page):
    """An exception that escapes in the worker (a callback that raised) reaches the page as the
    worker's error event: it failed the whole boot (every later call rejected) while the worker
    went on without the page. Now it is said on the console and nothing else changes."""
    if bus_page.evaluate("window.__cxkit.thread") != "worker":
        pytest.skip("a worker's error event exists in worker mode only")
    said = lambda m: m.type == "error" and "cxkit worker: " in m.text and "stray" in m.text  # noqa: E731
    with bus_page.expect_console_message(said, timeout=10_000):
        py(bus_page, "from pyodide.ffi import create_once_callable\n"
                     "def boom():\n    raise ValueError('stray')\n"
                     "js.setTimeout(create_once_callable(boom), 0)\nresult = True")
    got = bus_page.evaluate("""async () => ({
        failure: __cxkit.failure || null,
        answer: await new Promise(r => CXBus.command('App.anything').done(() => r('resolved')).fail(r)),
    })""")
    assert got == {"failure": None, "answer": "Command does not exist"}, got


def test_a_handler_or_before_that_throws_what_has_no_text_still_answers(bus_page):
    """A null-prototype object has no toString: making the rejection's text threw in turn, and
    the command was never answered."""
    got = bus_page.evaluate("""async () => {
        const p = CXBus.registerPlugin('NoText');
        p.registerCommand('boom', () => { throw Object.create(null); });
        p.ready();
        CXBus.registerPlugin('NoTextBefore').before('NoText.ok', () => { throw Object.create(null); });
        p.registerCommand('ok', e => e.deferred.resolve('ran'));
        const outcome = (name) => new Promise(r => CXBus.command(name).done(v => r(['resolved', v])).fail(v => r(['rejected', v])));
        return [await outcome('NoText.boom'), await outcome('NoText.ok')];
    }""")
    assert got[0] == ["rejected", "an error that cannot be read as text"], got
    assert got[1][0] == "rejected", got  # a before that throws cancels, as one that throws an Error


def test_a_js_handlers_answer_that_cannot_be_read_rejects_the_python_callers_command(bus_page):
    """On the page's thread the answer was read after the command's Deferred was let go: a
    getter that throws left the Python caller waiting for ever."""
    bus_page.evaluate("""() => {
        const js = CXBus.registerPlugin('BadAnswer');
        js.registerCommand('get', e => e.deferred.resolve({get x() { throw new Error('unreadable'); }}));
        js.ready();
    }""")
    py(bus_page, """
box = {}
bus.register_plugin("BadAnswerCaller").command("BadAnswer.get").done(
    lambda *v: box.update(done=True)).fail(lambda why: box.update(fail=str(why)))
result = True
""")
    until_py(bus_page, "result = bool(box)")
    box = py(bus_page, "result = box")
    assert "fail" in box and "unreadable" in box["fail"], box


def test_a_command_whose_data_holds_a_function_and_a_cycle_is_answered(bus_page):
    """The worker copied a page object that refers to itself without end when it also held a
    function (the copy that makes stand-ins had no cycle guard): the call was dropped and its
    command never settled."""
    py(bus_page, """
svc = bus.register_plugin("CycleSvc")
svc.register_command("take", lambda e: e.deferred.resolve(sorted(e.data)))
svc.ready()
result = True
""")
    got = bus_page.evaluate("""() => new Promise(r => {
        const data = {fn: () => 1, name: 'loop'};
        data.self = data;
        CXBus.command('CycleSvc.take', data).done(v => r(['resolved', v])).fail(v => r(['rejected', String(v)]));
    })""")
    assert got == ["resolved", ["fn", "name", "self"]], got


def test_a_typed_array_goes_to_python_and_comes_back_as_one(bus_page):
    """Python got a typed array as bytes and gave back their repr ('<memory at 0x...>')."""
    py(bus_page, """
svc = bus.register_plugin("BytesSvc")
svc.register_command("echo", lambda e: e.deferred.resolve(e.data["bytes"], bytes(e.data["bytes"])[::-1]))
svc.ready()
result = True
""")
    got = bus_page.evaluate("""() => new Promise(r => {
        CXBus.command('BytesSvc.echo', {bytes: new Uint8Array([1, 2, 250])})
            .done((a, b) => r([a instanceof Uint8Array, Array.from(a), b instanceof Uint8Array, Array.from(b)]))
            .fail(v => r(['rejected', String(v)]));
    })""")
    assert got == [True, [1, 2, 250], True, [250, 2, 1]], got
