"""CometD (push) mode in Chromium against the mock GMS: Bayeux over the WebSocket (the default,
as deployed), the long-polling fallback, transport faults, asynchronous chat.

The page is the e2e page with ``cometD`` enabled through the ``cxkitTestConfig`` hook; agent
messages must arrive pushed (no refresh request at all), files go to ``/genesys/2/chat-ntf``,
a reload restores through ``requestNotifications``. Python runs in a Web Worker; Playwright's
``page.on("websocket")`` reports the worker's socket all the same (checked here), and the mock's
own counts (``GET /mock/cometd``) say which transport carried each handshake and connect.
"""

from __future__ import annotations

import pytest
from e2e_support import RECORDER, command, events, wait_booted, wait_event, wait_text

COMETD_CONFIG = """
window.cxkitTestConfig = w => {
  w.webchat.cometD = {enabled: true, cometURL: location.origin + '/genesys/cometd',
                      channel: '/service/chatV2/customer-support', apiURL: location.origin + '/genesys/2/chat-ntf'};
};
"""


def open_cometd_page(page, server_url):
    page.add_init_script(COMETD_CONFIG + RECORDER)
    page.goto(f"{server_url}/cxkit/e2e.html")
    wait_booted(page)
    wait_event(page, "ready")
    return page


def delivered(page) -> list[dict]:
    return [m for e in events(page, "messageReceived") for m in e["messages"]]


def transports(gms) -> dict:
    return gms.http.get("/mock/cometd").json()["transports"]


def test_whole_chat_with_push(page, server_url, gms):
    page_sockets = []
    page.on("websocket", lambda ws: page_sockets.append(ws.url))
    open_cometd_page(page, server_url)
    result = command(page, "WebChatService.startChat", {"nickname": "Jo", "userData": {"u": "3"}})
    assert result["ok"] and result["value"]["statusCode"] == 0, result
    chat_id = gms.wait_chat()["chatId"]
    # startChat settles on the first notification: the whole Chat V2 body of the new chat
    assert result["value"]["chatId"] == chat_id and result["value"]["secureKey"]
    assert [m["type"] for m in result["value"]["messages"]] == ["ParticipantJoined"]
    wait_event(page, "started")
    assert events(page, "started")[0]["sessionID"] == chat_id
    assert gms.chat(chat_id)["userData"]["u"] == "3"

    gms.agent(chat_id, "join", nickname="Anna")
    wait_event(page, "agentConnected")
    gms.agent(chat_id, "typing")
    wait_event(page, "agentTypingStarted")
    gms.agent(chat_id, "say", text="Hello!")
    wait_text(page, "Hello!")

    assert command(page, "WebChatService.sendMessage", {"message": "hi there"})["value"] == {"statusCode": 0}
    gms.wait_message(chat_id, type="Message", text="hi there", from_type="Client")
    wait_text(page, "hi there")  # the customer's own message comes back pushed

    # a file from a real file input goes to chat-ntf and comes back as FileUploaded
    limits = command(page, "WebChatService.getFileLimits")
    assert limits["ok"] and "file-client-cfg-get" in limits["value"]
    payload = bytes(range(256)) * 8
    page.set_input_files("#upload", files=[{"name": "hello.png", "mimeType": "image/png", "buffer": payload}])
    upload = page.evaluate("""new Promise(r => T.command('WebChatService.sendFile', {files: document.getElementById('upload')})
        .done(v => r({ok: true, v})).fail(v => r({ok: false, v})))""")
    assert upload["ok"], upload
    page.wait_for_function("window.ev.some(e => e.name === 'messageReceived' && e.data.messages.some(m => m.type === 'FileUploaded'))")
    file_id = upload["v"]["userData"]["file-id"]
    with page.expect_download() as info:
        assert command(page, "WebChatService.downloadFile", {"fileId": file_id})["ok"]
    assert open(info.value.path(), "rb").read() == payload

    indexes = [m["index"] for m in delivered(page)]
    assert indexes == sorted(set(indexes)), "each message once, in order"
    assert "pollingStarted" not in events(page)
    assert gms.requests(operation="refresh", chat_id=chat_id) == [], "pushed, never polled"
    assert {r.get("face") for r in gms.requests(chat_id=chat_id)} == {"cometd"}

    # one socket carried the whole chat: no long-poll handshake or connect at all
    counts = transports(gms)
    assert counts["socketsOpened"] == 1 and counts["upgradesRefused"] == 0, counts
    assert counts["handshakes"] == {"long-polling": 0, "websocket": 1}, counts
    assert counts["connects"]["long-polling"] == 0 and counts["connects"]["websocket"] >= 2, counts
    # the browser shows it too: Playwright reports the socket the Web Worker opened
    assert page_sockets == [f"{server_url.replace('http://', 'ws://')}/genesys/cometd"], page_sockets

    assert command(page, "WebChatService.endChat")["ok"]
    wait_event(page, "ended")
    for name in ("supervisorDisconnected", "agentDisconnected", "clientDisconnected"):
        assert events(page, name), name  # the whole local end sequence
    assert gms.chat(chat_id)["state"] == "ended"
    assert command(page, "WebChatService.verifySession")["value"] == {"sessionActive": False}


