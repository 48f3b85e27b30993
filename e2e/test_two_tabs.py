"""Two tabs of one site during one chat (issue 12 item 10), in worker and main-thread mode.

Both tabs are pages of one browser context (the plugin's shared chat context, reset after each
test), so they share the session cookies as two tabs of a real browser do:

1. both tabs start a chat at about the same time: the start lock lets one request-chat through,
   the other tab is refused ``{statusCode: 1}`` as in the original, then picks up that chat;
2. a tab opened during a chat restores it; both tabs deliver every message exactly once;
3. a tab opened before the chat started picks it up once the other tab has started it
   (COMPAT.md, "Two tabs");
4. ``endChat`` in one tab ends the chat in the other: it publishes its end sequence and its
   commands settle.
"""

from __future__ import annotations

from typing import Any

import pytest
from e2e_support import BOOT_TIMEOUT_MS, command, events, start_chat, wait_event, wait_text

START_LOCK = "_genesys.widgets.webchat.state.chatStartLock"
NO_ACTIVE_SESSION = "There is no active chat session"
ALREADY_ACTIVE = "There is already an active chat session"

#: How many times each text reached the page in ``messageReceived``, and every index seen.
DELIVERED = """() => {
  const texts = {}, indexes = [];
  for (const e of window.cxkitTest.events) {
    if (e.name !== 'messageReceived') continue;
    for (const m of e.data.messages) {
      if (m.text) texts[m.text] = (texts[m.text] || 0) + 1;
      indexes.push(m.index);
    }
  }
  return {texts, indexes};
}"""


@pytest.fixture(params=["worker", "main"])
def open_tab(request: pytest.FixtureRequest, open_chat_page: Any) -> Any:
    """Opens a tab (a page of the test's one context) with cxkit in the parametrized thread."""
    def open_tab(webchat: str = "") -> Any:
        choose = "window.cxkitTestConfig = w => { w.cxkit = {thread: '%s'}; %s };" % (request.param, webchat)
        page = open_chat_page(init_script=choose)
        assert page.evaluate("window.__cxkit.thread") == request.param
        return page

    return open_tab


def delivered(page: Any) -> dict[str, Any]:
    return page.evaluate(DELIVERED)


def session_id(page: Any) -> str:
    return command(page, "WebChatService.getSessionData")["value"]["sessionID"]


def assert_each_once(page: Any, texts: list[str]) -> None:
    seen = delivered(page)
    assert {t: seen["texts"].get(t, 0) for t in texts} == {t: 1 for t in texts}
    assert len(seen["indexes"]) == len(set(seen["indexes"])), seen["indexes"]


#: A request may take longer than the default 3 s (A's delayed requestChat).
LONG_AJAX = "w.webchat.ajaxTimeout = 15000;"


# -- 1: two starts at about the same time -------------------------------------------------------

def test_1_the_start_lock_lets_one_tab_start_and_the_other_picks_up_its_chat(open_tab, gms):
    a, b = open_tab(LONG_AJAX), open_tab(LONG_AJAX)
    gms.fault("requestChat", "delay", delay_ms=5000)  # A's request-chat holds the lock while B tries
    # B's page hears of A's lock from the browser (after cxkit's listener, registered at boot)
    b.evaluate("""name => { window.lockSeen = new Promise(r => cookieStore.addEventListener('change',
        e => e.changed.some(c => c.name === name) && r(true))); }""", START_LOCK)
    a.evaluate("""() => { window.started = new Promise(r => window.cxkitTest.plugin
        .command('WebChatService.startChat', {nickname: 'A'}).done(v => r({ok: true, value: v}))
        .fail(v => r({ok: false, value: v}))); }""")
    assert b.evaluate("window.lockSeen")
    assert command(b, "WebChatService.startChat", {"nickname": "B"}) == {"ok": False, "value": {"statusCode": 1}}
    started = a.evaluate("window.started")
    assert started["ok"], started
    chat_id = started["value"]["chatId"]
    assert [c["chatId"] for c in gms.chats()] == [chat_id]
    assert len(gms.requests("requestChat")) == 1
    # the refused tab shows the chat that did start, and cannot start another
    wait_event(b, "restored")
    assert session_id(b) == chat_id
    assert command(b, "WebChatService.startChat", {"nickname": "B"}) == {"ok": False, "value": ALREADY_ACTIVE}
    assert len(gms.chats()) == 1


HIDE_COOKIE_STORE = "Object.defineProperty(window, 'cookieStore', {value: undefined, configurable: true});"


