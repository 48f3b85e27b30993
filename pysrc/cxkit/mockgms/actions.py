"""The agent's control actions, declared once as data: each action, what it does, its parameters
(type, default, bounds, doc) and the function that runs it. The HTTP control API
(`POST /mock/chats/{chatId}/agent`), the Python API (`MockGMS.agent`), `script:` steps and the
reference docs all use `ACTION_TABLE`; `apply_action` validates parameters from it.

    >>> from cxkit.mockgms.actions import ACTIONS, action_named
    >>> ACTIONS[:3]
    ('join', 'leave', 'typing')
    >>> [p.name for p in action_named("say").params]
    ['nickname', 'text', 'eventAttributes']
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import files as file_ops
from .chat import SYSTEM, Chat
from .errors import GmsError
from .idle import idle_alert, idle_close
from .jsonin import JsonRefused, check_finite
from .mediatype import media_type
from .store import ChatStore
from .transcript import Party

__all__ = ["ACTIONS", "ACTION_TABLE", "Action", "ActionError", "ActionParam", "MAX_SECONDS", "action_named",
           "apply_action"]

MAX_SECONDS = 86_400  # as MockConfig's idle timers
Messages = list[dict[str, Any]]


class ActionError(Exception):
    """A control action that cannot be applied; `status` is the HTTP status for the control API.

        >>> from cxkit.mockgms import MockGMS
        >>> try:
        ...     MockGMS(agent="silent").agent("no-such-chat", "join")
        ... except ActionError as exc:
        ...     print(exc.status, exc.message)
        404 no chat 'no-such-chat'
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class ActionParam:
    """One parameter of an action. `type` is one of `string`, `boolean`, `seconds`, `object`,
    `base64` (a string), `media type` (a string), `agent` (the nickname of a connected agent, who
    acts: the one who joined last by default; 409 when there is none), `sender` (a nickname;
    notices come from that connected agent, else from that name as an External party, by default
    from the system party) or `newcomer` (the name of an agent who joins: 409 if one of that name
    is connected). Parameters are read in table order, so the first bad one is reported.
    `default_field` names the `MockConfig` field whose value is the default, when it is not `default`."""

    name: str
    type: str
    doc: str
    required: bool = False
    default: Any = None
    default_field: str | None = None
    bounds: tuple[float, float] | None = None

    def read(self, params: dict[str, Any], chat: Chat) -> Any:
        """This parameter's value in `params`, checked, or its default (`agent` and `sender`
        parameters: the party they name); ActionError(400), or 409 for a missing or present agent."""
        if self.type in ("boolean", "seconds") and self.name not in params:
            value = self._default(chat)
        elif self.type not in ("boolean", "seconds") and params.get(self.name) is None:
            if self.required:
                raise ActionError(400, f"'{self.name}' is required")
            value = self._default(chat)
        else:
            value = _CHECKS[self.type](self, params[self.name])
        resolve = _RESOLVE.get(self.type)
        return resolve(chat, value) if resolve else value

    def _default(self, chat: Chat) -> Any:
        return getattr(chat.config, self.default_field) if self.default_field else self.default


def _string(param: ActionParam, value: Any) -> str:
    if not isinstance(value, str):
        raise ActionError(400, f"'{param.name}' must be a string")
    return value


def _boolean(param: ActionParam, value: Any) -> bool:
    # "no", 0 or "false" are refused rather than read as truthy
    if not isinstance(value, bool):
        raise ActionError(400, f"'{param.name}' must be true or false")
    return value


def _seconds(param: ActionParam, value: Any) -> float:
    low, high = param.bounds or (0, MAX_SECONDS)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ActionError(400, f"'{param.name}' must be a number of seconds between {low} and {high}")
    return float(value)


