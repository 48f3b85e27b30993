"""The simulated agent: control actions on a chat, and the presets that drive them.

Actions (the same for the HTTP control API, the Python API and `script:` steps):
join, leave, typing, stopTyping, say, notice, customNotice, pushUrl, file, idleAlert, idleClose, end.
Presets: `silent` (does nothing), `echo` (joins after `echo_join_delay`, then for each customer
message: TypingStarted, `echo_typing_delay`, Message with the same text), `script:PATH` (JSON or
YAML list of steps `{"delay": s, "waitFor": "message", "action": ..., <action params>}`; `delay` is
relative to the previous step, `waitFor: message` waits for the next customer message first).

    >>> from cxkit.mockgms.agent import parse_preset
    >>> parse_preset("echo").name, parse_preset("silent").name
    ('echo', 'silent')
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections import deque
from pathlib import Path
from typing import Any, Callable

import yaml

from ..common.tasks import spawn
from . import files as file_ops
from .chat import SYSTEM, Chat
from .errors import GmsError
from .idle import idle_alert, idle_close
from .jsonin import JsonRefused, check_finite, load_json
from .mediatype import media_type
from .store import ChatStore
from .transcript import Party

__all__ = ["ACTIONS", "ActionError", "apply_action", "ChatAgent", "AgentPreset", "parse_preset"]

MAX_SECONDS = 86_400  # as MockConfig's idle timers
ACTIONS = (
    "join", "leave", "typing", "stopTyping", "say", "notice", "customNotice", "pushUrl", "file",
    "idleAlert", "idleClose", "end",
)


class ActionError(Exception):
    """A control action that cannot be applied; `status` is the HTTP status for the control API."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _text(params: dict[str, Any], key: str, required: bool = True) -> str | None:
    value = params.get(key)
    if value is None:
        if required:
            raise ActionError(400, f"'{key}' is required")
        return None
    if not isinstance(value, str):
        raise ActionError(400, f"'{key}' must be a string")
    return value


def _attrs(params: dict[str, Any]) -> dict[str, Any] | None:
    value = params.get("eventAttributes")
    if value is not None and not isinstance(value, dict):
        raise ActionError(400, "'eventAttributes' must be an object")
    try:
        check_finite(value)  # Python callers and YAML scripts bypass the JSON parser's checks
    except JsonRefused as exc:
        raise ActionError(400, f"'eventAttributes': {exc}") from None
    return value


def _boolean(name: str, value: Any) -> bool:
    """A JSON boolean; "no", 0 or "false" are refused rather than read as truthy."""
    if not isinstance(value, bool):
        raise ActionError(400, f"'{name}' must be true or false")
    return value


