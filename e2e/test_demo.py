"""The demo page (``/``): the chat window written in Python, driven as a person would, in Chromium.

The session's mock agent is silent; each test plays the agent with the ``gms`` fixture.
"""

from __future__ import annotations

import base64

from e2e_support import BOOT_TIMEOUT_MS
from playwright.sync_api import Page, expect

#: Init script: remember PyScript's progress stages (the indicator shows them as they come).
STAGES = "window.__stages = []; addEventListener('py:progress', e => window.__stages.push(String(e.detail)));"


def open_demo(page: Page, server_url: str) -> None:
    page.goto(f"{server_url}/cxkit/")
    page.wait_for_selector("body[data-chat=ready]", timeout=BOOT_TIMEOUT_MS)


def start_chat(page: Page, gms, nickname: str = "Ada") -> str:
    page.fill(".cx-nickname", nickname)
    page.click(".cx-start-button")
    chat_id = gms.wait_chat()["chatId"]
    expect(page.locator(".cx-input")).to_be_visible()
    return chat_id


def transcript(page: Page) -> list[tuple[str, str]]:
    """(data-index, text) of every transcript line the window rendered."""
    return page.eval_on_selector_all(
        ".cx-transcript > [data-index]", "els => els.map(e => [e.dataset.index, e.textContent])")


def test_loading_indicator_shows_boot_progress_then_goes_away(page: Page, server_url: str):
    page.add_init_script(STAGES)
    page.goto(f"{server_url}/cxkit/", wait_until="commit")
    loading = page.locator("#cx-loading")
    expect(loading).to_be_visible()
    expect(loading).to_contain_text("MB loaded")
    page.wait_for_selector("body[data-chat=ready]", timeout=BOOT_TIMEOUT_MS)
    expect(loading).to_be_hidden()
    assert page.evaluate("window.__stages.length") > 0, "PyScript reported its stages"
    loaded = page.text_content("#cx-loading .cx-bytes")
    assert float(loaded.split()[0]) > 1.0, loaded  # the runtime is megabytes
    expect(page.locator(".cx-start-button")).to_have_text("Start a chat")
    expect(page.locator("a[href='/agent']")).to_be_visible()


def test_a_chat_end_to_end_through_the_window(page: Page, server_url: str, gms):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_demo(page, server_url)
    chat_id = start_chat(page, gms)
    assert gms.chat(chat_id)["participants"][0]["nickname"] == "Ada"

    page.click(".cx-input")
    page.keyboard.type("hello there")
    page.keyboard.press("Enter")
    gms.wait_message(chat_id, type="Message", text="hello there", from_type="Client")
    expect(page.locator(".cx-client .cx-text")).to_have_text(["hello there"])
    expect(page.locator(".cx-input")).to_have_value("")

    gms.agent(chat_id, "join", nickname="Anna")
    expect(page.locator(".cx-system", has_text="Anna joined the chat")).to_be_visible()
    expect(page.locator(".cx-status")).to_have_text("Chatting with Anna")
    gms.agent(chat_id, "typing", nickname="Anna")
    expect(page.locator(".cx-typing")).to_have_text("Anna is typing…")
    gms.agent(chat_id, "say", nickname="Anna", text="Hi Ada, how can I help?")
    expect(page.locator(".cx-agent .cx-text")).to_have_text(["Hi Ada, how can I help?"])
    expect(page.locator(".cx-typing")).to_be_hidden()

    # the Send button works too, and Shift+Enter is a new line, not a send
    page.fill(".cx-input", "line one")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("line two")
    page.click(".cx-send")
    gms.wait_message(chat_id, type="Message", text="line one\nline two", from_type="Client")

    # typing preview: what is in the textarea reaches the agent side before it is sent
    page.click(".cx-input")
    page.keyboard.type("where is my")
    gms.wait_typing_preview(chat_id, "where is my")

    page.click(".cx-end")
    expect(page.locator(".cx-system", has_text="The chat has ended.")).to_be_visible()
    gms.wait_message(chat_id, type="ParticipantLeft", from_type="Client")
    assert gms.chat(chat_id)["state"] in ("ended", "disconnected")
    expect(page.locator(".cx-start-button")).to_have_text("Start a new chat")
    expect(page.locator(".cx-input")).to_be_hidden()

    # a second chat starts with a fresh transcript
    second = start_chat(page, gms, "Ada")
    assert second != chat_id
    gms.agent(second, "join", nickname="Ben")
    expect(page.locator(".cx-system", has_text="Ben joined the chat")).to_be_visible()
    assert not page.locator(".cx-text", has_text="hello there").count()
    assert errors == []


