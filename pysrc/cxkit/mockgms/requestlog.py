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
    >>> small = RequestLog(size=10, max_value_chars=4)
    >>> entry = small.record("send", "c1", "svc", {"m": "a long message"})
    >>> entry["form"], entry["truncated"]
    ({'m': 'a lo'}, ['m'])
"""

from __future__ import annotations

from collections import deque
from typing import Any

from .signal import ChangeSignal
from .transcript import now_ms

__all__ = ["RequestLog"]


class RequestLog:
    """At most `size` entries and about `max_bytes` of form text; each form value is cut to
    `max_value_chars` (the entry then lists the cut fields under `truncated`)."""

    def __init__(self, size: int, max_bytes: int = 16 << 20, max_value_chars: int = 10_000) -> None:
        self._entries: deque[dict[str, Any]] = deque()
        self._size = size
        self._max_bytes = max_bytes
        self._max_value_chars = max_value_chars
        self._bytes = 0  # of the entries kept, as _cost counts them
        self._seq = 0
        self.changed = ChangeSignal()  # notified when an entry is done

    @property
    def bytes(self) -> int:
        """What the kept entries' form text weighs, as counted against `max_bytes`."""
        return self._bytes

    def record(self, operation: str, chat_id: str | None, service: str | None, form: dict[str, Any]) -> dict[str, Any]:
        self._seq += 1
        entry: dict[str, Any] = {
            "seq": self._seq,
            "operation": operation,
            "chatId": chat_id,
            "serviceName": service,
            "form": {},
            "time": now_ms(),
            "httpStatus": None,
            "statusCode": None,
            "fault": None,
            "done": False,
        }
        # chatId and service come from the URL path, which may be long
        entry["_cost"] = base = ENTRY_OVERHEAD + _weight(chat_id or "") + _weight(service or "")
        entry["_kept"] = self._size > 0
        if entry["_kept"]:
            self._entries.append(entry)
            self._bytes += base
        self.set_form(entry, form)
        return entry

    def set_form(self, entry: dict[str, Any], form: dict[str, Any]) -> None:
        """Store the request's fields in its entry, cut to the value bound, and keep the log in
        its byte bound (oldest entries go first)."""
        kept: dict[str, Any] = {}
        cut: list[str] = []
        cost = ENTRY_OVERHEAD + _weight(entry["chatId"] or "") + _weight(entry["serviceName"] or "")
        for key, value in form.items():
            key = key[:self._max_value_chars]
            if isinstance(value, str) and len(value) > self._max_value_chars:
                value = value[:self._max_value_chars]
                cut.append(key)
            kept[key] = value
            cost += _weight(key) + (_weight(value) if isinstance(value, str) else VALUE_OVERHEAD)
        entry["form"] = kept
        if cut:
            entry["truncated"] = cut
        if entry["_kept"]:
            self._bytes += cost - entry["_cost"]
        entry["_cost"] = cost
        while self._entries and (len(self._entries) > self._size or self._bytes > self._max_bytes):
            gone = self._entries.popleft()
            gone["_kept"] = False
            self._bytes -= gone["_cost"]

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
            {k: v for k, v in e.items() if k[0] != "_"}
            for e in self._entries
            if e["seq"] > after
            and (operation is None or e["operation"] == operation)
            and (chat_id is None or e["chatId"] == chat_id)
            and (not done or e["done"])
            and (not form or all(e["form"].get(k) == v for k, v in form.items()))
        ]

    def clear(self) -> None:
        for entry in self._entries:
            entry["_kept"] = False
        self._entries.clear()
        self._bytes = 0


ENTRY_OVERHEAD = 600  # the entry dict and its fixed fields, roughly, in bytes
VALUE_OVERHEAD = 200  # a non-text form value (a file's summary)


def _weight(text: str) -> int:
    # what CPython keeps for the text: 1 byte a character for ASCII/Latin-1, up to 4 otherwise
    return 50 + len(text) * (1 if text.isascii() else 4)
