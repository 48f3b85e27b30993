"""Reading GMS answers: JSON body, statusCode, and what a failure looks like on the bus.

Every Chat V2 answer is ``{statusCode, alias, chatEnded, chatId, messages, nextPosition,
secureKey, userId}``; ``statusCode`` 0 is success, 1 "retry" (the widget calls it *chat server
offline*), 2 "will not help". A request that fails at the HTTP level is surfaced the way jQuery
surfaced it to page code: an object with ``readyState, status, statusText, responseText`` (and
``responseJSON`` when the body was JSON), plus ``errorReason: "InvalidService"`` for
404/500/502 answers without a GMS ``errors`` list and for GMS error code 306::

    >>> from cxkit.gms import HttpResponse, parse_reply
    >>> reply = parse_reply(HttpResponse(200, '{"statusCode": 0, "chatId": "c1"}'))
    >>> reply.kind, reply.body["chatId"]
    ('ok', 'c1')
    >>> bad = parse_reply(HttpResponse(500, "oops", "Internal Server Error"))
    >>> bad.kind, bad.failure()["errorReason"]
    ('http_error', 'InvalidService')
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .transport import HttpResponse

__all__ = ["GmsReply", "parse_reply", "STATUS_OK", "STATUS_RETRY", "STATUS_FAILED"]

STATUS_OK = 0
STATUS_RETRY = 1
STATUS_FAILED = 2

_INVALID_SERVICE_HTTP = {404, 500, 502}
_INVALID_SERVICE_CODE = 306


@dataclass(frozen=True)
class GmsReply:
    """One GMS answer. ``kind`` is ``"ok"`` (HTTP 2xx, statusCode 0), ``"retry"`` (statusCode 1),
    ``"failed"`` (HTTP 2xx with another statusCode or no JSON object), ``"http_error"`` (HTTP
    status >= 300) or ``"network"`` (no HTTP answer).

        >>> from cxkit.gms import HttpResponse
        >>> body = {"statusCode": 0, "chatEnded": True, "messages": [{"type": "ParticipantLeft"}]}
        >>> reply = GmsReply(HttpResponse(200, "..."), body, "ok")
        >>> reply.ok, reply.chat_ended, [m["type"] for m in reply.messages]
        (True, True, ['ParticipantLeft'])
    """

    http: HttpResponse
    body: dict[str, Any] | None
    kind: str
    #: False for a reply made here for a request no server answered (a CometD publish refused)
    from_server: bool = True

    @property
    def ok(self) -> bool:
        return self.kind == "ok"

    @property
    def answered(self) -> bool:
        """GMS's JSON answer over HTTP 2xx, whatever its statusCode (jQuery's success: no "AJAX exception")."""
        return self.from_server and self.body is not None and self.kind in ("ok", "retry", "failed")

    @property
    def status_code(self) -> int | None:
        code = (self.body or {}).get("statusCode")
        return code if isinstance(code, int) else None

    @property
    def chat_ended(self) -> bool:
        return bool((self.body or {}).get("chatEnded"))

    @property
    def messages(self) -> list[dict[str, Any]]:
        messages = (self.body or {}).get("messages")
        return [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []

    @property
    def error_codes(self) -> list[int]:
        errors = (self.body or {}).get("errors")
        if not isinstance(errors, list):
            return []
        codes = []
        for error in errors:
            try:
                codes.append(int(error.get("code")))
            except (AttributeError, TypeError, ValueError):
                pass
        return codes

    @property
    def invalid_service(self) -> bool:
        if _INVALID_SERVICE_CODE in self.error_codes:
            return True
        has_errors = isinstance((self.body or {}).get("errors"), list)
        return self.http.status in _INVALID_SERVICE_HTTP and not has_errors

    def failure(self, **extra: Any) -> dict[str, Any]:
        """What a failed command rejects with and ``error`` publishes: the GMS body for an
        HTTP-level success that GMS refused, else the jqXHR-like object."""
        if self.kind in ("retry", "failed") and self.body is not None:
            return {**self.body, **extra}
        xhr: dict[str, Any] = {
            "readyState": 0 if self.kind == "network" else 4,
            "status": self.http.status,
            "statusText": self.http.status_text or ("error" if self.kind == "network" else ""),
            "responseText": self.http.text,
        }
        if self.body is not None:
            xhr["responseJSON"] = self.body
        if self.invalid_service:
            xhr["errorReason"] = "InvalidService"
        xhr.update(extra)
        return xhr


    def plain_failure(self) -> dict[str, Any]:
        """The failure of a file request (limits, upload): the original overrides their
        response MIME type, so jQuery parses nothing and adds nothing: a GMS body for an
        HTTP-level success that GMS refused, else ``{readyState, status, statusText,
        responseText}`` only (no ``responseJSON``, no ``errorReason``)."""
        failure = self.failure()
        if self.kind in ("retry", "failed") and self.body is not None:
            return failure
        return {key: failure[key] for key in ("readyState", "status", "statusText", "responseText")}


def parse_reply(response: HttpResponse) -> GmsReply:
    """The `GmsReply` of one HTTP answer: its JSON body and its ``kind``.

        >>> parse_reply(HttpResponse(200, '{"statusCode": 1}')).kind, parse_reply(HttpResponse(200, "<html>")).kind
        ('retry', 'failed')
        >>> parse_reply(HttpResponse(0)).failure()
        {'readyState': 0, 'status': 0, 'statusText': 'error', 'responseText': ''}
    """
    body = _json_object(response.text)
    if response.status == 0:
        return GmsReply(response, None, "network")
    if not 200 <= response.status < 300:
        return GmsReply(response, body, "http_error")
    if body is None:
        return GmsReply(response, None, "failed")
    code = body.get("statusCode")
    if code == STATUS_OK:
        return GmsReply(response, body, "ok")
    if code == STATUS_RETRY:
        return GmsReply(response, body, "retry")
    return GmsReply(response, body, "failed")


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text) if text else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
