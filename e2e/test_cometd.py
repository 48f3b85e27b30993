"""CometD (push) mode in Chromium: a whole chat over Bayeux long-polling against the mock GMS.

The page is the e2e page with ``cometD`` enabled through the ``cxkitTestConfig`` hook; agent
messages must arrive pushed (no refresh request at all), files go to ``/genesys/2/chat-ntf``,
a reload restores through ``requestNotifications``.
"""

from __future__ import annotations

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


def test_whole_chat_with_push(page, server_url, gms):
    open_cometd_page(page, server_url)
    result = command(page, "WebChatService.startChat", {"nickname": "Jo", "userData": {"u": "3"}})
    assert result == {"ok": True, "value": {"statusCode": 0}}, result
    chat_id = gms.wait_chat()["chatId"]
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

    assert command(page, "WebChatService.endChat")["ok"]
    wait_event(page, "ended")
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
