"""The 27 WebChatService commands. Each handler settles ``e.deferred`` on every path.

Handlers that need no I/O are plain functions (the bus resolves them synchronously); the others
are ``async def``. ``startChat`` is in start_chat.py, the file commands in file_commands.py, the
rest here; each group types its service by the protocol of what it uses (`ChatCommandHost`,
`StartChatHost`, `FileCommandHost`), and `WebChatHost` is all three. Registered by
`register_commands`::

    register_commands(service)   # service.plugin now answers WebChatService.<command>
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from ..common.jsstrings import js_length
from ..gms import GmsReply, form_value
from . import messages as msg
from .catalog import COMMANDS
from .command_host import CommandHost
from .file_commands import FileCommandHost, download_file, get_file_limits, send_file
from .filters import InvalidFilter
from .polling import PollingLoop
from .ports import TypingInput
from .restore import RestoreHost, restore_session
from .start_chat import StartChatHost, start_chat
from .typing_indicator import ClientTyping, CometdTyping
from .user_data import data_copy, values_of_functions

if TYPE_CHECKING:
    from ..bus import CommandEvent, Plugin

__all__ = ["COMMANDS", "ChatCommandHost", "WebChatHost", "register_commands"]


class ChatCommandHost(CommandHost, RestoreHost, Protocol):
    """What this module's handlers use: a restore's host (the ``restore`` command runs one),
    plus configuration, polling, typing, pre-processors and the local end of a chat."""

    configured: bool
    polling: PollingLoop
    typing: ClientTyping | CometdTyping

    @property
    def preprocessors(self) -> list[Callable[[dict[str, Any]], Any]]: ...

    @property
    def sleeping(self) -> bool: ...

    def apply_config(self, raw: Mapping[str, Any] | None) -> None: ...

    def configure(self, raw: Mapping[str, Any] | None) -> None: ...

    def end_locally(self) -> None: ...

    def stop_polling(self) -> bool: ...

    def after_side_request(self, reply: GmsReply) -> None: ...

    def attach_typing_input(self, element: TypingInput) -> None: ...


class WebChatHost(ChatCommandHost, StartChatHost, FileCommandHost, Protocol):
    """Every command's host at once, with the plugin the commands are registered on."""

    @property
    def plugin(self) -> Plugin: ...


def _js_typeof(value: Any) -> str:
    if value is None:
        return "undefined"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if callable(value):
        return "function"
    return "object"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else form_value(value)


def _first(value: Any) -> Any:
    """jQuery-wrapped elements arrive as sequences: use the first element."""
    if isinstance(value, (list, tuple)):
        return value[0] if value else None
    return value


