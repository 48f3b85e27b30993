"""Turning one GMS answer into events (spec B.2): new messages once each, in order, through the
pre-processors and filters, with the roster and typing events they imply.

`MessageProcessor` needs only what `ProcessingHost` names; the WebChatService is one::

    processor = MessageProcessor(service)
    processor.process(reply.body)              # messageReceived, agentConnected, ...
"""

from __future__ import annotations

import copy
import logging
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from .cookies import SessionCookies
from .normalize import normalize, participant_id, sender_of, sender_type
from .session import ChatSession
from .tasks import spawn

__all__ = ["MessageProcessor", "ProcessingHost"]

logger = logging.getLogger("cxkit.webchat")

_AGENT_TYPES = ("Agent", "Supervisor")
_CONNECT_EVENTS = {"Agent": "agent", "Supervisor": "supervisor", "Client": "client", "Bot": "bot"}
_IMPLIED_TYPING_STOP = ("Message", "PushUrl", "Notice")
# Stands for the agents map in participant events until the whole answer is processed.
_ROSTER_AFTER_ANSWER: Any = object()

Preprocessor = Callable[[dict[str, Any]], Any]


class ProcessingHost(Protocol):
    """What message processing reads and calls on its service."""

    session: ChatSession
    cookies: SessionCookies

    def publish(self, event: str, data: Any = None) -> None: ...

    def set_data(self, key: str, value: Any) -> None: ...

    def flush_reconnected(self) -> None: ...

    def chat_ended(self) -> None:
        """GMS said ``chatEnded`` during the chat."""


