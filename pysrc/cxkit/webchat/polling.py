"""The REST polling loop (spec B.5), on asyncio timers so it runs in Pyodide's webloop too.

A ticker every ``pollRateMin / 2`` (250 ms) polls when ``now - lastPoll >= rate`` and no poll is
in flight. ``start`` and ``speed_up`` (after a send or an upload) set the rate to ``pollRateMin``;
with ``dynamicPolling`` each poll multiplies it by ``pollRateMult`` up to ``pollRateMax``, so the
gaps run 500 -> 750, 750, 1000, 1250, 1250, 1500, 2000, 2250, 2750, 3000 ms as observed. While
sleeping the rate is ``pollRateSleep``::

    import asyncio
    from cxkit.webchat.config import WebChatConfig
    from cxkit.webchat.polling import PollingLoop

    async def main():
        polls = []
        async def poll():
            polls.append(asyncio.get_running_loop().time())
        loop = PollingLoop(WebChatConfig(), poll)
        loop.start()
        await asyncio.sleep(2)
        loop.stop()
        print(len(polls))  # 3: at 0.25, 1.0 and 1.75 s

    asyncio.run(main())
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from .config import WebChatConfig
from .tasks import spawn

__all__ = ["PollingLoop"]

logger = logging.getLogger("cxkit.webchat")

_EPSILON_MS = 1e-6


class PollingLoop:
    def __init__(self, config: WebChatConfig, poll: Callable[[], Awaitable[None]]) -> None:
        self.config = config
        self._poll = poll
        self.running = False
        self.in_flight = False
        self.sleeping = False
        self.rate: float = float(config.poll_rate_min)
        self.last_poll: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._next_tick = 0.0
        self._task: asyncio.Task | None = None

    @property
    def tick_s(self) -> float:
        return self.config.poll_rate_min / 2000

    def _base_rate(self) -> float:
        return float(self.config.poll_rate_min if self.config.dynamic_polling
                     else self.config.poll_rate)

    def start(self) -> bool:
        """Start ticking; False if already running."""
        if self.running:
            return False
        self.running = True
        self.rate = self._base_rate()
        self._schedule()
        return True

    def stop(self) -> bool:
        """Stop ticking (a poll in flight finishes); False if not running."""
        if not self.running:
            return False
        self.running = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        return True

    def speed_up(self) -> None:
        self.rate = self._base_rate()

    def reset(self) -> None:
        self.stop()
        self.last_poll = None

    def _schedule(self) -> None:
        # Ticks are anchored to a fixed grid (call_at, not call_later): timer lateness would
        # otherwise add up, stretching a 3 s period by ~20 ms per poll (19 polls a minute, not 20).
        loop = asyncio.get_running_loop()
        self._next_tick = max(self._next_tick + self.tick_s, loop.time()) if self._timer else loop.time() + self.tick_s
        self._timer = loop.call_at(self._next_tick, self._tick)

    def _tick(self) -> None:
        if not self.running:
            return
        # Time is measured on the grid, so a late timer cannot push a due poll to the next tick.
        now = self._next_tick
        self._schedule()
        if self.in_flight:
            return
        due = self.config.poll_rate_sleep if self.sleeping else self.rate
        if self.last_poll is None or (now - self.last_poll) * 1000 + _EPSILON_MS >= due:
            self._fire(now)

    def _fire(self, now: float) -> None:
        self.in_flight = True
        self.last_poll = now
        if self.config.dynamic_polling:
            self.rate = min(self.rate * self.config.poll_rate_mult, self.config.poll_rate_max)
        else:
            self.rate = float(self.config.poll_rate)
        self._task = spawn(self._run())

    async def run_once(self) -> None:
        """One poll outside the ticker (the ``poll`` command); counts as the last poll."""
        self.in_flight = True
        self.last_poll = asyncio.get_running_loop().time()
        await self._run()

    async def _run(self) -> None:
        try:
            await self._poll()
        except Exception:
            logger.exception("WebChatService: poll failed")
        finally:
            self.in_flight = False
