"""The agent console at /agent, driven by a person's clicks, against a customer page in Chromium.

Two pages share one browser context: the customer's e2e page (``chat_page``) and the console.
Every console action is checked where it matters, on the customer's side of the chat.
"""

from __future__ import annotations

from e2e_support import command, wait_event, wait_text

AGENT_FILE = b"%PDF-1.4 terms and conditions\n"


def open_console(customer, server_url: str):
    """The console in a second tab of the customer's context."""
    console = customer.context.new_page()
    console.goto(f"{server_url}/agent")
    return console


def test_console_lists_shows_and_drives_a_chat(chat_page, gms, server_url):
    customer = chat_page
    assert command(customer, "WebChatService.startChat", {"nickname": "Jo"})["ok"]
    chat_id = gms.wait_chat()["chatId"]
    wait_event(customer, "started")

    console = open_console(customer, server_url)
    row = console.locator(f"#chats li[data-chat-id='{chat_id}']")
    row.wait_for()
    assert "Jo" in row.inner_text()
    row.click()
    console.wait_for_function("() => document.querySelector('#chats li.selected')")

    # live transcript: the customer's own message and typing preview appear without a reload
    assert command(customer, "WebChatService.sendMessage", {"message": "my order is late"})["ok"]
    console.locator("#transcript li[data-type='Message']", has_text="my order is late").wait_for()
    customer.evaluate(
        "T.command('WebChatService.registerTypingPreviewInput', {input: document.getElementById('typing')})"
    )
    customer.click("#typing")
    customer.keyboard.type("order 1234")
    console.locator("#preview", has_text="order 1234").wait_for()

    # join
    console.fill("#nickname", "Anna")
    console.click("#join")
    wait_event(customer, "agentConnected")
    assert customer.evaluate(
        "Object.values(ev.find(e => e.name === 'agentConnected').data.agents).map(a => a.name)"
    ) == ["Anna"]

    # type, then answer
    console.click("#text")
    console.keyboard.type("Let me check")
    wait_event(customer, "agentTypingStarted")
    console.keyboard.type(" that for you.")
    console.click("#say")
    wait_text(customer, "Let me check that for you.")
    console.locator("#transcript li[data-type='Message']", has_text="Let me check that for you.").wait_for()
    assert console.input_value("#text") == ""

    # send a file
    console.set_input_files("#file", files=[
        {"name": "terms.pdf", "mimeType": "application/pdf", "buffer": AGENT_FILE}])
    customer.wait_for_function(
        """() => ev.some(e => e.name === 'messageReceived' && e.data.messages.some(m =>
            m.type === 'FileUploaded' && m.fileDetails['file-name'] === 'terms.pdf'))"""
    )
    sent = customer.evaluate(
        """ev.filter(e => e.name === 'messageReceived').flatMap(e => e.data.messages)
            .find(m => m.type === 'FileUploaded').fileDetails"""
    )
    assert sent["file-size"] == str(len(AGENT_FILE))
    console.locator("#transcript li[data-type='FileUploaded']", has_text="terms.pdf").wait_for()

    # end
    console.click("#end")
    wait_event(customer, "ended")
    console.locator("#state", has_text="ended").wait_for()
    assert console.inner_text("#error") == ""
