"""Control operations shared by the HTTP control API and the `MockGMS` Python API.

They run on the server loop; `MockGMS` marshals calls there when used from another thread.

    >>> from cxkit.mockgms.control import list_chats
    >>> from cxkit.mockgms.state import ServerState
    >>> from cxkit.mockgms.config import MockConfig
    >>> list_chats(ServerState(MockConfig(), "silent"))
    []
"""

from __future__ import annotations

from typing import Any

from .actions import ActionError, apply_action
from .state import ServerState

__all__ = ["list_chats", "get_chat", "agent_action", "message_matches", "wait_messages", "wait_chat", "wait_requests",
           "add_fault"]


def message_matches(message: dict[str, Any], match: dict[str, Any]) -> bool:
    """Whether every field in `match` equals the message's (`from_type` is `from.type`).

        >>> message_matches({"type": "Message", "from": {"type": "Agent"}}, {"type": "Message", "from_type": "Agent"})
        True
    """
    for key, want in match.items():
        have = (message.get("from") or {}).get("type") if key == "from_type" else message.get(key)
        if have != want:
            return False
    return True


def list_chats(state: ServerState) -> list[dict[str, Any]]:
    return [chat.summary() for chat in state.store.chats.values()]


def get_chat(state: ServerState, chat_id: str) -> dict[str, Any]:
    chat = state.store.get(chat_id)
    if chat is None:
        raise ActionError(404, f"no chat {chat_id!r}")
    return chat.detail()


def agent_action(state: ServerState, chat_id: str, action: str, params: dict[str, Any]) -> dict[str, Any]:
    chat = state.store.get(chat_id)
    if chat is None:
        raise ActionError(404, f"no chat {chat_id!r}")
    messages = apply_action(state.store, chat, action, params)
    return {"chatId": chat_id, "state": chat.state, "messages": messages, "nextPosition": chat.transcript.next_position}


def add_fault(state: ServerState, operation: str, mode: str, count: int = 1, delay_ms: int = 0) -> dict[str, Any]:
    try:
        return state.faults.add(operation, mode, count, delay_ms).as_dict()
    except ValueError as exc:
        raise ActionError(400, str(exc)) from None


async def wait_messages(
    state: ServerState, chat_id: str, after: int, timeout: float, type: str | None = None,
    match: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Wait until the chat's transcript has messages with index > after (of `type`, and whose
    fields equal `match`, if given)."""
    chat = state.store.get(chat_id)
    if chat is None:
        raise ActionError(404, f"no chat {chat_id!r}")
    timeout = max(timeout, 0.0)  # over HTTP the route caps it (max_wait_seconds)

    def newer() -> list[dict[str, Any]]:
        found = chat.transcript.after(after)
        wanted = {**(match or {}), **({"type": type} if type else {})}
        return [m for m in found if message_matches(m, wanted)] if wanted else found

    found = await chat.changed.wait_for(newer, timeout)
    return {
        "chatId": chat_id,
        "state": chat.state,
        "timedOut": not found,
        "messages": found or [],
        "nextPosition": chat.transcript.next_position,
    }


async def wait_chat(state: ServerState, after: int, timeout: float) -> dict[str, Any] | None:
    """The first chat numbered > after (chats are numbered 1, 2, ... since the last reset)."""
    timeout = max(timeout, 0.0)  # over HTTP the route caps it (max_wait_seconds)
    chat = await state.store.new_chat.wait_for(lambda: state.store.by_seq_after(after), timeout)
    return chat.summary() if chat is not None else None


async def wait_requests(
    state: ServerState, operation: str | None, chat_id: str | None, after: int, timeout: float,
    form: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Wait until the request log has done entries numbered > after that match the filters."""
    timeout = max(timeout, 0.0)  # over HTTP the route caps it (max_wait_seconds)
    found = await state.log.changed.wait_for(
        lambda: state.log.entries(operation, chat_id, after=after, done=True, form=form), timeout)
    return {"timedOut": not found, "requests": found or []}
