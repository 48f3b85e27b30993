"""A bounded log of Chat API requests, for tests that assert what the client sent.

An entry is recorded when a request arrives and marked `done` once it has been answered (or
failed, or dropped by a fault); `changed` is notified then, so a wait can long-poll for it.

    >>> from cxkit.mockgms.requestlog import RequestLog
    >>> log = RequestLog(size=2)
    >>> for op in ("requestChat", "refresh", "send"): log.done(log.record(op, "c1", "svc", {"x": "1"}))
    >>> [e["operation"] for e in log.entries()]
    ['refresh', 'send']
    >>> [e["seq"] for e in log.entries(after=2, done=True, form={"x": "1"})]
    [3]
"""

from __future__ import annotations

from collections import deque
from typing import Any

from .signal import ChangeSignal
from .transcript import now_ms

__all__ = ["RequestLog"]


class RequestLog:
    def __init__(self, size: int) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=size)
        self._seq = 0
        self.changed = ChangeSignal()  # notified when an entry is done

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
            "done": False,
        }
        self._entries.append(entry)
        return entry

    def done(self, entry: dict[str, Any]) -> None:
        """The request has been answered (or failed or dropped): its entry is complete."""
        entry["done"] = True
        self.changed.notify()

    def entries(
        self, operation: str | None = None, chat_id: str | None = None, *, after: int = 0, done: bool = False,
        form: dict[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Copies of the entries numbered above `after`, oldest first, that match every filter given:
        operation, chatId, `done` (complete entries only) and form fields (equal values)."""
        return [
            dict(e)
            for e in self._entries
            if e["seq"] > after
            and (operation is None or e["operation"] == operation)
            and (chat_id is None or e["chatId"] == chat_id)
            and (not done or e["done"])
            and (not form or all(e["form"].get(k) == v for k, v in form.items()))
        ]

    def clear(self) -> None:
        self._entries.clear()