class Commands:
    """The handlers of this module, bound to their service."""

    def __init__(self, service: ChatCommandHost) -> None:
        self.s = service
        self._updates: asyncio.Lock | None = None  # made in the loop that runs the commands

    # -- session ---------------------------------------------------------------------------------

    def configure(self, e: CommandEvent) -> None:
        if self.s.configured:
            raw = dict(self.s.config.raw)
            raw.update(e.data)
            self.s.apply_config(raw)
            e.deferred.resolve()
            return
        self.s.configure(e.data)
        e.deferred.resolve()

    async def endChat(self, e: CommandEvent) -> None:
        s = self.s
        if not s.session.active or s.session.ending:  # a second endChat (a double click) sends nothing
            e.deferred.reject(msg.NO_ACTIVE_SESSION)
            return
        identity = s.session.identity
        s.stop_polling()
        s.typing.reset()
        # The server's chat-ended answer (a CometD notification, a poll in flight) may come
        # before the disconnect's own: the whole local end sequence runs either way (as the
        # original), and a poll in flight (REST) is waited for, so the agent's last words it
        # brings are delivered before the end.
        s.session.ending = True
        try:
            reply = await s.request(lambda: s.client.disconnect(identity))
            await s.polling.finished()
        finally:
            s.session.ending = False
        ended = reply.ok or (reply.kind in ("retry", "failed") and reply.chat_ended)
        # The original publishes error before the end sequence: pollingStopped, error, ...
        failure = None if ended else s.report_failure(reply)
        if s.session.active:
            s.end_locally()
        if failure is None:
            s.plugin.publish_direct("ajaxResponse", reply.body)
            e.deferred.resolve(reply.body)
        else:
            e.deferred.reject(failure)

    async def restore(self, e: CommandEvent) -> None:
        s = self.s
        if s.session.restoring:
            e.deferred.reject(msg.ALREADY_RESTORING)
        elif s.session.active:
            s.publish("restored")  # as the original does before it refuses
            e.deferred.reject(msg.RESTORE_SESSION_ACTIVE)
        elif e.commander != s.name and not s.config.async_enabled:
            e.deferred.reject(msg.ACCESS_DENIED_RESTORE)
        elif await restore_session(s, session_data=e.data.get("sessionData")) == "restored":
            e.deferred.resolve()
        else:
            e.deferred.reject()

    async def verifySession(self, e: CommandEvent) -> None:
        s = self.s
        await s.session.restore_finished()
        e.deferred.resolve({"sessionActive": s.session.active or s.cookies.has_session()})

    def getSessionData(self, e: CommandEvent) -> None:
        e.deferred.resolve(self.s.session.identity.as_session_data())

    # -- messages --------------------------------------------------------------------------------

    def _text_to_send(self, e: CommandEvent) -> str | None:
        """The text to send, or None after rejecting ``e`` (no text, too long)."""
        s = self.s
        text = e.data.get("message")
        if text is None or text == "":
            e.deferred.reject(msg.NO_MESSAGE)
            return None
        text = _text(text)
        limit = s.config.max_message_length
        if limit is not None and js_length(text) > limit:  # as the original's message.length
            e.deferred.reject(msg.MESSAGE_TOO_LONG.format(limit))
            return None
        return text

    def _active_text(self, e: CommandEvent, inactive: str) -> str | None:
        """The text to send, or None after rejecting ``e`` (`inactive` without a chat; no text, too
        long)."""
        if not self.s.session.active:
            e.deferred.reject(inactive)
            return None
        return self._text_to_send(e)

    def _settle_side_request(self, e: CommandEvent, reply: GmsReply, resolve_with_body: bool = True) -> None:
        """Settle ``e`` by a send-like request's reply: resolve (with the body) after the reply's
        side effects, or reject with the reported failure."""
        s = self.s
        if reply.ok:
            s.after_side_request(reply)
            e.deferred.resolve(*([reply.body] if resolve_with_body else []))
        else:
            e.deferred.reject(s.report_failure(reply))

    async def sendMessage(self, e: CommandEvent) -> None:
        data = e.data
        text = self._active_text(e, msg.NO_ACTIVE_SESSION)
        if text is None:
            return
        attributes = None
        if data.get("parentMessageID") is not None:
            attributes = {"general-properties": {"related-event-id": _text(data["parentMessageID"])}}
        await self._send(e, text, _text(data.get("type") or "text"), attributes)

    async def _send(self, e: CommandEvent, text: str, kind: str, attributes: Any,
                    resolve_with_body: bool = True) -> None:
        s = self.s
        s.typing.reset()
        identity = s.session.identity
        reply = await s.request(lambda: s.client.send(identity, text, kind, attributes))
        s.polling.speed_up()
        self._settle_side_request(e, reply, resolve_with_body)

    async def sendFilteredMessage(self, e: CommandEvent) -> None:
        text = self._active_text(e, msg.NO_ACTIVE_SESSION_SHORT)
        if text is None:
            return
        if not self._add_filters(e, e.data.get("regex")):
            return
        await self._send(e, text, "text", None, resolve_with_body=False)

    async def sendCustomNotice(self, e: CommandEvent) -> None:
        """Sent with or without a chat (the original checks neither), and resolved with whatever GMS
        answers (a statusCode 2 too): only an "AJAX exception" rejects (the commands page, observed)."""
        s = self.s
        identity = s.session.identity
        reply = await s.request(lambda: s.client.custom_notice(
            identity, _text(e.data.get("message") or "")))
        if reply.ok or not reply.answered:
            self._settle_side_request(e, reply)
        else:
            e.deferred.resolve(reply.body)

    async def sendTyping(self, e: CommandEvent) -> None:
        s, data = self.s, e.data
        if not s.session.active:
            e.deferred.reject(msg.NO_ACTIVE_SESSION)
            return
        text = data.get("message")
        if data.get("isTyping") is False:
            reply = await s.typing.stop_now()
        else:
            if text is None:  # the input's text, read now (in worker mode a trip to the page)
                resets = s.typing.resets
                text = await s.current_preview_text()
                if not s.session.active:
                    e.deferred.reject(msg.NO_ACTIVE_SESSION)
                    return
                if s.typing.resets != resets:  # a message went meanwhile: its typing is over
                    e.deferred.resolve(None)
                    return
            reply = await s.typing.touch(_text(text))
        if reply is None or reply.ok:
            e.deferred.resolve(reply.body if reply is not None else None)
        else:
            e.deferred.reject(s.report_failure(reply))

    async def updateUserData(self, e: CommandEvent) -> None:
        s = self.s
        changes = dict(e.data)
        s.session.user_data.update(changes)
        s.set_data("userData", data_copy(s.session.user_data))
        # Updates go to GMS in the order they were made, also when one waits for the page to
        # answer a function in it: each starts its request before the next may resolve its values.
        self._updates = self._updates or asyncio.Lock()
        async with self._updates:
            changes = await values_of_functions(changes)
            if not s.session.active:  # none, or it ended while the page answered
                e.deferred.resolve(data_copy(s.session.user_data))
                return
            identity = s.session.identity
            sent = asyncio.ensure_future(s.request(lambda: s.client.update_data(identity, changes)))
        reply = await sent
        if reply.ok:
            s.plugin.publish_direct("ajaxResponse", reply.body)
            e.deferred.resolve(reply.body)
        else:
            e.deferred.reject(s.report_failure(reply))

    # -- filters, pre-processors, typing input ---------------------------------------------------

    def _add_filters(self, e: CommandEvent, spec: Any) -> bool:
        """Add the filters `spec` describes and keep them in their cookie; False after rejecting
        ``e`` when `spec` is not a valid filter."""
        s = self.s
        try:
            s.session.filters.add(spec)
        except InvalidFilter:
            e.deferred.reject(msg.INVALID_FILTERS)
            return False
        s.cookies.save_filters(s.session.filters.to_cookie())
        return True

    def addPrefilter(self, e: CommandEvent) -> None:
        s = self.s
        if not self._add_filters(e, e.data.get("filters")):
            return
        e.deferred.resolve(s.session.filters.registered())

    def registerPreProcessor(self, e: CommandEvent) -> None:
        fn = e.data.get("preprocessor")
        if not callable(fn) or isinstance(fn, type):
            e.deferred.reject(msg.NO_PREPROCESSOR.format(_js_typeof(fn)))
            return
        self.s.preprocessors.append(fn)
        e.deferred.resolve(fn)

    def registerTypingPreviewInput(self, e: CommandEvent) -> None:
        element = _first(e.data.get("input"))
        if (element is None or isinstance(element, (str, bytes, Mapping))
                or not callable(getattr(element, "on_input", None))
                or not hasattr(element, "value")
                or not getattr(element, "is_text_input", True)):
            e.deferred.reject(msg.INVALID_INPUT)
            return
        self.s.attach_typing_input(element)
        e.deferred.resolve()

    # -- polling ---------------------------------------------------------------------------------

    async def poll(self, e: CommandEvent) -> None:
        s = self.s
        if e.commander != s.name:
            e.deferred.reject(msg.ACCESS_DENIED)
            return
        if not s.session.active or s.polling.in_flight:
            e.deferred.reject(msg.POLL_IN_PROGRESS)
            return
        await s.polling.run_once()
        e.deferred.resolve()

    def startPoll(self, e: CommandEvent) -> None:
        s = self.s
        if s.config.cometd_enabled:
            e.deferred.reject(msg.COMETD_POLLING)
        elif not s.session.active:
            e.deferred.reject(msg.NO_ACTIVE_SESSION_SHORT)
        else:
            s.start_polling()
            e.deferred.resolve()

    def stopPoll(self, e: CommandEvent) -> None:
        s = self.s
        if not s.session.active:
            e.deferred.reject(msg.NO_ACTIVE_SESSION_SHORT)
        elif not s.stop_polling():
            e.deferred.reject(msg.NOT_POLLING)
        else:
            e.deferred.resolve()

    def resetPollExceptions(self, e: CommandEvent) -> None:
        self.s.session.poll_exceptions = 0
        e.deferred.resolve()

    def sleep(self, e: CommandEvent) -> None:
        s = self.s
        if not s.sleeping:
            s.polling.sleeping = True
            s.set_data("sleeping", True)
            s.publish("sleeping")
        e.deferred.resolve()

    async def wake(self, e: CommandEvent) -> None:
        s = self.s
        if s.sleeping:
            s.polling.sleeping = False
            s.polling.speed_up()
            s.set_data("sleeping", False)
            s.publish("waking")
        if e.data.get("resetIdleState") and s.session.active:
            identity = s.session.identity
            reply = await s.request(lambda: s.client.custom_notice(
                identity, "", {"purpose": "cancel-idle-timer"}))
            if not reply.ok:
                e.deferred.reject(s.report_failure(reply))
                return
        e.deferred.resolve()

    # -- transcript ------------------------------------------------------------------------------

    def getTranscript(self, e: CommandEvent) -> None:
        e.deferred.resolve(self.s.session.transcript.as_result())

    def getAgents(self, e: CommandEvent) -> None:
        e.deferred.resolve({"agents": self.s.session.transcript.roster.snapshot()})

    def getStats(self, e: CommandEvent) -> None:
        e.deferred.resolve(self.s.session.transcript.stats())

    async def fetchHistory(self, e: CommandEvent) -> None:
        s = self.s
        if not (s.config.async_enabled and s.push is not None):
            e.deferred.reject(msg.FETCH_HISTORY_SYNC)
            return
        oldest = min(s.session.transcript.seen, default=1)
        if not s.session.active or oldest <= 1:
            e.deferred.reject(msg.NO_MORE_MESSAGES)
            return
        # Ask again from a page further back; what is already known is dropped by index.
        s.push.history = True
        reply = await s.request(lambda: s.client.refresh(
            s.session.identity, max(1, oldest - s.config.max_message_page_size)))
        if reply.ok:
            e.deferred.resolve()
        else:
            s.push.history = False
            e.deferred.reject(s.report_failure(reply))


