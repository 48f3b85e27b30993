"""GMS error codes and the exception that becomes a Chat V2 error response.

Codes 102, 103, 161, 201, 202, 203, 204, 240 and 364 are the ones the widget knows (spec C.3);
249 is what GMS was seen answering for a request on an ended chat. The others are this mock's
own choice (the full GMS table was never published): transport-level failures use the HTTP status
as the code (401, 404, 405, 413, 500), and 100 / 105 / 110 / 200 / 205 are documented below.

    >>> from cxkit.mockgms.errors import GmsError, Code
    >>> err = GmsError(Code.NAME_REQUIRED, "nickname or firstName+lastName is required")
    >>> err.http_status, err.status_code
    (400, 2)
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

__all__ = ["Code", "GmsError", "SessionNotFound"]


class Code(IntEnum):
    """The GMS error codes this mock answers with (the ``code`` of an ``errors`` entry).

        >>> Code(249).name, Code.MESSAGE_TOO_LONG == 204
        ('CHAT_ENDED', True)
    """

    BAD_REQUEST = 100  # mock: malformed body/parameter, non-UTF-8, oversized userData
    FIRST_NAME_REQUIRED = 102
    LAST_NAME_REQUIRED = 103
    MESSAGE_REQUIRED = 105  # mock: send without (or with empty) message
    INVALID_CREDENTIALS = 110  # mock: secureKey/userId missing or not this chat's
    NAME_REQUIRED = 161
    NEED_AGENT = 200  # mock: upload-need-agent is true and no agent is connected
    MAX_FILES = 201
    MAX_SIZE = 202
    FILE_TYPE = 203
    MESSAGE_TOO_LONG = 204
    DOWNLOAD_ATTEMPTS = 205  # mock: download-attempts used up (advice = the limit)
    CANNOT_START_CHAT = 240
    CHAT_ENDED = 249
    INVALID_EMAIL = 364
    NOT_AUTHORIZED = 401
    NOT_FOUND = 404
    METHOD_NOT_ALLOWED = 405
    BODY_TOO_LARGE = 413
    SERVER_ERROR = 500


class GmsError(Exception):
    """A failed Chat V2 request: rendered as `{statusCode, chatEnded, errors: [{code, advice}], ...}`.

    statusCode 2 = retrying will not help (the default), 1 = the client may retry. `fields` go
    into the error entry after `code` and `advice` (an upload refusal names the file: `filename`).

        >>> err = GmsError(Code.CHAT_ENDED, "the chat has ended", http_status=200, chat_ended=True)
        >>> str(err), err.code, err.http_status, err.status_code, err.chat_ended
        ('249: the chat has ended', 249, 200, 2, True)
    """

    def __init__(
        self,
        code: int,
        advice: str,
        *,
        http_status: int = 400,
        status_code: int = 2,
        chat_ended: bool = False,
        fields: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code}: {advice}")
        self.code = int(code)
        self.advice = advice
        self.http_status = http_status
        self.status_code = status_code
        self.chat_ended = chat_ended
        self.fields = dict(fields or {})


class SessionNotFound(GmsError):
    """The request names a chat this server does not hold (unknown, empty, evicted, or of another
    service): statusCode 2, chatEnded true, and an answer without `alias`, because the original
    client adopts the alias of any answer and sends it on later requests."""

    def __init__(self, chat_id: str | None) -> None:
        named = f" {chat_id!r}" if chat_id else ""
        super().__init__(Code.CHAT_ENDED, f"Chat session{named} not found: it ended or never existed",
                         http_status=200, chat_ended=True)
