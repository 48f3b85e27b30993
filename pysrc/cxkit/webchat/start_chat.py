"""``startChat``: the request-chat, the cross-tab start lock and the userData GMS receives.

REST: request-chat under the start lock, then the session begins and polling starts. CometD:
publish requestChat and settle on the first notification of the new chat (push.py)::

    await start_chat(service, e)        # settles e.deferred on every path
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from ..gms import GmsReply, Identity, form_value
from . import messages as msg
from .command_host import CommandHost
from .cookies import SessionCookies
from .ports import PageInfo
from .push import PushMode, identity_of
from .user_data import data_copy, values_of_functions

if TYPE_CHECKING:
    from ..bus import CommandEvent, Plugin

__all__ = ["START_LOCK_MS", "StartChatHost", "start_chat"]

START_LOCK_MS = 2000
START_LOCK_REFRESH_S = 0.5



class StartChatHost(CommandHost, Protocol):
    """What startChat uses beyond `CommandHost`: the page facts and the start lock for the
    request, and the members that begin the session."""

    cookies: SessionCookies
    push: PushMode | None
    now: Callable[[], float]

    @property
    def page_info(self) -> PageInfo: ...

    @property
    def plugin(self) -> Plugin: ...

    def set_data(self, key: str, value: Any) -> None: ...

    def publish(self, event: str, data: Any = None) -> None: ...

    def begin_session(self, identity: Identity) -> None: ...

    def start_polling(self) -> bool: ...


def _text(value: Any) -> str:
    return value if isinstance(value, str) else form_value(value)


def call_user_data(value: Any) -> Mapping[str, Any] | None:
    """The ``userData`` option as an object (JSON text is parsed); None when it is not one.

    >>> call_user_data('{"a": 1}'), call_user_data(None), call_user_data("[1]")
    ({'a': 1}, {}, None)
    """
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except ValueError:
            return None
    elif value is None:
        value = {}
    return value if isinstance(value, Mapping) else None


def request_user_data(s: StartChatHost) -> dict[str, Any]:
    """What request-chat sends as userData: the language, the service's userData, the page."""
    page = s.page_info
    language = s.plugin.data("App.language") or page.language
    user_data = {"GCTI_LanguageCode": language, **s.session.user_data,
                 "_genesys_source": page.source, "_genesys_referrer": page.referrer,
                 "_genesys_url": page.url, "_genesys_pageTitle": page.title,
                 "_genesys_browser": page.browser, "_genesys_OS": page.os,
                 "_genesys_widgets": page.widgets_version}
    if s.config.async_enabled and s.config.cometd_enabled:
        user_data["GCTI_Chat_AsyncMode"] = "true"
    return user_data


def _request_chat(s: StartChatHost, data: Any,
                  user_data: dict[str, Any]) -> Callable[[], Awaitable[GmsReply]]:
    return lambda: s.client.request_chat(
        Identity(), nickname=_text(data.get("nickname")),
        first_name=_text(data.get("firstname")), last_name=_text(data.get("lastname")),
        email=_text(data.get("email")), subject=_text(data.get("subject")),
        endpoint=s.config.endpoint, user_data=user_data)


async def start_chat(s: StartChatHost, e: CommandEvent) -> None:
    # A restore asking GMS about the previous chat finishes first, so the two chats never mix.
    # If that chat is still there, the restore wins.
    await s.session.restore_finished()
    refusal = _refusal(s)
    if refusal is not None:
        e.deferred.reject(refusal)
        return
    call_data = call_user_data(e.data.get("userData"))
    if call_data is None:
        e.deferred.reject(msg.MALFORMED_USER_DATA)
        return
    s.session.user_data.update(call_data)
    s.set_data("userData", data_copy(s.session.user_data))
    user_data = await values_of_functions(request_user_data(s))
    # A function in userData that the page answers later leaves time for another tab (its start
    # lock) or a restore to start a chat: asked again (at once, when there was no such function).
    refusal = _refusal(s)
    if refusal is not None:
        e.deferred.reject(refusal)
        return
    request = _request_chat(s, e.data, user_data)
    if s.push is not None:
        await _start_push(s, e, request)
    else:
        await _start_rest(s, e, request, s.now())


def _refusal(s: StartChatHost) -> Any:
    """What startChat rejects with when a chat cannot start now (None: it can)."""
    if s.session.active:
        return msg.ALREADY_ACTIVE
    lock = s.cookies.start_lock
    if lock is not None and 0 <= s.now() - lock < START_LOCK_MS:
        return {"statusCode": 1}  # another tab is starting one
    return None


async def _start_rest(s: StartChatHost, e: CommandEvent,
                      request: Callable[[], Awaitable[GmsReply]], now: float) -> None:
    s.cookies.start_lock = now
    lock_timer = _LockRefresher(s)
    try:
        reply = await s.request(request)
    finally:
        lock_timer.cancel()
        s.cookies.release_start_lock()
    body = reply.body or {}
    if not reply.ok or not body.get("chatId"):
        e.deferred.reject(s.report_failure(reply))
        return
    if s.session.active:
        # A restore started and finished while request-chat was in flight: it won. End
        # the chat just created, or it would wait on GMS for an agent nobody answers.
        await s.client.disconnect(identity_of(body))
        e.deferred.reject(msg.ALREADY_ACTIVE)
        return
    s.session.new_transcript()
    # The first refresh (position 1) delivers the start answer's messages, as observed.
    s.begin_session(identity_of(body))
    s.set_data("sessionActive", True)
    s.publish("started", s.session.identity.as_session_data())
    s.plugin.publish_direct("ajaxResponse", body)
    s.start_polling()
    e.deferred.resolve(body)


async def _start_push(s: StartChatHost, e: CommandEvent,
                      request: Callable[[], Awaitable[GmsReply]]) -> None:
    """CometD: publish requestChat; settle on the first notification of the new chat, as the
    original does (resolve with its whole body, or reject with the refusal). No cross-tab
    start lock: the original uses it in REST mode only."""
    push = s.push
    assert push is not None
    reply = await s.request(lambda: push.request_chat(request))
    if not reply.ok or not (reply.body or {}).get("chatId"):
        e.deferred.reject(s.report_failure(reply))
        return
    s.plugin.publish_direct("ajaxResponse", reply.body)
    e.deferred.resolve(reply.body)


class _LockRefresher:
    """Keeps the cross-tab start lock fresh every 500 ms while request-chat is in flight."""

    def __init__(self, service: StartChatHost) -> None:
        self._service = service
        self._loop = asyncio.get_running_loop()
        self._handle = self._loop.call_later(START_LOCK_REFRESH_S, self._refresh)

    def _refresh(self) -> None:
        self._service.cookies.start_lock = self._service.now()
        self._handle = self._loop.call_later(START_LOCK_REFRESH_S, self._refresh)

    def cancel(self) -> None:
        self._handle.cancel()
