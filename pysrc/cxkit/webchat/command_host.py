"""`CommandHost`: what every command module (commands.py, start_chat.py, file_commands.py) uses
of its service: the chat session, the configuration, GMS requests and their failures. Each
module's own protocol (`ChatCommandHost`, `StartChatHost`, `FileCommandHost`) adds the few
members only its handlers touch::

    def handler(service: CommandHost, e: CommandEvent) -> None:
        e.deferred.resolve(service.session.identity.as_session_data())
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from ..gms import ChatClient, GmsReply
from .config import WebChatConfig
from .push import DirectPublisher
from .session import ChatSession

__all__ = ["CommandHost"]


class CommandHost(Protocol):
    """The members every command module uses."""

    session: ChatSession
    config: WebChatConfig
    client: ChatClient  # GmsClient, or PushClient in CometD mode

    @property
    def plugin(self) -> DirectPublisher: ...

    async def request(self, call: Callable[[], Awaitable[GmsReply]]) -> GmsReply: ...

    def report_failure(self, reply: GmsReply, *, plain: bool = False) -> dict[str, Any]: ...
