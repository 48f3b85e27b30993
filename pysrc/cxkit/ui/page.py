"""Page helpers for Python UIs: wait for cxkit's boot from a page's own ``<script type="py">``.

    <script type="py">
    from cxkit.ui.page import booted
    await booted()            # cxkit's bus is up; raises RuntimeError if its boot failed
    </script>

A page's script runs in the interpreter cxkit boots (same PyScript config); it may start
before or after cxkit's own boot code, so UIs wait here before touching the bus.
"""

from __future__ import annotations

import asyncio

import js

__all__ = ["booted"]


async def booted(timeout: float = 120.0, interval: float = 0.01) -> None:
    """Until the loader reports cxkit attached; RuntimeError with its reason if boot failed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        state = getattr(js.window, "__cxkit", None)
        if state is not None:
            failure = getattr(state, "failure", None)
            if failure:
                raise RuntimeError(f"cxkit failed to boot: {failure}")
            if getattr(state, "attached", False):
                return
        if loop.time() > deadline:
            raise RuntimeError("cxkit did not boot in time")
        await asyncio.sleep(interval)
