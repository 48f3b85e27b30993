"""How to inject a fault: make the next GMS requests fail, and see what the page does.

``gms.fault(operation, mode, count=1)`` makes the next ``count`` requests of one operation
(``requestChat``, ``refresh``, ``send``, ``startTyping``, ... or ``*``) fail with ``mode``:
``http500``, ``http404``, ``status1`` (chat server offline), ``status2``, ``delay``
(``delay_ms``) or ``drop`` (the connection is cut). Faults are cleared for every test.
"""

from cxkit.testing import command, wait_event


def test_a_failed_send_is_reported_and_a_retry_goes_through(chat_page, gms):
    assert command(chat_page, "WebChatService.startChat", {"nickname": "Jo"})["ok"]
    chat_id = gms.wait_chat()["chatId"]
    gms.join(chat_id)
    wait_event(chat_page, "agentConnected")

    gms.fault("send", "http500")
    failed = command(chat_page, "WebChatService.sendMessage", {"message": "lost?"})
    assert failed["ok"] is False

    assert command(chat_page, "WebChatService.sendMessage", {"message": "resent"})["ok"]
    gms.wait_message(chat_id, type="Message", text="resent", from_type="Client")
    # the log says what happened to each request
    sends = gms.requests("send", chat_id=chat_id)
    assert [(r["form"]["message"], r["fault"]) for r in sends] == [("lost?", "http500"), ("resent", None)]


def test_a_chat_that_cannot_start(chat_page, gms):
    gms.fault("requestChat", "http500")
    refused = command(chat_page, "WebChatService.startChat", {"nickname": "Jo"})
    assert refused["ok"] is False
    assert gms.chats() == []

    # the fault was used up: the next attempt starts a chat
    assert command(chat_page, "WebChatService.startChat", {"nickname": "Jo"})["ok"]
    assert gms.wait_chat()["state"] in ("waiting", "connected")
