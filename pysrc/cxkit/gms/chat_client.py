"""`ChatClient`: the chat operations a WebChatService asks of its client, whatever carries them.

`GmsClient` sends them as Chat API v2 REST requests; in CometD mode the WebChatService swaps in a
client that publishes them on the chat channel (``cxkit.webchat.push.PushClient``). Both answer
every operation with a `GmsReply`, so the service has one code path:

    >>> import httpx
    >>> from cxkit.gms import ChatClient, GmsClient, HttpxTransport
    >>> client = GmsClient(HttpxTransport(transport=httpx.MockTransport(lambda r: httpx.Response(200))))
    >>> isinstance(client, ChatClient)
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from .client import DownloadRequest
from .forms import Identity
from .responses import GmsReply
from .transport import FileHandle

__all__ = ["ChatClient"]


@runtime_checkable
class ChatClient(Protocol):
    """Chat API v2 operations; each resolves with the reply, a network failure included (never raises).

    ``headers`` is a plain dict the owner may update (``apikey``, ``Authorization``); the
    timeouts are in seconds (None: no limit).

        >>> import httpx
        >>> from cxkit.gms import GmsClient, HttpxTransport
        >>> rest = GmsClient(HttpxTransport(transport=httpx.MockTransport(lambda request: httpx.Response(200))))
        >>> isinstance(rest, ChatClient), isinstance(object(), ChatClient)
        (True, False)
    """

    headers: dict[str, str]
    timeout: float | None
    file_upload_timeout: float | None

    async def request_chat(self, identity: Identity = ..., *, nickname: str = "",
                           first_name: str = "", last_name: str = "", email: str = "",
                           subject: str = "", endpoint: str = "",
                           user_data: Mapping[str, Any] | None = None) -> GmsReply: ...

    async def refresh(self, identity: Identity, transcript_position: int, message: str = "") -> GmsReply: ...

    async def send(self, identity: Identity, message: str, message_type: str = "text",
                   event_attributes: Mapping[str, Any] | None = None) -> GmsReply: ...

    async def start_typing(self, identity: Identity, message: str, transcript_position: int) -> GmsReply: ...

    async def stop_typing(self, identity: Identity, message: str, transcript_position: int) -> GmsReply: ...

    async def disconnect(self, identity: Identity) -> GmsReply: ...

    async def custom_notice(self, identity: Identity, message: str,
                            event_attributes: Mapping[str, Any] | None = None) -> GmsReply: ...

    async def update_data(self, identity: Identity, user_data: Mapping[str, Any]) -> GmsReply: ...

    async def file_limits(self, identity: Identity) -> GmsReply: ...

    async def upload_file(self, identity: Identity, file: FileHandle) -> GmsReply: ...

    def download_request(self, identity: Identity, file_id: str, file_name: str = "") -> DownloadRequest: ...
