"""ChangeSignal: waits end on a change, on the timeout, and on cancellation, whatever the order."""

from __future__ import annotations

import asyncio

import pytest

from cxkit.mockgms.signal import ChangeSignal


async def test_a_wait_cancelled_right_after_a_notify_ends_cancelled() -> None:
    # asyncio.wait_for (Python 3.11) returned the done inner future's result instead of raising:
    # the waiter swallowed the cancel and waited again, which hung server shutdown and loop close
    signal = ChangeSignal()
    task = asyncio.create_task(signal.wait_for(lambda: False, timeout=3600))
    while signal.waiting == 0:
        await asyncio.sleep(0)
    signal.notify()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)
    assert signal.waiting == 0


async def test_a_wait_times_out_and_leaves_no_waiter() -> None:
    signal = ChangeSignal()
    assert await signal.wait_for(lambda: False, timeout=0.01) is None
    assert signal.waiting == 0