class MessageProcessor:
    """The pre-processors and the answers waiting for them."""

    def __init__(self, host: ProcessingHost) -> None:
        self.host = host
        self.preprocessors: list[Preprocessor] = []
        # GMS answers waiting for a pre-processor that answers later (see `process`), in order.
        self._backlog: deque[tuple[Mapping[str, Any], dict[str, Any]]] = deque()

    def process(self, body: Mapping[str, Any] | None, *, restoring: bool = False,
                history_below: int | None = None, old_messages: bool = False) -> None:
        """Deliver the new messages of one GMS answer, then end the session if GMS says so.

        During a restore, messages below ``history_below`` (the index cookie of the page that
        was unloaded) are history (``restoring: true``); later ones arrived while the page was
        away and are delivered as live, in a second ``messageReceived``. ``old_messages``
        (fetchHistory) flags the event ``oldMessages: true`` with messages by index descending.

        A pre-processor marked ``answers_later`` (a JS function on the page, seen from a Web
        Worker) returns an awaitable: then the answer waits for it, and so does every later
        answer, so messages are still delivered once each and in order."""
        if not body:
            return
        options: dict[str, Any] = {"restoring": restoring, "history_below": history_below,
                                   "old_messages": old_messages}
        if self._backlog or any(getattr(p, "answers_later", False) for p in self.preprocessors):
            options["epoch"] = self.host.session.epoch
            self._backlog.append((body, options))
            if len(self._backlog) == 1:
                spawn(self._process_backlog())
            return
        self._process_now(body, None, **options)

    async def _process_backlog(self) -> None:
        while self._backlog:
            body, options = self._backlog[0]
            try:
                edited = await self._preprocess_later(body)
            finally:
                self._backlog.popleft()
            if options.pop("epoch") == self.host.session.epoch:  # else its chat ended meanwhile: not the new one's
                self._process_now(body, edited, **options)

    async def _preprocess_later(self, body: Mapping[str, Any]) -> dict[int, dict[str, Any]]:
        """The new messages of ``body`` (by position) as the pre-processors left them."""
        edited: dict[int, dict[str, Any]] = {}
        messages = body.get("messages")
        for position, raw in enumerate(messages if isinstance(messages, list) else []):
            if isinstance(raw, dict) and not self.host.session.transcript.seen_before(raw):
                edited[position] = message = copy.deepcopy(raw)
                for preprocessor in list(self.preprocessors):
                    try:
                        result = preprocessor(message)
                        if result is not None and hasattr(result, "__await__"):
                            await result
                    except Exception:
                        logger.exception("WebChatService: a pre-processor raised")
        return edited

    def _preprocessed(self, raw: dict[str, Any]) -> dict[str, Any]:
        # The pre-processors get the raw message itself, as in the original: what they
        # change in place shows in originalMessages too (a redaction leaves no clear text).
        original = copy.deepcopy(raw)
        for preprocessor in list(self.preprocessors):
            try:
                preprocessor(original)  # return values are ignored, as in the original
            except Exception:
                logger.exception("WebChatService: a pre-processor raised")
        return original

    def _process_now(self, body: Mapping[str, Any], edited: dict[int, dict[str, Any]] | None, *,
                     restoring: bool, history_below: int | None, old_messages: bool) -> None:
        session = self.host.session
        messages = body.get("messages")
        # (originals, normalized) of the history and of the live messages
        history: tuple[list[dict[str, Any]], list[dict[str, Any]]] = ([], [])
        live: tuple[list[dict[str, Any]], list[dict[str, Any]]] = ([], [])
        events = _AnswerEvents()
        for position, raw in enumerate(messages if isinstance(messages, list) else []):
            if not isinstance(raw, dict) or not session.transcript.is_new(raw):
                continue
            index = raw.get("index")
            is_history = restoring and (history_below is None or not isinstance(index, int)
                                        or index < history_below)
            original = edited.get(position) if edited is not None else None
            original, normalized = self._handled(raw, original, is_history, events)
            if not session.filters.hides(original):
                session.transcript.add(original, normalized)
                group = history if is_history else live
                group[0].append(original)
                group[1].append(normalized)
        if session.kept:
            self.host.cookies.index = session.transcript.next_index
        events.flush(self.host)
        for (originals, delivered), is_history in ((history, True), (live, False)):
            if delivered:
                self._publish_received(body, originals, delivered, is_history, old_messages)
        self.host.flush_reconnected()
        if body.get("chatEnded") and session.active:
            self.host.chat_ended()

    def _handled(self, raw: dict[str, Any], original: dict[str, Any] | None, is_history: bool,
                 events: _AnswerEvents) -> tuple[dict[str, Any], dict[str, Any]]:
        """(original, normalized) of one new message, its side effects noted in ``events``."""
        if original is None:
            original = self._preprocessed(raw)
        try:
            normalized = normalize(original, restoring=is_history)
            answer_events = _AnswerEvents()
            self._side_effects(original, normalized, answer_events)
            events.held += answer_events.held
        except Exception:
            # The index is already marked seen: dropping the message now would lose it for
            # good. Deliver it as GMS sent it instead, without its side effects.
            logger.exception("WebChatService: a pre-processed message could not be handled; "
                             "delivering it unmodified")
            original = copy.deepcopy(raw)
            normalized = normalize(original, restoring=is_history)
        return original, normalized

    def _publish_received(self, body: Mapping[str, Any], originals: list[dict[str, Any]],
                          normalized: list[dict[str, Any]], is_history: bool, old_messages: bool) -> None:
        if old_messages:
            normalized = sorted(normalized, key=lambda m: m.get("index") or 0, reverse=True)
        self.host.publish("messageReceived", {
            "originalMessages": copy.deepcopy(originals),
            "messages": copy.deepcopy(normalized),
            "restoring": is_history,
            "sessionData": self.host.session.identity.as_session_data(),
            "oldMessages": old_messages,
            "idleTimeCountDown": body.get("idleTimerExpire"),
        })

    def _side_effects(self, raw: dict[str, Any], message: dict[str, Any],
                      events: _AnswerEvents) -> None:
        """The roster changes now; the events wait in ``events`` for the end of the answer."""
        kind = raw.get("type")
        sender = sender_of(raw)
        # A pre-processor may have put anything there; only the known strings mean a party.
        party, raw_party = (value if isinstance(value, str) else None
                            for value in (sender_type(raw), sender.get("type")))
        roster = self.host.session.transcript.roster
        if kind in ("ParticipantJoined", "ParticipantLeft"):
            joined = kind == "ParticipantJoined"
            if party in _AGENT_TYPES:
                if joined:
                    roster.join(participant_id(raw), sender.get("nickname"),
                                supervisor=party == "Supervisor", time=raw.get("utcTime"))
                else:
                    roster.leave(participant_id(raw), raw.get("utcTime"))
            prefix = _CONNECT_EVENTS.get(party or "")
            if prefix:
                events.publish(f"{prefix}{'Connected' if joined else 'Disconnected'}", {
                    "message": copy.deepcopy(message), "agents": _ROSTER_AFTER_ANSWER,
                    "numAgentsConnected": roster.connected_count})
            if not joined and raw_party in _AGENT_TYPES:
                self._agent_typing(events, False, None)
        elif raw_party in _AGENT_TYPES:
            if kind == "TypingStarted":
                self._agent_typing(events, True, message)
            elif kind == "TypingStopped":
                self._agent_typing(events, False, message)
            elif kind in _IMPLIED_TYPING_STOP:
                self._agent_typing(events, False, None)

    @staticmethod
    def _agent_typing(events: _AnswerEvents, typing: bool, message: dict[str, Any] | None) -> None:
        events.set_data("agentTyping", typing)
        events.publish("agentTypingStarted" if typing else "agentTypingStopped",
                       copy.deepcopy(message) if message is not None else None)


class _AnswerEvents:
    """The events one GMS answer causes, held in order and published once the whole answer is
    processed. Participant events then carry the roster as it stands after that answer, as
    the original's live agents map showed it to subscribers (its deliveries ran after the
    answer); each gets its own copy, and ``numAgentsConnected`` stays the count of its time."""

    def __init__(self) -> None:
        self.held: list[tuple[str, str, Any]] = []

    def publish(self, event: str, data: Any = None) -> None:
        self.held.append(("event", event, data))

    def set_data(self, key: str, value: Any) -> None:
        self.held.append(("data", key, value))

    def flush(self, host: ProcessingHost) -> None:
        held, self.held = self.held, []
        agents = host.session.transcript.roster.snapshot() if held else {}
        for kind, name, data in held:
            if kind == "data":
                host.set_data(name, data)
                continue
            if isinstance(data, dict) and data.get("agents") is _ROSTER_AFTER_ANSWER:
                data["agents"] = copy.deepcopy(agents)
            host.publish(name, data)
