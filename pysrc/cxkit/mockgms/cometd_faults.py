"""Faults of the CometD transport: the next N handshakes, connects or socket frames fail.

``POST /mock/cometd/faults {"operation", "mode", "count", "delayMs"}`` adds one, ``GET`` lists the
pending ones; `/mock/reset` clears them. The operations and their modes are declared once, with
what each does, in `COMETD_FAULT_TABLE`; `count` and `delayMs` are as for the Chat API's faults.

    >>> table = CometdFaults()
    >>> _ = table.add("connect", "drop")
    >>> table.take("handshake"), table.take("connect").mode, table.take("connect")
    (None, 'drop', None)
"""

from __future__ import annotations

from dataclasses import dataclass

from .faults import Fault, FaultQueue

__all__ = ["COMETD_FAULT_MODES", "COMETD_FAULT_TABLE", "CometdFaultMode", "CometdFaults"]


@dataclass(frozen=True)
class CometdFaultMode:
    """One way a CometD operation can be made to fail, and what the client then sees."""

    operation: str
    mode: str
    doc: str


def _bayeux_modes(operation: str) -> tuple[CometdFaultMode, ...]:
    return (
        CometdFaultMode(operation, "http500", "long-polling: HTTP 500, plain text; WebSocket: the reply is "
                        "`{successful: false, error: \"500::Injected fault\", advice: {reconnect: \"retry\"}}`."),
        CometdFaultMode(operation, "drop", "no answer. A handshake is not performed; a connect is (it is held "
                        "and takes the queued messages, as a real server would) and then its answer is lost with "
                        "the connection (long-polling: the TCP connection is aborted; WebSocket: the socket is "
                        "dropped without a close frame). Without the `ack` extension those messages are lost at "
                        "the Bayeux level."),
        CometdFaultMode(operation, "delay", "waits `delayMs`, then answers normally."),
        CometdFaultMode(operation, "unknown", "`402::Unknown client` with `advice.reconnect = \"handshake\"`; a "
                        "connect's client is forgotten (as after a GMS restart)."),
    )


COMETD_FAULT_TABLE: tuple[CometdFaultMode, ...] = (
    *_bayeux_modes("handshake"),
    *_bayeux_modes("connect"),
    CometdFaultMode("websocket", "http405", "the next upgrade is refused with HTTP 405 (what the original client "
                    "saw from a GMS without WebSocket support)."),
    CometdFaultMode("websocket", "http403", "the next upgrade is refused with HTTP 403."),
    CometdFaultMode("websocket", "close", "the next frame (either way) is not delivered and the server closes "
                    "the socket (code 1011)."),
    CometdFaultMode("websocket", "drop", "the same as `close` without a close frame (the client sees 1006)."),
    CometdFaultMode("websocket", "delay", "the next frame the server sends waits `delayMs`."),
)
# operation -> its modes, in table order
COMETD_FAULT_MODES: dict[str, tuple[str, ...]] = {
    operation: tuple(row.mode for row in COMETD_FAULT_TABLE if row.operation == operation)
    for operation in dict.fromkeys(row.operation for row in COMETD_FAULT_TABLE)
}


class CometdFaults(FaultQueue):
    def add(self, operation: str, mode: str, count: int = 1, delay_ms: int = 0) -> Fault:
        modes = COMETD_FAULT_MODES.get(operation)
        if modes is None:
            raise ValueError(f"unknown operation {operation!r}; one of {', '.join(COMETD_FAULT_MODES)}")
        if mode not in modes:
            raise ValueError(f"unknown mode {mode!r} for {operation}; one of {', '.join(modes)}")
        return self._arm(operation, mode, count, delay_ms)

    def take(self, operation: str, modes: tuple[str, ...] | None = None) -> Fault | None:
        """The first pending fault for this operation (of one of ``modes``), using it once."""
        return self._take_first(lambda fault: fault.operation == operation and (modes is None or fault.mode in modes))
