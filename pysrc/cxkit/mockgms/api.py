"""The Python control API of `MockGMS`: the same names as the `gms` fixture (`MockGmsControl`)
and the HTTP control API under /mock, so one vocabulary drives the mock from anywhere.

The names, what each means and its HTTP route are listed once, in docs/pytest-plugin.md ("One
vocabulary"): `chats`, `chat`, `messages`, `agent` (`join`, `say`, `typing`, `end`), `fault(s)`,
`cometd_fault(s)`, `clear_faults`, `requests`, `reset`, `wait_chat`, `wait_message(s)`,
`wait_request(s)`; tests/testing/test_vocabulary.py keeps the two classes in step.

On `MockGMS` the waits are coroutines, each with a `*_blocking` twin for other threads; on
`MockGmsControl` they block. Every wait raises `TimeoutError` naming what did not happen.

    >>> from cxkit.mockgms import MockGMS
    >>> gms = MockGMS(agent="silent")
    >>> gms.chats(), gms.faults(), gms.fault("send", "status1")["mode"]
    ([], [], 'status1')
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import math
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from . import control
from .actions import ActionError
from .cometd import CometdFace
from .config import MockConfig
from .state import ServerState

__all__ = ["AgentShortcuts", "MockControlApi"]

T = TypeVar("T")
CALL_TIMEOUT_S = 10.0  # how long a thread waits for the server loop to run a control call


class AgentShortcuts:
    """`join`, `say`, `typing` and `end` on top of a class's `agent(chat_id, action, **params)`."""

    def agent(self, chat_id: str, action: str, **params: Any) -> list[dict[str, Any]]:
        raise NotImplementedError

    def join(self, chat_id: str, nickname: str | None = None) -> dict[str, Any]:
        """An agent joins (`nickname`: default the mock's `agent_nickname`); the ParticipantJoined."""
        return self.agent(chat_id, "join", **({"nickname": nickname} if nickname else {}))[0]

    def say(self, chat_id: str, text: str, nickname: str | None = None) -> dict[str, Any]:
        """The agent sends `text`; the Message."""
        return self.agent(chat_id, "say", text=text, **({"nickname": nickname} if nickname else {}))[0]

    def typing(self, chat_id: str, nickname: str | None = None) -> dict[str, Any]:
        """The agent starts typing; the TypingStarted."""
        return self.agent(chat_id, "typing", **({"nickname": nickname} if nickname else {}))[0]

    def end(self, chat_id: str) -> list[dict[str, Any]]:
        """Every connected agent leaves and the session closes."""
        return self.agent(chat_id, "end")


