"""A bounded log of Chat API requests, for tests that assert what the client sent.

    >>> from cxkit.mockgms.requestlog import RequestLog
    >>> log = RequestLog(size=2)
    >>> for op in ("requestChat", "refresh", "send"): _ = log.record(op, "c1", "svc", {"x": "1"})
    >>> [e["operation"] for e in log.entries()]
    ['refresh', 'send']
"""

from __future__ import annotations

from collections import deque
from typing import Any

from .transcript import now_ms

__all__ = ["RequestLog"]


class RequestLog:
    def __init__(self, size: int) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=size)
        self._seq = 0

    def record(self, operation: str, chat_id: str | None, service: str | None, form: dict[str, Any]) -> dict[str, Any]:
        self._seq += 1
        entry: dict[str, Any] = {
            "seq": self._seq,
            "operation": operation,
            "chatId": chat_id,
            "serviceName": service,
            "form": form,
            "time": now_ms(),
            "httpStatus": None,
            "statusCode": None,
            "fault": None,
        }
        self._entries.append(entry)
        return entry

    def entries(self, operation: str | None = None, chat_id: str | None = None) -> list[dict[str, Any]]:
        return [
            dict(e)
            for e in self._entries
            if (operation is None or e["operation"] == operation) and (chat_id is None or e["chatId"] == chat_id)
        ]

    def clear(self) -> None:
        self._entries.clear()
