"""The session's transcript: what was delivered, de-duplicated by index, and who took part.

    >>> from cxkit.webchat.transcript import Transcript
    >>> t = Transcript()
    >>> t.is_new({"index": 1}), t.is_new({"index": 1}), t.next_index
    (True, False, 2)
    >>> t.roster.join(2, "Anna", supervisor=False, time=1000)
    >>> t.roster.snapshot(), t.roster.connected_count  # doctest: +NORMALIZE_WHITESPACE
    ({'2': {'name': 'Anna', 'connected': True, 'supervisor': False, 'connectedTime': 1000,
            'disconnectedTime': False}}, 1)
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["AgentRoster", "Transcript"]


class AgentRoster:
    """Agents and supervisors by participantId (string keys, as in the JavaScript object)."""

    def __init__(self) -> None:
        self.agents: dict[str, dict[str, Any]] = {}

    def join(self, participant_id: Any, name: Any, *, supervisor: bool, time: Any) -> None:
        self.agents[str(participant_id)] = {"name": name, "connected": True,
                                            "supervisor": supervisor, "connectedTime": time,
                                            "disconnectedTime": False}

    def leave(self, participant_id: Any, time: Any) -> None:
        agent = self.agents.get(str(participant_id))
        if agent is not None:
            agent["connected"] = False
            agent["disconnectedTime"] = time

    @property
    def connected_count(self) -> int:
        return sum(1 for agent in self.agents.values() if agent["connected"])

    def snapshot(self) -> dict[str, dict[str, Any]]:
        return copy.deepcopy(self.agents)


class Transcript:
    """Seen indexes (the whole session), the next transcript position, and the visible messages."""

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.next_index = 1
        self.messages: list[dict[str, Any]] = []
        self.original_messages: list[dict[str, Any]] = []
        self.roster = AgentRoster()
        self.closed = False

    def seen_before(self, raw: dict[str, Any]) -> bool:
        """Whether ``is_new`` would say False, without recording anything."""
        index = raw.get("index")
        return not isinstance(index, bool) and isinstance(index, int) and index in self.seen

    def is_new(self, raw: dict[str, Any]) -> bool:
        """Record the message's index; False if it was seen before. Messages without an index
        (notices outside the transcript) are always new."""
        index = raw.get("index")
        if isinstance(index, bool) or not isinstance(index, int):
            return True
        if index in self.seen:
            return False
        self.seen.add(index)
        self.next_index = max(self.next_index, index + 1)
        return True

    def add(self, original: dict[str, Any], normalized: dict[str, Any]) -> None:
        self.original_messages.append(original)
        self.messages.append(normalized)

    def as_result(self) -> dict[str, Any]:
        return {"messages": copy.deepcopy(self.messages),
                "originalMessages": copy.deepcopy(self.original_messages)}

    def close(self) -> None:
        """The chat ended: the messages stay (getTranscript), the roster and the stats go,
        as in the original (getAgents ``{agents: {}}``, getStats all ``false``)."""
        self.roster = AgentRoster()
        self.closed = True

    def stats(self) -> dict[str, Any]:
        if self.closed:
            return {"agents": {}, "startTime": False, "endTime": False, "duration": False}
        times = [m["timestamp"] for m in self.messages if isinstance(m.get("timestamp"), (int, float))]
        start = min(times) if times else False
        end = max(times) if times else False
        duration = end - start if times else False
        return {"agents": self.roster.snapshot(), "startTime": start, "endTime": end,
                "duration": duration}