def _object(param: ActionParam, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ActionError(400, f"'{param.name}' must be an object")
    try:
        check_finite(value)  # Python callers and YAML scripts bypass the JSON parser's checks
    except JsonRefused as exc:
        raise ActionError(400, f"'{param.name}': {exc}") from None
    return value


def _base64(param: ActionParam, value: Any) -> bytes:
    try:
        return base64.b64decode(_string(param, value), validate=True)
    except (binascii.Error, ValueError):
        raise ActionError(400, f"'{param.name}' must be base64") from None


def _media_type(param: ActionParam, value: Any) -> str:
    checked = media_type(_string(param, value))
    if checked is None:
        raise ActionError(400, f"'{param.name}' is not a media type: {value!r}")
    return checked


def _speaker(chat: Chat, nickname: str | None) -> Party:
    party = chat.find_agent(nickname)
    if party is None:
        who = f"agent {nickname!r}" if nickname else "agent"
        raise ActionError(409, f"no connected {who} in chat {chat.chat_id}; send 'join' first")
    return party


def _sender(chat: Chat, nickname: str | None) -> Party:
    """Notices come from a named agent if one is connected, else from that nickname as External."""
    if nickname is None:
        return SYSTEM
    return chat.find_agent(nickname) or Party(nickname, 0, "External")


def _newcomer(chat: Chat, nickname: str | None) -> str:
    """The name of an agent about to join: not one already in the chat."""
    nickname = nickname or chat.config.agent_nickname
    if chat.find_agent(nickname) is not None:
        raise ActionError(409, f"{nickname!r} is already in chat {chat.chat_id}")
    return nickname


_CHECKS: dict[str, Callable[[ActionParam, Any], Any]] = {
    "string": _string, "boolean": _boolean, "seconds": _seconds, "object": _object, "base64": _base64,
    "media type": _media_type, "agent": _string, "sender": _string, "newcomer": _string,
}
_RESOLVE: dict[str, Callable[[Chat, Any], Any]] = {"agent": _speaker, "sender": _sender, "newcomer": _newcomer}


# -- what each action does: (store, chat, checked parameters) -> the messages appended ----------

def _join(store: ChatStore, chat: Chat, p: dict[str, Any]) -> Messages:
    return [chat.append("ParticipantJoined", chat.add_agent(p["nickname"], supervisor=p["supervisor"]))]


def _leave(store: ChatStore, chat: Chat, p: dict[str, Any]) -> Messages:
    party = p["nickname"]
    party.connected = False
    if not chat.connected_agents():
        chat.state = "waiting"
    return [chat.append("ParticipantLeft", party)]


def _typing(store: ChatStore, chat: Chat, p: dict[str, Any]) -> Messages:
    return [chat.append("TypingStarted", p["nickname"])]


def _stop_typing(store: ChatStore, chat: Chat, p: dict[str, Any]) -> Messages:
    return [chat.append("TypingStopped", p["nickname"])]


def _say(store: ChatStore, chat: Chat, p: dict[str, Any]) -> Messages:
    party = p["nickname"]
    return [chat.append("Message", party, text=p["text"], event_attributes=p["eventAttributes"])]


def _notice(store: ChatStore, chat: Chat, p: dict[str, Any]) -> Messages:
    return [chat.append("Notice", p["nickname"], text=p["text"])]


def _custom_notice(store: ChatStore, chat: Chat, p: dict[str, Any]) -> Messages:
    return [chat.append("CustomNotice", p["nickname"], text=p["text"],
                        event_attributes=p["eventAttributes"])]


def _push_url(store: ChatStore, chat: Chat, p: dict[str, Any]) -> Messages:
    return [chat.append("PushUrl", p["nickname"], text=p["url"])]


def _file(store: ChatStore, chat: Chat, p: dict[str, Any]) -> Messages:
    party = p["nickname"]
    try:
        _, msg = file_ops.store_file(store, chat, party, p["fileName"], p["contentType"], p["content"])
    except GmsError as exc:
        raise ActionError(413, f"file store is full ({exc.advice} bytes)") from None
    return [msg]


def _idle_alert(store: ChatStore, chat: Chat, p: dict[str, Any]) -> Messages:
    return [idle_alert(chat, p["closeSeconds"])]


def _idle_close(store: ChatStore, chat: Chat, p: dict[str, Any]) -> Messages:
    return [idle_close(chat)]


def _end(store: ChatStore, chat: Chat, p: dict[str, Any]) -> Messages:
    out = []
    for party in chat.connected_agents():
        party.connected = False
        out.append(chat.append("ParticipantLeft", party))
    chat.end()
    return out


@dataclass(frozen=True)
class Action:
    """One agent action: its name, what it does, its parameters and its implementation."""

    name: str
    doc: str
    params: tuple[ActionParam, ...]
    run: Callable[[ChatStore, Chat, dict[str, Any]], Messages]


_AGENT = ActionParam("nickname", "agent", "the connected agent who acts (default: the one who joined last)")
_FROM = ActionParam("nickname", "sender", "who sends it: that connected agent, else that name as an "
                                          "External party (default: the system party)")
_ATTRS = ActionParam("eventAttributes", "object", "sent with the message as `eventAttributes`")

ACTION_TABLE: tuple[Action, ...] = (
    Action("join", "an agent joins (ParticipantJoined); the chat becomes `connected`", (
        ActionParam("nickname", "newcomer", "the agent's name; one already in the chat is refused (409)",
                    default_field="agent_nickname"),
        ActionParam("supervisor", "boolean", "joins as a Supervisor", default=False),
    ), _join),
    Action("leave", "the agent leaves (ParticipantLeft); with no agent left the chat is `waiting` again",
           (_AGENT,), _leave),
    Action("typing", "the agent starts typing (TypingStarted)", (_AGENT,), _typing),
    Action("stopTyping", "the agent stops typing (TypingStopped)", (_AGENT,), _stop_typing),
    Action("say", "the agent sends a Message", (
        _AGENT, ActionParam("text", "string", "the message", required=True), _ATTRS), _say),
    Action("notice", "a Notice", (_FROM, ActionParam("text", "string", "the notice", required=True)), _notice),
    Action("customNotice", "a CustomNotice", (
        ActionParam("text", "string", "the notice", default=""), _FROM, _ATTRS), _custom_notice),
    Action("pushUrl", "the agent pushes a URL (PushUrl)", (
        _AGENT, ActionParam("url", "string", "the URL, sent as the message text", required=True)), _push_url),
    Action("file", "the agent sends a file (FileUploaded); 413 when the mock's file store is full", (
        _AGENT,
        ActionParam("fileName", "string", "the file's name", required=True),
        ActionParam("content", "base64", "its bytes, base64-encoded", required=True),
        ActionParam("contentType", "media type", "its media type", default="application/octet-stream"),
    ), _file),
    Action("idleAlert", "an IdleAlert now, announcing the close timer", (
        ActionParam("closeSeconds", "seconds", "announced as `next-idle-timer-secs`",
                    default_field="idle_close_seconds", bounds=(0, MAX_SECONDS)),
    ), _idle_alert),
    Action("idleClose", "an IdleClose now, which ends the chat", (), _idle_close),
    Action("end", "every connected agent leaves, then the session is closed", (), _end),
)
ACTIONS = tuple(action.name for action in ACTION_TABLE)
_BY_NAME = {action.name: action for action in ACTION_TABLE}


def action_named(name: str) -> Action:
    """The action called `name`; ActionError(400) naming the known ones if there is none.

        >>> action_named("end").doc
        'every connected agent leaves, then the session is closed'
    """
    action = _BY_NAME.get(name) if isinstance(name, str) else None
    if action is None:
        raise ActionError(400, f"unknown action {name!r}; one of {', '.join(ACTIONS)}")
    return action


def apply_action(store: ChatStore, chat: Chat, action: str, params: dict[str, Any]) -> Messages:
    """Apply one agent-side action; returns the messages it appended to the transcript.
    Parameters are checked (from the action's table entry) before anything changes.

        >>> from cxkit.mockgms.config import MockConfig
        >>> store = ChatStore(MockConfig()); chat = store.create("svc", "Nick")
        >>> [m["type"] for m in apply_action(store, chat, "join", {})]
        ['ParticipantJoined']
        >>> apply_action(store, chat, "say", {})
        Traceback (most recent call last):
        ...
        cxkit.mockgms.actions.ActionError: 'text' is required
    """
    entry = action_named(action)
    if chat.ended:
        raise ActionError(409, f"chat {chat.chat_id} has ended")
    values = {param.name: param.read(params, chat) for param in entry.params}
    return entry.run(store, chat, values)