def register_commands(service: WebChatHost) -> Commands:
    """Register the 27 commands on ``service.plugin``, in the catalog's order."""
    commands = Commands(service)
    elsewhere: dict[str, Callable[[CommandEvent], Awaitable[None]]] = {
        "startChat": partial(start_chat, service),
        "getFileLimits": partial(get_file_limits, service),
        "sendFile": partial(send_file, service),
        "downloadFile": partial(download_file, service)}
    for name in COMMANDS:
        handler: Callable[..., Any] = elsewhere.get(name) or getattr(commands, name)
        if name in AFTER_RESTORE:
            handler = _after_restore(service, handler)
        service.plugin.register_command(name, handler)
    return commands


#: Commands about the chat that wait for a restore in flight (after a reload, it restores the
#: chat they are about), as startChat and verifySession do, instead of rejecting "no active
#: chat session" meanwhile. They wait in the order they were issued.
AFTER_RESTORE = frozenset({"sendMessage", "sendFilteredMessage", "sendTyping", "sendFile", "endChat"})


def _after_restore(service: WebChatHost, handler: Callable[[CommandEvent], Any]) -> Callable[[CommandEvent], Any]:
    async def waits(e: CommandEvent) -> None:
        await service.session.restore_finished()
        result = handler(e)
        if result is not None and hasattr(result, "__await__"):
            await result

    return waits
