"""The bundle boots and a whole chat works under the strict Content-Security-Policy of docs/csp.md.

The page (pysrc/cxkit/web/templates/e2e_csp.html) carries the policy in a <meta http-equiv> tag and has no
inline script. Every ``securitypolicyviolation`` event is recorded from the first moment.

Waits here never use ``page.wait_for_function``: Playwright polls its predicate with ``eval``
from a timer, which a policy without 'unsafe-eval' blocks (and reports as a violation).
``page.evaluate`` of a function is compiled by DevTools, outside the page's policy, so each
wait is one evaluate that polls a closure inside the page.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from e2e_support import RECORDER, VIOLATIONS, command, documented_policies, trusted_types_policy

BOOT_TIMEOUT_MS = 60_000


#: The test page of each mode, in the order docs/csp.md states their policies.
PAGES = {"worker": "e2e_csp.html", "main": "e2e_csp_main.html"}


def documented_policy(mode: str) -> str:
    """The policy of ``mode`` as docs/csp.md states it for a bundle on the page's origin."""
    return documented_policies()[list(PAGES).index(mode)]


def received(page, text: str) -> None:
    """Until a messageReceived carried a message with this text."""
    page.evaluate("""t => until(() => ev.some(e => e.name === 'messageReceived'
        && e.data.messages.some(m => m.text === t)))""", text)


def seen(page, name: str) -> None:
    page.evaluate("n => until(() => ev.some(e => e.name === n))", name)


@pytest.fixture(params=list(PAGES))
def csp_page(request, page, server_url, gms, offline_guard):
    """The mode's CSP page booted, WebChatService events in window.ev, violations in window.cspViolations."""
    page.add_init_script(VIOLATIONS + RECORDER)
    page.goto(f"{server_url}/cxkit/{PAGES[request.param]}")
    page.mode = request.param
    page.evaluate("ms => until(() => window.__cxkit && (__cxkit.attached || __cxkit.failure), ms)", BOOT_TIMEOUT_MS)
    assert page.evaluate("window.__cxkit.failure") is None
    seen(page, "ready")
    return page


def test_page_carries_the_documented_policy(csp_page):
    meta = csp_page.get_attribute("meta[http-equiv='Content-Security-Policy']", "content")
    assert meta == documented_policy(csp_page.mode)
    assert csp_page.evaluate("window.__cxkit.thread") == csp_page.mode
    assert csp_page.locator("script:not([src]):not([type='py'])").count() == 0, "no inline script"


def test_policy_is_enforced_and_violations_are_seen(csp_page):
    blocked = csp_page.evaluate("""() => { window.inlineRan = false;
        const s = document.createElement('script'); s.textContent = 'window.inlineRan = true';
        document.head.append(s);
        return until(() => cspViolations.length).then(() => window.inlineRan); }""")
    assert blocked is False
    assert [v["directive"] for v in csp_page.evaluate("cspViolations")] == ["script-src-elem"]


def test_chat_round_trip_under_the_policy(csp_page, gms):
    page = csp_page
    assert command(page, "WebChatService.startChat", {"nickname": "Jo"})["ok"]
    chat_id = gms.wait_chat()["chatId"]
    seen(page, "started")

    gms.agent(chat_id, "join", nickname="Anna")
    seen(page, "agentConnected")
    gms.agent(chat_id, "say", text="Hello under CSP")
    received(page, "Hello under CSP")

    assert command(page, "WebChatService.sendMessage", {"message": "hi back"})["ok"]
    gms.wait_message(chat_id, type="Message", text="hi back", from_type="Client")

    page.evaluate("T.command('WebChatService.registerTypingPreviewInput', {input: document.getElementById('typing')})")
    page.click("#typing")
    page.keyboard.type("typing under CSP")
    gms.wait_message(chat_id, type="TypingStarted", from_type="Client")

    payload = b"%PDF-1 under a strict policy"
    page.set_input_files("#upload", files=[{"name": "proof.pdf", "mimeType": "application/pdf", "buffer": payload}])
    upload = page.evaluate("""() => new Promise(r => T.command('WebChatService.sendFile',
        {files: document.getElementById('upload')}).done(v => r({ok: true, v})).fail(v => r({ok: false, v})))""")
    assert upload["ok"], upload
    with page.expect_download() as info:
        assert command(page, "WebChatService.downloadFile", {"fileId": upload["v"]["userData"]["file-id"]})["ok"]
    assert open(info.value.path(), "rb").read() == payload

    assert command(page, "WebChatService.endChat")["ok"]
    seen(page, "ended")
    assert page.evaluate("cspViolations") == []


TRUSTED_TYPES_PAGE = """<!doctype html><meta charset="utf-8"><title>trusted types</title>
<script>window._genesys = {widgets: {webchat: {dataURL: '/genesys/2/chat/customer-support'},
                                     cxkit: {boot: 'now', thread: '%s'}}};</script>
<script src="/cxkit/widgets.js"></script>
<script>CXBus.command('WebChatService.getSessionData')
  .done(() => { window.early = 'resolved'; }).fail((why) => { window.early = String(why); });</script>"""