class MockControlApi(AgentShortcuts):
    """The control methods of `MockGMS` (which sets `state`, `cometd`, `config` and `_loop`).

    Results are deep copies made on the server loop: a caller (perhaps on another thread) must
    not hold the live transcript dicts the loop goes on serialising.
    """

    state: ServerState
    cometd: CometdFace
    config: MockConfig
    _loop: asyncio.AbstractEventLoop | None

    def _call(self, fn: Callable[[], T]) -> T:
        """Run fn on the server loop (directly when we are on it, or when none is known)."""
        loop = self._loop
        if loop is None or not loop.is_running() or _on_loop(loop):
            return copy.deepcopy(fn())

        async def run() -> T:
            return copy.deepcopy(fn())

        return _result(asyncio.run_coroutine_threadsafe(run(), loop), CALL_TIMEOUT_S)

    async def _await(self, coro: Awaitable[T]) -> T:
        loop = self._loop
        if loop is None or _on_loop(loop):
            return await _copied(coro)
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(_copied(coro), loop))

    def _block(self, coro: Awaitable[T], timeout: float) -> T:
        loop = self._loop
        if loop is None or not loop.is_running():
            raise RuntimeError("the blocking waits need a server started with MockGMS.running()")
        if _on_loop(loop):
            raise RuntimeError("the blocking waits cannot run on the server loop; use the async waits")
        limit = max(timeout, 0.0) + CALL_TIMEOUT_S if math.isfinite(timeout) else None  # inf: as long as it takes
        return _result(asyncio.run_coroutine_threadsafe(_copied(coro), loop), limit)

    # -- state --------------------------------------------------------------------------------
    def chats(self) -> list[dict[str, Any]]:
        """A summary of every chat, oldest first."""
        return self._call(lambda: control.list_chats(self.state))

    def chat(self, chat_id: str) -> dict[str, Any]:
        """The chat's detail; raises ActionError(404) for an unknown chat."""
        return self._call(lambda: control.get_chat(self.state, chat_id))

    def messages(self, chat_id: str, type: str | None = None) -> list[dict[str, Any]]:
        """The chat's transcript as a client would receive it (only `type` ones if given)."""
        found = self.chat(chat_id)["messages"]
        return [m for m in found if m["type"] == type] if type else found

    def reset(self) -> None:
        """Forget every chat, fault and logged request (the agent preset stays)."""
        self._call(self.state.reset)

    def requests(self, operation: str | None = None, chat_id: str | None = None) -> list[dict[str, Any]]:
        """The Chat API request log, oldest first: `{"operation", "chatId", "form", ...}`."""
        return self._call(lambda: self.state.log.entries(operation, chat_id))

    # -- the agent and faults -------------------------------------------------------------------
    def agent(self, chat_id: str, action: str, **params: Any) -> list[dict[str, Any]]:
        """Apply an agent action (join, say, ...); returns the messages appended."""
        return self._call(lambda: control.agent_action(self.state, chat_id, action, params))["messages"]

    def fault(self, operation: str, mode: str, count: int = 1, delay_ms: int = 0) -> dict[str, Any]:
        """The next `count` requests of `operation` (`*`: any) fail with `mode`; ActionError(400)
        for a bad one."""
        return self._call(lambda: control.add_fault(self.state, operation, mode, count, delay_ms))

    def faults(self) -> list[dict[str, Any]]:
        """Chat API faults still pending."""
        return self._call(self.state.faults.pending)

    def cometd_fault(self, operation: str, mode: str, count: int = 1, delay_ms: int = 0) -> dict[str, Any]:
        """The next `count` CometD `operation`s (handshake, connect, websocket) fail with `mode`;
        ActionError(400) for a bad one."""
        def add() -> dict[str, Any]:
            try:
                return self.cometd.faults.add(operation, mode, count, delay_ms).as_dict()
            except ValueError as exc:
                raise ActionError(400, str(exc)) from None
        return self._call(add)

    def cometd_faults(self) -> list[dict[str, Any]]:
        """CometD faults still pending."""
        return self._call(self.cometd.faults.pending)

    def clear_faults(self) -> None:
        """Drop every pending fault, Chat API and CometD (chats and the request log stay)."""
        def clear() -> None:
            self.state.faults.clear()
            self.cometd.faults.clear()
        self._call(clear)

    # -- waits ----------------------------------------------------------------------------------
    async def wait_chat(self, after: int = 0, timeout: float = 10.0) -> dict[str, Any]:
        """The first chat numbered > after (1, 2, ... since the last reset); TimeoutError if none."""
        return _chat_or_timeout(await self._await(control.wait_chat(self.state, after, timeout)), after, timeout)

    def wait_chat_blocking(self, after: int = 0, timeout: float = 10.0) -> dict[str, Any]:
        return _chat_or_timeout(self._block(control.wait_chat(self.state, after, timeout), timeout), after, timeout)

    async def wait_messages(self, chat_id: str, after: int = 0, timeout: float = 10.0,
                            type: str | None = None) -> list[dict[str, Any]]:
        """Messages with index > after (only `type` ones if given); TimeoutError if none came."""
        return _messages_or_timeout(
            await self._await(control.wait_messages(self.state, chat_id, after, timeout, type)), chat_id, after,
            {}, timeout)

    def wait_messages_blocking(self, chat_id: str, after: int = 0, timeout: float = 10.0,
                               type: str | None = None) -> list[dict[str, Any]]:
        return _messages_or_timeout(
            self._block(control.wait_messages(self.state, chat_id, after, timeout, type), timeout), chat_id, after,
            {}, timeout)

    async def wait_message(self, chat_id: str, *, after: int = 0, timeout: float = 10.0,
                           **match: Any) -> dict[str, Any]:
        """The first message with index > after whose fields equal `match` (`from_type` matches
        `from.type`); TimeoutError if none came."""
        result = await self._await(control.wait_messages(self.state, chat_id, after, timeout, match=match))
        return _messages_or_timeout(result, chat_id, after, match, timeout)[0]

    def wait_message_blocking(self, chat_id: str, *, after: int = 0, timeout: float = 10.0,
                              **match: Any) -> dict[str, Any]:
        result = self._block(control.wait_messages(self.state, chat_id, after, timeout, match=match), timeout)
        return _messages_or_timeout(result, chat_id, after, match, timeout)[0]

    async def wait_requests(self, operation: str | None = None, *, chat_id: str | None = None, after: int = 0,
                            timeout: float = 10.0, **form: Any) -> list[dict[str, Any]]:
        """Logged requests numbered > after, answered (or failed or dropped), matching the filters
        (`form`: fields that must be equal, compared as text); TimeoutError if none came."""
        result = await self._await(
            control.wait_requests(self.state, operation, chat_id, after, timeout, _as_text(form)))
        return _requests_or_timeout(result, operation, form, timeout)

    def wait_requests_blocking(self, operation: str | None = None, *, chat_id: str | None = None, after: int = 0,
                               timeout: float = 10.0, **form: Any) -> list[dict[str, Any]]:
        result = self._block(
            control.wait_requests(self.state, operation, chat_id, after, timeout, _as_text(form)), timeout)
        return _requests_or_timeout(result, operation, form, timeout)

    async def wait_request(self, operation: str | None = None, *, chat_id: str | None = None, after: int = 0,
                           timeout: float = 10.0, **form: Any) -> dict[str, Any]:
        """The first of `wait_requests`."""
        return (await self.wait_requests(operation, chat_id=chat_id, after=after, timeout=timeout, **form))[0]

    def wait_request_blocking(self, operation: str | None = None, *, chat_id: str | None = None, after: int = 0,
                              timeout: float = 10.0, **form: Any) -> dict[str, Any]:
        return self.wait_requests_blocking(operation, chat_id=chat_id, after=after, timeout=timeout, **form)[0]


