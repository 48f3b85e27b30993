"""Copy and write files only when they changed, so a rebuild with nothing new touches nothing.

    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "a" / "b.txt"
    >>> write_if_changed(out, b"hi"), write_if_changed(out, b"hi")
    (True, False)
    >>> copy_if_changed(out, out.with_name("c.txt")), copy_if_changed(out, out.with_name("c.txt"))
    (True, False)
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

__all__ = ["copy_if_changed", "write_if_changed"]


def copy_if_changed(src: Path, dst: Path) -> bool:
    """Copy ``src`` to ``dst`` (with its modification time) unless ``dst`` has the same size and
    time; True if it copied."""
    if dst.exists():
        s, d = src.stat(), dst.stat()
        if s.st_size == d.st_size and int(s.st_mtime) == int(d.st_mtime):
            return False
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dst)
    return True


def write_if_changed(dst: Path, data: bytes) -> bool:
    """Write ``data`` to ``dst`` (atomically, so concurrent builds may write the same file) unless
    it already holds exactly that; True if it wrote."""
    if dst.exists() and dst.read_bytes() == data:
        return False
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f"{dst.name}.{os.getpid()}.{threading.get_ident()}.tmp")  # one per writer
    tmp.write_bytes(data)
    tmp.replace(dst)
    return True
