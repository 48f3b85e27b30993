"""Chat file transfer: the limits Notice, upload checks (codes 201/202/203/200), storage, delete.

An upload refusal names the file, as GMS's does: `errors: [{code, advice, filename}]`.

    >>> from cxkit.mockgms.files import limits_user_data
    >>> from cxkit.mockgms.config import FileLimits
    >>> limits_user_data(FileLimits(file_types=("png", "pdf")), used_files=1, used_bytes=10)["upload-file-types"]
    'png:pdf'
"""

from __future__ import annotations

import secrets
from typing import Any

from .chat import Chat, StoredFile
from .config import FileLimits
from .errors import Code, GmsError
from .store import ChatStore
from .transcript import Party, now_ms

__all__ = ["limits_user_data", "limits_notice", "check_client_upload", "upload_refused", "count_download", "store_file",
           "delete_file"]


def limits_user_data(limits: FileLimits, used_files: int, used_bytes: int, used_downloads: int = 0) -> dict[str, str]:
    # GMS sends every value as a string.
    return {
        "download-attempts": str(limits.download_attempts),
        "upload-max-files": str(limits.max_files),
        "delete-file": limits.delete_file,
        "upload-max-file-size": str(limits.max_file_size),
        "used-download-attempts": str(used_downloads),
        "used-upload-max-total-size": str(used_bytes),
        "upload-need-agent": "true" if limits.need_agent else "false",
        "used-upload-max-files": str(used_files),
        "upload-max-total-size": str(limits.max_total_size),
        "upload-file-types": ":".join(limits.file_types),
    }


def limits_notice(chat: Chat) -> dict[str, Any]:
    """The `file-client-cfg-get` Notice: returned to the caller, not added to the transcript."""
    limits = chat.config.limits_for(chat.service)
    downloads = chat.downloads
    return {
        "from": chat.client.as_from(),
        "text": "file-client-cfg-get",
        "type": "Notice",
        "utcTime": now_ms(),
        "userData": limits_user_data(limits, chat.files_uploaded, chat.bytes_uploaded, downloads),
    }


def upload_refused(code: int, advice: str, name: str) -> GmsError:
    """GMS's refusal of an upload: HTTP 400, `errors: [{code, advice, filename}]`.

        >>> upload_refused(Code.FILE_TYPE, "png:pdf", "a.exe").fields
        {'filename': 'a.exe'}
    """
    return GmsError(code, advice, fields={"filename": name})


def check_client_upload(chat: Chat, name: str, size: int) -> None:
    limits = chat.config.limits_for(chat.service)
    if limits.need_agent and not chat.has_agent():
        raise upload_refused(Code.NEED_AGENT, "File upload is allowed only while an agent is connected", name)
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in limits.file_types:
        raise upload_refused(Code.FILE_TYPE, ":".join(limits.file_types), name)
    if chat.files_uploaded + 1 > limits.max_files:
        raise upload_refused(Code.MAX_FILES, str(limits.max_files), name)
    if size > limits.max_file_size or size > chat.config.max_file_bytes:
        raise upload_refused(Code.MAX_SIZE, str(min(limits.max_file_size, chat.config.max_file_bytes)), name)
    if chat.bytes_uploaded + size > limits.max_total_size:
        raise upload_refused(Code.MAX_SIZE, str(limits.max_total_size), name)


def count_download(chat: Chat) -> None:
    """Count one customer download against `download-attempts`, which counts per chat as
    `used-download-attempts` does; refused (400, code 205) once they are used up."""
    limit = chat.config.limits_for(chat.service).download_attempts
    if chat.downloads >= limit:
        raise GmsError(Code.DOWNLOAD_ATTEMPTS, str(limit))
    chat.downloads += 1


def store_file(
    store: ChatStore, chat: Chat, party: Party, name: str, content_type: str, data: bytes
) -> tuple[StoredFile, dict[str, Any]]:
    """Keep the bytes and record FileUploaded; raises 202 when the server-wide byte bound is hit."""
    if store.file_bytes + len(data) > store.config.max_total_file_bytes:
        raise upload_refused(Code.MAX_SIZE, str(store.config.max_total_file_bytes), name)
    file_id = secrets.token_hex(12)
    stored = StoredFile(file_id, name, content_type, data, party)
    chat.files[file_id] = stored
    store.file_bytes += len(data)
    if party is chat.client:
        chat.files_uploaded += 1
        chat.bytes_uploaded += len(data)
    user_data = {"file-name": name, "file-size": str(len(data)), "file-id": file_id, "file-type": content_type}
    # GMS's FileUploaded carries the file in userData only, no `text`
    msg = chat.append("FileUploaded", party, user_data=user_data)
    return stored, msg


def delete_file(store: ChatStore, chat: Chat, file_id: str, party: Party) -> dict[str, Any]:
    stored = chat.files.pop(file_id, None)
    if stored is None:
        raise GmsError(Code.NOT_FOUND, f"File {file_id!r} not found in this chat", http_status=404)
    store.file_bytes -= len(stored.data)
    user_data = {"file-name": stored.name, "file-id": file_id}
    return chat.append("FileDeleted", party, text=stored.name, user_data=user_data)
