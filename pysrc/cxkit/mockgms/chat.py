"""One chat session: identity, participants, transcript, userData, files, typing preview.

Everything here is synchronous and runs on the server's event loop; the agent and idle timers
hang off it but live in agent.py and idle.py, which depend on this module (never the reverse): the
chat knows them only as the small `ChatAgentHook` and `IdleHook` protocols.

    >>> from cxkit.mockgms.chat import Chat
    >>> from cxkit.mockgms.config import MockConfig
    >>> chat = Chat.create("customer-support", "Nick", MockConfig(), seq=1)
    >>> chat.state, chat.client.participant_id, len(chat.transcript)
    ('waiting', 1, 1)
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .config import MockConfig
from .signal import ChangeSignal
from .transcript import Party, Transcript, now_ms

__all__ = ["Chat", "ChatAgentHook", "IdleHook", "StoredFile", "SYSTEM"]

# Server-originated events (notices, idle timers) come from this party.
SYSTEM = Party("system", 0, "External")

_ALNUM = string.ascii_letters + string.digits


def _chat_id() -> str:
    return "0" + "".join(secrets.choice(_ALNUM) for _ in range(15))


class ChatAgentHook(Protocol):
    """What a chat needs of its simulated agent (agent.ChatAgent)."""

    def customer_message(self, msg: dict[str, Any]) -> None: ...

    def stop(self) -> None: ...


class IdleHook(Protocol):
    """What a chat needs of its idle timer (idle.IdleTimer)."""

    def activity(self) -> None: ...

    def cancel(self) -> None: ...


@dataclass
class StoredFile:
    file_id: str
    name: str
    content_type: str
    data: bytes
    uploaded_by: Party
    utc_time: int = field(default_factory=now_ms)
    downloads: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "fileId": self.file_id,
            "fileName": self.name,
            "fileSize": len(self.data),
            "contentType": self.content_type,
            "uploadedBy": self.uploaded_by.as_from(),
            "utcTime": self.utc_time,
            "downloads": self.downloads,
        }


class Chat:
    def __init__(self, service: str, nickname: str, config: MockConfig, seq: int) -> None:
        self.chat_id = _chat_id()
        self.service = service
        self.seq = seq
        self.config = config
        self.alias = config.alias
        self.secure_key = secrets.token_hex(8)
        self.user_id = secrets.token_hex(8).upper()
        self.state = "waiting"  # waiting -> connected (an agent joined) -> ended
        self.created = now_ms()
        self.ended_at: int | None = None
        self.client = Party(nickname, 1, "Client")
        self.agents: list[Party] = []
        self.transcript = Transcript(config.max_messages_per_chat)
        self.user_data: dict[str, str] = {}
        self.subject = ""
        self.email = ""
        self.typing_preview = ""
        self.files: dict[str, StoredFile] = {}
        self.files_uploaded = 0  # client uploads, for upload-max-files (deleting does not refund)
        self.bytes_uploaded = 0
        self.downloads = 0  # customer downloads, for download-attempts (a deleted file keeps its count)
        self.changed = ChangeSignal()
        self.agent: ChatAgentHook | None = None
        self.idle: IdleHook | None = None
        self.on_customer_message: list[Callable[[dict[str, Any]], None]] = []
        self._next_participant = 2

    @classmethod
    def create(cls, service: str, nickname: str, config: MockConfig, seq: int) -> Chat:
        chat = cls(service, nickname, config, seq)
        chat.append("ParticipantJoined", chat.client)
        return chat

    # -- transcript -------------------------------------------------------------------------
    def append(self, type: str, party: Party, **fields: Any) -> dict[str, Any]:
        msg = self.transcript.append(type, party, **fields)
        self.changed.notify()
        return msg

    def touch(self) -> None:
        """Anything the agent console should see without a new message (e.g. the typing preview)."""
        self.changed.notify()

    @property
    def ended(self) -> bool:
        return self.state == "ended"

    def end(self) -> None:
        if self.ended:
            return
        self.state = "ended"
        self.ended_at = now_ms()
        self.typing_preview = ""
        if self.agent is not None:
            self.agent.stop()
        if self.idle is not None:
            self.idle.cancel()
        self.changed.notify()

    # -- participants -------------------------------------------------------------------------
    def add_agent(self, nickname: str, supervisor: bool = False) -> Party:
        party = Party(nickname, self._next_participant, "Supervisor" if supervisor else "Agent")
        self._next_participant += 1
        self.agents.append(party)
        if not self.ended:
            self.state = "connected"
        return party

    def connected_agents(self) -> list[Party]:
        return [a for a in self.agents if a.connected]

    def find_agent(self, nickname: str | None) -> Party | None:
        """The connected agent with this nickname, or the most recently joined one."""
        live = self.connected_agents()
        if nickname is None:
            return live[-1] if live else None
        for party in reversed(live):
            if party.nickname == nickname:
                return party
        return None

    def has_agent(self) -> bool:
        return any(a.type == "Agent" for a in self.connected_agents())

    # -- views ----------------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        return {
            "chatId": self.chat_id,
            "serviceName": self.service,
            "state": self.state,
            "seq": self.seq,
            "nickname": self.client.nickname,
            "createdAt": self.created,
            "endedAt": self.ended_at,
            "messageCount": len(self.transcript),
            "typingPreview": self.typing_preview,
            "agents": [a.nickname for a in self.connected_agents()],
        }

    def detail(self) -> dict[str, Any]:
        parties = [self.client, *self.agents]
        return {
            **self.summary(),
            "participants": [{**p.as_from(), "connected": p.connected} for p in parties],
            "messages": self.transcript.since(1),
            "nextPosition": self.transcript.next_position,
            "userData": dict(self.user_data),
            "subject": self.subject,
            "emailAddress": self.email,
            "files": [f.summary() for f in self.files.values()],
        }
