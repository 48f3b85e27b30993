"""The simulated agent: the presets (`PRESETS`) that drive a chat's agent with the control
actions of actions.py.

    >>> from cxkit.mockgms.agent import parse_preset
    >>> parse_preset("echo").name, parse_preset("silent").name
    ('echo', 'silent')
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ..common.tasks import spawn
from .actions import ACTIONS, ActionError, apply_action
from .chat import Chat
from .jsonin import JsonRefused, check_finite, load_json
from .store import ChatStore

__all__ = ["PRESETS", "ChatAgent", "AgentPreset", "parse_preset"]

# name (as `--agent` takes it) -> what the agent of each chat does
PRESETS = {
    "silent": "does nothing: the test (or the agent console) plays the agent",
    "echo": "joins after `echo_join_delay`, then for each customer message: TypingStarted, "
            "`echo_typing_delay`, Message with the same text (after `echo_prefix`)",
    "script:PATH": "runs a JSON or YAML list of steps `{\"delay\": s, \"waitFor\": \"message\", "
                   "\"action\": ..., <action params>}`; `delay` is relative to the previous step, "
                   "`waitFor: message` waits for the next customer message first (`timeout`, default 3600 s)",
}


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

    def _more_than(self, seen: int) -> Callable[[], bool]:
        return lambda: self._customer_messages > seen

    async def _run(self) -> None:
        seen = 0
        for step in self.steps:
            if step.get("waitFor") == "message":
                got = await self.chat.changed.wait_for(self._more_than(seen), float(step.get("timeout", 3600)))
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
    try:
        text = Path(path).read_text(encoding="utf-8")
        steps = load_json(text) if str(path).endswith(".json") else yaml.safe_load(text)
        check_finite(steps)
    except (JsonRefused, yaml.YAMLError, OSError, UnicodeDecodeError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else " ".join(str(exc).split())
        raise ValueError(f"agent script {path}: {detail}") from None
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


