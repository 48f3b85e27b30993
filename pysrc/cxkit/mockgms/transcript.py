"""The chat transcript: GMS message objects indexed from 1, bounded in memory.

    >>> from cxkit.mockgms.transcript import Transcript, Party
    >>> t = Transcript(max_messages=100)
    >>> m = t.append("ParticipantJoined", Party("Nick", 1, "Client"))
    >>> (m["index"], m["type"], m["from"]["type"], t.next_position)
    (1, 'ParticipantJoined', 'Client', 2)
    >>> [x["index"] for x in t.since(1)]
    [1]
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass
from typing import Any

from ..common.clock import now_ms

__all__ = ["Party", "Transcript", "MESSAGE_TYPES", "now_ms"]

MESSAGE_TYPES = (
    "ParticipantJoined", "ParticipantLeft", "Message", "PushUrl", "TypingStarted", "TypingStopped",
    "NicknameUpdated", "FileUploaded", "FileDeleted", "CustomNotice", "Notice", "IdleAlert", "IdleClose",
)


@dataclass
class Party:
    """Who a message is from: rendered as `from: {nickname, participantId, type}`."""

    nickname: str
    participant_id: int
    type: str  # Client | Agent | Supervisor | External
    connected: bool = True

    def as_from(self) -> dict[str, Any]:
        return {"nickname": self.nickname, "participantId": self.participant_id, "type": self.type}


class Transcript:
    """Messages keep their index forever; only the newest `max_messages` are kept in memory."""

    def __init__(self, max_messages: int) -> None:
        self._messages: deque[dict[str, Any]] = deque(maxlen=max_messages)
        self._count = 0

    def __len__(self) -> int:
        return self._count

    @property
    def next_position(self) -> int:
        return self._count + 1

    def append(
        self,
        type: str,
        party: Party,
        *,
        text: str | None = None,
        user_data: dict[str, Any] | None = None,
        event_attributes: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        self._count += 1
        msg: dict[str, Any] = {
            "from": party.as_from(),
            "index": self._count,
            "type": type,
            "utcTime": now_ms(),
        }
        if text is not None:
            msg["text"] = text
        if user_data is not None:
            msg["userData"] = user_data
        if event_attributes is not None:
            msg["eventAttributes"] = event_attributes
        self._messages.append(msg)
        return msg

    def since(self, position: int) -> list[dict[str, Any]]:
        """Messages with index >= position (positions below 1 mean 1)."""
        if position > self._count or not self._messages:
            return []
        first = self._messages[0]["index"]
        skip = max(0, position - first)
        return list(itertools.islice(self._messages, skip, None))

    def after(self, index: int) -> list[dict[str, Any]]:
        return self.since(index + 1)
