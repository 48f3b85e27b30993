"""`GmsClient`: one method per Chat API v2 operation, over a `Transport`.

Each method builds the URL and the ordered form, posts it with the ``apikey`` header (and any
extra headers) and the configured timeout, and returns a parsed `GmsReply`; it never raises for
HTTP or GMS failures — callers branch on ``reply.kind``::

    import asyncio, httpx
    from cxkit.gms import GmsClient, HttpxTransport, Identity

    async def main():
        seen = []
        def handler(request):
            seen.append((str(request.url), request.content))
            return httpx.Response(200, json={"statusCode": 0, "chatId": "c1", "alias": "1",
                                             "secureKey": "k", "userId": "u", "messages": []})
        client = GmsClient(HttpxTransport(transport=httpx.MockTransport(handler)),
                           data_url="http://gms/genesys/2/chat/cs")
        reply = await client.request_chat(Identity(), nickname="Jo", user_data={"a": "1"})
        assert reply.ok and seen[0][0] == "http://gms/genesys/2/chat/cs/"

    asyncio.run(main())
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .forms import Identity, identity_fields, identity_parts, user_data_fields
from .responses import GmsReply, parse_reply
from .transport import FileHandle, HttpResponse, Transport
from .urls import ChatUrls

__all__ = ["DownloadRequest", "GmsClient"]

logger = logging.getLogger("cxkit.gms")


@dataclass(frozen=True)
class DownloadRequest:
    """What a browser must POST to download a file. The original submits a hidden multipart
    form (no headers possible); a fetch-based download should also send ``headers`` (apikey).

        >>> import httpx
        >>> from cxkit.gms import GmsClient, HttpxTransport, Identity
        >>> client = GmsClient(HttpxTransport(transport=httpx.MockTransport(lambda request: httpx.Response(200))),
        ...                    data_url="http://gms/genesys/2/chat/cs", apikey="k")
        >>> request = client.download_request(Identity("c1", "117", "s", "u"), "f1", "a.png")
        >>> request.url, request.fields[0], request.headers
        ('http://gms/genesys/2/chat/cs/c1/file/f1/download', ('alias', '117'), {'apikey': 'k'})
    """

    url: str
    fields: list[tuple[str, str]]
    file_name: str = ""
    headers: dict[str, str] = field(default_factory=dict)


class GmsClient:
    """Chat API v2 over REST. Timeouts are in seconds (``None`` = no limit); ``headers`` is a
    plain dict the owner may update (e.g. an ``Authorization`` header that changes).

        >>> import asyncio, httpx
        >>> from cxkit.gms import HttpxTransport, Identity
        >>> gms = httpx.MockTransport(lambda request: httpx.Response(200, json={"statusCode": 0, "messages": []}))
        >>> client = GmsClient(HttpxTransport(transport=gms), data_url="http://gms/genesys/2/chat/cs")
        >>> asyncio.run(client.refresh(Identity(chat_id="c1"), transcript_position=1)).kind
        'ok'
    """

    def __init__(self, transport: Transport, *, data_url: str = "", server_url: str = "",
                 enable_url_trailing_slash: bool = True, apikey: str = "",
                 timeout: float | None = 3.0, file_upload_timeout: float | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        self.transport = transport
        self.urls = ChatUrls(data_url, trailing_slash=enable_url_trailing_slash,
                             server_url=server_url)
        self.timeout = timeout
        self.file_upload_timeout = file_upload_timeout
        self.headers: dict[str, str] = dict(headers or {})
        if apikey:
            self.headers["apikey"] = apikey

    async def _form(self, url: str, fields: list[tuple[str, str]]) -> GmsReply:
        return await _guarded(self.transport.post_form(url, fields, headers=dict(self.headers),
                                                       timeout=self.timeout))

    async def _op(self, identity: Identity, operation: str,
                  fields: list[tuple[str, str]] = ()) -> GmsReply:  # type: ignore[assignment]
        return await self._form(self.urls.operation(identity.chat_id, operation),
                                identity_fields(identity) + list(fields))

    async def request_chat(self, identity: Identity = Identity(), *, nickname: str = "",  # noqa: B008 (frozen)
                           first_name: str = "", last_name: str = "", email: str = "",
                           subject: str = "", endpoint: str = "",
                           user_data: Mapping[str, Any] | None = None) -> GmsReply:
        fields = identity_fields(identity) + [
            ("nickname", nickname), ("firstName", first_name), ("lastName", last_name),
            ("emailAddress", email), ("subject", subject), ("text", "")]
        if endpoint:
            fields.append(("endpoint", endpoint))
        fields += user_data_fields(user_data or {})
        return await self._form(self.urls.request_chat(), fields)

    async def refresh(self, identity: Identity, transcript_position: int,
                      message: str = "") -> GmsReply:
        return await self._op(identity, "refresh", [
            ("transcriptPosition", str(transcript_position)), ("message", message)])

    async def send(self, identity: Identity, message: str, message_type: str = "text",
                   event_attributes: Mapping[str, Any] | None = None) -> GmsReply:
        fields = [("message", message), ("messageType", message_type)]
        if event_attributes:
            fields.append(("eventAttributes", _json(event_attributes)))
        return await self._op(identity, "send", fields)

    async def start_typing(self, identity: Identity, message: str,
                           transcript_position: int) -> GmsReply:
        return await self._op(identity, "startTyping", [
            ("transcriptPosition", str(transcript_position)), ("message", message)])

    async def stop_typing(self, identity: Identity, message: str,
                          transcript_position: int) -> GmsReply:
        return await self._op(identity, "stopTyping", [
            ("transcriptPosition", str(transcript_position)), ("message", message)])

    async def disconnect(self, identity: Identity) -> GmsReply:
        return await self._op(identity, "disconnect")

    async def custom_notice(self, identity: Identity, message: str,
                            event_attributes: Mapping[str, Any] | None = None) -> GmsReply:
        fields = [("message", message)]
        if event_attributes:
            fields.append(("eventAttributes", _json(event_attributes)))
        return await self._op(identity, "customNotice", fields)

    async def update_data(self, identity: Identity, user_data: Mapping[str, Any]) -> GmsReply:
        return await self._op(identity, "updateData", user_data_fields(user_data))

    async def update_nickname(self, identity: Identity, nickname: str) -> GmsReply:
        return await self._op(identity, "updateNickname", [("nickname", nickname)])

    async def file_limits(self, identity: Identity) -> GmsReply:
        return await _guarded(self.transport.post_multipart(
            self.urls.operation(identity.chat_id, "file/limits"), identity_parts(identity),
            headers=dict(self.headers), timeout=self.timeout))

    async def upload_file(self, identity: Identity, file: FileHandle) -> GmsReply:
        parts: list[tuple[str, Any]] = [("file", file)] + identity_parts(identity)
        return await _guarded(self.transport.post_multipart(
            self.urls.operation(identity.chat_id, "file"), parts,
            headers=dict(self.headers), timeout=self.file_upload_timeout))

    def download_request(self, identity: Identity, file_id: str,
                         file_name: str = "") -> DownloadRequest:
        """The form the original submits (hidden inputs alias, secureKey, userId)."""
        return DownloadRequest(self.urls.file_download(identity.chat_id, file_id),
                               identity_fields(identity), file_name, dict(self.headers))


async def _guarded(request: Awaitable[HttpResponse]) -> GmsReply:
    """A transport that raises instead of answering status 0 still yields a network failure,
    so every command settles."""
    try:
        response = await request
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.exception("GMS transport raised; treating it as a network failure")
        response = HttpResponse(0, "", "error")
    return parse_reply(response)


def _json(value: Mapping[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"))
