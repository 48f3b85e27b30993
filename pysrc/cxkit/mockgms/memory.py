"""Give freed memory back to the operating system after a reset.

Freeing the request log's or the chats' big strings returns them to the C allocator, which keeps
the pages for reuse: the process's RSS stays where it was. `malloc_trim` (glibc) releases them;
elsewhere this only collects garbage.

    >>> from cxkit.mockgms.memory import give_back_memory
    >>> give_back_memory() in (True, False)
    True
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys

__all__ = ["give_back_memory"]

_libc: ctypes.CDLL | None = None
if sys.platform.startswith("linux"):
    try:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        _libc.malloc_trim  # noqa: B018 (the lookup raises AttributeError on musl, which has none)
    except (OSError, AttributeError):
        _libc = None


def give_back_memory() -> bool:
    """Collect garbage and, on glibc, trim the heap; True when the heap was trimmed."""
    gc.collect()
    if _libc is None:
        return False
    return bool(_libc.malloc_trim(0))
