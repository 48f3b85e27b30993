"""The visitor's typing state (spec B.3): ``startTyping`` once, ``stopTyping`` 2 s after the
last keystroke or ``sendTyping`` call; the preview text rides along as ``message``.

`CometdTyping` is the original's CometD rule instead: ``startTyping`` at once, then a check every
5 s re-sends ``startTyping`` when the text changed, and after two checks without a change
``stopTyping`` goes out (~10 s); no ``clientTypingStarted``/``clientTypingStopped`` events.

    import asyncio
    from cxkit.webchat.typing_indicator import ClientTyping

    async def main():
        sent = []
        async def start(text): sent.append(("start", text))
        async def stop(text): sent.append(("stop", text))
        typing = ClientTyping(start, stop, on_change=lambda typing: sent.append(typing))
        await typing.touch("h"); await typing.touch("hi")
        await asyncio.sleep(2.1)
        print(sent)  # [True, ('start', 'h'), False, ('stop', 'hi')]

    asyncio.run(main())
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from .tasks import spawn

__all__ = ["CHECK_EVERY_S", "ClientTyping", "CometdTyping", "IDLE_CHECKS", "STOP_AFTER_S"]

STOP_AFTER_S = 2.0
CHECK_EVERY_S = 5.0  # CometD: how often the text is checked
IDLE_CHECKS = 2  # CometD: checks without a change before stopTyping


class _Typing:
    """What both typing rules share: the start/stop requests, the burst's startTyping task, one
    timer, and stopping at once. Subclasses say which text a stopTyping carries."""

    def __init__(self, start: Callable[[str], Awaitable[Any]], stop: Callable[[str], Awaitable[Any]]) -> None:
        self._start = start
        self._stop = stop
        self.text = ""
        # This burst's startTyping (in flight or answered); every call of the burst gets its
        # answer, and no later burst sees it. None when the visitor is not typing.
        self._started: asyncio.Task[Any] | None = None
        self._timer: asyncio.TimerHandle | asyncio.Task[None] | None = None  # a task: a check reading the input
        self.resets = 0  # how many times `reset` ended the typing state (a message was sent)

    @property
    def typing(self) -> bool:
        return self._started is not None

    async def stop_now(self) -> Any:
        """Send stopTyping at once (sendTyping with ``isTyping: false``)."""
        if not self.typing:
            return None
        self.reset()
        return await self._stop(self._stop_text())

    def reset(self) -> None:
        """Forget the typing state without a request (a message was sent, the chat ended)."""
        self.resets += 1
        self._disarm()
        was, self._started = self._started, None
        if was is not None:
            self._forgotten()

    def _forgotten(self) -> None:
        """The typing state just ended without a request."""

    def _stop_text(self) -> str:
        """The text a stopTyping carries."""
        return self.text

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class ClientTyping(_Typing):
    def __init__(self, start: Callable[[str], Awaitable[Any]], stop: Callable[[str], Awaitable[Any]],
                 on_change: Callable[[bool], None]) -> None:
        super().__init__(start, stop)
        self._on_change = on_change

    async def touch(self, text: str) -> Any:
        """A keystroke or sendTyping call: start if idle, and (re)arm the stop timer."""
        self.text = text
        self._arm()
        if self._started is None:
            self._started = spawn(self._start(text))
            self._on_change(True)
        # shield: a caller that gives up does not cancel the request the others wait for
        return await asyncio.shield(self._started)

    def _forgotten(self) -> None:
        self._on_change(False)

    def _arm(self) -> None:
        self._disarm()
        self._timer = asyncio.get_running_loop().call_later(STOP_AFTER_S, self._expire)

    def _expire(self) -> None:
        self._timer = None
        spawn(self.stop_now())


class CometdTyping(_Typing):
    """The CometD typing rule, with `ClientTyping`'s interface. ``current_text()`` is the
    registered input's text (None without one: then the last ``touch`` text counts)."""

    def __init__(self, start: Callable[[str], Awaitable[Any]], stop: Callable[[str], Awaitable[Any]],
                 current_text: Callable[[], str | None],
                 read: Callable[[], Awaitable[Any]] | None = None) -> None:
        super().__init__(start, stop)
        self._current_text = current_text
        self._read = read  # brings current_text() up to date first (an input in another thread)
        self._sent = ""  # the text of the last startTyping
        self._idle = 0

    async def touch(self, text: str) -> Any:
        """A keystroke or sendTyping call: startTyping if idle; otherwise the next check sees
        the new text. Every call of a burst gets the burst's first startTyping answer."""
        self.text = text
        if self._started is None:
            self._sent, self._idle = text, 0
            self._started = spawn(self._start(text))
            self._schedule()
        return await asyncio.shield(self._started)

    def _stop_text(self) -> str:
        return self._text()

    def _text(self) -> str:
        current = self._current_text()
        return current if current is not None else self.text

    def _schedule(self) -> None:
        self._timer = asyncio.get_running_loop().call_later(CHECK_EVERY_S, self._check)

    def _check(self) -> None:
        self._timer = None
        if self._read is None:
            self._checked()
        else:
            self._timer = spawn(self._read_and_check())

    async def _read_and_check(self) -> None:
        await self._read()  # type: ignore[misc]
        if self._timer is asyncio.current_task():  # not reset or stopped meanwhile
            self._checked()

    def _checked(self) -> None:
        self._timer = None
        text = self._text()
        if text != self._sent:
            self._sent, self._idle = text, 0
            spawn(self._start(text))
        else:
            self._idle += 1
            if self._idle >= IDLE_CHECKS:
                spawn(self.stop_now())
                return
        self._schedule()
