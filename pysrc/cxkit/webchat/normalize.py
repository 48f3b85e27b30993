"""Raw GMS messages -> the normalized messages of ``messageReceived`` (spec B.2).

    >>> from cxkit.webchat.normalize import normalize
    >>> normalize({"from": {"nickname": "Anna", "participantId": 2, "type": "Agent"},
    ...            "index": 4, "type": "Message", "text": "Hello", "utcTime": 1000})
    ... # doctest: +NORMALIZE_WHITESPACE
    {'text': 'Hello', 'type': 'Message', 'index': 4, 'timestamp': 1000, 'html': None, 'bubble': None,
     'userData': None, 'from': {'id': 2, 'type': 'Agent', 'name': 'Anna'}}
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["event_attributes", "is_bot", "normalize", "participant_id", "sender_of", "sender_type"]

_LEADING_INT = re.compile(r"\s*([+-]?\d+)")


def _parse_int(value: Any) -> int | None:
    """JavaScript ``parseInt``: leading digits of the string form, else None (NaN)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value == value and abs(value) != float("inf") else None
    match = _LEADING_INT.match(str(value))
    return int(match.group(1)) if match else None


def event_attributes(raw: dict[str, Any]) -> dict[str, Any]:
    attributes = raw.get("eventAttributes")
    if isinstance(attributes, str):
        try:
            attributes = json.loads(attributes)
        except ValueError:
            return {}
    return attributes if isinstance(attributes, dict) else {}


def is_bot(raw: dict[str, Any]) -> bool:
    system = event_attributes(raw).get("GCTI_SYSTEM")
    party = system.get("party-info") if isinstance(system, dict) else None
    return isinstance(party, dict) and party.get("style") == "BOT"


def sender_type(raw: dict[str, Any]) -> str | None:
    """``from.type``, rewritten to ``"Bot"`` for bot parties."""
    if is_bot(raw):
        return "Bot"
    sender = raw.get("from")
    return sender.get("type") if isinstance(sender, dict) else None


def sender_of(raw: dict[str, Any]) -> dict[str, Any]:
    """The ``from`` object; {} when there is none (or something else is there)."""
    sender = raw.get("from")
    return sender if isinstance(sender, dict) else {}


def participant_id(raw: dict[str, Any]) -> int | None:
    sender = raw.get("from")
    return _parse_int(sender.get("participantId")) if isinstance(sender, dict) else None


def _structured_text(raw: dict[str, Any]) -> Any:
    structured = event_attributes(raw).get("structured-content")
    chat = structured.get("genesys-chat") if isinstance(structured, dict) else None
    content = chat.get("content") if isinstance(chat, dict) else None
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except ValueError:
            return None
    return content.get("text") if isinstance(content, dict) else None


def normalize(raw: dict[str, Any], *, restoring: bool = False) -> dict[str, Any]:
    """One normalized message built from (a possibly pre-processed copy of) a raw message.

        >>> message = normalize({"type": "Message", "index": 3, "text": "Hi", "utcTime": 1700000000000,
        ...                      "from": {"type": "Agent", "nickname": "Anna", "participantId": 2}})
        >>> message["from"], message["timestamp"]
        ({'id': 2, 'type': 'Agent', 'name': 'Anna'}, 1700000000000)
    """
    sender = sender_of(raw)
    text = _structured_text(raw)
    kind = raw.get("type")
    message: dict[str, Any] = {
        "text": text if text is not None else raw.get("text"),
        "type": kind,
        "index": raw.get("index"),
        "timestamp": raw.get("utcTime"),
        "html": raw.get("html"),
        "bubble": raw.get("bubble"),
        "userData": raw.get("userData"),
        "from": {"id": participant_id(raw), "type": sender_type(raw),
                 "name": sender.get("nickname")},
    }
    if kind in ("TypingStarted", "TypingStopped"):
        message["isTyping"] = kind == "TypingStarted"
    if kind == "FileUploaded":
        message["fileDetails"] = raw.get("userData")
    if restoring:
        message["restoring"] = True
    return message
