"""How to start a chat and have the agent answer.

The ``chat_page`` fixture is the bundled test page with the widget booted and
``WebChatService.ready`` received; ``gms`` drives the mock GMS's agent. The session's agent is
``silent`` (``--cxkit-agent``), so nothing happens in a chat until the test says so.

Run: ``pytest e2e/examples/test_howto_start_a_chat.py``
"""

from cxkit.testing import command, events, wait_event, wait_ready, wait_text


def test_start_a_chat_and_have_the_agent_answer(chat_page, gms):
    # the page starts a chat, as page code would: CXBus command through a bus plugin
    started = command(chat_page, "WebChatService.startChat", {"nickname": "Jo"})
    assert started["ok"], started

    # the chat the page just started, as the mock sees it
    chat_id = gms.wait_chat()["chatId"]

    # the agent joins, types and answers; the page receives it like any agent message
    gms.join(chat_id, nickname="Anna")
    wait_event(chat_page, "agentConnected")
    gms.typing(chat_id)
    wait_event(chat_page, "agentTypingStarted")
    gms.say(chat_id, "Hello Jo, how can I help?")
    wait_text(chat_page, "Hello Jo, how can I help?")

    # every WebChatService event the page saw, in order, with its data
    received = [m for e in events(chat_page, "messageReceived") for m in e["messages"]]
    answer = next(m for m in received if m["text"] == "Hello Jo, how can I help?")
    assert answer["from"] == {"id": answer["from"]["id"], "type": "Agent", "name": "Anna"}

    # the agent ends the chat; the page hears about it
    gms.end(chat_id)
    wait_event(chat_page, "ended")


def test_a_reload_restores_the_chat(chat_page, gms):
    assert command(chat_page, "WebChatService.startChat", {"nickname": "Jo"})["ok"]
    chat_id = gms.wait_chat()["chatId"]
    gms.join(chat_id, nickname="Anna")
    gms.say(chat_id, "before the reload")
    wait_text(chat_page, "before the reload")

    # the page reloads: the init script runs again, so wait for the widget as the fixture did
    chat_page.reload()
    wait_ready(chat_page)
    wait_event(chat_page, "restored")
    wait_text(chat_page, "before the reload")  # the transcript comes back with the restore
    gms.say(chat_id, "after the reload")
    wait_text(chat_page, "after the reload")
    assert len(gms.chats()) == 1  # the same chat, not a new one