@pytest.mark.parametrize("thread", ["worker", "main"])
def test_1_without_cookie_change_events_a_tab_reads_the_cookies_itself(open_chat_page, gms, thread):
    # browsers without the Cookie Store API (or on an insecure origin): the lock is read with
    # every command, and the other tab's chat is found by a look each second
    choose = "window.cxkitTestConfig = w => { w.cxkit = {thread: '%s'}; %s };" % (thread, LONG_AJAX)
    a = open_chat_page(init_script=choose)
    b = open_chat_page(init_script=choose + HIDE_COOKIE_STORE)
    assert b.evaluate("[window.__cxkit.thread, window.cookieStore === undefined]") == [thread, True]
    gms.fault("requestChat", "delay", delay_ms=5000)  # A's request-chat holds the lock while B tries
    a.evaluate("""() => { window.started = new Promise(r => window.cxkitTest.plugin
        .command('WebChatService.startChat', {nickname: 'A'}).done(v => r({ok: true, value: v}))
        .fail(v => r({ok: false, value: v}))); }""")
    b.wait_for_function("name => document.cookie.includes(name + '=')", arg=START_LOCK)
    assert command(b, "WebChatService.startChat", {"nickname": "B"}) == {"ok": False, "value": {"statusCode": 1}}
    started = a.evaluate("window.started")
    assert started["ok"], started
    wait_event(b, "restored")
    assert session_id(b) == started["value"]["chatId"]
    assert len(gms.chats()) == 1 and len(gms.requests("requestChat")) == 1


# -- 2: a tab opened during the chat ------------------------------------------------------------

def test_2_a_tab_opened_during_the_chat_restores_it_and_both_deliver_each_message_once(open_tab, gms):
    a = open_tab()
    chat_id = start_chat(a, gms)
    gms.join(chat_id, nickname="Anna")
    gms.say(chat_id, "before the second tab")
    wait_text(a, "before the second tab")
    b = open_tab()
    wait_event(b, "restored")
    wait_text(b, "before the second tab")
    assert session_id(b) == chat_id
    for text in ("one", "two", "three"):
        gms.say(chat_id, text)
    assert command(b, "WebChatService.sendMessage", {"message": "from b"})["ok"]
    assert command(a, "WebChatService.sendMessage", {"message": "from a"})["ok"]
    gms.say(chat_id, "last")
    texts = ["before the second tab", "one", "two", "three", "from b", "from a", "last"]
    for page in (a, b):
        wait_text(page, "last")
        wait_text(page, "from a")
        wait_text(page, "from b")
        assert_each_once(page, texts)
    history = [m for e in events(b, "messageReceived") if e["restoring"] for m in e["messages"]]
    assert "before the second tab" in [m["text"] for m in history]
    assert len(gms.chats()) == 1


# -- 3: a tab opened before the chat started ----------------------------------------------------

def test_3_a_tab_opened_before_the_chat_picks_it_up_when_the_other_starts_it(open_tab, gms):
    a, b = open_tab(), open_tab()
    chat_id = start_chat(a, gms)
    gms.join(chat_id, nickname="Anna")
    gms.say(chat_id, "hello")
    wait_event(b, "restored")
    wait_text(b, "hello")
    assert session_id(b) == chat_id
    assert command(b, "WebChatService.verifySession")["value"] == {"sessionActive": True}
    gms.say(chat_id, "to both")
    for page in (a, b):
        wait_text(page, "to both")
        assert_each_once(page, ["hello", "to both"])
    assert len(gms.chats()) == 1


def test_3_a_tab_that_boots_at_its_first_command_restores_the_chat_before_starting_one(open_chat_page, gms):
    # cxkit.boot "command": no Python in that tab until page code sends a command
    a = open_chat_page()
    b = open_chat_page(config={"cxkit": {"boot": "command"}}, wait=False,
                       init_script="window.cxkitTestConfig = w => { w.cxkit = {boot: 'command'}; };")
    chat_id = start_chat(a, gms)
    assert b.evaluate("[window.__cxkit.thread, window.__cxkit.attached]") == [None, False]
    assert command(b, "WebChatService.startChat", {"nickname": "B"}) == {"ok": False, "value": ALREADY_ACTIVE}
    assert "restored" in events(b)
    assert session_id(b) == chat_id
    assert len(gms.chats()) == 1 and len(gms.requests("requestChat")) == 1


# -- 4: ending the chat in one tab ends it in the other -----------------------------------------

