"""All chats of one mock server, bounded: at most `max_chats`, ended chats evicted first.

    >>> from cxkit.mockgms.store import ChatStore
    >>> from cxkit.mockgms.config import MockConfig
    >>> store = ChatStore(MockConfig(max_chats=2))
    >>> a = store.create("svc", "A"); b = store.create("svc", "B"); a.end()
    >>> c = store.create("svc", "C")   # evicts the ended chat a
    >>> sorted(ch.client.nickname for ch in store.chats.values())
    ['B', 'C']
"""

from __future__ import annotations

from .chat import Chat
from .config import MockConfig
from .errors import Code, GmsError
from .signal import ChangeSignal

__all__ = ["ChatStore"]


class ChatStore:
    def __init__(self, config: MockConfig) -> None:
        self.config = config
        self.chats: dict[str, Chat] = {}  # insertion order = creation order
        self.created_count = 0  # since the last reset; chats are numbered by it (Chat.seq)
        self.new_chat = ChangeSignal()
        self.file_bytes = 0  # bytes of all stored files, bounded by max_total_file_bytes

    def create(self, service: str, nickname: str) -> Chat:
        if len(self.chats) >= self.config.max_chats:
            self._evict_one_ended()
        if len(self.chats) >= self.config.max_chats:
            raise GmsError(
                Code.CANNOT_START_CHAT,
                f"Cannot start chat now: the mock holds its maximum of {self.config.max_chats} open chats",
                http_status=503,
                status_code=1,
            )
        self.created_count += 1
        chat = Chat.create(service, nickname, self.config, self.created_count)
        self.chats[chat.chat_id] = chat
        self.new_chat.notify()
        return chat

    def get(self, chat_id: str) -> Chat | None:
        return self.chats.get(chat_id)

    def by_seq_after(self, after: int) -> Chat | None:
        for chat in self.chats.values():
            if chat.seq > after:
                return chat
        return None

    def _evict_one_ended(self) -> None:
        for chat_id, chat in self.chats.items():
            if chat.ended:
                self.remove(chat_id)
                return

    def remove(self, chat_id: str) -> None:
        chat = self.chats.pop(chat_id)
        chat.end()
        self.file_bytes -= sum(len(f.data) for f in chat.files.values())

    def clear(self) -> None:
        for chat in list(self.chats.values()):
            chat.end()
        self.chats.clear()
        self.created_count = 0
        self.file_bytes = 0
        self.new_chat.notify()
