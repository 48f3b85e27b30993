"""The DOM adapters (``dom.mjs``): what the worker link asks of the page, called directly in
Chromium on a page where Python never starts (boot policy ``command``, no command issued).

Page facts and the cookie domain (on 127.0.0.1, and on a named host through Chromium's host
resolver), cookie and visibility watches, typing inputs and downloads.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from e2e_support import named_host_browser

NO_BOOT = "window.cxkitTestConfig = (w) => { w.cxkit = {boot: 'command'}; };"
#: ``window.dom``: the bundle's dom.mjs, beside link.mjs (the module set is versioned as one).
IMPORT_DOM = """async () => {
    window.dom = await import(new URL(__cxkit.manifest.link.replace(/link\\.mjs$/, 'dom.mjs'), __cxkit.base).href);
    window.sent = [];
    window.send = (op) => sent.push(op);
    return Object.keys(dom).sort();
}"""
EXPORTS = ["listen", "pageFacts", "save", "unlisten", "watchCookies", "watchVisibility"]


def dom_page(page: Any, url: str) -> Any:
    page.add_init_script(NO_BOOT)
    page.goto(url)
    assert page.evaluate(IMPORT_DOM) == EXPORTS
    return page


def test_page_facts_on_an_ip_host(page, server_url):
    dom_page(page, f"{server_url}/cxkit/e2e.html")
    page.evaluate("document.cookie = 'seen=1; path=/'")
    facts = page.evaluate("dom.pageFacts()")
    assert facts == {"url": f"{server_url}/cxkit/e2e.html", "base": f"{server_url}/cxkit/e2e.html",
                     "referrer": "", "title": "cxkit e2e page", "hidden": False,
                     "focused": page.evaluate("document.hasFocus()"),  # App.data('pageFocus') at boot
                     "cookie": "seen=1", "cookieDomain": "", "referrerPolicy": ""}


def test_the_cookie_domain_of_a_named_host_is_the_widest_that_takes_a_cookie(
        browser_type, browser_type_launch_args, server_url):
    port = urlsplit(server_url).port
    browser = named_host_browser(browser_type, browser_type_launch_args, "www.shop.cxkit.test")
    try:
        page = dom_page(browser.new_page(), f"http://www.shop.cxkit.test:{port}/cxkit/e2e.html")
        got = page.evaluate("[dom.pageFacts().cookieDomain, document.cookie]")
    finally:
        browser.close()
    # "test" is a top-level domain: the widest domain that takes a cookie is the one below it;
    # the probe cookie is gone again
    assert got == ["cxkit.test", ""]


def test_cookie_and_visibility_watches(page, server_url):
    dom_page(page, f"{server_url}/cxkit/e2e.html")
    got = page.evaluate("""async () => {
        let changes = 0, live = false;
        const given = [];
        const events = dom.watchCookies((c) => {
            if (c.some(([name]) => name === 'warm')) live = true; else { changes += 1; given.push(c); }
        });
        // Chromium registers the listener with its cookie store asynchronously: a write right
        // after may go unheard, so the test starts once a warm-up write has been heard.
        for (let i = 0; !live && i < 400; i++) {
            document.cookie = `warm=${i}; path=/`;
            await new Promise(r => setTimeout(r, 25));
        }
        changes = 0; given.length = 0;
        dom.watchVisibility(send);
        const next = async (fire) => {
            const before = changes;
            fire();
            const until = performance.now() + 10000;  // a change that never comes fails the test
            while (changes === before && performance.now() < until) await new Promise(r => setTimeout(r, 5));
            return changes - before;
        };
        return {events,
                cookie: await next(() => { document.cookie = 'other=tab; path=/'; }),
                visibility: await next(() => document.dispatchEvent(new Event('visibilitychange'))),
                focus: await next(() => window.dispatchEvent(new Event('focus'))),  // also App.data('pageFocus')
                deleted: await next(() => cookieStore.dispatchEvent(new CookieChangeEvent('change', {
                    changed: [], deleted: [{name: 'other'}]}))),
                sent, given};
    }""")
    # a change event hands on its own values (this tab's document.cookie may not show them yet)
    assert got == {"events": True, "cookie": 1, "visibility": 1, "focus": 1, "deleted": 1,
                   "sent": [["hidden", False], ["focus", True]], "given": [[["other", "tab"]], [], [], [["other", None]]]}


def test_typing_inputs_post_each_edit_until_unlistened(page, server_url):
    dom_page(page, f"{server_url}/cxkit/e2e.html")
    page.evaluate("""() => {
        const el = document.getElementById('typing');
        dom.listen(7, el, send);
        dom.listen(7, el, send);   // listened already: one message per edit still
        dom.listen(8, null, send); // no element: nothing
    }""")
    page.type("#typing", "ab")
    page.evaluate("dom.unlisten(7); dom.unlisten(8)")
    page.type("#typing", "c")
    page.evaluate("dom.listen(7, document.getElementById('typing'), send)")
    page.type("#typing", "d")
    assert page.evaluate("sent") == [["input", 7, "a"], ["input", 7, "ab"], ["input", 7, "abcd"]]


def test_save_hands_the_blob_to_the_user_under_its_name(page, server_url):
    dom_page(page, f"{server_url}/cxkit/e2e.html")
    for name, expected in (("greeting.txt", "greeting.txt"), (None, "download")):
        with page.expect_download() as info:
            page.evaluate("name => dom.save(new Blob(['hello'], {type: 'application/octet-stream'}), name)", name)
        download = info.value
        assert download.suggested_filename == expected
        with open(download.path(), "rb") as saved:
            assert saved.read() == b"hello"
    assert page.evaluate("document.querySelectorAll('a').length") == 0
