"""Media types of stored files: only what may go back out as a `Content-Type` header.

An upload's part header is whatever the client wrote; one with control characters was stored
and then every download of the file broke (the HTTP server refuses to send such a header).
Uploads are normalised (`upload_media_type`: anything unusable becomes
`application/octet-stream`, the file is kept); the agent's `file` action refuses it instead.

    >>> from cxkit.mockgms.mediatype import media_type, upload_media_type
    >>> media_type("Image/PNG"), media_type('text/plain; charset="utf-8"')
    ('image/png', 'text/plain; charset="utf-8"')
    >>> media_type("text/html\\r\\nX-Evil: 1") is None, upload_media_type("text/html\\x00")
    (True, 'application/octet-stream')
"""

from __future__ import annotations

import re

__all__ = ["media_type", "upload_media_type", "OCTET_STREAM"]

OCTET_STREAM = "application/octet-stream"
MAX_LENGTH = 255
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
# RFC 9110 media-type: type "/" subtype *( OWS ";" OWS parameter ), visible ASCII only
_QUOTED = r"\"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*\""
_MEDIA_TYPE = re.compile(rf"({_TOKEN})/({_TOKEN})((?:[ \t]*;[ \t]*{_TOKEN}=(?:{_TOKEN}|{_QUOTED}))*)")


def media_type(value: str) -> str | None:
    """`value` with type/subtype lower-cased if it is a well-formed media type, else None."""
    value = value.strip(" \t")
    if len(value) > MAX_LENGTH:
        return None
    m = _MEDIA_TYPE.fullmatch(value)
    if m is None:
        return None
    return f"{m.group(1).lower()}/{m.group(2).lower()}{m.group(3)}"


def upload_media_type(value: str | None) -> str:
    """What to store for an uploaded part's Content-Type: the checked value or octet-stream."""
    return (media_type(value) if value else None) or OCTET_STREAM
