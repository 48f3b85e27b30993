"""Idle handling: IdleAlert after `idle_alert_seconds` without customer activity, IdleClose
`idle_close_seconds` later (which ends the chat). Customer activity re-arms the alert.

Timers are `loop.call_later` handles on the server loop (cheap enough for 10,000 chats); when no
loop is running (plain synchronous use) nothing is scheduled.

    >>> from cxkit.mockgms.idle import IdleTimer  # armed by the chat routes; see tests/mockgms
"""

from __future__ import annotations

import asyncio
from typing import Any

from .chat import SYSTEM, Chat

__all__ = ["IdleTimer", "idle_alert", "idle_close"]


def idle_alert(chat: Chat, close_seconds: float) -> dict[str, Any]:
    user_data = {"next-idle-timer-type": "CLOSE", "next-idle-timer-secs": str(int(close_seconds))}
    return chat.append("IdleAlert", SYSTEM, text="Are you still there?", user_data=user_data)


def idle_close(chat: Chat) -> dict[str, Any]:
    msg = chat.append("IdleClose", SYSTEM, text="The chat was closed for inactivity.")
    chat.end()
    return msg


class IdleTimer:
    def __init__(self, chat: Chat, alert_seconds: float, close_seconds: float) -> None:
        self.chat = chat
        self.alert_seconds = alert_seconds
        self.close_seconds = close_seconds
        self._handle: asyncio.TimerHandle | None = None

    def activity(self) -> None:
        self.cancel()
        if self.alert_seconds <= 0 or self.chat.ended:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._handle = loop.call_later(self.alert_seconds, self._alert)

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _alert(self) -> None:
        if self.chat.ended:
            return
        idle_alert(self.chat, self.close_seconds)
        if self.close_seconds > 0:
            self._handle = asyncio.get_running_loop().call_later(self.close_seconds, self._close)

    def _close(self) -> None:
        self._handle = None
        if not self.chat.ended:
            idle_close(self.chat)
