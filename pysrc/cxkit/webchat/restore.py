"""Restoring a chat after a page reload (spec B.6), with one deliberate difference.

Like the original: the session cookie triggers a restore at configure; if the last poll is
``restoreTimeout`` ms old or more the cookies are cleared and ``restoreTimeout`` is published
without a request; otherwise a ``refresh`` from position 1 fetches the whole transcript.
``chatEnded`` (or no usable answer) -> cookies cleared, ``restoreTimeout``; no HTTP answer or an
HTTP error -> ``restoreFailed``; success -> ``restored``, the messages, ``sessionActive``,
``ajaxResponse``, ``pollingStarted``.

Unlike the original, the ``state.index`` cookie is read back: messages below it were shown
before the reload and come back flagged ``restoring: true``; messages at or above it arrived
while the page was away and come as live messages (a second ``messageReceived`` with
``restoring: false``). Every index is delivered once: no duplicate, no loss.

In CometD mode the ``refresh`` is a ``requestNotifications`` publish (position 1) on a new Bayeux
connection, and the notification that answers it plays the part of the refresh answer. There is
no age check there: nothing polls, so no ping is kept fresh (a ping written at a restore stayed
as it was, and a reload more than ``restoreTimeout`` after it gave up a live chat); the server's
answer says whether the chat is still on.

Asynchronous chat (CometD and ``async.enabled``): the identity is the page's ``sessionData``
(``{sessionID, alias, secureKey, userId}``, from its ``async.setSessionData`` callback or the
``restore`` command's option) instead of the cookies, and there is no ``restoreTimeout`` by age.
As the original: ``requestNotifications`` at ``-1`` learns the next index N, then
``requestNotifications`` from ``max(1, N - maxMessagePageSize)`` brings the last page (older
pages come with ``fetchHistory``); ``restored`` carries ``{async: true}`` and the data key
``WebChatService.mode`` becomes ``{async: true}``::

    from cxkit.webchat.restore import restore_session
    outcome = await restore_session(service)   # "restored", "timeout", "failed" or "none"
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from ..gms import ChatClient, GmsReply, Identity
from .config import WebChatConfig
from .cookies import SessionCookies
from .push import DirectPublisher, PushMode
from .session import ChatSession

__all__ = ["RestoreHost", "restore_session", "session_identity"]


class RestoreHost(Protocol):
    """What a restore reads and calls on its service."""

    name: str
    session: ChatSession
    config: WebChatConfig
    cookies: SessionCookies
    push: PushMode | None
    client: ChatClient  # GmsClient, or PushClient in CometD mode
    now: Callable[[], float]

    @property
    def plugin(self) -> DirectPublisher: ...

    def publish(self, event: str, data: Any = None) -> None: ...

    def set_data(self, key: str, value: Any) -> None: ...

    async def request(self, call: Callable[[], Awaitable[GmsReply]]) -> GmsReply: ...

    def preview_text(self) -> str: ...

    async def current_preview_text(self) -> str: ...

    def update_identity(self, body: Mapping[str, Any] | None) -> None: ...

    def process(self, body: Mapping[str, Any] | None, *, restoring: bool = False,
                history_below: int | None = None, old_messages: bool = False) -> None: ...

    def begin_session(self, identity: Identity) -> None: ...

    def start_polling(self) -> bool: ...


def session_identity(data: Any) -> Identity | None:
    """The identity in a page's async ``sessionData`` (an object or its JSON text); None if
    there is no session in it."""
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data) if data.strip() else None
        except ValueError:
            return None
    if not isinstance(data, Mapping):
        return None
    chat_id = data.get("sessionID") or data.get("chatId")
    if not chat_id:
        return None
    return Identity(str(chat_id), str(data.get("alias") or ""), str(data.get("secureKey") or ""),
                    str(data.get("userId") or ""))


def is_async(service: RestoreHost) -> bool:
    return service.config.async_enabled and service.push is not None


async def restore_session(service: RestoreHost, session_data: Any = None) -> str:
    """Restore the session of the cookies (or, in async mode, of ``session_data``)."""
    if is_async(service):  # only the page's session data: a session cookie alone restores nothing
        identity = session_identity(session_data) if session_data is not None else None
    else:
        identity = service.cookies.load_identity()
    if identity is None:
        return "none"
    # The age check is REST's: polls keep the ping fresh there. A CometD chat has no poll (the
    # server pushes), so there the server's answer says whether the chat is still on.
    ping = service.cookies.ping
    if service.push is None and ping is not None and service.now() - ping >= service.config.restore_timeout:
        service.cookies.clear_session()
        service.publish("restoreTimeout")
        return "timeout"
    session = service.session
    session.restoring = True
    session.restore_done = done = asyncio.Event()
    try:
        return await _restore(service, identity)
    finally:
        session.restoring = False
        done.set()


async def _restore(service: RestoreHost, identity: Identity) -> str:
    session = service.session
    history_below = service.cookies.index
    session.new_transcript()
    session.filters.clear()
    session.filters.restore(service.cookies.load_filters())
    session.identity = identity
    service.set_data(f"{service.name}.sessionData", identity.as_session_data())
    if service.push is None:
        service.cookies.ping = service.now()
    asynchronous = is_async(service)
    reply = await _ask(service, identity, asynchronous)
    if session.active:
        # A startChat begun before this restore finished first: its chat is the page's now,
        # and this answer (about the previous chat) must not touch it.
        return "none"
    if reply.kind in ("network", "http_error"):
        service.publish("error", reply.failure())
        service.publish("restoreFailed")
        return "failed"
    body = reply.body
    if body is None or body.get("chatEnded") or reply.kind == "failed":
        service.cookies.clear_session()
        session.identity = Identity()
        service.publish("restoreTimeout")
        return "timeout"
    _resume(service, reply, body, history_below, asynchronous)
    return "restored"


async def _ask(service: RestoreHost, identity: Identity, asynchronous: bool) -> GmsReply:
    """GMS's answer about the chat to restore: a refresh from position 1 (REST), the
    notification answering requestNotifications (CometD), or the last page (async)."""
    push = service.push
    if push is not None and asynchronous:
        # Async: learn the next index, then ask for the last page from there.
        reply = await push.ask(identity, -1)
        answer = reply.body or {}
        next_position = answer.get("nextPosition") if reply.ok else None
        if isinstance(next_position, int) and not isinstance(next_position, bool) and not answer.get("chatEnded"):
            start = max(1, next_position - service.config.max_message_page_size)
            reply = await push.ask(identity, start)
        return reply
    if push is not None:
        # CometD: requestNotifications from position 1; its notification is the answer.
        return await push.ask(identity, 1)
    return await service.request(lambda: service.client.refresh(identity, 1, service.preview_text()))


def _resume(service: RestoreHost, reply: GmsReply, body: Mapping[str, Any], history_below: int | None,
            asynchronous: bool) -> None:
    """GMS still has the chat: ``restored``, the messages, then the session goes on."""
    session = service.session
    service.update_identity(body)
    if asynchronous:
        service.set_data(f"{service.name}.mode", {"async": True})
        service.publish("restoredOffline" if reply.kind == "retry" else "restored", {"async": True})
    else:
        service.publish("restoredOffline" if reply.kind == "retry" else "restored")
    service.process(body, restoring=True, history_below=history_below)
    service.begin_session(session.identity)
    service.cookies.index = session.transcript.next_index
    service.set_data("sessionActive", True)
    service.plugin.publish_direct("ajaxResponse", body)
    if reply.kind == "retry":  # the transcript comes with the first answer, its history as history
        session.poll_exceptions = 1
        session.history_due = (history_below,)
    service.start_polling()
    if service.push is not None:
        service.push.replay_backlog()
        if reply.kind == "retry":  # nothing polls: ask again until the server answers
            service.push.catch_up()
