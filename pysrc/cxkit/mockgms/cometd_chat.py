"""The chat channel `/service/chatV2/{serviceName}`: Chat API v2 operations over Bayeux (spec C.4).

A publish carries `{operation, chatId, alias, secureKey, userId, ...}` (the identity is checked
as REST checks it: a wrong or missing secureKey or userId is refused; without `chatId` the
secureKey finds the chat). The REST logic of routes_chat.py does the work, so the chat state has one implementation;
this module only maps names and pushes. Operation names (CometD -> REST, as `/mock/faults` and
the request log know them): requestChat, sendMessage -> send, startTyping, stopTyping,
requestNotifications -> refresh, customNotice, updateData, updateNickname, pushUrl, disconnect.

Notifications are `{channel, data: <Chat V2 response>}`, queued for every Bayeux client bound
to the chat whenever its transcript grows (agent actions, the echo agent, the customer's own
messages) and when it ends. A client is bound by requestChat, by requestNotifications (from its
`transcriptPosition`: 0 or absent = everything, a negative one = from now on) and by any other
operation (from the next message on). A failed operation is pushed to its publisher only, as the
GMS error body (`statusCode` 1 or 2, `errors`, `chatEnded`).

    >>> import asyncio
    >>> from cxkit.mockgms import MockGMS
    >>> async def demo():
    ...     gms = MockGMS(agent="silent")
    ...     bayeux = gms.cometd.bayeux
    ...     [hs] = await bayeux.handle([{"channel": "/meta/handshake", "supportedConnectionTypes": ["long-polling"]}])
    ...     await bayeux.handle([{"channel": "/service/chatV2/customer-support", "clientId": hs["clientId"],
    ...                           "data": {"operation": "requestChat", "nickname": "Nick"}}])
    ...     [note, _] = await bayeux.handle([{"channel": "/meta/connect", "clientId": hs["clientId"]}])
    ...     return note["channel"], note["data"]["statusCode"], note["data"]["messages"][0]["type"]
    >>> asyncio.run(demo())
    ('/service/chatV2/customer-support', 0, 'ParticipantJoined')
"""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import TYPE_CHECKING, Any

from ..common.jsnumbers import js_number_text
from .bayeux import BayeuxServer, BayeuxSession
from .chat import Chat
from .errors import Code, GmsError, SessionNotFound
from .faults import fault_error
from .forms import ParsedForm
from .jsonin import JsonRefused, load_json
from .routes_chat import error_body, ok_body

if TYPE_CHECKING:
    from .routes_chat import ChatApi
    from .state import ServerState

__all__ = ["CHANNEL_PREFIX", "REST_NAMES", "ChatChannel", "find_chat", "to_form"]

CHANNEL_PREFIX = "/service/chatV2/"
REST_NAMES = {
    "requestChat": "requestChat", "sendMessage": "send", "startTyping": "startTyping",
    "stopTyping": "stopTyping", "requestNotifications": "refresh", "customNotice": "customNotice",
    "updateData": "updateData", "updateNickname": "updateNickname", "pushUrl": "pushUrl",
    "disconnect": "disconnect",
}
# How long a binding's watcher sleeps between checks when nothing changes (it is woken on change).
_WATCH_S = 3600.0


def _field(value: Any) -> str:
    """A JSON value as the form field a jQuery-encoded REST request would carry."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return js_number_text(value)
    return json.dumps(value, separators=(",", ":"))


def to_form(data: dict[str, Any]) -> ParsedForm:
    """The publish data as the REST handlers' ParsedForm (objects become JSON text fields)."""
    fields = {k: _field(v) for k, v in data.items() if k not in ("userData", "operation")}
    raw_user_data = data.get("userData")
    if isinstance(raw_user_data, str) and raw_user_data.strip():
        try:
            raw_user_data = load_json(raw_user_data)
        except JsonRefused as exc:
            raise GmsError(Code.BAD_REQUEST, f"userData must be a JSON object: {exc}") from None
    if raw_user_data not in (None, "") and not isinstance(raw_user_data, dict):
        raise GmsError(Code.BAD_REQUEST, "userData must be an object")
    user_data = {str(k): _field(v) for k, v in (raw_user_data or {}).items()}
    return ParsedForm(fields, user_data, {})


def find_chat(state: ServerState, fields: dict[str, str]) -> Chat:
    """The chat a CometD request means: by chatId when given, else by secureKey (checked)."""
    key = fields.get("secureKey", "")
    chat: Chat | None = None
    chat_id = fields.get("chatId", "")
    if chat_id:
        chat = state.store.get(chat_id)
    elif key:
        chat = next((c for c in state.store.chats.values() if c.secure_key == key), None)
    if chat is None:
        raise SessionNotFound(chat_id)
    if not secrets.compare_digest(key.encode(), chat.secure_key.encode()):
        raise GmsError(Code.INVALID_CREDENTIALS, "secureKey does not match this chat", http_status=200)
    return chat


def _chat_or_none(state: ServerState, fields: dict[str, str]) -> Chat | None:
    try:
        return find_chat(state, fields)
    except GmsError:
        return None


