"""How to inject a fault: make the next GMS requests fail, and see what the page does.

``gms.fault(operation, mode, count=1)`` makes the next ``count`` requests of one operation
(``requestChat``, ``refresh``, ``send``, ``startTyping``, ... or ``*``) fail with ``mode``:

- ``http500``, ``http404``: that HTTP status with a plain-text body (``Internal Server Error``,
  ``Not Found``), as a failing server or a proxy in front of GMS answers;
- ``http500json``, ``http404json``: the same statuses with a GMS JSON error body
  (``{"statusCode": 1|2, "errors": [{"code": 500|404, "advice": ...}]}``);
- ``status1`` (HTTP 200, chat server offline), ``status2`` (HTTP 200, the request failed);
- ``delay`` (``delay_ms``, then the request is served) or ``drop`` (the connection is cut).

Faults are cleared for every test.
"""

import json

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


def test_a_plain_text_error_or_a_gms_error_body(chat_page, gms):
    """``http500`` answers as a failing proxy does (plain text); ``http500json`` as GMS itself
    does (a JSON error body). Page code sees the difference in ``responseText``."""
    assert command(chat_page, "WebChatService.startChat", {"nickname": "Jo"})["ok"]

    gms.fault("fileLimits", "http500")
    plain = command(chat_page, "WebChatService.getFileLimits")["value"]
    assert (plain["status"], plain["responseText"]) == (500, "Internal Server Error")

    gms.fault("fileLimits", "http500json")
    body = command(chat_page, "WebChatService.getFileLimits")["value"]
    assert body["status"] == 500
    assert json.loads(body["responseText"])["errors"][0]["code"] == 500
