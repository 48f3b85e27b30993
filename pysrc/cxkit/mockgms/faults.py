"""Fault injection for the Chat API: the next N requests of an operation fail in a chosen way.

The modes are declared once, with what each does, in `FAULT_MODE_TABLE`; the operation is NOT
performed unless the mode says so. On the CometD chat channel a publish has no HTTP answer of its
own: every error mode (the plain ones too) pushes the GMS error body to the publisher, and `drop`
loses the operation silently. `count` is how many requests the fault applies to (default 1;
-1 = until reset), `delayMs` the wait of a `delay` fault (`FAULT_FIELDS` has their bounds).

    >>> from cxkit.mockgms.faults import FaultTable
    >>> table = FaultTable()
    >>> _ = table.add("send", "status1", count=1)
    >>> table.take("refresh"), table.take("send").mode, table.take("send")
    (None, 'status1', None)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.responses import PlainTextResponse, Response

from .errors import Code, GmsError

if TYPE_CHECKING:
    from .chat import Chat

__all__ = ["Fault", "FaultField", "FaultMode", "FaultQueue", "FaultTable", "FAULT_FIELDS", "FAULT_MODES",
           "FAULT_MODE_TABLE", "MAX_DELAY_MS", "MAX_FAULTS", "OPERATIONS", "ConnectionDropped", "check_fault",
           "fault_error", "plain_fault"]


@dataclass(frozen=True)
class FaultMode:
    """One way a request can be made to fail, and what the client then sees."""

    name: str
    doc: str


FAULT_MODE_TABLE: tuple[FaultMode, ...] = (
    FaultMode("http500", "HTTP 500 with the plain-text body `Internal Server Error`, as a failing server or "
                         "proxy answers (the original client sets `errorReason: \"InvalidService\"` for such "
                         "answers)."),
    FaultMode("http404", "HTTP 404 with the plain-text body `Not Found`."),
    FaultMode("http500json", "HTTP 500 with a GMS error body `{statusCode: 1, errors: [{code: 500}]}` (retryable)."),
    FaultMode("http404json", "HTTP 404 with a GMS error body `{statusCode: 2, errors: [{code: 404}]}`."),
    FaultMode("status1", "HTTP 200, `{statusCode: 1, errors: [{code: 500}]}` (\"chat server offline\", retryable)."),
    FaultMode("status2", "HTTP 200, `{statusCode: 2, chatEnded: <actual>, errors: [{code: 249}]}`."),
    FaultMode("delay", "waits `delayMs`, then performs the operation normally."),
    FaultMode("drop", "no response at all. Under uvicorn the TCP connection is aborted (the client sees a reset / "
                      "\"server disconnected without sending a response\"); under httpx's ASGITransport the app "
                      "raises `ConnectionDropped`, which httpx re-raises to the caller."),
)
FAULT_MODES = tuple(mode.name for mode in FAULT_MODE_TABLE)
_PLAIN = {"http500": (500, "Internal Server Error"), "http404": (404, "Not Found")}
OPERATIONS = (
    "requestChat", "refresh", "send", "startTyping", "stopTyping", "disconnect", "customNotice",
    "updateData", "updateNickname", "pushUrl", "fileLimits", "fileUpload", "fileDownload", "fileDelete",
)
MAX_FAULTS = 1000  # pending at once, REST and CometD each
MAX_DELAY_MS = 600_000


@dataclass(frozen=True)
class FaultField:
    """A field of a fault request (`POST /mock/faults`, `POST /mock/cometd/faults`)."""

    name: str
    default: object
    bounds: str
    doc: str


FAULT_FIELDS: tuple[FaultField, ...] = (
    FaultField("operation", None, "", "what fails (required)"),
    FaultField("mode", None, "", "how it fails (required)"),
    FaultField("count", 1, "1 .. or -1", "how many requests it applies to; -1: until reset"),
    FaultField("delayMs", 0, f"0 .. {MAX_DELAY_MS:,}", "the wait of a `delay` fault, in milliseconds"),
)


def check_fault(count: object, delay_ms: object, pending: int) -> None:
    """Refuse (ValueError) a count or delay out of `FAULT_FIELDS`' bounds, or one fault too many.

        >>> check_fault(0, 0, pending=0)
        Traceback (most recent call last):
        ...
        ValueError: count must be a positive integer, or -1 for 'until reset'
    """
    if not isinstance(count, int) or isinstance(count, bool) or (count < 1 and count != -1):
        raise ValueError("count must be a positive integer, or -1 for 'until reset'")
    if not isinstance(delay_ms, int) or isinstance(delay_ms, bool) or not 0 <= delay_ms <= MAX_DELAY_MS:
        raise ValueError(f"delayMs must be an integer between 0 and {MAX_DELAY_MS}")
    if pending >= MAX_FAULTS:
        raise ValueError(f"at most {MAX_FAULTS} faults can be pending")


def plain_fault(mode: str) -> Response | None:
    """The plain-text HTTP answer of an `http500` / `http404` fault; None for the other modes."""
    if mode not in _PLAIN:
        return None
    status, text = _PLAIN[mode]
    return PlainTextResponse(text, status_code=status, headers={"Cache-Control": "no-store"})


def fault_error(mode: str, chat: Chat | None) -> GmsError:
    """The GMS error a fault answers with a JSON body (`http500json`, `http404json`, `status1`,
    `status2`; on the CometD chat channel also `http500` and `http404`). `chat` is the request's
    chat if known: status2 reports whether it really ended."""
    if mode in ("http500", "http500json"):
        return GmsError(Code.SERVER_ERROR, "Injected fault: internal error", http_status=500, status_code=1)
    if mode in ("http404", "http404json"):
        return GmsError(Code.NOT_FOUND, "Injected fault: not found", http_status=404)
    if mode == "status1":
        return GmsError(Code.SERVER_ERROR, "Injected fault: chat server offline", http_status=200, status_code=1)
    if mode == "status2":
        return GmsError(Code.CHAT_ENDED, "Injected fault: request failed", http_status=200,
                        chat_ended=chat is not None and chat.ended)
    raise ValueError(f"fault mode {mode!r} is not an error answer")


class ConnectionDropped(Exception):
    """Raised by the app for a `drop` fault when it cannot abort the TCP connection itself.

        >>> import asyncio, httpx
        >>> from cxkit.mockgms import MockGMS
        >>> gms = MockGMS(agent="silent")
        >>> _ = gms.fault("requestChat", "drop")
        >>> async def start_chat():
        ...     async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gms.app)) as client:
        ...         await client.post("http://testserver/genesys/2/chat/customer-support", data={"nickname": "Jo"})
        >>> asyncio.run(start_chat())  # in-process, httpx re-raises it
        Traceback (most recent call last):
        cxkit.mockgms.faults.ConnectionDropped: drop fault on /genesys/2/chat/customer-support
    """


@dataclass
class Fault:
    operation: str
    mode: str
    count: int = 1
    delay_ms: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"operation": self.operation, "mode": self.mode, "count": self.count, "delayMs": self.delay_ms}


class FaultQueue:
    """Pending faults in the order they were armed: the checks, the counting down and the listing that
    the REST table and the CometD table share; each table says which operations and modes it knows."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def _arm(self, operation: str, mode: str, count: int, delay_ms: int) -> Fault:
        """Queue a fault whose operation and mode the caller has checked; bounds count and delay."""
        check_fault(count, delay_ms, len(self._faults))
        fault = Fault(operation, mode, count, delay_ms)
        self._faults.append(fault)
        return fault

    def _take_first(self, matches: Callable[[Fault], bool]) -> Fault | None:
        """The first pending fault that `matches`, consuming one use of it (count -1: until reset)."""
        for fault in self._faults:
            if matches(fault):
                if fault.count > 0:
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                return fault
        return None

    def pending(self) -> list[dict[str, Any]]:
        return [f.as_dict() for f in self._faults]

    def clear(self) -> None:
        self._faults.clear()


class FaultTable(FaultQueue):
    def add(self, operation: str, mode: str, count: int = 1, delay_ms: int = 0) -> Fault:
        if operation != "*" and operation not in OPERATIONS:
            raise ValueError(f"unknown operation {operation!r}; one of {', '.join(OPERATIONS)} or '*'")
        if mode not in FAULT_MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {', '.join(FAULT_MODES)}")
        return self._arm(operation, mode, count, delay_ms)

    def take(self, operation: str) -> Fault | None:
        """The first pending fault for this operation (or '*'), consuming one use of it."""
        return self._take_first(lambda fault: fault.operation in (operation, "*"))