def test_file_upload_and_download_links(page: Page, server_url: str, gms):
    open_demo(page, server_url)
    chat_id = start_chat(page, gms)
    gms.agent(chat_id, "join", nickname="Anna")
    payload = bytes(range(256)) * 20
    page.set_input_files(".cx-file", files=[{"name": "receipt.png", "mimeType": "image/png", "buffer": payload}])
    uploaded = gms.wait_message(chat_id, type="FileUploaded")
    assert uploaded["userData"]["file-name"] == "receipt.png"
    link = page.locator(".cx-client .cx-download")
    expect(link).to_have_text("⬇ receipt.png (5.0 KB)")
    with page.expect_download() as info:
        link.click()
    assert info.value.suggested_filename == "receipt.png"
    assert open(info.value.path(), "rb").read() == payload
    expect(page.locator(".cx-file")).to_have_value("")

    gms.agent(chat_id, "file", nickname="Anna", fileName="terms.pdf", content=base64.b64encode(b"%PDF-1").decode())
    agent_link = page.locator(".cx-agent .cx-download")
    expect(agent_link).to_contain_text("terms.pdf")
    with page.expect_download() as info:
        agent_link.click()
    assert open(info.value.path(), "rb").read() == b"%PDF-1"


def test_reload_restores_the_transcript_once(page: Page, server_url: str, gms):
    open_demo(page, server_url)
    chat_id = start_chat(page, gms)
    gms.agent(chat_id, "join", nickname="Anna")
    gms.agent(chat_id, "say", nickname="Anna", text="one")
    page.fill(".cx-input", "two")
    page.keyboard.press("Enter")
    expect(page.locator(".cx-client .cx-text")).to_have_text(["two"])
    before = transcript(page)

    page.reload()
    page.wait_for_selector("body[data-chat=ready]", timeout=BOOT_TIMEOUT_MS)
    expect(page.locator(".cx-text")).to_have_text(["one", "two"])
    after = transcript(page)
    assert after == before
    assert len({index for index, _ in after}) == len(after), "no index rendered twice"
    expect(page.locator(".cx-status")).to_have_text("Chatting with Anna")

    # the restored window keeps working: live messages, typing preview, sending
    gms.agent(chat_id, "say", nickname="Anna", text="three")
    expect(page.locator(".cx-text")).to_have_text(["one", "two", "three"])
    page.click(".cx-input")
    page.keyboard.type("after reload")
    gms.wait_typing_preview(chat_id, "after reload")
    page.keyboard.press("Enter")
    gms.wait_message(chat_id, type="Message", text="after reload", from_type="Client")


ATTACKS = [
    '<img src=x onerror="window.pwned=1">',
    "<script>window.pwned=2</script>",
    '<a href="javascript:window.pwned=3">x</a>',
    '<div style="position:fixed;inset:0;background:red">covered</div>',
]


def test_agent_text_is_shown_as_text_never_as_html(page: Page, server_url: str, gms):
    open_demo(page, server_url)
    chat_id = start_chat(page, gms)
    gms.agent(chat_id, "join", nickname="<b>Mallory</b>")
    for attack in ATTACKS:
        gms.agent(chat_id, "say", nickname="<b>Mallory</b>", text=attack)
    expect(page.locator(".cx-agent .cx-text")).to_have_text(ATTACKS)
    expect(page.locator(".cx-system", has_text="<b>Mallory</b> joined the chat")).to_be_visible()
    page.locator(".cx-agent .cx-text").last.click()  # a click on the link text must not run it
    assert page.evaluate("typeof window.pwned") == "undefined"
    created = page.eval_on_selector_all(".cx-transcript *", "els => els.map(e => e.tagName)")
    assert not {"IMG", "SCRIPT", "A", "B", "STYLE", "IFRAME"} & set(created), created
    assert page.eval_on_selector_all(".cx-transcript [style]", "els => els.length") == 0


def test_the_window_on_another_page_and_close_releases_everything(page: Page, server_url: str, gms):
    """ChatWindow is a library piece: mount it on the test page, chat, close it, nothing stays."""
    from e2e_support import wait_booted

    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server_url}/cxkit/e2e_python.html")
    wait_booted(page)
    page.evaluate("""cxkitPy(`
import asyncio
from cxkit.ui.chatwindow import ChatWindow
host = js.document.createElement("div")
js.document.body.append(host)
win = ChatWindow(host)
mounted = asyncio.ensure_future(win.mount())
`)""")
    page.wait_for_selector(".cx-start-button:visible")
    chat_id = start_chat(page, gms, "Eve")
    gms.agent(chat_id, "join", nickname="Anna")
    gms.agent(chat_id, "say", nickname="Anna", text="before close")
    expect(page.locator(".cx-agent .cx-text")).to_have_text(["before close"])

    state = page.evaluate("""cxkitPy(`
name = win.chat.plugin.name
before = bus.get_plugin("WebChatService").subscribers()
win.close()
after = bus.get_plugin("WebChatService").subscribers()
result = {"listeners": len(win._listeners), "tasks": len(win._tasks),
          "before": sorted(e for e, who in before.items() if name in who),
          "after": sorted(e for e, who in after.items() if name in who)}
`)""")
    assert "WebChatService.messageReceived" in state["before"]
    assert state["after"] == []
    assert state["listeners"] == 0 and state["tasks"] == 0
    assert page.locator(".cx-chat").count() == 0
    gms.agent(chat_id, "say", nickname="Anna", text="after close")
    said = gms.wait_message(chat_id, type="Message", text="after close")
    # the service went on polling and took the message in: the closed window saw it and did nothing
    gms.wait_request("refresh", chat_id=chat_id, transcriptPosition=str(said["index"] + 1))
    assert page.locator(".cx-chat").count() == 0
    assert errors == []
