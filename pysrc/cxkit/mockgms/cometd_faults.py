"""Faults of the CometD transport: the next N handshakes, connects or socket frames fail.

Operations and modes (``POST /mock/cometd/faults {"operation", "mode", "count", "delayMs"}``,
``GET`` lists the pending ones; `/mock/reset` clears them):

- ``handshake``, ``connect``:
  - ``http500``: long-polling: HTTP 500, plain text; WebSocket: the reply is
    ``{successful: false, error: "500::Injected fault", advice: {reconnect: "retry"}}``.
  - ``drop``: no answer. A handshake is not performed; a connect is (it is held and takes the
    queued messages, as a real server would) and then its answer is lost with the connection
    (long-polling: the TCP connection is aborted; WebSocket: the socket is dropped without a close
    frame). Without the ``ack`` extension those messages are lost at the Bayeux level.
  - ``delay``: waits ``delayMs``, then answers normally.
  - ``unknown``: ``402::Unknown client`` with ``advice.reconnect = "handshake"``; a connect's
    client is forgotten (as after a GMS restart).
- ``websocket`` (the socket itself):
  - ``http405``: the next upgrade is refused with HTTP 405 (what the original client saw from a
    GMS without WebSocket support); ``http403`` likewise with 403.
  - ``close``: the next frame (either way) is not delivered and the server closes the socket
    (code 1011); ``drop``: the same without a close frame (the client sees 1006).
  - ``delay``: the next frame the server sends waits ``delayMs``.

    >>> table = CometdFaults()
    >>> _ = table.add("connect", "drop")
    >>> table.take("handshake"), table.take("connect").mode, table.take("connect")
    (None, 'drop', None)
"""

from __future__ import annotations

from typing import Any

from .faults import Fault, MAX_FAULTS

__all__ = ["COMETD_FAULT_MODES", "CometdFaults"]

COMETD_FAULT_MODES = {
    "handshake": ("http500", "drop", "delay", "unknown"),
    "connect": ("http500", "drop", "delay", "unknown"),
    "websocket": ("http405", "http403", "close", "drop", "delay"),
}


class CometdFaults:
    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, operation: str, mode: str, count: int = 1, delay_ms: int = 0) -> Fault:
        modes = COMETD_FAULT_MODES.get(operation)
        if modes is None:
            raise ValueError(f"unknown operation {operation!r}; one of {', '.join(COMETD_FAULT_MODES)}")
        if mode not in modes:
            raise ValueError(f"unknown mode {mode!r} for {operation}; one of {', '.join(modes)}")
        if not isinstance(count, int) or isinstance(count, bool) or (count < 1 and count != -1):
            raise ValueError("count must be a positive integer, or -1 for 'until reset'")
        if not isinstance(delay_ms, int) or isinstance(delay_ms, bool) or not 0 <= delay_ms <= 600_000:
            raise ValueError("delayMs must be an integer between 0 and 600000")
        if len(self._faults) >= MAX_FAULTS:
            raise ValueError(f"at most {MAX_FAULTS} faults can be pending")
        fault = Fault(operation, mode, count, delay_ms)
        self._faults.append(fault)
        return fault

    def take(self, operation: str, modes: tuple[str, ...] | None = None) -> Fault | None:
        """The first pending fault for this operation (of one of ``modes``), using it once."""
        for fault in self._faults:
            if fault.operation == operation and (modes is None or fault.mode in modes):
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
