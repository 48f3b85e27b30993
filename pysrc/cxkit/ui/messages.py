"""Typed chat messages built from the WebChatService's normalized messages.

    >>> from cxkit.ui.messages import ChatMessage
    >>> m = ChatMessage.from_normalized({"text": "Hello", "type": "Message", "index": 4,
    ...     "timestamp": 1700000000000, "from": {"id": 2, "type": "Agent", "name": "Anna"}})
    >>> m.text, m.sender.name, m.from_agent, m.time.year
    ('Hello', 'Anna', True, 2023)
    >>> f = ChatMessage.from_normalized({"type": "FileUploaded", "index": 5,
    ...     "fileDetails": {"file-id": "f1", "file-name": "a.png", "file-size": "10"},
    ...     "from": {"type": "Client", "name": "Ada"}})
    >>> f.file.name, f.file.size, f.is_file
    ('a.png', 10, True)

Pure Python: usable (and tested) in CPython as well as in the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = ["AGENT_TYPES", "ChatMessage", "FileDetails", "Sender", "messages_from_event"]

#: Sender types that speak for the business side of the chat.
AGENT_TYPES = frozenset({"Agent", "Supervisor", "Bot"})


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sent a message: ``type`` is Client, Agent, Supervisor, Bot, External or None.

        >>> Sender.from_dict({"id": "2", "type": "Agent", "name": "Anna"})
        Sender(id=2, type='Agent', name='Anna')
        >>> Sender.from_dict(None)
        Sender(id=None, type=None, name=None)
    """

    id: int | None = None
    type: str | None = None
    name: str | None = None

    @classmethod
    def from_dict(cls, raw: Any) -> Sender:
        raw = raw if isinstance(raw, Mapping) else {}
        return cls(id=_int(raw.get("id")), type=_str(raw.get("type")), name=_str(raw.get("name")))


@dataclass(frozen=True, slots=True)
class FileDetails:
    """A file of a ``FileUploaded`` message (GMS ``userData``: ``file-id``, ``file-name``, ...).

        >>> f = FileDetails.from_dict({"file-id": "f1", "file-name": "scan.pdf", "file-size": "12600"})
        >>> f.name, f.size, f.size_text
        ('scan.pdf', 12600, '12.3 KB')
        >>> FileDetails.from_dict({"file-name": "no id"}) is None
        True
    """

    id: str
    name: str
    size: int | None = None
    mime_type: str | None = None

    @classmethod
    def from_dict(cls, raw: Any) -> FileDetails | None:
        if not isinstance(raw, Mapping) or not raw.get("file-id"):
            return None
        return cls(id=str(raw["file-id"]), name=str(raw.get("file-name") or "file"),
                   size=_int(raw.get("file-size")), mime_type=_str(raw.get("file-type")))

    @property
    def size_text(self) -> str:
        """Human size: ``"812 B"``, ``"12.3 KB"``, ``"4.0 MB"``; empty when unknown."""
        if self.size is None:
            return ""
        size = float(self.size)
        for unit in ("B", "KB", "MB"):
            if size < 1024 or unit == "MB":
                return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
            size /= 1024
        return ""  # pragma: no cover


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of ``WebChatService.messageReceived``, typed.

    ``type`` is the GMS type: Message, ParticipantJoined, ParticipantLeft, TypingStarted,
    TypingStopped, Notice, CustomNotice, PushUrl, FileUploaded, FileDeleted, IdleAlert, ...
    ``timestamp`` is epoch milliseconds; ``restoring`` marks history delivered after a reload.
    ``raw`` keeps the normalized message as the service published it.

        >>> m = ChatMessage.from_normalized({"type": "TypingStarted", "index": 3, "from": {"type": "Agent"}})
        >>> m.is_typing, m.is_text, m.from_agent, m.text
        (True, False, True, None)
    """

    type: str
    text: str | None = None
    index: int | None = None
    timestamp: int | None = None
    sender: Sender = field(default_factory=Sender)
    file: FileDetails | None = None
    restoring: bool = False
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_normalized(cls, message: Mapping[str, Any], *, restoring: bool = False) -> ChatMessage:
        """Build from one entry of ``messageReceived``'s ``messages`` (or of ``getTranscript``)."""
        file = FileDetails.from_dict(message.get("fileDetails"))
        if file is None and message.get("type") == "FileUploaded":
            file = FileDetails.from_dict(message.get("userData"))
        text = message.get("text")
        return cls(
            type=str(message.get("type") or ""),
            text=None if text is None else str(text),
            index=_int(message.get("index")),
            timestamp=_int(message.get("timestamp")),
            sender=Sender.from_dict(message.get("from")),
            file=file,
            restoring=bool(message.get("restoring") or restoring),
            raw=dict(message),
        )

    @property
    def time(self) -> datetime | None:
        """``timestamp`` as an aware UTC datetime."""
        if self.timestamp is None:
            return None
        return datetime.fromtimestamp(self.timestamp / 1000, tz=UTC)

    @property
    def from_agent(self) -> bool:
        return self.sender.type in AGENT_TYPES

    @property
    def from_client(self) -> bool:
        return self.sender.type == "Client"

    @property
    def is_text(self) -> bool:
        """A chat line someone wrote (``Message``, ``text`` set); joins, leaves, typing notices,
        files and notices are not."""
        return self.type == "Message" and self.text is not None

    @property
    def is_file(self) -> bool:
        return self.type == "FileUploaded" and self.file is not None

    @property
    def is_typing(self) -> bool:
        return self.type in ("TypingStarted", "TypingStopped")


def messages_from_event(data: Any) -> list[ChatMessage]:
    """The typed messages of one ``messageReceived`` payload (``{"messages": [...], "restoring"}``).

        >>> data = {"restoring": True, "messages": [
        ...     {"type": "ParticipantJoined", "index": 1, "from": {"type": "Client", "name": "Ada"}},
        ...     {"type": "Message", "index": 2, "text": "hi", "from": {"type": "Client", "name": "Ada"}}]}
        >>> [(m.type, m.text, m.restoring) for m in messages_from_event(data)]
        [('ParticipantJoined', None, True), ('Message', 'hi', True)]
        >>> messages_from_event(None)
        []
    """
    if not isinstance(data, Mapping):
        return []
    restoring = bool(data.get("restoring"))
    items = data.get("messages")
    return [ChatMessage.from_normalized(m, restoring=restoring)
            for m in (items if isinstance(items, list) else []) if isinstance(m, Mapping)]
