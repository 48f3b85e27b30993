"""The GMS Chat API v2 under `/genesys/2/chat/{serviceName}`: every operation, C.3 answers.

One catch-all route parses the path itself, so an empty chatId (`.../customer-support//refresh`,
which the original widget sends without a session) gets a proper GMS answer instead of a 404 page.

    >>> import asyncio, httpx
    >>> from cxkit.mockgms import MockGMS
    >>> async def demo():
    ...     gms = MockGMS(agent="silent")
    ...     async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gms.app), base_url="http://testserver") as c:
    ...         r = await c.post("/genesys/2/chat/customer-support/", data={"nickname": "Nick"})
    ...         return r.json()["statusCode"], r.json()["messages"][0]["type"]
    >>> asyncio.run(demo())
    (0, 'ParticipantJoined')
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..common.jsstrings import js_length
from . import files as file_ops
from .chat import Chat, StoredFile
from .errors import Code, GmsError, SessionNotFound
from .faults import ConnectionDropped, Fault, fault_error, plain_fault
from .forms import ParsedForm, read_form
from .jsonin import JsonRefused, load_json
from .state import ServerState

__all__ = ["chat_routes", "operation_for_path", "DROP_SCOPE_KEY", "attachment", "file_response"]

CHAT_PREFIX = "/genesys/2/chat/"
DROP_SCOPE_KEY = "cxkit.mockgms.drop"
SIMPLE_OPS = (
    "refresh", "send", "startTyping", "stopTyping", "disconnect", "customNotice", "updateData",
    "updateNickname", "pushUrl",
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Operations allowed on a chat that has ended (the client still has to learn that it ended).
_AFTER_END = ("refresh", "fileDownload", "fileLimits")


def operation_for_path(rest: str) -> tuple[str, str, str | None, str | None]:
    """(operation, service, chatId, fileId) for the part of the path after /genesys/2/chat/."""
    parts = rest.split("/")
    service = parts[0]
    if len(parts) == 1 or (len(parts) == 2 and parts[1] == ""):
        return "requestChat", service, None, None
    chat_id = parts[1]
    tail = parts[2:]
    if len(tail) == 1 and tail[0] in SIMPLE_OPS:
        return tail[0], service, chat_id, None
    if tail == ["file", "limits"]:
        return "fileLimits", service, chat_id, None
    if tail == ["file"]:
        return "fileUpload", service, chat_id, None
    if len(tail) == 3 and tail[0] == "file" and tail[2] in ("download", "delete"):
        op = "fileDownload" if tail[2] == "download" else "fileDelete"
        return op, service, chat_id, tail[1]
    return "unknown", service, chat_id, None


def chat_routes(state: ServerState) -> list[Route]:
    api = ChatApi(state)
    return [Route(CHAT_PREFIX + "{rest:path}", api.endpoint, methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"])]


class ChatApi:
    def __init__(self, state: ServerState) -> None:
        self.state = state

    # -- plumbing -------------------------------------------------------------------------------
    async def endpoint(self, request: Request) -> Response:
        op, service, chat_id, file_id = operation_for_path(request.path_params["rest"])
        entry = self.state.log.record(op, chat_id, service, {})
        try:
            response = await self._handle(request, op, service, chat_id, file_id, entry)
            entry["httpStatus"] = response.status_code
            return response
        finally:
            self.state.log.done(entry)

    async def _handle(
        self, request: Request, op: str, service: str, chat_id: str | None, file_id: str | None, entry: dict[str, Any]
    ) -> Response:
        cfg = self.state.config
        try:
            if request.method != "POST":
                raise GmsError(Code.METHOD_NOT_ALLOWED, "Chat API operations are POST requests", http_status=405)
            if cfg.apikey is not None and not secrets.compare_digest(
                request.headers.get("apikey", "").encode(), cfg.apikey.encode()
            ):
                raise GmsError(Code.NOT_AUTHORIZED, "Missing or invalid apikey header", http_status=401)
            if op == "unknown":
                raise GmsError(Code.NOT_FOUND, f"Unknown operation: {request.url.path}", http_status=404)
            max_file = cfg.max_file_bytes if op == "fileUpload" else 0
            form = await read_form(request, max_file)
            self.state.log.set_form(entry, _loggable(form))
            fault = self.state.faults.take(op)
            if fault is not None:
                entry["fault"] = fault.mode
                early = await self._apply_fault(request, fault, chat_id)
                if early is not None:
                    if early.media_type == "application/json":
                        entry["statusCode"] = json.loads(bytes(early.body))["statusCode"]
                    return early
            if op == "requestChat":
                body = self._request_chat(service, form)
            elif op == "fileDownload":
                return self._download(service, chat_id or "", file_id or "", form)
            else:
                body = self._chat_op(op, service, chat_id or "", file_id, form)
            entry["statusCode"] = body["statusCode"]
            return JSONResponse(body, headers={"Cache-Control": "no-store"})
        except GmsError as err:
            entry["statusCode"] = err.status_code
            return self.error_response(err, chat_id)

    def error_response(self, err: GmsError, chat_id: str | None) -> JSONResponse:
        return JSONResponse(error_body(err, self.state.config.alias, chat_id), status_code=err.http_status,
                            headers={"Cache-Control": "no-store"})

    async def _apply_fault(self, request: Request, fault: Fault, chat_id: str | None) -> Response | None:
        if fault.mode == "delay":
            await asyncio.sleep(fault.delay_ms / 1000)
            return None
        if fault.mode == "drop":
            request.scope[DROP_SCOPE_KEY] = True
            raise ConnectionDropped(f"drop fault on {request.url.path}")
        plain = plain_fault(fault.mode)
        if plain is not None:
            return plain
        err = fault_error(fault.mode, self.state.store.get(chat_id or ""))
        return self.error_response(err, chat_id)

    def _chat(self, service: str, chat_id: str, form: ParsedForm, op: str) -> Chat:
        chat = self.state.store.get(chat_id)
        if chat is None or chat.service != service:
            raise SessionNotFound(chat_id)
        key, user = form.fields.get("secureKey", ""), form.fields.get("userId", "")
        if not (secrets.compare_digest(key.encode(), chat.secure_key.encode())
                and secrets.compare_digest(user.encode(), chat.user_id.encode())):
            raise GmsError(Code.INVALID_CREDENTIALS, "secureKey and userId do not match this chat", http_status=200)
        if chat.ended and op not in _AFTER_END:
            raise GmsError(Code.CHAT_ENDED, "Chat session has ended", http_status=200, chat_ended=True)
        return chat

    # -- operations -----------------------------------------------------------------------------
    def _request_chat(self, service: str, form: ParsedForm) -> dict[str, Any]:
        if not service:
            raise GmsError(Code.NOT_FOUND, "Missing service name", http_status=404)
        f = form.fields
        nickname = f.get("nickname", "").strip()
        first, last = f.get("firstName", "").strip(), f.get("lastName", "").strip()
        if not nickname:
            if not first and not last:
                raise GmsError(Code.NAME_REQUIRED, "nickname or firstName and lastName is required")
            if not first:
                raise GmsError(Code.FIRST_NAME_REQUIRED, "firstName is required")
            if not last:
                raise GmsError(Code.LAST_NAME_REQUIRED, "lastName is required")
            nickname = f"{first} {last}"
        email = f.get("emailAddress", "").strip()
        if email and not _EMAIL.match(email):
            raise GmsError(Code.INVALID_EMAIL, f"Invalid email address {email!r}")
        text = f.get("text", "")
        self._check_message_length(text)
        self._check_user_data({}, form.user_data)
        chat = self.state.store.create(service, nickname)
        chat.user_data.update(form.user_data)
        chat.subject, chat.email = f.get("subject", ""), email
        if text:
            chat.append("Message", chat.client, text=text)
        self.state.start_chat_timers(chat)
        if text and chat.agent is not None:
            chat.agent.customer_message(chat.transcript.since(2)[0])
        return ok_body(chat, chat.transcript.since(1))

    def _chat_op(self, op: str, service: str, chat_id: str, file_id: str | None, form: ParsedForm) -> dict[str, Any]:
        chat = self._chat(service, chat_id, form, op)
        position = _position(form.fields)
        if op == "refresh":
            return self._refresh(chat, form, position)
        if op == "fileLimits":
            return ok_body(chat, [file_ops.limits_notice(chat)])
        handler = self._OPERATIONS.get(op)
        extra = handler(self, chat, form, file_id) if handler is not None else None
        if chat.idle is not None:
            chat.idle.activity()
        body = ok_body(chat, chat.transcript.since(position) if position is not None else [])
        body.update(extra or {})
        return body

    def _refresh(self, chat: Chat, form: ParsedForm, position: int | None) -> dict[str, Any]:
        f = form.fields
        if "message" in f and f["message"] != chat.typing_preview and not chat.ended:
            chat.typing_preview = f["message"]
            chat.touch()
        return ok_body(chat, chat.transcript.since(position or 1))

    # Each chat operation's effect; what one returns is added to the answer's body.
    def _op_send(self, chat: Chat, form: ParsedForm, file_id: str | None) -> None:
        f = form.fields
        message = f.get("message", "")
        if not message:
            raise GmsError(Code.MESSAGE_REQUIRED, "message is required")
        self._check_message_length(message)
        chat.typing_preview = ""
        msg = chat.append("Message", chat.client, text=message, event_attributes=_event_attributes(f))
        if chat.agent is not None:
            chat.agent.customer_message(msg)

    def _op_typing(self, chat: Chat, form: ParsedForm, file_id: str | None, started: bool) -> None:
        chat.typing_preview = form.fields.get("message", chat.typing_preview)
        chat.append("TypingStarted" if started else "TypingStopped", chat.client)

    def _op_disconnect(self, chat: Chat, form: ParsedForm, file_id: str | None) -> None:
        chat.append("ParticipantLeft", chat.client)
        chat.end()

    def _op_custom_notice(self, chat: Chat, form: ParsedForm, file_id: str | None) -> None:
        message = form.fields.get("message", "")
        self._check_message_length(message)
        chat.append("CustomNotice", chat.client, text=message, event_attributes=_event_attributes(form.fields))

    def _op_update_data(self, chat: Chat, form: ParsedForm, file_id: str | None) -> None:
        self._check_user_data(chat.user_data, form.user_data)
        chat.user_data.update(form.user_data)
        chat.touch()

    def _op_update_nickname(self, chat: Chat, form: ParsedForm, file_id: str | None) -> None:
        nickname = form.fields.get("nickname", "").strip()
        if not nickname:
            raise GmsError(Code.NAME_REQUIRED, "nickname is required")
        chat.client.nickname = nickname
        chat.append("NicknameUpdated", chat.client, text=nickname)

    def _op_push_url(self, chat: Chat, form: ParsedForm, file_id: str | None) -> None:
        f = form.fields
        url = f.get("pushUrl") or f.get("url") or f.get("message") or ""
        if not url:
            raise GmsError(Code.BAD_REQUEST, "pushUrl is required")
        chat.append("PushUrl", chat.client, text=url)

    def _op_file_upload(self, chat: Chat, form: ParsedForm, file_id: str | None) -> dict[str, Any]:
        upload = form.files.get("file")
        if upload is None:
            raise GmsError(Code.BAD_REQUEST, "multipart part 'file' is required")
        file_ops.check_client_upload(chat, upload.filename, len(upload.data))
        stored, _ = file_ops.store_file(
            self.state.store, chat, chat.client, upload.filename, upload.content_type, upload.data
        )
        return {"userData": {"file-id": stored.file_id}}

    def _op_file_delete(self, chat: Chat, form: ParsedForm, file_id: str | None) -> None:
        file_ops.delete_file(self.state.store, chat, file_id or "", chat.client)

    _OPERATIONS: dict[str, Callable[..., dict[str, Any] | None]] = {
        "send": _op_send,
        "startTyping": lambda self, chat, form, file_id: self._op_typing(chat, form, file_id, True),
        "stopTyping": lambda self, chat, form, file_id: self._op_typing(chat, form, file_id, False),
        "disconnect": _op_disconnect,
        "customNotice": _op_custom_notice,
        "updateData": _op_update_data,
        "updateNickname": _op_update_nickname,
        "pushUrl": _op_push_url,
        "fileUpload": _op_file_upload,
        "fileDelete": _op_file_delete,
    }

    def _download(self, service: str, chat_id: str, file_id: str, form: ParsedForm) -> Response:
        chat = self._chat(service, chat_id, form, "fileDownload")
        stored = chat.files.get(file_id)
        if stored is None:
            raise GmsError(Code.NOT_FOUND, f"File {file_id!r} not found in this chat", http_status=404)
        file_ops.count_download(chat)
        stored.downloads += 1
        return file_response(stored)

    # -- validation -----------------------------------------------------------------------------
    def _check_message_length(self, text: str) -> None:
        limit = self.state.config.max_message_chars
        if js_length(text) > limit:  # GMS is Java: String.length() counts UTF-16 units
            raise GmsError(Code.MESSAGE_TOO_LONG, f"Message is longer than {limit} characters")

    def _check_user_data(self, current: dict[str, str], update: dict[str, str]) -> None:
        cfg = self.state.config
        merged = {**current, **update}
        if len(merged) > cfg.max_user_data_keys:
            raise GmsError(Code.BAD_REQUEST, f"userData has more than {cfg.max_user_data_keys} keys")
        size = sum(len(k.encode()) + len(v.encode()) for k, v in merged.items())
        if size > cfg.max_user_data_bytes:
            raise GmsError(Code.BAD_REQUEST, f"userData is larger than {cfg.max_user_data_bytes} bytes")


def ok_body(chat: Chat, messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "statusCode": 0,
        "alias": chat.alias,
        "chatEnded": chat.ended,
        "chatId": chat.chat_id,
        "messages": messages,
        "nextPosition": chat.transcript.next_position,
        "secureKey": chat.secure_key,
        "userId": chat.user_id,
    }


def error_body(err: GmsError, alias: str, chat_id: str | None) -> dict[str, Any]:
    """The Chat V2 error answer; no `alias` when the session was not found (see SessionNotFound)."""
    body: dict[str, Any] = {
        "statusCode": err.status_code,
        "alias": alias,
        "chatEnded": err.chat_ended,
        "chatId": chat_id or "",
        "messages": [],
        "errors": [{"code": err.code, "advice": err.advice, **err.fields}],
    }
    if isinstance(err, SessionNotFound):
        del body["alias"]
    return body


def _position(fields: dict[str, str]) -> int | None:
    raw = fields.get("transcriptPosition", "")
    if raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise GmsError(Code.BAD_REQUEST, f"transcriptPosition must be an integer, got {raw!r}") from None
    if value < 0:
        raise GmsError(Code.BAD_REQUEST, "transcriptPosition must not be negative")
    return max(value, 1)


def _event_attributes(fields: dict[str, str]) -> dict[str, Any] | None:
    raw = fields.get("eventAttributes")
    if not raw:
        return None
    try:
        value = load_json(raw)
    except JsonRefused as exc:
        raise GmsError(Code.BAD_REQUEST, f"eventAttributes must be a JSON object: {exc}") from None
    if not isinstance(value, dict):
        raise GmsError(Code.BAD_REQUEST, "eventAttributes must be a JSON object")
    return value


def file_response(stored: StoredFile) -> Response:
    """A stored file as a download: never rendered in place, never sniffed into HTML."""
    return Response(stored.data, media_type=stored.content_type, headers={
        "Content-Disposition": attachment(stored.name), "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})


def attachment(name: str) -> str:
    """Content-Disposition for a download: an ASCII fallback plus the exact UTF-8 name (RFC 6266)."""
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def _loggable(form: ParsedForm) -> dict[str, Any]:
    out: dict[str, Any] = dict(form.fields)
    for key, value in form.user_data.items():
        out[f"userData[{key}]"] = value
    for key, up in form.files.items():
        out[key] = {"filename": up.filename, "contentType": up.content_type, "size": len(up.data)}
    return out
