"""The HTTP port of the GMS client, and an httpx implementation of it.

The core never touches the network itself: it hands a `Transport` an URL, the form fields in
order, headers and a timeout, and gets back a `HttpResponse` (status 0 = the request never got an
HTTP answer: network failure, abort or timeout). In the browser the lead's fetch transport
implements the same two methods; in CPython `HttpxTransport` does, and tests plug the mock GMS in
through httpx's ASGI transport::

    import asyncio, httpx
    from cxkit.gms import HttpxTransport

    async def main():
        transport = HttpxTransport(transport=httpx.MockTransport(
            lambda request: httpx.Response(200, text='{"statusCode": 0}')))
        response = await transport.post_form("http://gms/x", [("alias", "")], headers={}, timeout=3.0)
        assert (response.status, response.text) == (200, '{"statusCode": 0}')

    asyncio.run(main())
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from .forms import json_text

__all__ = ["BytesFile", "encode_form", "FileHandle", "FormFields", "HttpResponse", "HttpxTransport",
           "MultipartParts", "Transport"]

logger = logging.getLogger("cxkit.gms")


@runtime_checkable
class FileHandle(Protocol):
    """A file chosen by the user. In the browser it is a JS ``File`` that is never copied into
    Python; the core only reads these three attributes.

        >>> isinstance(BytesFile("a.png", b"..."), FileHandle), isinstance("a.png", FileHandle)
        (True, False)
    """

    name: str
    size: int
    type: str


FormFields = Sequence[tuple[str, str]]
MultipartParts = Sequence[tuple[str, str | FileHandle]]


@dataclass(frozen=True)
class HttpResponse:
    """What came back. ``status`` 0 means no HTTP answer at all (network failure or timeout).

        >>> from cxkit.gms import parse_reply
        >>> parse_reply(HttpResponse(0)).kind, parse_reply(HttpResponse(503, "", "Service Unavailable")).kind
        ('network', 'http_error')
    """

    status: int
    text: str = ""
    status_text: str = ""


class Transport(Protocol):
    """The three requests GMS needs (``post_json`` is for CometD only). ``timeout`` is in seconds;
    ``None`` means no limit.

        >>> import asyncio
        >>> from cxkit.gms import GmsClient, Identity
        >>> class Offline:  # a Transport whose requests never get an HTTP answer
        ...     async def post_form(self, url, fields, *, headers, timeout): return HttpResponse(0)
        ...     async def post_multipart(self, url, parts, *, headers, timeout): return HttpResponse(0)
        ...     async def post_json(self, url, payload, *, headers, timeout): return HttpResponse(0)
        >>> asyncio.run(GmsClient(Offline(), data_url="http://gms/genesys/2/chat/cs").disconnect(Identity("c1"))).kind
        'network'
    """

    async def post_form(self, url: str, fields: FormFields, *, headers: Mapping[str, str],
                        timeout: float | None) -> HttpResponse:
        """POST ``application/x-www-form-urlencoded`` (no charset) with ``fields`` in order."""
        ...

    async def post_multipart(self, url: str, parts: MultipartParts, *, headers: Mapping[str, str],
                             timeout: float | None) -> HttpResponse:
        """POST ``multipart/form-data`` with ``parts`` in order; at most one value is a
        `FileHandle` (sent as a file part with its own name and type)."""
        ...

    async def post_json(self, url: str, payload: Any, *, headers: Mapping[str, str],
                        timeout: float | None) -> HttpResponse:
        """POST ``payload`` as ``application/json`` (CometD's long-polling transport)."""
        ...


@dataclass
class BytesFile:
    """A `FileHandle` for CPython callers and tests: the bytes live in Python.

        >>> f = BytesFile("notes.txt", b"hello", "text/plain")
        >>> f.name, f.size, f.type
        ('notes.txt', 5, 'text/plain')
    """

    name: str
    data: bytes
    type: str = "application/octet-stream"
    size: int = field(init=False)

    def __post_init__(self) -> None:
        self.size = len(self.data)


def _file_bytes(handle: Any) -> bytes:
    data = getattr(handle, "data", None)
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    read = getattr(handle, "read", None)
    if callable(read):
        return bytes(read())
    raise TypeError(f"cannot read the bytes of file handle {handle!r}")


_SAFE = "!*'()"  # what encodeURIComponent leaves alone besides -_.~


def encode_form(fields: FormFields) -> str:
    """The urlencoded body every transport sends: encodeURIComponent-style escaping with '+'
    for spaces, as jQuery.param (the original's encoder) does.

        >>> encode_form([("message", "it's (ok)! 1+1"), ("userData[a]", "é")])
        "message=it's+(ok)!+1%2B1&userData%5Ba%5D=%C3%A9"
    """
    from urllib.parse import quote

    return "&".join(f"{quote(k, safe=_SAFE)}={quote(v, safe=_SAFE)}".replace("%20", "+")
                    for k, v in fields)


class HttpxTransport:
    """`Transport` over ``httpx.AsyncClient``. Pass ``transport=httpx.ASGITransport(app=...)`` to
    talk to an in-process app; httpx is imported lazily because the browser build lacks it.

        >>> import asyncio, httpx
        >>> echo = httpx.MockTransport(lambda request: httpx.Response(200, text=request.content.decode()))
        >>> response = asyncio.run(HttpxTransport(transport=echo).post_form(
        ...     "http://gms/x", [("message", "hi there")], headers={}, timeout=3.0))
        >>> response.status, response.text
        (200, 'message=hi+there')
    """

    def __init__(self, *, transport: Any = None, client: Any = None) -> None:
        import httpx

        self._httpx = httpx
        self._client = client or httpx.AsyncClient(transport=transport)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def post_form(self, url: str, fields: FormFields, *, headers: Mapping[str, str],
                        timeout: float | None) -> HttpResponse:
        body = encode_form(fields).encode("utf-8")
        all_headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
        return await self._send(url, timeout, content=body, headers=all_headers)

    async def post_multipart(self, url: str, parts: MultipartParts, *, headers: Mapping[str, str],
                             timeout: float | None) -> HttpResponse:
        # Built by hand: httpx would put data fields before files, and the original sends the
        # file part first.
        body, content_type = _multipart_body(parts)
        all_headers = {"Content-Type": content_type, **headers}
        return await self._send(url, timeout, content=body, headers=all_headers)

    async def post_json(self, url: str, payload: Any, *, headers: Mapping[str, str],
                        timeout: float | None) -> HttpResponse:
        body = json_text(payload).encode("utf-8")
        all_headers = {"Content-Type": "application/json;charset=UTF-8", **headers}
        return await self._send(url, timeout, content=body, headers=all_headers)

    async def _send(self, url: str, timeout: float | None, **kwargs: Any) -> HttpResponse:
        httpx = self._httpx
        try:
            coro = self._client.post(url, timeout=timeout, **kwargs)
            # ASGI and mock transports ignore httpx timeouts; enforce it on the loop too.
            response = await (asyncio.wait_for(coro, timeout) if timeout else coro)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any failure without an HTTP answer is a network failure
            if not isinstance(exc, (httpx.TransportError, asyncio.TimeoutError, OSError)):
                logger.debug("transport error treated as a network failure", exc_info=True)
            return HttpResponse(0, "", "error")
        return HttpResponse(response.status_code, response.text, response.reason_phrase)


def _multipart_body(parts: MultipartParts) -> tuple[bytes, str]:
    import os

    boundary = "----cxkit" + os.urandom(12).hex()
    chunks: list[bytes] = []
    for name, value in parts:
        chunks.append(f"--{boundary}\r\n".encode())
        if isinstance(value, str):
            chunks.append(f'Content-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'.encode())
            chunks.append(value.encode("utf-8"))
        else:
            chunks.append((f'Content-Disposition: form-data; name="{_quote(name)}"; '
                           f'filename="{_quote(value.name)}"\r\n'
                           f'Content-Type: {value.type or "application/octet-stream"}\r\n\r\n').encode())
            chunks.append(_file_bytes(value))
        chunks.append(b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