@pytest.mark.parametrize("thread", ["worker", "main"])
def test_a_page_enforcing_trusted_types(page, server_url, thread):
    """Worker mode boots and answers under docs/csp.md's Trusted Types line with no violation;
    main-thread mode cannot (the loader sets the text of PyScript's script) and fails at once, rejecting the
    waiting calls, where it hung."""
    policy = trusted_types_policy()
    page.route(f"{server_url}/site/trusted-types.html", lambda route: route.fulfill(
        body=TRUSTED_TYPES_PAGE % thread, content_type="text/html", headers={"content-security-policy": policy}))
    page.add_init_script(VIOLATIONS)
    page.goto(f"{server_url}/site/trusted-types.html")
    page.evaluate("ms => until(() => window.__cxkit.attached || window.__cxkit.failure, ms)", BOOT_TIMEOUT_MS)
    page.evaluate("() => until(() => window.early)")
    got = page.evaluate("() => [__cxkit.failure, window.early, cspViolations.map(v => v.directive + ' ' + v.sample)]")
    if thread == "worker":
        assert got == [None, "resolved", []]
    else:
        assert "TrustedScript" in got[0] and got[1] == got[0], got


def serve_page(page, url: str, html: str, policy: str) -> None:
    """``html`` at ``url``, with ``policy`` as its Content-Security-Policy header."""
    page.route(url, lambda route: route.fulfill(body=html, content_type="text/html",
                                                headers={"content-security-policy": policy}))


def booted(page) -> str | None:
    """Until the loader attached or failed; its failure text (None when it attached)."""
    page.evaluate("ms => until(() => window.__cxkit && (__cxkit.attached || __cxkit.failure), ms)", BOOT_TIMEOUT_MS)
    return page.evaluate("window.__cxkit.failure")


INLINE_CONFIG = """window._genesys = {widgets: {webchat: {dataURL: '/genesys/2/chat/customer-support'},
  onReady: function () { window.onReadyRan = true; }}};
document.addEventListener('DOMContentLoaded', function () { cxkitTestEarly(); });"""
INLINE_PAGE = """<!doctype html><meta charset="utf-8"><title>inline config</title>
<script%s>""" + INLINE_CONFIG + """</script>
<script src="/cxkit/widgets.js"></script>"""


@pytest.mark.parametrize("allowed_by", ["hash", "nonce"])
def test_an_inline_configuration_allowed_by_hash_or_nonce(page, server_url, gms, allowed_by):
    """docs/csp.md, "An inline configuration": an inline script setting window._genesys, allowed by
    ``'sha256-<base64 of the script's exact text>'`` (or a nonce) in script-src, configures the widget."""
    digest = base64.b64encode(hashlib.sha256(INLINE_CONFIG.encode()).digest()).decode()
    source, attribute = (f"'sha256-{digest}'", "") if allowed_by == "hash" else ("'nonce-c3hrMQ'", ' nonce="c3hrMQ"')
    policy = documented_policy("worker").replace("script-src 'self'", f"script-src 'self' {source}")
    serve_page(page, f"{server_url}/site/inline.html", INLINE_PAGE % attribute, policy)
    page.add_init_script(VIOLATIONS + RECORDER)
    page.goto(f"{server_url}/site/inline.html")
    assert booted(page) is None
    seen(page, "ready")
    assert page.evaluate("window.onReadyRan") is True
    assert command(page, "WebChatService.startChat", {"nickname": "Jo"})["ok"]  # to the configured dataURL
    gms.wait_chat()
    assert page.evaluate("cspViolations") == []


@pytest.mark.parametrize(("sources", "fails_with"), [
    ("script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'", None),
    ("script-src 'self'; connect-src 'self'", "pyodide.asm.wasm: CompileError: "),
    ("script-src 'self' 'wasm-unsafe-eval'; connect-src 'none'", "pyodide.asm.wasm: TypeError: Failed to fetch"),
])
def test_a_policy_header_sent_with_worker_mjs(page, server_url, gms, sources, fails_with):
    """docs/csp.md, 'wasm-unsafe-eval': a CSP header sent with worker.mjs (the worker's own policy) must allow
    'wasm-unsafe-eval' and connect-src for the runtime and the chat server. With both the documented worker page
    boots and chats; lacking either the boot fails at once (not a hang) and the page is told."""
    headed = []

    def with_policy(route):  # a route sees the worker script's request in Chromium (checked below)
        response = route.fetch()
        headed.append(route.request.url)
        policy = f"default-src 'none'; {sources}"
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": policy})

    page.route("**/worker.mjs", with_policy)
    page.add_init_script(VIOLATIONS + RECORDER + "addEventListener('cxkit:failed', e => window.failedWith = e.detail)")
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{server_url}/cxkit/e2e_csp.html")
    failure = booted(page)
    assert headed == [f"{server_url}/cxkit/{page.evaluate('__cxkit.manifest.worker')}"]
    if fails_with is None:
        assert failure is None
        seen(page, "ready")
        assert command(page, "WebChatService.startChat", {"nickname": "Jo"})["ok"]
        gms.wait_chat()
    else:
        assert fails_with in failure, failure
        assert page.evaluate("window.failedWith") == failure
        assert f"cxkit: boot failed: {failure}" in errors


