"""CometD mode (spec C.4): requests are publishes on the chat channel, results are notifications.

`PushClient` has the methods of `cxkit.gms.GmsClient` that the commands use, so every command
keeps one code path: a publish that the server acknowledged is the answer ``{statusCode: 0}``
(the original resolves its commands with exactly that), a refused publish is a failed answer,
and a publish without an answer is a network failure. Every publish carries the identity as the
original sends it: ``operation, chatId, alias, secureKey, userId`` (empty strings on
``requestChat``), then the operation's own fields. File operations are real HTTP
requests to ``cometD.apiURL`` (``/genesys/2/chat-ntf``) with ``operation`` and ``secureKey``.

`PushMode` owns the Bayeux connection (over the page's WebSocket port when
``cometD.websocketEnabled``, else or as a fallback long-polling) and turns notifications into
what REST polling would have delivered: the service's ``process`` (same events, same
de-duplication by index). It lets ``startChat`` settle on the first notification of the new
chat and a restore wait for the answer to its ``requestNotifications``::

    service.push = PushMode(service)        # done by WebChatService.apply_config
    service.client = service.push.client    # commands now publish
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from ..gms import (
    BayeuxClient,
    DownloadRequest,
    FileHandle,
    GmsReply,
    HttpResponse,
    Identity,
    PublishFailed,
    Transport,
    parse_reply,
)
from ..gms.websocket import WebSocketConnector
from .config import WebChatConfig
from .session import ChatSession
from .tasks import spawn

__all__ = ["DirectPublisher", "PushClient", "PushHost", "PushMode", "identity_of"]


class DirectPublisher(Protocol):
    """The plugin side a push or restore publishes events through."""

    def publish_direct(self, event: str, data: Any = None) -> Any: ...


class PushHost(Protocol):
    """What CometD mode reads and calls on its service."""

    session: ChatSession
    config: WebChatConfig
    transport: Transport
    websocket: WebSocketConnector | None

    @property
    def plugin(self) -> DirectPublisher: ...

    def publish(self, event: str, data: Any = None) -> None: ...

    def begin_push_session(self, body: Mapping[str, Any]) -> None: ...

    def update_identity(self, body: Mapping[str, Any] | None) -> None: ...

    def process(self, body: Mapping[str, Any] | None, *, restoring: bool = False,
                history_below: int | None = None, old_messages: bool = False) -> None: ...

    def handle_poll_reply(self, reply: GmsReply, *, pushed: bool = False) -> None: ...

# How long a restore waits for the answer to its requestNotifications, and startChat for the
# first notification of its chat.
RESTORE_WAIT_S = 10.0
START_WAIT_S = 10.0


def _ok_reply() -> GmsReply:
    return GmsReply(HttpResponse(200, '{"statusCode":0}', "OK"), {"statusCode": 0}, "ok")


async def _notified_reply(publish: Awaitable[GmsReply], waiter: asyncio.Future[Any], wait_s: float) -> GmsReply:
    """The reply to a publish that GMS answers with a notification: the publish's own failure, else
    the notification `waiter` gets within `wait_s` seconds, else a network failure."""
    published = await publish
    if not published.ok:
        return published
    try:
        data = await asyncio.wait_for(asyncio.shield(waiter), wait_s)
    except TimeoutError:
        return _network_reply()
    return reply_of(data)


def _network_reply() -> GmsReply:
    return GmsReply(HttpResponse(0, "", "error"), None, "network")


def _refused_reply(reason: str) -> GmsReply:
    body = {"statusCode": 2, "chatEnded": False, "messages": [],
            "errors": [{"code": 0, "advice": f"CometD publish refused: {reason}"}]}
    return GmsReply(HttpResponse(200, json.dumps(body), "OK"), body, "failed", from_server=False)


# requestChat's identity when none is given: a new chat (Identity is frozen, so one is shared)
_NEW_CHAT = Identity()


def identity_of(body: Mapping[str, Any]) -> Identity:
    """The identity a GMS answer (or notification) names.

    >>> identity_of({"chatId": "c1", "alias": "9", "secureKey": "k", "userId": "u"}).chat_id
    'c1'
    """
    return Identity(str(body.get("chatId") or ""), str(body.get("alias") or ""),
                    str(body.get("secureKey") or ""), str(body.get("userId") or ""))


def reply_of(data: Mapping[str, Any]) -> GmsReply:
    """A notification as if it had been the HTTP answer of a REST request."""
    return parse_reply(HttpResponse(200, json.dumps(data), "OK"))


class PushClient:
    """The CometD twin of `GmsClient` (the subset the WebChatService uses)."""

    def __init__(self, mode: PushMode, *, api_url: str, apikey: str = "",
                 timeout: float | None = 3.0, file_upload_timeout: float | None = None) -> None:
        self.mode = mode
        self.api_url = api_url
        self.timeout, self.file_upload_timeout = timeout, file_upload_timeout
        self.headers: dict[str, str] = {"apikey": apikey} if apikey else {}

    async def _publish(self, identity: Identity, operation: str, **data: Any) -> GmsReply:
        payload: dict[str, Any] = {"operation": operation, "chatId": identity.chat_id, "alias": identity.alias,
                                   "secureKey": identity.secure_key, "userId": identity.user_id, **data}
        self.mode.bayeux.headers = dict(self.headers)
        await self.mode.connect()  # a failed first handshake is tried again by the publish
        try:
            await self.mode.bayeux.publish(self.mode.channel, payload)
        except PublishFailed as exc:
            return _network_reply() if str(exc) in ("no answer", "not connected") else _refused_reply(str(exc))
        return _ok_reply()

    async def request_chat(self, identity: Identity = _NEW_CHAT, *, nickname: str = "",
                           first_name: str = "", last_name: str = "", email: str = "",
                           subject: str = "", endpoint: str = "",
                           user_data: Mapping[str, Any] | None = None) -> GmsReply:
        data: dict[str, Any] = {"nickname": nickname, "firstName": first_name, "lastName": last_name,
                                "emailAddress": email, "subject": subject, "text": "",
                                "userData": dict(user_data or {})}
        if endpoint:
            data["endpoint"] = endpoint
        return await self._publish(identity, "requestChat", **data)

    async def refresh(self, identity: Identity, transcript_position: int, message: str = "") -> GmsReply:
        return await self._publish(identity, "requestNotifications", transcriptPosition=transcript_position,
                                   message="")

    async def send(self, identity: Identity, message: str, message_type: str = "text",
                   event_attributes: Mapping[str, Any] | None = None) -> GmsReply:
        data: dict[str, Any] = {"message": message, "messageType": message_type}
        if event_attributes:
            data["eventAttributes"] = dict(event_attributes)  # an object in CometD, not JSON text
        return await self._publish(identity, "sendMessage", **data)

    async def start_typing(self, identity: Identity, message: str, transcript_position: int) -> GmsReply:
        return await self._publish(identity, "startTyping", message=message, transcriptPosition=transcript_position)

    async def stop_typing(self, identity: Identity, message: str, transcript_position: int) -> GmsReply:
        return await self._publish(identity, "stopTyping", message=message, transcriptPosition=transcript_position)

    async def disconnect(self, identity: Identity) -> GmsReply:
        return await self._publish(identity, "disconnect")

    async def custom_notice(self, identity: Identity, message: str,
                            event_attributes: Mapping[str, Any] | None = None) -> GmsReply:
        data: dict[str, Any] = {"message": message}
        if event_attributes:
            data["eventAttributes"] = dict(event_attributes)
        return await self._publish(identity, "customNotice", **data)

    async def update_data(self, identity: Identity, user_data: Mapping[str, Any]) -> GmsReply:
        return await self._publish(identity, "updateData", userData=dict(user_data))

    # -- files: plain HTTP to apiURL ------------------------------------------------------------
    async def _multipart(self, parts: list[tuple[str, Any]], timeout: float | None) -> GmsReply:
        try:
            response = await self.mode.service.transport.post_multipart(
                self.api_url, parts, headers=dict(self.headers), timeout=timeout)
        except asyncio.CancelledError:
            raise
        except Exception:
            response = HttpResponse(0, "", "error")
        return parse_reply(response)

    async def file_limits(self, identity: Identity) -> GmsReply:
        return await self._multipart([("operation", "fileGetLimits"), ("secureKey", identity.secure_key)],
                                     self.timeout)

    async def upload_file(self, identity: Identity, file: FileHandle) -> GmsReply:
        return await self._multipart([("operation", "fileUpload"), ("secureKey", identity.secure_key),
                                      ("file", file)], self.file_upload_timeout)

    def download_request(self, identity: Identity, file_id: str, file_name: str = "") -> DownloadRequest:
        fields = [("operation", "fileDownload"), ("fileId", file_id), ("secureKey", identity.secure_key)]
        return DownloadRequest(self.api_url, fields, file_name, dict(self.headers))


class PushMode:
    """The Bayeux connection of one WebChatService and what its notifications mean."""

    def __init__(self, service: PushHost) -> None:
        self.service = service
        cfg = service.config
        self.channel = cfg.cometd_channel
        socket = service.websocket if cfg.cometd_websocket_enabled else None
        self.bayeux = BayeuxClient(service.transport, cfg.cometd_url, on_message=self._on_message,
                                   on_state=self._on_state, on_rehandshake=self._on_rehandshake,
                                   websocket=socket)
        self.client = PushClient(self, api_url=cfg.cometd_api_url, apikey=cfg.apikey,
                                 timeout=cfg.ajax_timeout_s, file_upload_timeout=cfg.file_upload_timeout_s)
        self.starting = False  # requestChat published, its notification not seen yet
        self.history = False  # a fetchHistory is waiting for its notification
        # startChat settles on the first notification of its chat (the original does)
        self.first_notification: asyncio.Future[dict[str, Any]] | None = None
        self.unwanted_start = False  # a requestChat given up on (no notification in time): its chat may still come
        self._waiter: asyncio.Future[dict[str, Any]] | None = None
        self._backlog: list[dict[str, Any]] = []
        self._catching_up: asyncio.Task[None] | None = None
        self._hurry = asyncio.Event()

    async def connect(self) -> bool:
        if self.bayeux.running and self.bayeux.client_id is not None:
            return True
        return await self.bayeux.start()

    async def close(self) -> None:
        await self.bayeux.stop()

    async def ask(self, identity: Identity, position: int) -> GmsReply:
        """Publish requestNotifications and return its notification as a reply (restore)."""
        loop = asyncio.get_running_loop()
        self._waiter = waiter = loop.create_future()
        self._backlog = []
        try:
            return await _notified_reply(self.client.refresh(identity, position), waiter, RESTORE_WAIT_S)
        finally:
            self._waiter = None

    async def request_chat(self, publish: Callable[[], Awaitable[GmsReply]]) -> GmsReply:
        """Publish requestChat (``publish()``) and return the first notification of the new chat
        as its reply: the whole Chat V2 body, or the refusal; a network failure when the publish
        got no answer or no notification came within START_WAIT_S."""
        loop = asyncio.get_running_loop()
        self.starting = True
        self.first_notification = waiter = loop.create_future()
        try:
            reply = await _notified_reply(publish(), waiter, START_WAIT_S)
            self.unwanted_start = not waiter.done() and reply.kind == "network"
            return reply
        finally:
            self.starting = False
            self.first_notification = None

    def replay_backlog(self) -> None:
        """Notifications that came while a restore was finishing: deliver them now, in order."""
        backlog, self._backlog = self._backlog, []
        for data in backlog:
            self._on_message(self.channel, data)

    # -- notifications --------------------------------------------------------------------------
    def _on_message(self, channel: str, data: Any) -> None:
        if channel != self.channel or not isinstance(data, dict):
            return
        s, session = self.service, self.service.session
        if self._waiter is not None:
            if not self._waiter.done():
                self._waiter.set_result(data)
            else:
                self._backlog.append(data)
            return
        if session.restoring:
            self._backlog.append(data)
            return
        reply = reply_of(data)
        chat_id = data.get("chatId")
        if not session.active:
            waiter = self.first_notification
            if not (self.starting and waiter is not None and not waiter.done()):
                if self.unwanted_start and reply.ok and chat_id:
                    # startChat was rejected (no answer in time), yet GMS made the chat: end it,
                    # or it would wait for an agent that talks to nobody
                    self.unwanted_start = False
                    spawn(self.client.disconnect(identity_of(data)))
                return  # a late notification of a chat that is over
            waiter.set_result(data)
            if not (reply.ok and chat_id):
                return  # a refusal: startChat rejects with it
            s.begin_push_session(data)
        elif chat_id and chat_id != session.identity.chat_id:
            return
        if reply.ok:
            s.update_identity(data)
            history, self.history = self.history, False
            s.process(data, old_messages=history)
            s.plugin.publish_direct("ajaxResponse", reply.body)
        else:
            s.handle_poll_reply(reply, pushed=True)

    def _on_state(self, online: bool) -> None:
        session = self.service.session
        if not online:
            if session.lost_connection():
                self.service.publish("disconnected")
            if self.bayeux.told_to_stop:  # the chat goes on: a new client, after the longest back-off
                self.catch_up(after=self.bayeux.max_backoff_s)
        elif session.disconnected:
            session.disconnected = False
            self.service.publish("reconnected")
            # as the original: ask from the next index (the ack extension already redelivers
            # what the server had sent; this covers a server without it)
            self.catch_up()

    def _on_rehandshake(self) -> None:
        """A new clientId: the server forgot us, so ask for what came meanwhile."""
        self.catch_up()

    def catch_up(self, after: float = 0.0) -> None:
        """Ask for what came meanwhile (requestNotifications from the next index) until the
        server answers it. The original asked once: a refused or lost request left a new
        clientId bound to no chat, and the messages meanwhile were never asked for again."""
        if not self.service.session.active:
            return
        if self._catching_up is None or self._catching_up.done():
            self._hurry = asyncio.Event()
            self._catching_up = spawn(self._catch_up(after))
        elif not after:  # one waiting to try again: at once (a new client is up)
            self._hurry.set()

    async def _catch_up(self, delay: float) -> None:
        s, session = self.service, self.service.session
        epoch = session.epoch
        while True:
            try:  # as the Bayeux client backs off: 1 s more each time, up to a minute
                await asyncio.wait_for(self._hurry.wait(), delay)
            except TimeoutError:
                pass
            self._hurry.clear()
            if not session.active or session.epoch != epoch:
                return
            reply = await self.ask(session.identity, session.transcript.next_index)
            if not session.active or session.epoch != epoch:
                return
            s.handle_poll_reply(reply)  # as a refresh's answer: the messages, or offline after a few
            self.replay_backlog()
            if reply.kind not in ("retry", "network"):
                return
            delay = min(delay + 1.0, 60.0)
