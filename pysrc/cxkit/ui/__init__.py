"""cxkit.ui: prototype chat UIs in Python, in a PyScript page.

    <script type="py">
    from cxkit.ui import Chat
    from cxkit.ui.page import booted

    await booted()
    chat = Chat()

    @chat.on_text
    def show(message):                    # a ChatMessage: a chat line (on_message: every message)
        print(f"{message.sender.name}: {message.text}")

    await chat.ready()
    await chat.start(nickname="Ada")
    await chat.send("hi")
    </script>

`Chat` is async-first and thin: each call is a ``WebChatService`` bus command. Browser-only
parts import ``js`` and live in their own modules: `cxkit.ui.page` (``booted()``) and
`cxkit.ui.chatwindow` (``ChatWindow``, an example chat window written in Python).
"""

from .chat import SERVICE, Chat, ChatNotConfigured, reason_text
from .messages import AGENT_TYPES, ChatMessage, FileDetails, Sender, messages_from_event

__all__ = ["AGENT_TYPES", "Chat", "ChatMessage", "ChatNotConfigured", "FileDetails", "SERVICE", "Sender", "reason_text",
           "messages_from_event"]