def test_main_thread_without_unsafe_eval_fails_at_once(page, server_url):
    """docs/csp.md, 'unsafe-eval': main-thread mode under its documented policy less 'unsafe-eval' (so with
    'wasm-unsafe-eval') fails at once with EvalError, from PyScript's Function(...) in its core-*.js."""
    documented = documented_policy("main")
    policy = documented.replace(" 'unsafe-eval'", "")
    assert "'wasm-unsafe-eval'" in policy and "'unsafe-eval'" not in policy

    def without_unsafe_eval(route):
        html = route.fetch().text()
        assert documented in html
        route.fulfill(body=html.replace(documented, policy), content_type="text/html")

    page.route(f"{server_url}/cxkit/e2e_csp_main.html", without_unsafe_eval)
    page.add_init_script(VIOLATIONS)
    page.goto(f"{server_url}/cxkit/e2e_csp_main.html")
    failure = booted(page)
    assert "EvalError" in failure, failure
    assert [(v["blocked"], "/pyscript/0.7.31/core-" in v["source"]) for v in page.evaluate("cspViolations")] == [
        ("eval", True)]


LOAD_FILE_PAGE = """<!doctype html><meta charset="utf-8"><title>loadFile under trusted types</title>
<script>%s</script>
<script>window._genesys = {widgets: {webchat: {dataURL: '/genesys/2/chat/customer-support'},
                                     cxkit: {boot: 'now'}}};</script>
<script src="/cxkit/widgets.js"></script>"""
LOAD = """u => new Promise(r => { let d;
  try { d = CXBus.loadFile(u); } catch (e) { return r('threw ' + e.name + ': ' + e.message); }
  d.done(() => r('resolved ' + window.pluginRan)).fail(why => r('rejected ' + why)); })"""


@pytest.mark.parametrize("own_policy", ["default", "mine"])
def test_load_file_under_trusted_types(page, server_url, own_policy):
    """docs/csp.md, Trusted Types: CXBus.loadFile(url) sets a script's src and needs a TrustedScriptURL of the
    page's own there. With a ``default`` policy of the page a URL string loads; without one a string throws
    (synchronously, a TypeError: not a rejected Deferred) and a TrustedScriptURL from the page's policy loads."""
    plugin = f"{server_url}/site/plugin.js"
    page.route(plugin, lambda route: route.fulfill(body="window.pluginRan = (window.pluginRan || 0) + 1;",
                                                  content_type="text/javascript"))
    create = f"window.own = trustedTypes.createPolicy('{own_policy}', {{createScriptURL: u => u}});"
    policy = f"{trusted_types_policy()} {own_policy}"  # the documented line, the page's own name after cxkit
    serve_page(page, f"{server_url}/site/load-file.html", LOAD_FILE_PAGE % create, policy)
    page.add_init_script(VIOLATIONS)
    page.goto(f"{server_url}/site/load-file.html")
    assert booted(page) is None
    if own_policy == "default":
        assert page.evaluate(LOAD, plugin) == "resolved 1"
        assert page.evaluate("cspViolations") == []
        return
    assert page.evaluate(LOAD, plugin) == ("threw TypeError: Failed to set the 'src' property on 'HTMLScriptElement': "
                                           "This document requires 'TrustedScriptURL' assignment.")
    assert [(v["directive"], v["sample"]) for v in page.evaluate("cspViolations")] == [
        ("require-trusted-types-for", f"HTMLScriptElement src|{plugin}")]
    assert page.evaluate(f"() => ({LOAD})(own.createScriptURL({plugin!r}))") == "resolved 1"


def test_worker_mode_chats_with_a_page_policy_that_allows_no_fetch(page, server_url, gms):
    """docs/csp.md, connect-src: in worker mode every runtime download and GMS request is the
    worker's (a same-origin worker runs under its own policy), so the documented worker page with
    ``connect-src 'none'`` instead of ``'self'`` still boots and chats, without a violation."""
    def strict(route):
        response = route.fetch()
        body = response.text()
        assert "connect-src 'self'" in body
        route.fulfill(response=response, body=body.replace("connect-src 'self'", "connect-src 'none'"))

    page.route("**/cxkit/e2e_csp.html", strict)
    page.add_init_script(VIOLATIONS + RECORDER)
    page.goto(f"{server_url}/cxkit/e2e_csp.html")
    assert "connect-src 'none'" in page.get_attribute("meta[http-equiv='Content-Security-Policy']", "content")
    assert booted(page) is None
    seen(page, "ready")
    assert command(page, "WebChatService.startChat", {"nickname": "Jo"})["ok"]
    chat_id = gms.wait_chat()["chatId"]
    gms.agent(chat_id, "join", nickname="Anna")
    gms.agent(chat_id, "say", text="hello under the page's policy")
    received(page, "hello under the page's policy")
    assert page.evaluate("cspViolations") == []