def test_4_end_chat_in_one_tab_ends_it_in_the_other(open_tab, gms):
    a = open_tab()
    chat_id = start_chat(a, gms)
    gms.join(chat_id, nickname="Anna")
    b = open_tab()
    wait_event(b, "restored")
    wait_event(b, "pollingStarted")
    ended = command(b, "WebChatService.endChat")
    assert ended["ok"], ended
    # a command the other tab sends meanwhile settles (GMS's refusal, or no session any more)
    assert command(a, "WebChatService.sendMessage", {"message": "too late"})["ok"] is False
    # the other tab hears of it from GMS and runs its end sequence, once
    wait_event(a, "pollingStopped")
    names = events(a)
    assert names[names.index("ended") + 1] == "pollingStopped"
    assert events(a).count("ended") == 1 and events(b).count("ended") == 1
    # and its commands settle as after any end
    assert command(a, "WebChatService.sendMessage", {"message": "late"}) == {"ok": False, "value": NO_ACTIVE_SESSION}
    assert command(a, "WebChatService.endChat") == {"ok": False, "value": NO_ACTIVE_SESSION}
    assert command(a, "WebChatService.verifySession")["value"] == {"sessionActive": False}
    assert gms.chat(chat_id)["state"] == "ended"
    assert len(gms.chats()) == 1


# -- a change event ahead of this tab's document.cookie -------------------------------------------

#: Fires the cookie change event another tab's write makes, for a cookie this tab's
#: document.cookie does not show (Chromium can deliver the event first).
ANNOUNCE = """([name, value]) => cookieStore.dispatchEvent(new CookieChangeEvent('change', {
    changed: value === null ? [] : [{name, value}], deleted: value === null ? [{name}] : []}))"""
WORKER_SEES = "src => cxkitPy(src)"


#: The storage the WebChatService reads, as ``storage``, in each mode's Python.
STORAGE = {
    "worker": "storage = worker.storage\n",
    "main": "import gc\nfrom cxkit.browser.cookies import CookieStorage\n"
            "storage = next(o for o in gc.get_objects() if type(o) is CookieStorage)\n",
}
PAGE = {"worker": "e2e.html", "main": "e2e_python.html"}


@pytest.mark.parametrize("thread", ["worker", "main"])
def test_a_cookie_change_the_tab_does_not_show_yet_still_reaches_python(browser, server_url, thread):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.add_init_script("window.cxkitTestConfig = w => { w.cxkit = {testHook: true, boot: 'now', thread: '%s'}; };"
                             % thread)
        page.goto(f"{server_url}/cxkit/{PAGE[thread]}")
        page.wait_for_function("() => !!window.cxkitPy && window.__cxkit.attached", timeout=BOOT_TIMEOUT_MS)
        # the main thread's watch starts with the services, after WebChatService.ready
        page.evaluate("""() => new Promise((r, no) => {
            setTimeout(() => no(new Error('no WebChatService.ready within 30 s')), 30000);
            CXBus.registerPlugin('TabReady').subscribe('WebChatService.ready', () => r(true));
        })""")
        seen = STORAGE[thread] + "result = storage.get(%r)"
        page.evaluate(ANNOUNCE, [START_LOCK, "1700000000000"])
        assert page.evaluate("document.cookie").find(START_LOCK) < 0
        assert page.evaluate(WORKER_SEES, seen % START_LOCK) == "1700000000000"
        # once document.cookie shows another value, that is the one
        # (the browser's own change event for it comes before the announced deletion below)
        page.evaluate("""n => new Promise(r => {
            cookieStore.addEventListener('change', e => e.changed.some(c => c.name === n) && r(true));
            document.cookie = n + '=1700000000001; path=/';
        })""", START_LOCK)
        page.evaluate(ANNOUNCE, [START_LOCK, "1700000000001"])
        assert page.evaluate(WORKER_SEES, seen % START_LOCK) == "1700000000001"
        # an announced value is dropped when this tab writes that cookie itself
        page.evaluate(ANNOUNCE, ["other", "from-a-tab"])
        page.evaluate(WORKER_SEES, STORAGE[thread] + "storage.set('other', 'mine'); result = True")
        assert page.evaluate(WORKER_SEES, "result = None") is None  # the write and its confirmation are back
        assert page.evaluate(WORKER_SEES, seen % "other") == "mine"
        assert "other=mine" in page.evaluate("document.cookie")
        # an announced deletion hides a cookie document.cookie still shows
        page.evaluate(ANNOUNCE, [START_LOCK, None])
        assert page.evaluate(WORKER_SEES, seen % START_LOCK) is None
    finally:
        context.close()