def test_reload_restores_over_cometd(page, server_url, gms):
    open_cometd_page(page, server_url)
    assert command(page, "WebChatService.startChat", {"nickname": "Jo"})["ok"]
    chat_id = gms.wait_chat()["chatId"]
    gms.agent(chat_id, "join", nickname="Anna")
    gms.agent(chat_id, "say", text="one")
    wait_text(page, "one")

    page.reload()
    wait_booted(page)
    page.wait_for_function("window.ev && window.ev.some(e => e.name === 'restored')", timeout=60_000)
    wait_text(page, "one")
    gms.agent(chat_id, "say", text="two")
    wait_text(page, "two")
    texts = [m["text"] for m in delivered(page) if m["type"] == "Message"]
    assert texts == ["one", "two"], "the transcript once, then the live message"
    restore = [r for r in gms.requests(operation="refresh", chat_id=chat_id)]
    assert [r["cometdOperation"] for r in restore] == ["requestNotifications"]
    assert command(page, "WebChatService.verifySession")["value"] == {"sessionActive": True}
    assert command(page, "WebChatService.endChat")["ok"]
    wait_event(page, "ended")


def start_with_agent(page, gms) -> str:
    assert command(page, "WebChatService.startChat", {"nickname": "Jo"})["ok"]
    chat_id = gms.wait_chat()["chatId"]
    gms.agent(chat_id, "join", nickname="Anna")
    wait_event(page, "agentConnected")
    return chat_id


def test_a_dropped_socket_mid_chat_loses_nothing(page, server_url, gms):
    open_cometd_page(page, server_url)
    chat_id = start_with_agent(page, gms)
    # the frame carrying the next message is lost with the socket (no close frame)
    gms.cometd_fault("websocket", "drop")
    gms.agent(chat_id, "say", text="into a dead socket")
    wait_text(page, "into a dead socket")
    wait_event(page, "reconnected")
    gms.agent(chat_id, "say", text="after")
    wait_text(page, "after")
    texts = [m["text"] for m in delivered(page) if m["type"] == "Message"]
    assert texts == ["into a dead socket", "after"]
    indexes = [m["index"] for m in delivered(page)]
    assert indexes == sorted(set(indexes))
    assert len(events(page, "disconnected")) == 1
    assert transports(gms)["socketsOpened"] == 2


@pytest.mark.parametrize("refusal", ["http405", "http403"])
def test_a_refused_upgrade_falls_back_to_long_polling(page, server_url, gms, refusal):
    gms.cometd_fault("websocket", refusal)
    open_cometd_page(page, server_url)
    chat_id = start_with_agent(page, gms)
    gms.agent(chat_id, "say", text="polled push")
    wait_text(page, "polled push")
    counts = transports(gms)
    assert counts["upgradesRefused"] == 1 and counts["socketsOpened"] == 0, counts
    assert counts["handshakes"]["long-polling"] == 1 and counts["connects"]["long-polling"] >= 2, counts
    assert not events(page, "disconnected") and not events(page, "error")


@pytest.mark.parametrize("operation,mode", [("connect", "http500"), ("connect", "drop"), ("connect", "delay"),
                                            ("connect", "unknown"), ("handshake", "http500")])
def test_cometd_faults_lose_no_pushed_message(page, server_url, gms, operation, mode):
    """Issue 12 item 11: handshake and connect answers faulted; every pushed message arrives once."""
    open_cometd_page(page, server_url)
    if operation == "handshake":
        gms.cometd_fault(operation, mode)
        chat_id = start_with_agent(page, gms)
    else:
        chat_id = start_with_agent(page, gms)
        gms.cometd_fault(operation, mode, delay_ms=2000)
        gms.agent(chat_id, "typing")  # releases the held connect: the next one meets the fault
    gms.agent(chat_id, "say", text="during the fault")
    gms.agent(chat_id, "say", text="right after")
    wait_text(page, "right after")
    wait_text(page, "during the fault")
    texts = [m["text"] for m in delivered(page) if m["type"] == "Message"]
    assert texts == ["during the fault", "right after"], texts
    indexes = [m["index"] for m in delivered(page)]
    assert indexes == sorted(set(indexes))
    assert command(page, "WebChatService.endChat")["ok"]


ASYNC_CONFIG = """
window.cxkitTestConfig = w => {
  w.webchat.cometD = {enabled: true, cometURL: location.origin + '/genesys/cometd',
                      channel: '/service/chatV2/customer-support'};
  w.webchat.async = {enabled: true, maxMessagePageSize: 2,
    // the original's names: setSessionData reads the saved session, getSessionData saves it
    setSessionData: () => { window.reads = (window.reads || 0) + 1; return localStorage.getItem('mySession'); },
    getSessionData: data => { localStorage.setItem('mySession', JSON.stringify(data)); }};
};
"""


