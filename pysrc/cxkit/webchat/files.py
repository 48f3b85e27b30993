"""File limits and upload checks (spec C.3): limits arrive as a ``Notice`` whose text is
``file-client-cfg-get``; all values are strings; GMS rejects uploads with codes 201 (too many
files), 202 (size/total size) and 203 (type not allowed).

    >>> from cxkit.webchat.files import FileLimits
    >>> from cxkit.gms import BytesFile
    >>> limits = FileLimits.from_messages([{"type": "Notice", "text": "file-client-cfg-get",
    ...     "userData": {"upload-max-files": "5", "upload-max-file-size": "10",
    ...                  "upload-max-total-size": "100", "upload-file-types": "txt:png",
    ...                  "used-upload-max-files": "0", "used-upload-max-total-size": "0"}}])
    >>> limits.violation(BytesFile("a.exe", b"x"))["code"], limits.violation(BytesFile("a.txt", b"x")) is None
    (203, True)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["FILE_LIMITS_NOTICE", "FileLimits"]

FILE_LIMITS_NOTICE = "file-client-cfg-get"


def _int(values: Mapping[str, Any], key: str) -> int | None:
    try:
        return int(str(values[key]))
    except (KeyError, TypeError, ValueError):
        return None


@dataclass
class FileLimits:
    max_files: int | None = None
    max_file_size: int | None = None
    max_total_size: int | None = None
    file_types: list[str] | None = None
    used_files: int = 0
    used_total_size: int = 0
    need_agent: bool = False
    raw: dict[str, Any] | None = None

    @classmethod
    def from_messages(cls, messages: Iterable[Mapping[str, Any]]) -> FileLimits | None:
        for message in messages:
            if message.get("text") == FILE_LIMITS_NOTICE and isinstance(message.get("userData"), dict):
                return cls.from_user_data(message["userData"])
        return None

    @classmethod
    def from_user_data(cls, values: Mapping[str, Any]) -> FileLimits:
        types = values.get("upload-file-types")
        return cls(
            max_files=_int(values, "upload-max-files"),
            max_file_size=_int(values, "upload-max-file-size"),
            max_total_size=_int(values, "upload-max-total-size"),
            file_types=[t.lower() for t in str(types).split(":") if t] if types else None,
            used_files=_int(values, "used-upload-max-files") or 0,
            used_total_size=_int(values, "used-upload-max-total-size") or 0,
            need_agent=str(values.get("upload-need-agent", "")).lower() == "true",
            raw=dict(values),
        )

    def violation(self, file: Any) -> dict[str, Any] | None:
        """``{code, advice}`` as GMS would answer, or None when the file fits the limits."""
        name, size = str(getattr(file, "name", "")), int(getattr(file, "size", 0) or 0)
        extension = name.rsplit(".", 1)[1].lower() if "." in name else ""
        if self.file_types is not None and extension not in self.file_types:
            return {"code": 203, "advice": ":".join(self.file_types)}
        if self.max_files is not None and self.used_files >= self.max_files:
            return {"code": 201, "advice": str(self.max_files)}
        if self.max_file_size is not None and size > self.max_file_size:
            return {"code": 202, "advice": str(self.max_file_size)}
        if self.max_total_size is not None and self.used_total_size + size > self.max_total_size:
            return {"code": 202, "advice": str(self.max_total_size)}
        return None

    def record_upload(self, size: int) -> None:
        self.used_files += 1
        self.used_total_size += size

