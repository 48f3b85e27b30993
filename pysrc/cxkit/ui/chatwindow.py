"""An example chat window written entirely in Python, on `cxkit.ui.Chat`.

    <div id="chat"></div>
    <script type="py">
    import js
    from cxkit.ui.chatwindow import ChatWindow
    from cxkit.ui.page import booted

    await booted()
    window = ChatWindow(js.document.getElementById("chat"))
    await window.mount()          # renders a restored chat, or offers to start one
    </script>

It has a transcript, a textarea whose text goes to the agent as typing preview, Send and Enter,
file upload and download buttons, the agent typing indicator and End chat. Everything the
other side wrote is put in the page with ``textContent``: it shows as text, never as HTML.
Every listener proxy belongs to the window and is destroyed by `ChatWindow.close`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import js
from pyodide.ffi import create_proxy

from ..bus import CommandRejected
from ..common.tasks import spawn
from .chat import Chat, reason_text
from .messages import AGENT_TYPES, ChatMessage

__all__ = ["ChatWindow"]

logger = logging.getLogger("cxkit.ui")

_SILENT_TYPES = {"TypingStarted", "TypingStopped"}


def _clock(timestamp: int | None) -> str:
    if timestamp is None:
        return ""
    date = js.Date.new(timestamp)
    return f"{int(date.getHours()):02d}:{int(date.getMinutes()):02d}"


class ChatWindow:
    """A chat window inside ``container`` (a DOM element), driving ``chat`` (a new `Chat`)."""

    def __init__(self, container: Any, chat: Chat | None = None, *,
                 title: str = "Chat with us") -> None:
        self.container = container
        self.chat = chat or Chat()
        self._listeners: list[tuple[Any, str, Any]] = []
        self._tasks: set[asyncio.Task] = set()
        self._seen: set[int] = set()
        self._last_index = 0
        self.chatting = False
        self._build(title)

    # -- DOM -------------------------------------------------------------------------------------

    @staticmethod
    def _el(tag: str, cls: str = "", text: str | None = None, **attrs: str) -> Any:
        node = js.document.createElement(tag)
        if cls:
            node.className = cls
        if text is not None:
            node.textContent = text
        for name, value in attrs.items():
            node.setAttribute(name.rstrip("_").replace("_", "-"), value)
        return node

    def _build(self, title: str) -> None:
        el = self._el
        self.root = el("section", "cx-chat", aria_label="Chat")
        header = el("header", "cx-header")
        header.append(el("h2", "cx-title", title))
        self.status = el("span", "cx-status", "Connecting…", role="status")
        header.append(self.status)
        self.end_button = el("button", "cx-end", "End chat", type="button")
        self.end_button.hidden = True
        header.append(self.end_button)

        self.start_form = el("form", "cx-start")
        label = el("label", "cx-label", "Your name")
        self.nickname = el("input", "cx-nickname", type="text", autocomplete="nickname",
                           placeholder="Ada", maxlength="60")
        label.append(self.nickname)
        self.start_button = el("button", "cx-start-button", "Start chat", type="submit")
        self.start_form.append(label, self.start_button)
        self.start_form.hidden = True

        self.transcript = el("div", "cx-transcript", role="log", aria_live="polite",
                             aria_label="Transcript")
        self.typing = el("div", "cx-typing", "", aria_live="polite")
        self.typing.hidden = True

        self.composer = el("form", "cx-composer")
        attach = el("label", "cx-attach", title="Attach a file")
        attach.append(el("span", "cx-attach-icon", aria_hidden="true"))
        self.file_input = el("input", "cx-file", type="file", aria_label="Attach a file")
        attach.append(self.file_input)
        self.input = el("textarea", "cx-input", rows="2", placeholder="Type a message",
                        aria_label="Message")
        self.send_button = el("button", "cx-send", "Send", type="submit")
        self.composer.append(attach, self.input, self.send_button)
        self.composer.hidden = True

        self.root.append(header, self.transcript, self.typing, self.composer, self.start_form)
        self.container.append(self.root)

        self._listen(self.start_form, "submit", self._on_start)
        self._listen(self.composer, "submit", self._on_send)
        self._listen(self.input, "keydown", self._on_key)
        self._listen(self.file_input, "change", self._on_file)
        self._listen(self.end_button, "click", lambda _e: self._spawn(self.end()))
        self._listen(self.transcript, "click", self._on_transcript_click)

    def _listen(self, target: Any, event: str, fn: Callable[[Any], Any]) -> None:
        proxy = create_proxy(fn)
        target.addEventListener(event, proxy)
        self._listeners.append((target, event, proxy))

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        spawn(coro, what="cxkit.ui: chat window task", logger=logger, into=self._tasks,
              on_failure=lambda exc: self.notice(f"Something went wrong: {exc}", error=True))

    # -- lifecycle -------------------------------------------------------------------------------

    async def mount(self) -> None:
        """Subscribe, wait for the service, then show the restored chat or the start form."""
        chat = self.chat
        chat.on_message(self.render)
        chat.on_agent_typing(self._agent_typing)
        chat.on_started(lambda: self._spawn(self._connected()))
        chat.on_ended(self._ended)
        chat.on("agentConnected", lambda data: self._roster_changed())
        chat.on("agentDisconnected", lambda data: self._roster_changed())
        chat.on("restoreFailed", lambda _data: self._show_start("Start a chat"))
        await chat.ready()
        if await chat.session_active():
            await self._connected()
            # A restore may have delivered messages before this window subscribed.
            for message in await chat.transcript():
                self.render(message)
        else:
            self._show_start("Start a chat")

    def close(self) -> None:
        """Remove the window and destroy every proxy and subscription it made."""
        self.chat.close()
        for target, event, proxy in self._listeners:
            target.removeEventListener(event, proxy)
            proxy.destroy()
        self._listeners.clear()
        for task in list(self._tasks):
            task.cancel()
        self.root.remove()

    async def start(self, nickname: str) -> None:
        if not self.chatting:  # a new session numbers its transcript from 1 again
            self.transcript.replaceChildren()
            self._seen.clear()
            self._last_index = 0
        self.start_button.disabled = True
        self.set_status("Connecting…")
        try:
            await self.chat.start(nickname=nickname or "Visitor")
        except CommandRejected as exc:
            self.notice(f"Could not start the chat: {reason_text(exc)}", error=True)
            self._show_start("Try again")
        finally:
            self.start_button.disabled = False

    async def send(self, text: str) -> None:
        try:
            await self.chat.send(text)
        except CommandRejected as exc:
            if not self.input.value:
                self.input.value = text
            self.notice(f"Not sent: {reason_text(exc)}", error=True)

    async def send_file(self) -> None:
        files = self.file_input.files
        if not files or not int(files.length):
            return
        name = str(files.item(0).name)
        self.set_status(f"Uploading {name}…")
        try:
            await self.chat.send_file(self.file_input)
        except CommandRejected as exc:
            self.notice(f"{name} was not sent: {reason_text(exc)}", error=True)
        finally:
            self.file_input.value = ""
            self._roster_changed()

    async def end(self) -> None:
        self.end_button.disabled = True
        try:
            await self.chat.end()
        except CommandRejected as exc:
            self.notice(f"Could not end the chat: {reason_text(exc)}", error=True)
        finally:
            self.end_button.disabled = False

    # -- DOM events ------------------------------------------------------------------------------

    def _on_start(self, event: Any) -> None:
        event.preventDefault()
        self._spawn(self.start(str(self.nickname.value).strip()))

    def _on_send(self, event: Any) -> None:
        event.preventDefault()
        text = str(self.input.value).strip()
        if text and self.chatting:
            self.input.value = ""
            self._spawn(self.send(text))

    def _on_key(self, event: Any) -> None:
        if event.key == "Enter" and not (event.shiftKey or event.isComposing):
            self._on_send(event)

    def _on_file(self, _event: Any) -> None:
        self._spawn(self.send_file())

    def _on_transcript_click(self, event: Any) -> None:
        button = event.target.closest("button.cx-download")
        if button is not None:
            file_id = str(button.dataset.fileId)
            name = str(button.dataset.fileName)
            self._spawn(self._download(file_id, name))

    async def _download(self, file_id: str, name: str) -> None:
        try:
            await self.chat.download(file_id, name)
        except CommandRejected as exc:
            self.notice(f"Could not download {name}: {reason_text(exc)}", error=True)

    # -- service events --------------------------------------------------------------------------

    async def _connected(self) -> None:
        if not self.chatting:
            self.chatting = True
            self.start_form.hidden = True
            self.composer.hidden = False
            self.end_button.hidden = False
            self._roster_changed()
        # The service drops the typing input when a chat ends; register it for each session.
        await self.chat.register_typing_input(self.input)
        self.input.focus()

    def _ended(self) -> None:
        self.chatting = False
        self.notice("The chat has ended.")
        self._agent_typing(False, None)
        self._show_start("Start a new chat")

    def _show_start(self, label: str) -> None:
        self.chatting = False
        self.composer.hidden = True
        self.end_button.hidden = True
        self.start_button.textContent = label
        self.start_form.hidden = False
        self.set_status("Not connected")

    def _roster_changed(self) -> None:
        if self.chatting:
            self._spawn(self._update_status())

    async def _update_status(self) -> None:
        agents = (await self.chat.command("getAgents")) or {}
        names = [str(a.get("name")) for a in (agents.get("agents") or {}).values()
                 if a.get("connected")]
        if self.chatting:
            self.set_status(f"Chatting with {', '.join(names)}" if names else "Waiting for an agent…")

    def _agent_typing(self, typing: bool, name: str | None) -> None:
        self.typing.textContent = f"{name or 'The agent'} is typing…" if typing else ""
        self.typing.hidden = not typing

    # -- rendering -------------------------------------------------------------------------------

    def set_status(self, text: str) -> None:
        self.status.textContent = text

    def notice(self, text: str, *, error: bool = False) -> None:
        """A line from this window itself (not from the transcript)."""
        self._append(self._el("div", "cx-system cx-error" if error else "cx-system", text), None)

    def render(self, message: ChatMessage) -> None:
        """Add one transcript message, once per index, in index order."""
        if message.index is not None:
            if message.index in self._seen:
                return
            self._seen.add(message.index)
        node = self._node(message)
        if node is not None:
            self._append(node, message.index)

    def _node(self, message: ChatMessage) -> Any:
        el = self._el
        kind, sender = message.type, message.sender
        who = sender.name or sender.type or ""
        if kind in _SILENT_TYPES:
            return None
        if kind in ("ParticipantJoined", "ParticipantLeft"):
            if message.from_client:
                text = "You joined the chat" if kind == "ParticipantJoined" else "You left the chat"
            else:
                text = f"{who} {'joined' if kind == 'ParticipantJoined' else 'left'} the chat"
            return el("div", "cx-system", text)
        if kind == "Message" or message.is_file:
            side = "cx-client" if message.from_client else (
                "cx-agent" if sender.type in AGENT_TYPES else "cx-other")
            bubble = el("div", f"cx-msg {side}")
            meta = el("div", "cx-meta")
            meta.append(el("span", "cx-name", "You" if message.from_client else who))
            meta.append(el("time", "cx-time", _clock(message.timestamp)))
            bubble.append(meta)
            file = message.file
            if message.is_file and file is not None:
                label = f"⬇ {file.name}" + (f" ({file.size_text})" if file.size_text else "")
                button = el("button", "cx-download", label, type="button",
                            title=f"Download {file.name}")
                button.dataset.fileId = file.id
                button.dataset.fileName = file.name
                bubble.append(button)
            else:
                bubble.append(el("div", "cx-text", message.text or ""))
            return bubble
        if message.text:
            return el("div", "cx-system", message.text)
        return None

    def _append(self, node: Any, index: int | None) -> None:
        if index is not None:
            node.dataset.index = str(index)
            if index > self._last_index:
                self._last_index = index
                self.transcript.append(node)
                self._scroll()
                return
            # Restored history may arrive after live lines: keep transcript order.
            for child in self.transcript.querySelectorAll("[data-index]"):
                if int(child.dataset.index) > index:
                    self.transcript.insertBefore(node, child)
                    self._scroll()
                    return
        self.transcript.append(node)
        self._scroll()

    def _scroll(self) -> None:
        self.transcript.scrollTop = self.transcript.scrollHeight