def test_an_async_chat_survives_a_reload_through_the_page_callbacks(page, server_url, gms):
    page.add_init_script(ASYNC_CONFIG + RECORDER)
    page.goto(f"{server_url}/cxkit/e2e.html")
    wait_booted(page)
    wait_event(page, "ready")
    chat_id = start_with_agent(page, gms)
    for text in ("one", "two", "three"):
        gms.agent(chat_id, "say", text=text)
    wait_text(page, "three")
    saved = page.evaluate("JSON.parse(localStorage.getItem('mySession'))")
    assert saved["sessionID"] == chat_id and saved["secureKey"]
    assert gms.chat(chat_id)["userData"]["GCTI_Chat_AsyncMode"] == "true"

    page.context.clear_cookies()  # only the page's own store knows the chat now
    page.reload()
    wait_booted(page)
    page.wait_for_function("window.ev && window.ev.some(e => e.name === 'restored')", timeout=60_000)
    assert events(page, "restored") == [{"async": True}]
    assert page.evaluate("window.reads") == 1
    page.wait_for_function("window.ev.some(e => e.name === 'messageReceived')")
    # the last page of 2 messages, then older ones with fetchHistory
    assert [m["index"] for m in delivered(page)] == [4, 5]
    assert command(page, "WebChatService.fetchHistory")["ok"]
    page.wait_for_function("window.ev.filter(e => e.name === 'messageReceived').length >= 2")
    assert events(page, "messageReceived")[-1]["oldMessages"] is True
    gms.agent(chat_id, "say", text="live")
    wait_text(page, "live")
    assert command(page, "WebChatService.endChat")["ok"]
    wait_event(page, "ended")
    assert page.evaluate("JSON.parse(localStorage.getItem('mySession'))")["sessionID"] == ""


@pytest.mark.parametrize("thread", ["worker", "main"])
def test_a_session_callback_that_returns_a_promise_is_awaited_in_both_modes(page, server_url, gms, thread):
    """The page may keep the async session somewhere that answers later (IndexedDB, its server):
    setSessionData then returns a Promise. In worker mode the Promise was copied as {} (no
    restore); the page now answers the worker once it settles."""
    config = ASYNC_CONFIG.replace(
        "return localStorage.getItem('mySession');",
        "return new Promise(r => setTimeout(() => r(localStorage.getItem('mySession')), 50));",
    ).replace("w.webchat.cometD =", "w.cxkit = {thread: '%s'}; w.webchat.cometD =" % thread)
    assert "new Promise" in config and "thread" in config
    page.add_init_script(config + RECORDER)
    page.goto(f"{server_url}/cxkit/e2e.html")
    wait_booted(page)
    wait_event(page, "ready")
    chat_id = start_with_agent(page, gms)
    page.context.clear_cookies()  # only the page's own store knows the chat now
    page.reload()
    wait_booted(page)
    page.wait_for_function("window.ev && window.ev.some(e => e.name === 'restored')", timeout=60_000)
    assert events(page, "restored") == [{"async": True}]
    gms.agent(chat_id, "say", text="after the restore")
    wait_text(page, "after the restore")


@pytest.mark.parametrize("thread", ["worker", "main"])
def test_a_date_in_user_data_goes_as_json_stringify_writes_it(page, server_url, gms, thread):
    """CometD sends userData as JSON: a JS Date goes as its ISO time (JSON.stringify's toJSON),
    a RegExp or a Set as {}, a class instance as its fields, as the original's JSON.stringify
    writes them; they made startChat fail (Python's json refused them)."""
    page.add_init_script(COMETD_CONFIG.replace("w.webchat.cometD =", f"w.cxkit = {{thread: '{thread}'}}; w.webchat.cometD =")
                         + RECORDER)
    page.goto(f"{server_url}/cxkit/e2e.html")
    wait_booted(page)
    wait_event(page, "ready")
    assert page.evaluate("window.__cxkit.thread") == thread
    started = page.evaluate("""new Promise(r => T.command('WebChatService.startChat',
        {nickname: 'Jo', userData: {since: new Date(Date.UTC(2026, 11, 7, 12)), re: /x/, tags: new Set(['a']),
                                    box: new (class Box { constructor() { this.a = 1; } })()}})
        .done(v => r({ok: true})).fail(v => r({ok: false, v: String(v && v.statusText || v)})))""")
    assert started == {"ok": True}
    chat_id = gms.wait_chat()["chatId"]
    user_data = gms.chat(chat_id)["userData"]  # the mock keeps a nested value as its JSON text
    assert [user_data[k] for k in ("since", "re", "tags", "box")] == ["2026-12-07T12:00:00.000Z", "{}", "{}", '{"a":1}']
