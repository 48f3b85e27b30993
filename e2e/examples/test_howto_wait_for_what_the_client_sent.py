"""How to wait for what the client sent, without sleeping.

- ``gms.wait_chat()``: the next chat a page starts (a long poll on the mock).
- ``gms.wait_message(chat_id, type=..., text=..., from_type="Client")``: the first transcript
  message with those fields (messages, typing notices, custom notices, file uploads).
- ``gms.wait_request(operation, chat_id=..., **form)``: the first answered request of an
  operation whose form has those fields (for requests that add nothing to the transcript,
  such as ``updateData``).
- ``gms.wait_typing_preview(chat_id, text)``: the chat once the visitor's typing preview reads
  ``text``. The first ``startTyping`` carries only the first characters typed; the whole text
  comes with the next poll (every poll carries what the input holds) or with ``stopTyping``,
  2 s after the last keystroke, whichever is first.
"""

from cxkit.testing import command


def test_wait_for_the_message_typing_and_data_the_page_sent(chat_page, gms):
    assert command(chat_page, "WebChatService.startChat", {"nickname": "Jo", "userData": {"order": "A-17"}})["ok"]
    chat = gms.wait_chat()
    chat_id = chat["chatId"]
    assert gms.chat(chat_id)["userData"]["order"] == "A-17"
    assert gms.requests("requestChat")[0]["form"]["nickname"] == "Jo"

    # a typing preview from real keystrokes in the page
    command(chat_page, "WebChatService.registerTypingPreviewInput", None)  # rejected: no input
    chat_page.evaluate(
        "cxkitTest.plugin.command('WebChatService.registerTypingPreviewInput', {input: document.getElementById('typing')})"
    )
    chat_page.click("#typing")
    chat_page.keyboard.type("where is")
    gms.wait_message(chat_id, type="TypingStarted", from_type="Client")

    assert command(chat_page, "WebChatService.sendMessage", {"message": "where is my order?"})["ok"]
    sent = gms.wait_message(chat_id, type="Message", from_type="Client", text="where is my order?")
    assert sent["from"]["nickname"] == "Jo"

    assert command(chat_page, "WebChatService.updateUserData", {"tier": "gold"})["ok"]
    update = gms.wait_request("updateData", chat_id=chat_id, **{"userData[tier]": "gold"})
    assert update["statusCode"] == 0


def test_wait_for_the_typing_preview(chat_page, gms):
    assert command(chat_page, "WebChatService.startChat", {"nickname": "Jo"})["ok"]
    chat_id = gms.wait_chat()["chatId"]
    chat_page.evaluate(
        "cxkitTest.plugin.command('WebChatService.registerTypingPreviewInput', {input: document.getElementById('typing')})"
    )
    chat_page.click("#typing")
    chat_page.keyboard.type("where is my order")

    first = gms.wait_request("startTyping", chat_id=chat_id)["form"]["message"]
    assert first and first != "where is my order" and "where is my order".startswith(first)
    # the next poll or stopTyping, whichever comes first, brings the whole text
    assert gms.wait_typing_preview(chat_id, "where is my order")["typingPreview"] == "where is my order"
    # stopTyping always carries it, 2 s after the last keystroke
    assert gms.wait_request("stopTyping", chat_id=chat_id)["form"]["message"] == "where is my order"
    assert gms.messages(chat_id)[-1]["type"] == "TypingStopped"
