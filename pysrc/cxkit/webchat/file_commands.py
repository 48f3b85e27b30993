"""The file commands: ``getFileLimits``, ``sendFile``, ``downloadFile``. In CometD mode they are
plain HTTP requests to ``cometD.apiURL``; without it they are refused::

    await send_file(service, e)        # settles e.deferred on every path
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from ..gms import STATUS_FAILED, GmsReply, HttpResponse, Identity, form_value, parse_reply
from . import messages as msg
from .command_host import CommandHost
from .files import FileLimits
from .polling import PollingLoop
from .ports import Downloader

if TYPE_CHECKING:
    from ..bus import CommandEvent

__all__ = ["FileCommandHost", "download_file", "get_file_limits", "local_refusal", "pick_file", "send_file"]


class FileCommandHost(CommandHost, Protocol):
    """What the file commands use beyond `CommandHost`: the page's download port, and what an
    upload does as a send does (polling speeds up, the answer is delivered)."""

    downloader: Downloader | None
    polling: PollingLoop

    def after_side_request(self, reply: GmsReply) -> None: ...


def _text(value: Any) -> str:
    return value if isinstance(value, str) else form_value(value)


def pick_file(option: Any) -> Any:
    """The file to upload from an input element, ``{files: [...]}``, a list or a file.

    >>> from types import SimpleNamespace as File
    >>> pick_file({"files": [File(name="a.png", size=3)]}).name, pick_file({"files": []})
    ('a.png', None)
    """
    candidate = option.get("files") if isinstance(option, Mapping) else option
    if isinstance(candidate, (list, tuple)):
        candidate = candidate[0] if candidate else None
    files = getattr(candidate, "files", None)
    if files is not None and not isinstance(candidate, (str, bytes)):
        try:
            files = list(files)
        except TypeError:
            return None
        candidate = files[0] if files else None
    if candidate is None or not all(hasattr(candidate, a) for a in ("name", "size")):
        return None
    return candidate


async def get_file_limits(s: FileCommandHost, e: CommandEvent) -> None:
    """getFileLimits: ask GMS, remember the limits for sendFile, resolve with the JSON text (any
    HTTP 2xx answer: without a chat GMS answers statusCode 2, and the original resolves with it)."""
    if s.config.cometd_enabled and not s.config.cometd_api_url:
        e.deferred.reject(msg.COMETD_FILES)
        return
    identity = s.session.identity
    reply = await s.request(lambda: s.client.file_limits(identity))
    if not reply.answered:  # an answer with another statusCode (no chat) resolves too, as observed
        e.deferred.reject(s.report_failure(reply, plain=True))
        return
    limits = FileLimits.from_messages(reply.messages) if reply.ok else None
    if reply.ok:
        s.plugin.publish_direct("ajaxResponse", reply.body)
    if limits is not None and s.session.active:
        s.session.file_limits = limits
    # The original hands back the unparsed JSON text; page code JSON.parse()s it.
    e.deferred.resolve(reply.http.text)


async def send_file(s: FileCommandHost, e: CommandEvent) -> None:
    """sendFile: refuse locally what the known limits forbid, else upload."""
    if s.config.cometd_enabled and not s.config.cometd_api_url:
        e.deferred.reject(msg.COMETD_FILES)
        return
    if not s.session.active:
        e.deferred.reject(msg.NO_ACTIVE_SESSION)
        return
    file = pick_file(e.data)
    if file is None:
        e.deferred.reject(msg.NO_FILE)
        return
    if s.session.file_limits is not None:
        violation = s.session.file_limits.violation(file)  # name and size only: no byte is read
        if violation is not None:
            e.deferred.reject(s.report_failure(local_refusal(s.session.identity, violation, file),
                                               plain=True))
            return
    identity = s.session.identity
    reply = await s.request(lambda: s.client.upload_file(identity, file))
    s.polling.speed_up()
    if reply.ok:
        if s.session.file_limits is not None:
            s.session.file_limits.record_upload(int(getattr(file, "size", 0) or 0))
        s.after_side_request(reply)
        e.deferred.resolve(reply.body)
        return
    e.deferred.reject(s.report_failure(reply, plain=True))


async def download_file(s: FileCommandHost, e: CommandEvent) -> None:
    """downloadFile: hand the page's download port the request (nothing is fetched here)."""
    file_id = e.data.get("fileId")
    if file_id is None or file_id == "":
        e.deferred.reject(msg.NO_FILE_ID)
        return
    if s.downloader is None:
        e.deferred.reject(msg.NO_DOWNLOADER)
        return
    request = s.client.download_request(s.session.identity, _text(file_id),
                                        _text(e.data.get("fileName") or ""))
    try:
        result = s.downloader(request)
        if inspect.isawaitable(result):
            await result
    except Exception as exc:
        e.deferred.reject(str(exc) or type(exc).__name__)
        return
    e.deferred.resolve()


def local_refusal(identity: Identity, violation: dict[str, Any], file: Any) -> GmsReply:
    """The answer GMS gives an upload over the limits (HTTP 400, ``errors[{code, advice,
    filename}]``), made locally so page code cannot tell the two refusals apart."""
    body = {"statusCode": STATUS_FAILED, "alias": identity.alias, "chatEnded": False,
            "chatId": identity.chat_id, "messages": [],
            "errors": [{**violation, "filename": str(getattr(file, "name", ""))}]}
    return parse_reply(HttpResponse(400, json.dumps(body, separators=(",", ":")), "Bad Request"))
