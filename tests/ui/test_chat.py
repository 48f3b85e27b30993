"""The Chat facade over a real WebChatService and the in-process mock GMS (virtual clock)."""

import asyncio

import pytest
from webchat_harness import BASE, Page, mock_gms, settle
from webchat_vclock import virtual_time

from cxkit.bus import CommandRejected
from cxkit.ui import Chat, ChatMessage, ChatNotConfigured
from cxkit.webchat import messages as msg


def booted() -> tuple[Page, Chat]:
    page = Page(mock_gms()).boot()
    return page, Chat(page.bus)


@virtual_time
async def test_a_whole_chat_with_typed_callbacks():
    page, chat = booted()
    seen: list[ChatMessage] = []
    typing: list[tuple[bool, str | None]] = []
    lifecycle: list[str] = []
    chat.on_message(seen.append)
    chat.on_agent_typing(lambda on, name: typing.append((on, name)))
    chat.on_started(lambda: lifecycle.append("started"))
    chat.on_ended(lambda: lifecycle.append("ended"))

    await chat.ready()
    assert await chat.session_active() is False
    body = await chat.start(nickname="Ada", subject="Order")
    assert body["chatId"] == page.chat_id
    page.agent("join", nickname="Anna")
    page.agent("typing", nickname="Anna")
    await page.wait_for(lambda: typing)
    page.agent("say", nickname="Anna", text="Hello Ada")
    await page.wait_for(lambda: any(m.text == "Hello Ada" for m in seen))

    await chat.send("hi")
    await page.wait_for(lambda: any(m.text == "hi" and m.from_client for m in seen))
    assert typing == [(True, "Anna"), (False, None)]
    hello = next(m for m in seen if m.text == "Hello Ada")
    assert hello.sender.name == "Anna" and hello.from_agent and hello.type == "Message"
    indexes = [m.index for m in seen]
    assert indexes == sorted(set(indexes))
    assert [m.index for m in await chat.transcript()] == indexes
    assert await chat.session_active() is True

    await chat.end()
    await settle()
    assert lifecycle == ["started", "ended"]
    assert page.gms.chat(body["chatId"])["state"] in ("ended", "disconnected")


@virtual_time
async def test_rejections_raise_command_rejected_with_the_service_reason():
    page, chat = booted()
    await chat.ready()
    with pytest.raises(CommandRejected) as info:
        await chat.send("hi")
    assert info.value.reason == msg.NO_ACTIVE_SESSION
    await chat.start(nickname="Ada")
    with pytest.raises(CommandRejected) as info:
        await chat.send("")
    assert info.value.reason == msg.NO_MESSAGE


@virtual_time
async def test_async_callbacks_run_as_tasks():
    page, chat = booted()
    got: list[str] = []

    @chat.on_message
    async def slow(message: ChatMessage) -> None:
        await asyncio.sleep(1)
        got.append(message.type)

    await chat.ready()
    await chat.start(nickname="Ada")
    await page.wait_for(lambda: "ParticipantJoined" in got)


@virtual_time
async def test_a_raising_callback_does_not_stop_the_others():
    page, chat = booted()
    got: list[str] = []
    chat.on_message(lambda m: 1 / 0)
    chat.on_message(lambda m: got.append(m.type))
    await chat.ready()
    await chat.start(nickname="Ada")
    await page.wait_for(lambda: got)


@virtual_time
async def test_close_drops_subscriptions_and_facades_get_their_own_plugins():
    page, chat = booted()
    other = Chat(page.bus)
    got: list[ChatMessage] = []
    chat.on_message(got.append)
    other.on("started", lambda data: None)
    assert chat.plugin.name != other.plugin.name
    chat.close()
    await chat.ready()  # still usable for commands
    await chat.start(nickname="Ada")
    await page.wait_for(lambda: page.of("messageReceived"))
    assert got == []


def test_a_named_facade_refuses_a_taken_name():
    page = Page(mock_gms())
    page.bus.register_plugin("Mine")
    with pytest.raises(RuntimeError):
        _ = Chat(page.bus, name="Mine").plugin


# -- a page that configured no chat service, a bus that is not up, text vs other messages -----------

def app_page(webchat: dict | None) -> tuple[Page, Chat]:
    """The browser's boot order: the service installs (and is ready) in App's extensions step,
    then App.ready carries the widgets config."""
    from cxkit.bus.app import boot_app

    page = Page(mock_gms(), config=webchat or {})
    config = {"webchat": webchat} if webchat is not None else {}
    boot_app(page.bus, config, extensions=(lambda: page.boot()) if webchat is not None else None)
    return page, Chat(page.bus)


@virtual_time
async def test_ready_fails_at_once_when_the_page_configured_no_chat_service():
    _page, chat = app_page(None)                          # no window._genesys.widgets.webchat
    with pytest.raises(ChatNotConfigured, match=r"set window._genesys.widgets.webchat.dataURL"):
        await asyncio.wait_for(chat.ready(), 1)           # a guard: without the check it waits forever


@virtual_time
async def test_ready_fails_at_once_without_a_data_url():
    page, chat = app_page({"userData": {"a": "1"}, "dataURL": None})
    assert page.bus.get_plugin("WebChatService") is not None   # the service is there, with nowhere to go
    with pytest.raises(ChatNotConfigured, match="dataURL"):
        await asyncio.wait_for(chat.ready(), 1)


@virtual_time
async def test_ready_with_a_data_url_and_app_ready():
    page, chat = app_page({"dataURL": BASE})
    await asyncio.wait_for(chat.ready(), 1)
    await chat.start(nickname="Ada")


def test_ready_on_a_bus_that_is_not_up_says_to_wait_for_the_boot():
    from cxkit.bus import Bus

    with pytest.raises(ChatNotConfigured, match=r"await cxkit.ui.page.booted\(\)"):
        asyncio.run(Chat(Bus()).ready())


@virtual_time
async def test_on_text_gets_chat_lines_only_on_message_everything():
    page, chat = booted()
    texts: list[ChatMessage] = []
    everything: list[ChatMessage] = []
    chat.on_text(texts.append)
    chat.on_message(everything.append)
    await chat.ready()
    await chat.start(nickname="Ada")
    page.agent("join", nickname="Anna")
    page.agent("typing", nickname="Anna")
    page.agent("say", nickname="Anna", text="Hello Ada")
    await page.wait_for(lambda: texts)
    assert [(m.sender.name, m.text) for m in texts] == [("Anna", "Hello Ada")]
    others = [m for m in everything if not m.is_text]
    assert {"ParticipantJoined", "TypingStarted"} <= {m.type for m in others}
    assert all(m.text is None for m in others if m.type in ("ParticipantJoined", "TypingStarted"))


@virtual_time
async def test_typing_a_typing_input_and_any_command():
    """README: `Chat` also has `send_typing`, `register_typing_input` and `command(name, ...)`."""
    from cxkit.webchat import MemoryTextInput

    page, chat = booted()
    await chat.ready()
    await chat.start(nickname="Ada")
    assert (await chat.send_typing("I am wri"))["statusCode"] == 0
    assert page.gms.chat(page.chat_id)["typingPreview"] == "I am wri"
    box = MemoryTextInput()
    await chat.register_typing_input(box)
    assert box.listener_count == 1
    box.type("hello")
    await page.wait_for(lambda: page.gms.chat(page.chat_id)["typingPreview"] == "hello")
    assert await chat.command("getSessionData") == page.service.session.identity.as_session_data()
    with pytest.raises(CommandRejected):
        await chat.command("sendMessage", message="")
