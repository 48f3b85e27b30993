"""An exclusive lock on a file, across processes: pytest-xdist workers (and parallel test runs)
take turns to build the bundle into one folder.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "build.lock"
    >>> with FileLock(path) as lock:
    ...     lock.note()                 # what the last holder wrote: "" at first
    ...     lock.write_note("run-1")
    ''
    >>> with FileLock(path) as lock:
    ...     lock.note()
    'run-1'

The lock is the operating system's (``flock`` on POSIX, ``msvcrt.locking`` on Windows), so
it is released when its holder exits, even if it crashes: no stale lock files.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["FileLock"]


class FileLock:
    """``with FileLock(path):`` blocks until no other process holds ``path``; the file also
    keeps a short note (who built last) for the next holder."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    def __enter__(self) -> FileLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _lock(fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return self

    def __exit__(self, *exc: Any) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            _unlock(fd)
            os.close(fd)

    def note(self) -> str:
        """The text the last holder wrote with ``write_note``."""
        assert self._fd is not None, "read the note while holding the lock"
        os.lseek(self._fd, 0, os.SEEK_SET)
        return os.read(self._fd, 4096).decode("utf-8", "replace")

    def write_note(self, text: str) -> None:
        assert self._fd is not None, "write the note while holding the lock"
        os.lseek(self._fd, 0, os.SEEK_SET)
        os.ftruncate(self._fd, 0)
        os.write(self._fd, text.encode())


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(fd: int) -> None:
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # retries for ~10 s, then raises: keep waiting
                return
            except OSError:
                continue

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