def _seconds(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_SECONDS:
        raise ActionError(400, f"'{name}' must be a number of seconds between 0 and {MAX_SECONDS}")
    return float(value)


def _content_type(value: str | None) -> str:
    if value is None:
        return "application/octet-stream"
    checked = media_type(value)
    if checked is None:
        raise ActionError(400, f"'contentType' is not a media type: {value!r}")
    return checked


def _speaker(chat: Chat, params: dict[str, Any]) -> Party:
    nickname = _text(params, "nickname", required=False)
    party = chat.find_agent(nickname)
    if party is None:
        who = f"agent {nickname!r}" if nickname else "agent"
        raise ActionError(409, f"no connected {who} in chat {chat.chat_id}; send 'join' first")
    return party


def _sender(chat: Chat, params: dict[str, Any]) -> Party:
    """Notices come from a named agent if one is connected, else from that nickname as External."""
    nickname = _text(params, "nickname", required=False)
    if nickname is None:
        return SYSTEM
    return chat.find_agent(nickname) or Party(nickname, 0, "External")


def apply_action(store: ChatStore, chat: Chat, action: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Apply one agent-side action; returns the messages it appended to the transcript."""
    if action not in ACTIONS:
        raise ActionError(400, f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    if chat.ended:
        raise ActionError(409, f"chat {chat.chat_id} has ended")
    if action == "join":
        nickname = _text(params, "nickname", required=False) or chat.config.agent_nickname
        if chat.find_agent(nickname) is not None:
            raise ActionError(409, f"{nickname!r} is already in chat {chat.chat_id}")
        party = chat.add_agent(nickname, supervisor=_boolean("supervisor", params.get("supervisor", False)))
        return [chat.append("ParticipantJoined", party)]
    if action == "leave":
        party = _speaker(chat, params)
        party.connected = False
        if not chat.connected_agents():
            chat.state = "waiting"
        return [chat.append("ParticipantLeft", party)]
    if action == "typing":
        return [chat.append("TypingStarted", _speaker(chat, params))]
    if action == "stopTyping":
        return [chat.append("TypingStopped", _speaker(chat, params))]
    if action == "say":
        party = _speaker(chat, params)
        return [chat.append("Message", party, text=_text(params, "text"), event_attributes=_attrs(params))]
    if action == "notice":
        return [chat.append("Notice", _sender(chat, params), text=_text(params, "text"))]
    if action == "customNotice":
        text = _text(params, "text", required=False) or ""
        return [chat.append("CustomNotice", _sender(chat, params), text=text, event_attributes=_attrs(params))]
    if action == "pushUrl":
        return [chat.append("PushUrl", _speaker(chat, params), text=_text(params, "url"))]
    if action == "file":
        party = _speaker(chat, params)
        name = _text(params, "fileName") or ""
        try:
            data = base64.b64decode(_text(params, "content") or "", validate=True)
        except (binascii.Error, ValueError):
            raise ActionError(400, "'content' must be base64") from None
        ctype = _content_type(_text(params, "contentType", required=False))
        try:
            _, msg = file_ops.store_file(store, chat, party, name, ctype, data)
        except GmsError as exc:
            raise ActionError(413, f"file store is full ({exc.advice} bytes)") from None
        return [msg]
    if action == "idleAlert":
        return [idle_alert(chat, _seconds("closeSeconds", params.get("closeSeconds", chat.config.idle_close_seconds)))]
    if action == "idleClose":
        return [idle_close(chat)]
    # end: every connected agent leaves, then the session is closed.
    out = []
    for party in chat.connected_agents():
        party.connected = False
        out.append(chat.append("ParticipantLeft", party))
    chat.end()
    return out


class ChatAgent:
    """One chat's simulated agent; runs as asyncio tasks on the server loop."""

    def __init__(self, store: ChatStore, chat: Chat) -> None:
        self.store = store
        self.chat = chat
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        pass

    def customer_message(self, msg: dict[str, Any]) -> None:
        pass

    def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self._tasks.clear()

    def _spawn(self, coro: Any) -> asyncio.Task[None] | None:
        try:
            return spawn(coro, what="mock agent task", into=self._tasks)
        except RuntimeError:
            return None

    def _act(self, action: str, **params: Any) -> None:
        if not self.chat.ended:
            try:
                apply_action(self.store, self.chat, action, params)
            except ActionError:
                pass  # e.g. the agent was made to leave through the control API meanwhile


class EchoAgent(ChatAgent):
    def __init__(self, store: ChatStore, chat: Chat) -> None:
        super().__init__(store, chat)
        self._pending: deque[str] = deque(maxlen=100)
        self._joined = False
        self._worker: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._spawn(self._join_then_echo())

    async def _join_then_echo(self) -> None:
        await asyncio.sleep(self.chat.config.echo_join_delay)
        self._act("join")
        self._joined = True
        await self._drain()

    def customer_message(self, msg: dict[str, Any]) -> None:
        self._pending.append(msg.get("text", ""))
        if self._joined and (self._worker is None or self._worker.done()):
            self._worker = self._spawn(self._drain())

    async def _drain(self) -> None:
        cfg = self.chat.config
        nickname = cfg.agent_nickname
        while self._pending and not self.chat.ended:
            text = self._pending.popleft()
            if self.chat.find_agent(nickname) is None:
                continue
            self._act("typing", nickname=nickname)
            await asyncio.sleep(cfg.echo_typing_delay)
            self._act("say", nickname=nickname, text=cfg.echo_prefix + text)


class ScriptAgent(ChatAgent):
    def __init__(self, store: ChatStore, chat: Chat, steps: list[dict[str, Any]]) -> None:
        super().__init__(store, chat)
        self.steps = steps
        self._customer_messages = 0

    def start(self) -> None:
        self._spawn(self._run())

    def customer_message(self, msg: dict[str, Any]) -> None:
        self._customer_messages += 1

    async def _run(self) -> None:
        seen = 0
        for step in self.steps:
            if step.get("waitFor") == "message":
                got = await self.chat.changed.wait_for(
                    lambda: self._customer_messages > seen, float(step.get("timeout", 3600))
                )
                if not got:
                    return
                seen = self._customer_messages
            if step.get("delay"):
                await asyncio.sleep(float(step["delay"]))
            if "action" in step:
                params = {k: v for k, v in step.items() if k not in ("action", "delay", "waitFor", "timeout")}
                self._act(step["action"], **params)
            if self.chat.ended:
                return


class AgentPreset:
    """A factory of per-chat agents, parsed from `silent`, `echo` or `script:PATH`."""

    def __init__(self, name: str, factory: Callable[[ChatStore, Chat], ChatAgent]) -> None:
        self.name = name
        self._factory = factory

    def create(self, store: ChatStore, chat: Chat) -> ChatAgent:
        return self._factory(store, chat)


def load_script(path: str | Path) -> list[dict[str, Any]]:
    text = Path(path).read_text(encoding="utf-8")
    try:
        steps = load_json(text) if str(path).endswith(".json") else yaml.safe_load(text)
        check_finite(steps)
    except JsonRefused as exc:
        raise ValueError(f"agent script {path}: {exc}") from None
    if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
        raise ValueError(f"agent script {path}: expected a list of step objects")
    for i, step in enumerate(steps):
        if "action" in step and step["action"] not in ACTIONS:
            raise ValueError(f"agent script {path}: step {i}: unknown action {step['action']!r}")
        if "waitFor" in step and step["waitFor"] != "message":
            raise ValueError(f"agent script {path}: step {i}: waitFor must be 'message'")
        for key in ("delay", "timeout"):
            value = step.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"agent script {path}: step {i}: {key} must be a non-negative number")
    return steps


def parse_preset(spec: str) -> AgentPreset:
    if spec == "silent":
        return AgentPreset("silent", ChatAgent)
    if spec == "echo":
        return AgentPreset("echo", EchoAgent)
    if spec.startswith("script:"):
        steps = load_script(spec[len("script:"):])
        return AgentPreset(spec, lambda store, chat: ScriptAgent(store, chat, steps))
    raise ValueError(f"unknown agent preset {spec!r}: use silent, echo or script:PATH")


