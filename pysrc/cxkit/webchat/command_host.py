"""`CommandHost`: what the command handlers (commands.py, start_chat.py, file_commands.py) use
of their service, so they depend on this contract instead of on `WebChatService` itself::

    def handler(service: CommandHost, e: CommandEvent) -> None:
        e.deferred.resolve(service.session.identity.as_session_data())
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from ..gms import GmsReply
from .polling import PollingLoop
from .ports import Downloader, PageInfo, TypingInput
from .restore import RestoreHost
from .typing_indicator import ClientTyping, CometdTyping

if TYPE_CHECKING:
    from ..bus import Plugin

__all__ = ["CommandHost"]


class CommandHost(RestoreHost, Protocol):
    """A restore's host, plus the configuration, polling, typing and file members."""

    configured: bool
    page_info: PageInfo
    downloader: Downloader | None
    polling: PollingLoop
    typing: ClientTyping | CometdTyping

    @property
    def plugin(self) -> Plugin: ...

    @property
    def preprocessors(self) -> list[Callable[[dict[str, Any]], Any]]: ...

    @property
    def sleeping(self) -> bool: ...

    def apply_config(self, raw: Mapping[str, Any] | None) -> None: ...

    def configure(self, raw: Mapping[str, Any] | None) -> None: ...

    def report_failure(self, reply: GmsReply, *, plain: bool = False) -> dict[str, Any]: ...

    def new_transcript(self) -> None: ...

    def end_locally(self) -> None: ...

    def stop_polling(self) -> bool: ...

    def after_side_request(self, reply: GmsReply) -> None: ...

    def attach_typing_input(self, element: TypingInput) -> None: ...