def _as_text(form: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in form.items()}


def _chat_or_timeout(found: dict[str, Any] | None, after: int, timeout: float) -> dict[str, Any]:
    if found is None:
        raise TimeoutError(f"no chat numbered above {after} within {timeout}s")
    return found


def _messages_or_timeout(result: dict[str, Any], chat_id: str, after: int, match: dict[str, Any],
                         timeout: float) -> list[dict[str, Any]]:
    if result["timedOut"]:
        what = f"matching {match} " if match else ""
        raise TimeoutError(f"no message {what}after index {after} in chat {chat_id} within {timeout}s")
    return result["messages"]


def _requests_or_timeout(result: dict[str, Any], operation: str | None, form: dict[str, Any],
                         timeout: float) -> list[dict[str, Any]]:
    if result["timedOut"]:
        raise TimeoutError(f"no {operation or 'Chat API'} request matching {form} within {timeout}s")
    return result["requests"]


async def _copied(coro: Awaitable[T]) -> T:
    return copy.deepcopy(await coro)


def _result(future: concurrent.futures.Future[T], timeout: float | None) -> T:
    """The future's result; a clear error instead of a hang when the server loop has stopped."""
    try:
        return future.result(timeout)
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise RuntimeError(f"the mock GMS server loop did not answer within {timeout}s; "
                           "has the server stopped?") from None


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
