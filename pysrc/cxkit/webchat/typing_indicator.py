"""The visitor's typing state (spec B.3): ``startTyping`` once, ``stopTyping`` 2 s after the
last keystroke or ``sendTyping`` call; the preview text rides along as ``message``.

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
from typing import Any, Awaitable, Callable

from .tasks import spawn

__all__ = ["ClientTyping", "STOP_AFTER_S"]

STOP_AFTER_S = 2.0


class ClientTyping:
    def __init__(self, start: Callable[[str], Awaitable[Any]], stop: Callable[[str], Awaitable[Any]],
                 on_change: Callable[[bool], None]) -> None:
        self._start = start
        self._stop = stop
        self._on_change = on_change
        self.text = ""
        # This burst's startTyping (in flight or answered); every call of the burst gets its
        # answer, and no later burst sees it. None when the visitor is not typing.
        self._started: asyncio.Task | None = None
        self._timer: asyncio.TimerHandle | None = None

    @property
    def typing(self) -> bool:
        return self._started is not None

    async def touch(self, text: str) -> Any:
        """A keystroke or sendTyping call: start if idle, and (re)arm the stop timer."""
        self.text = text
        self._arm()
        if self._started is None:
            self._started = spawn(self._start(text))
            self._on_change(True)
        # shield: a caller that gives up does not cancel the request the others wait for
        return await asyncio.shield(self._started)

    async def stop_now(self) -> Any:
        """Send stopTyping at once (sendTyping with ``isTyping: false``)."""
        if not self.typing:
            return None
        self.reset()
        return await self._stop(self.text)

    def reset(self) -> None:
        """Forget the typing state without a request (a message was sent, the chat ended)."""
        self._disarm()
        if self._started is not None:
            self._started = None
            self._on_change(False)

    def _arm(self) -> None:
        self._disarm()
        self._timer = asyncio.get_running_loop().call_later(STOP_AFTER_S, self._expire)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self) -> None:
        self._timer = None
        spawn(self.stop_now())
