"""When the loader boots Python (``_genesys.widgets.cxkit.boot``), and where (``thread``).

- ``idle`` (default): after the page's ``load`` event, so the runtime never competes with the page;
- ``now``: at once when ``thread`` is given, else when the page's HTML is parsed (its
  ``<script type="py">`` decides the thread), before the ``load`` event;
- ``command``: at the first WebChatService command, or as ``idle`` when a chat is to be restored.
"""

from __future__ import annotations

import pytest
from e2e_support import RECORDER, command, wait_booted

from cxkit.testing.page import init_script

POLICY = "window.cxkitTestConfig = (w) => { w.cxkit = %s; };"

#: Two idle callbacks after the load event: by then an ``idle`` boot has started.
AFTER_LOAD_AND_IDLE = """() => new Promise(r => {
    const idle = () => requestIdleCallback(() => requestIdleCallback(() => r(true)));
    if (document.readyState === 'complete') idle(); else addEventListener('load', idle);
})"""

RUNTIME_REQUESTS = """() => performance.getEntriesByType('resource')
    .filter(e => /\\/(modules|pyodide|pyscript|wheels)\\//.test(e.name)).map(e => e.name)"""


def test_idle_boot_starts_after_the_load_event(page, server_url):
    page.goto(f"{server_url}/cxkit/e2e.html")
    wait_booted(page)
    assert page.evaluate("window.__cxkit.thread") == "worker"
    timing = page.evaluate("""() => ({
        load: performance.getEntriesByType('navigation')[0].loadEventEnd,
        starts: performance.getEntriesByType('resource')
            .filter(e => /\\/modules\\//.test(e.name)).map(e => e.startTime),
    })""")
    assert timing["starts"] and min(timing["starts"]) >= timing["load"] > 0, timing


AT_LOAD = """
    addEventListener('load', () => { window.threadAtLoad = window.__cxkit.thread; });
"""


def test_now_boots_before_the_load_event(page, server_url):
    page.add_init_script(POLICY % "{boot: 'now'}" + AT_LOAD)
    page.goto(f"{server_url}/cxkit/e2e.html")
    wait_booted(page)
    assert page.evaluate("window.threadAtLoad") == "worker"


def test_now_with_a_thread_given_boots_before_the_page_is_parsed(page, server_url):
    page.add_init_script(POLICY % "{boot: 'now', thread: 'worker'}" + """
        document.addEventListener('DOMContentLoaded', () => { window.threadAtDomReady = window.__cxkit.thread; });
    """)
    page.goto(f"{server_url}/cxkit/e2e.html")
    wait_booted(page)
    assert page.evaluate("window.threadAtDomReady") == "worker"


def test_the_pytest_plugins_boot_now_takes_effect(page, server_url):
    # The plugin's init script merges its options into the config as the loader announces itself
    # (a new ``cxkit`` object when the page has none), after the loader's first lines ran.
    page.add_init_script(init_script(None, {"cxkit": {"boot": "now"}}) + AT_LOAD)
    page.goto(f"{server_url}/cxkit/e2e.html")
    wait_booted(page)
    assert page.evaluate("window.threadAtLoad") == "worker"


def test_options_set_after_the_loader_ran_are_read_at_boot(page, server_url):
    page.add_init_script("window.cxkitTestEarly = () => { window._genesys.widgets.cxkit = {boot: 'command'}; };")
    page.goto(f"{server_url}/cxkit/e2e.html")
    assert page.evaluate(AFTER_LOAD_AND_IDLE) is True
    assert page.evaluate(RUNTIME_REQUESTS) == []
    assert page.evaluate("window.__cxkit.thread") is None


def test_a_page_message_sent_while_python_starts_waits_for_it(page, server_url):
    """What the page posts while Pyodide starts (a visibility change here) waits in the worker's
    inbox and is handed over, one message at a time, once Python is up; the boot goes on."""
    page.add_init_script(POLICY % "{boot: 'now'}")
    page.goto(f"{server_url}/cxkit/e2e.html")
    page.wait_for_function("() => !!(window.__cxkit && window.__cxkit.link)")
    assert page.evaluate("() => { document.dispatchEvent(new Event('visibilitychange')); return window.__cxkit.attached; }") \
        is False
    wait_booted(page)
    assert page.evaluate("[window.__cxkit.failure || null, window.__cxkit.attached]") == [None, True]


def test_command_boot_waits_for_a_webchat_command_and_runs_it(page, server_url):
    page.add_init_script(POLICY % "{boot: 'command'}" + RECORDER)
    page.goto(f"{server_url}/cxkit/e2e.html")
    assert page.evaluate(AFTER_LOAD_AND_IDLE) is True
    assert page.evaluate(RUNTIME_REQUESTS) == []
    assert page.evaluate("[window.__cxkit.thread, window.__cxkit.attached]") == [None, False]
    # other calls are answered and queued; the first WebChatService command boots, then runs
    assert page.evaluate("CXBus.registerPlugin('Early').subscribe('WebChatService.ready', e => window.sawReady = true)") \
        == "WebChatService.ready"
    assert page.evaluate(RUNTIME_REQUESTS) == []
    result = command(page, "WebChatService.getSessionData")
    assert result["ok"], result
    assert page.evaluate("[window.__cxkit.thread, window.__cxkit.attached, window.sawReady]") == ["worker", True, True]


