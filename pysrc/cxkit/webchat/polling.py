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
from collections.abc import Awaitable, Callable

from .config import WebChatConfig
from .tasks import spawn

__all__ = ["PollingLoop"]

logger = logging.getLogger("cxkit.webchat")

_EPSILON_MS = 1e-6


class PollingLoop:
    """``poll`` is awaited once per due tick; ``on_error`` hears about any exception of the
    loop or of a poll (the service publishes ``error``); the loop goes on regardless."""

    def __init__(self, config: WebChatConfig, poll: Callable[[], Awaitable[None]],
                 on_error: Callable[[Exception], None] | None = None) -> None:
        self.config = config
        self._poll = poll
        self.on_error = on_error
        self.running = False
        self.in_flight = False
        self.sleeping = False
        self.rate: float = float(config.poll_rate_min)
        self.last_poll: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._next_tick = 0.0
        self._task: asyncio.Task[None] | None = None

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
        self._next_tick = asyncio.get_running_loop().time()
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

    async def finished(self) -> None:
        """Until the ticker's poll in flight (if any) has been handled."""
        task = self._task
        if self.in_flight and task is not None and not task.done():
            await asyncio.shield(task)

    def speed_up(self) -> None:
        self.rate = self._base_rate()

    def reset(self) -> None:
        self.stop()
        self.last_poll = None

    def _schedule(self) -> None:
        # Ticks are anchored to a fixed grid: timer lateness would otherwise add up, stretching
        # a 3 s period by ~20 ms per poll (19 polls a minute, not 20). The delay is never
        # negative: Pyodide's loop refuses a timer in the past ("Can't schedule in the past"),
        # and its clock moves on between two reads.
        loop = asyncio.get_running_loop()
        self._next_tick += self.tick_s
        self._timer = loop.call_later(max(0.0, self._next_tick - loop.time()), self._tick)

    def _tick(self) -> None:
        self._timer = None
        if not self.running:
            return
        late = asyncio.get_running_loop().time() - self._next_tick
        if late >= self.tick_s:
            # Ticks were missed (a busy page): a poll that fell due meanwhile goes now, and the
            # grid starts again from here.
            self._next_tick += late
        try:
            # Time is measured on the grid, so a timer a few ms late cannot push a due poll
            # to the next tick.
            self._check(self._next_tick)
        except Exception as exc:
            self._failed(exc)
        finally:
            if self.running and self._timer is None:
                self._schedule()

    def _check(self, now: float) -> None:
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
        except Exception as exc:
            self._failed(exc)
        finally:
            self.in_flight = False

    def _failed(self, exc: Exception) -> None:
        logger.error("WebChatService: polling failed; it goes on", exc_info=exc)
        if self.on_error is not None:
            try:
                self.on_error(exc)
            except Exception:
                logger.exception("WebChatService: reporting a polling failure failed")
