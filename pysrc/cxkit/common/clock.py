"""Wall-clock time in milliseconds since the epoch, as JavaScript's ``Date.now()`` gives it.

    >>> from cxkit.common.clock import now_ms
    >>> now_ms() > 1_600_000_000_000
    True
"""

from __future__ import annotations

import time

__all__ = ["now_ms"]


def now_ms() -> int:
    """Milliseconds since the epoch (``Date.now()``): timestamps on events, messages and records.

        >>> isinstance(now_ms(), int)
        True
    """
    return int(time.time() * 1000)