def test_command_boot_from_a_command_before_the_load_event_starts_after_it(page, server_url):
    page.add_init_script(POLICY % "{boot: 'command'}" + """
        window.cxkitTestEarly = () => {
            CXBus.registerPlugin('Early').command('WebChatService.getSessionData')
                .done(() => { window.early = 'done'; }).fail(why => { window.early = 'fail: ' + why; });
        };""")
    page.goto(f"{server_url}/cxkit/e2e.html")
    page.wait_for_function("() => window.early !== undefined", timeout=120_000)
    assert page.evaluate("window.early") == "done"
    timing = page.evaluate("""() => ({
        load: performance.getEntriesByType('navigation')[0].loadEventStart,
        starts: performance.getEntriesByType('resource')
            .filter(e => /\\/modules\\//.test(e.name)).map(e => e.startTime),
    })""")
    assert timing["starts"] and min(timing["starts"]) >= timing["load"] > 0, timing


def test_command_boot_restores_a_chat_without_waiting_for_a_command(context, page, server_url):
    context.add_cookies([{"name": "_genesys.widgets.webchat.state.keys", "value": "{}", "url": server_url}])
    page.add_init_script(POLICY % "{boot: 'command'}")
    page.goto(f"{server_url}/cxkit/e2e.html")
    wait_booted(page)
    assert page.evaluate("window.__cxkit.thread") == "worker"


@pytest.mark.parametrize("config, thread", [("{thread: 'main'}", "main"), ("{}", "worker")])
def test_the_thread_is_chosen_by_the_config(page, server_url, config, thread):
    page.add_init_script(POLICY % config + RECORDER)
    page.goto(f"{server_url}/cxkit/e2e.html")
    wait_booted(page)
    assert page.evaluate("[window.__cxkit.thread, window.__cxkit.failure]") == [thread, None]
    assert command(page, "App.registerAutoLoad", {"plugin": "X"})["ok"]


def test_a_page_with_its_own_python_runs_cxkit_on_the_main_thread(page, server_url):
    page.goto(f"{server_url}/cxkit/e2e_python.html")
    wait_booted(page)
    assert page.evaluate("window.__cxkit.thread") == "main"


@pytest.mark.parametrize("boot", ["idle", "now"])
def test_a_tag_manager_injecting_the_loader_after_the_load_event_boots_it(page, server_url, boot):
    """Tag managers (GTM, Tealium: spec's tag guide) add the config and the script tag after the
    page has loaded; the loader then finds its bundle from its own URL and boots at once."""
    html = """<!doctype html><meta charset="utf-8"><title>tag manager</title><p>page</p>
<script>
addEventListener('load', () => setTimeout(() => {
  window.seen = [];
  window._genesys = {widgets: {webchat: {dataURL: '/genesys/2/chat/customer-support'}, cxkit: {boot: '%s'},
                               onReady: (bus) => seen.push('onReady ' + bus.namespace())}};
  const tag = document.createElement('script');
  tag.src = '/cxkit/widgets.js';
  tag.onload = () => {
    const p = CXBus.registerPlugin('Tag');
    p.subscribe('WebChatService.ready', () => seen.push('ready'));
    p.command('WebChatService.getSessionData').done(() => seen.push('answered'));
  };
  document.body.appendChild(tag);
}, 0));
</script>""" % boot
    page.route(f"{server_url}/site/tagged.html", lambda route: route.fulfill(body=html, content_type="text/html"))
    page.goto(f"{server_url}/site/tagged.html")
    page.wait_for_function("window.seen && window.seen.length === 3", timeout=60_000)
    assert sorted(page.evaluate("window.seen")) == ["answered", "onReady QuickBus", "ready"]
    assert page.evaluate("window.__cxkit.thread") == "worker"


@pytest.mark.parametrize("tag", ['<script type="py">x = 1</script>', '<py-script>x = 1</py-script>'])
def test_each_pyscript_tag_of_the_page_chooses_the_main_thread(page, server_url, tag):
    """threads.md: a page with Python of its own (`<script type="py">` or `<py-script>`) keeps cxkit
    on its main thread. Only the choice is checked here: the loader makes it as it boots, before
    PyScript loads."""
    html = f"""<!doctype html><meta charset="utf-8"><title>own Python</title>
<script>window._genesys = {{widgets: {{webchat: {{dataURL: '/genesys/2/chat/customer-support'}}, cxkit: {{boot: 'now'}}}}}};</script>
{tag}
<script src="/cxkit/widgets.js"></script>"""
    page.route(f"{server_url}/cxkit/own-python.html", lambda route: route.fulfill(body=html, content_type="text/html"))
    page.route("**/pyscript/**", lambda route: route.abort())  # the choice is made before PyScript loads
    page.goto(f"{server_url}/cxkit/own-python.html")
    page.wait_for_function("window.__cxkit && window.__cxkit.thread !== null")
    assert page.evaluate("window.__cxkit.thread") == "main"


def test_a_page_with_micropython_keeps_the_worker_and_loads_no_pyscript(page, server_url):
    """threads.md: `<script type="mpy">` is MicroPython, which cannot import cxkit: the page keeps
    the worker, so no PyScript of ours starts (it would fetch MicroPython from its CDN); the bus
    answers the page as usual."""
    html = """<!doctype html><meta charset="utf-8"><title>MicroPython page</title>
<script>window._genesys = {widgets: {webchat: {dataURL: '/genesys/2/chat/customer-support'}, cxkit: {boot: 'now'}}};</script>
<script type="mpy">x = 1</script>
<script src="/cxkit/widgets.js"></script>
<script>window.answered = new Promise(r => CXBus.command('WebChatService.getSessionData').always(() => r(true)));</script>"""
    page.route(f"{server_url}/cxkit/micropython.html", lambda route: route.fulfill(body=html, content_type="text/html"))
    page.goto(f"{server_url}/cxkit/micropython.html")
    assert page.evaluate("window.answered") is True
    assert page.evaluate("window.__cxkit.thread") == "worker"
    fetched = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert not [url for url in fetched if "/pyscript/" in url or "micropython" in url.lower()], fetched