class Binding:
    """One Bayeux client following one chat from `position` on."""

    def __init__(self, channel: ChatChannel, session: BayeuxSession, chat: Chat, topic: str,
                 position: int) -> None:
        self.owner, self.session, self.chat, self.topic = channel, session, chat, topic
        self.position = position
        self.done = False
        self.task = asyncio.get_running_loop().create_task(self._watch())

    def pending(self) -> bool:
        return not self.done and (self.chat.transcript.next_position > self.position or self.chat.ended)

    def flush(self, force: bool = False) -> None:
        """Push the messages from `position` on (and the end); with force even when there are none."""
        if self.done or not (force or self.pending()):
            return
        messages = self.chat.transcript.since(self.position)
        self.position = self.chat.transcript.next_position
        self.owner.bayeux.deliver(self.session.client_id, {"channel": self.topic,
                                                           "data": ok_body(self.chat, messages)})
        if self.chat.ended:
            self.stop()

    def stop(self) -> None:
        if not self.done:
            self.done = True
            self.owner.unbind(self)
            self.task.cancel()

    async def _watch(self) -> None:
        while not self.done:
            if await self.chat.changed.wait_for(self.pending, _WATCH_S):
                self.flush()


class ChatChannel:
    """Answers publishes on `/service/chatV2/*`; keeps the client <-> chat bindings."""

    def __init__(self, state: ServerState, api: ChatApi, bayeux: BayeuxServer) -> None:
        self.state, self.api, self.bayeux = state, api, bayeux
        self.bindings: dict[tuple[str, str], Binding] = {}  # (clientId, chatId)

    def bind(self, session: BayeuxSession, chat: Chat, topic: str, position: int) -> Binding:
        key = (session.client_id, chat.chat_id)
        binding = self.bindings.get(key)
        if binding is None:
            binding = self.bindings[key] = Binding(self, session, chat, topic, position)
            session.on_close.append(lambda _s: binding.stop())
        else:
            binding.position, binding.topic = position, topic
        return binding

    def unbind(self, binding: Binding) -> None:
        key = (binding.session.client_id, binding.chat.chat_id)
        if self.bindings.get(key) is binding:
            del self.bindings[key]

    async def on_publish(self, session: BayeuxSession, channel: str, data: Any) -> None:
        if not channel.startswith(CHANNEL_PREFIX):
            return  # other service channels: acknowledged, nothing to do
        service = channel[len(CHANNEL_PREFIX):]
        operation = data.get("operation") if isinstance(data, dict) else None
        rest_op = REST_NAMES.get(operation, "unknown") if isinstance(operation, str) else "unknown"
        entry = self.state.log.record(rest_op, None, service, {})
        entry.update(face="cometd", cometdOperation=operation, clientId=session.client_id)
        try:
            if rest_op == "unknown":
                raise GmsError(Code.BAD_REQUEST, f"Unknown operation {operation!r}")
            form = to_form(data)
            self.state.log.set_form(entry, {**form.fields, **{f"userData[{k}]": v for k, v in form.user_data.items()}})
            fault = self.state.faults.take(rest_op)
            if fault is not None:
                entry["fault"] = fault.mode
                if fault.mode == "drop":
                    return  # the operation is lost: no effect, no notification
                if fault.mode == "delay":
                    await asyncio.sleep(fault.delay_ms / 1000)
                else:
                    chat = _chat_or_none(self.state, form.fields)
                    entry["chatId"] = chat.chat_id if chat is not None else None
                    raise fault_error(fault.mode, chat)
            self._perform(session, channel, service, rest_op, form, entry)
            entry["statusCode"] = 0
        except GmsError as err:
            entry["statusCode"] = err.status_code
            self.bayeux.deliver(session.client_id, {
                "channel": channel, "data": error_body(err, self.state.config.alias, entry.get("chatId"))})
        finally:
            self.state.log.done(entry)

    def _perform(self, session: BayeuxSession, topic: str, service: str, rest_op: str,
                 form: ParsedForm, entry: dict[str, Any]) -> None:
        if rest_op == "requestChat":
            body = self.api._request_chat(service, form)
            chat = self.state.store.chats[body["chatId"]]
            entry["chatId"] = chat.chat_id
            self.bind(session, chat, topic, 1).flush(force=True)
            return
        chat = find_chat(self.state, form.fields)
        entry["chatId"] = chat.chat_id
        # The identity is checked as for REST (secureKey and userId): the original client sends
        # `chatId, alias, secureKey, userId` with every operation, so one that leaves them out
        # is refused here as it would be by GMS.
        if rest_op == "refresh":
            self.api._chat(service, chat.chat_id, form, "refresh")  # same checks as a refresh
            raw = form.fields.get("transcriptPosition", "")
            position = _int(raw, 0)
            start = chat.transcript.next_position if position < 0 else max(position, 1)
            self.bind(session, chat, topic, start).flush(force=True)
            return
        self.api._chat(service, chat.chat_id, form, rest_op)  # refused before it binds anything
        binding = self.bind(session, chat, topic, self._position_of(session, chat))
        form.fields.pop("transcriptPosition", None)  # the transcript comes as notifications
        self.api._chat_op(rest_op, service, chat.chat_id, None, form)
        binding.flush()

    def _position_of(self, session: BayeuxSession, chat: Chat) -> int:
        binding = self.bindings.get((session.client_id, chat.chat_id))
        return binding.position if binding is not None else chat.transcript.next_position


def _int(raw: str, default: int) -> int:
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise GmsError(Code.BAD_REQUEST, f"transcriptPosition must be an integer, got {raw!r}") from None

