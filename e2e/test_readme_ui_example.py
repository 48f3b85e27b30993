"""The README's "Chat UIs in Python" example, taken from README.md and run as written."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_page() -> str:
    """The html block of the README's "Chat UIs in Python" section."""
    section = README.read_text().split("## Chat UIs in Python", 1)[1]
    return re.search(r"```html\n(.*?)```", section, re.S).group(1)


def serve_page(context: Any, url: str, html: str) -> None:
    context.route(url, lambda route: route.fulfill(body=html, content_type="text/html; charset=utf-8"))


def test_the_example_chats_and_shows_text_messages_only(cxkit_page: Any, open_chat_page: Any, cxkit_url: str, gms: Any) -> None:
    printed: list[str] = []
    cxkit_page.on("console", lambda m: printed.append(m.text))
    serve_page(cxkit_page.context, f"{cxkit_url}/readme.html", readme_page())
    open_chat_page("/readme.html")          # dataURL pointed at the mock, service name kept
    chat_id = gms.wait_chat()["chatId"]
    assert gms.chat(chat_id)["participants"][0]["nickname"] == "Ada"
    gms.wait_message(chat_id, type="Message", text="hi", from_type="Client")
    gms.join(chat_id, nickname="Anna")
    gms.typing(chat_id, nickname="Anna")
    with cxkit_page.expect_console_message(lambda m: m.text == "Anna: Hello Ada", timeout=20_000):
        gms.say(chat_id, "Hello Ada", nickname="Anna")
    assert "Ada: hi" in printed
    assert not [line for line in printed if line.endswith(": None")]   # joins and typing are not shown


def test_without_a_data_url_ready_fails_with_what_to_set(cxkit_page: Any, open_chat_page: Any, cxkit_url: str) -> None:
    html = readme_page().replace('webchat: {dataURL: "https://your-gms/genesys/2/chat/customer-support"}', "")
    assert "dataURL" not in html
    serve_page(cxkit_page.context, f"{cxkit_url}/readme-no-url.html", html)
    started = time.monotonic()
    # the page's Python raises at `await chat.ready()` as soon as cxkit is up; PyScript logs it
    with cxkit_page.expect_console_message(lambda m: m.type == "error" and "ChatNotConfigured" in m.text,
                                     timeout=60_000) as error:
        open_chat_page("/readme-no-url.html", mock=False, wait=False)
    assert "set window._genesys.widgets.webchat.dataURL" in error.value.text
    assert cxkit_page.evaluate("window.__cxkit.attached") is True
    print(f"ChatNotConfigured {time.monotonic() - started:.2f}s after opening the page (boot included)")
