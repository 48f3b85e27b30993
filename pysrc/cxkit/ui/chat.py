"""`Chat`: the WebChatService as async Python calls and typed callbacks.

    from cxkit.ui import Chat

    chat = Chat()

    @chat.on_text
    def show(message):                     # a ChatMessage with text; `async def` works too
        print(message.sender.name, message.text)

    await chat.ready()                     # WebChatService configured (and restore started)
    await chat.start(nickname="Ada")
    await chat.send("hi")
    await chat.end()

Every call is one bus command (``WebChatService.<command>``) and every callback one bus
subscription, made as this object's own plugin: there is no second implementation. A
rejected command raises `cxkit.bus.CommandRejected` carrying the service's reason.

``on_text`` is for chat lines (``Message``: text always set); ``on_message`` gets every message
of the transcript, also joins, leaves, typing notices and files, whose ``text`` is None.
``ready()`` raises `ChatNotConfigured` at once when the page configured no chat service
(no ``window._genesys.widgets.webchat.dataURL``), instead of waiting forever.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ..bus import CommandRejected
from ..common.tasks import spawn
from .messages import ChatMessage, messages_from_event

if TYPE_CHECKING:
    from ..bus import Bus, Plugin

__all__ = ["Chat", "ChatNotConfigured", "SERVICE", "reason_text"]

logger = logging.getLogger("cxkit.ui")

SERVICE = "WebChatService"
F = TypeVar("F", bound=Callable[..., Any])
_names = itertools.count(1)


class ChatNotConfigured(RuntimeError):
    """The page has no chat service to talk to: the message says what to configure.

    `Chat.ready` raises it at once on a bus where cxkit has not booted:

        >>> import asyncio
        >>> from cxkit.bus import Bus
        >>> asyncio.run(Chat(Bus()).ready())  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        cxkit.ui.chat.ChatNotConfigured: no WebChatService on this bus and cxkit's App is not up: ...
    """


#: Keys of ``_genesys.widgets.webchat`` that tell the service where GMS is.
ENDPOINT_KEYS = ("dataURL", "serverURL")


def _missing_endpoint(config: Any) -> bool:
    webchat = config.get("webchat") if isinstance(config, dict) else None
    return not isinstance(webchat, dict) or not any(webchat.get(key) for key in ENDPOINT_KEYS)


class Chat:
    """A thin async facade over one WebChatService on a bus (the page's bus by default).

    The bus is looked up on first use, so a `Chat` may be made before cxkit has booted.

    Each call is a bus command; here a stand-in service answers ``sendMessage`` (in a page,
    cxkit's WebChatService does, on the page's bus):

        >>> import asyncio
        >>> from cxkit.bus import Bus
        >>> bus = Bus()
        >>> service = bus.register_plugin("WebChatService")
        >>> _ = service.register_command("sendMessage", lambda e: e.deferred.resolve({"sent": e.data["message"]}))
        >>> _ = service.ready()
        >>> asyncio.run(Chat(bus).send("hi"))
        {'sent': 'hi'}
    """

    def __init__(self, bus: Bus | None = None, *, service: str = SERVICE,
                 name: str | None = None) -> None:
        self._bus = bus
        self.service = service
        self._name = name
        self._plugin: Plugin | None = None
        self._tasks: set[asyncio.Task] = set()
        self._events: set[str] = set()

    # -- plumbing --------------------------------------------------------------------------------

    @property
    def plugin(self) -> Plugin:
        """This facade's own bus plugin (registered on first use)."""
        if self._plugin is None:
            from .. import bus as default_bus

            target = self._bus or default_bus.get_bus()
            while self._plugin is None:
                name = self._name or f"PyChat{next(_names)}"
                try:
                    self._plugin = target.register_plugin(name)
                except default_bus.RegistrationRefused as refused:
                    if self._name or refused.reason != "taken":
                        raise
        return self._plugin

    async def command(self, name: str, options: Any = None, /, **kw: Any) -> Any:
        """``await`` any ``WebChatService.<name>`` command; raises `CommandRejected`."""
        return await self.plugin.command(f"{self.service}.{name}", options, **kw)

    def on(self, event: str, fn: Callable[..., Any] | None = None) -> Any:
        """Call ``fn(data)`` for each ``WebChatService.<event>``; decorator without ``fn``."""
        if fn is None:
            return lambda f: self.on(event, f)
        full = f"{self.service}.{event}"
        self.plugin.subscribe(full, lambda e: self._call(fn, e.data))
        self._events.add(full)
        return fn

    def _call(self, fn: Callable[..., Any], *args: Any) -> None:
        try:
            result = fn(*args)
        except Exception:
            logger.exception("cxkit.ui: callback %r raised", fn)
            return
        if inspect.isawaitable(result):
            spawn(result, what="cxkit.ui: callback", logger=logger, into=self._tasks)

    def close(self) -> None:
        """Drop every subscription this facade made (its plugin stays registered, silent)."""
        if self._plugin is not None:
            for event in self._events:
                self._plugin.unsubscribe(event)
        self._events.clear()
        for task in list(self._tasks):
            task.cancel()

    # -- lifecycle -------------------------------------------------------------------------------

    async def ready(self) -> None:
        """Until ``WebChatService.ready`` (sticky: returns at once when it already happened).

        Raises `ChatNotConfigured` as soon as the page's ``App.ready`` shows that no chat service
        can run (the widgets config has no ``webchat.dataURL``), or at once when this bus has
        neither cxkit's App nor the service (cxkit has not booted: ``await booted()`` first).
        """
        target = self._plugin.bus if self._plugin is not None else self._target_bus()
        if target.get_plugin("App") is None and target.get_plugin(self.service) is None:
            raise ChatNotConfigured(f"no {self.service} on this bus and cxkit's App is not up: "
                                    "await cxkit.ui.page.booted() before using Chat")
        future = asyncio.get_running_loop().create_future()
        state: dict[str, Any] = {"service_ready": False, "app": None}

        def settle() -> None:
            if future.done():
                return
            if state["app"] is not None:
                if target.get_plugin(self.service) is None or _missing_endpoint(state["app"][0]):
                    future.set_exception(ChatNotConfigured(
                        "the page configured no chat service: set window._genesys.widgets.webchat.dataURL "
                        "(the GMS chat service URL, …/genesys/2/chat/<service>) before including widgets.js"))
                elif state["service_ready"]:
                    future.set_result(None)
            elif state["service_ready"] and target.get_plugin("App") is None:
                future.set_result(None)  # a bus without cxkit's App (a test harness): nothing to check

        def app_ready(event: Any) -> None:
            state["app"] = (event.data,)
            settle()

        def service_ready(_event: Any) -> None:
            state["service_ready"] = True
            settle()

        self.plugin.subscribe("App.ready", app_ready)
        self.plugin.subscribe(f"{self.service}.ready", service_ready)
        self._events.update(("App.ready", f"{self.service}.ready"))
        await future

    def _target_bus(self) -> Bus:
        from .. import bus as default_bus

        return self._bus or default_bus.get_bus()

    async def session_active(self) -> bool:
        """True while a chat runs here or a session cookie waits to be restored."""
        result = await self.command("verifySession")
        return bool(result and result.get("sessionActive"))

    async def start(self, *, nickname: str | None = None, first_name: str | None = None,
                    last_name: str | None = None, email: str | None = None,
                    subject: str | None = None, user_data: dict[str, Any] | None = None) -> dict:
        """Start a chat; returns the GMS answer (``chatId``, ``alias``, ...)."""
        options = {"nickname": nickname, "firstname": first_name, "lastname": last_name,
                   "email": email, "subject": subject, "userData": user_data}
        return await self.command("startChat", {k: v for k, v in options.items() if v is not None})

    async def send(self, text: str) -> Any:
        """Send a chat line."""
        return await self.command("sendMessage", message=text)

    async def send_typing(self, text: str = "") -> Any:
        return await self.command("sendTyping", message=text)

    async def send_file(self, files: Any) -> dict:
        """Upload a file: an ``<input type=file>`` element, a File, or a list of files."""
        return await self.command("sendFile", files=files)

    async def download(self, file_id: str, file_name: str = "") -> Any:
        """Download a transcript file to the person (the browser saves it)."""
        return await self.command("downloadFile", fileId=file_id, fileName=file_name)

    async def end(self) -> Any:
        """End the chat (the service publishes ``ended``)."""
        return await self.command("endChat")

    async def register_typing_input(self, element: Any) -> None:
        """Send what is typed in ``element`` (a textarea or text input) as typing preview."""
        await self.command("registerTypingPreviewInput", input=element)

    async def transcript(self) -> list[ChatMessage]:
        """Every message delivered in this session so far, typed."""
        result = await self.command("getTranscript")
        return messages_from_event(result)

    # -- typed callbacks -------------------------------------------------------------------------

    def on_message(self, fn: F) -> F:
        """Decorator: ``fn(message: ChatMessage)`` for every message, in transcript order: chat
        lines, and also joins, leaves, typing notices, files and notices, whose ``text`` is
        None (tell them apart with ``message.type`` / ``is_text``). For chat lines only, use
        `on_text`."""
        def each(data: Any) -> None:
            for message in messages_from_event(data):
                self._call(fn, message)

        self.on("messageReceived", each)
        return fn

    def on_text(self, fn: F) -> F:
        """Decorator: ``fn(message: ChatMessage)`` for each chat line (``is_text``: a ``Message``
        someone wrote, ``text`` set), from either side, in transcript order."""
        def each(data: Any) -> None:
            for message in messages_from_event(data):
                if message.is_text:
                    self._call(fn, message)

        self.on("messageReceived", each)
        return fn

    def on_agent_typing(self, fn: F) -> F:
        """Decorator: ``fn(typing: bool, name: str | None)`` when an agent starts/stops typing."""
        def started(data: Any) -> None:
            sender = data.get("from") if isinstance(data, dict) else None
            self._call(fn, True, sender.get("name") if isinstance(sender, dict) else None)

        self.on("agentTypingStarted", started)
        self.on("agentTypingStopped", lambda _data: self._call(fn, False, None))
        return fn

    def on_started(self, fn: F) -> F:
        """Decorator: ``fn()`` when a chat starts here or is restored after a reload."""
        self.on("started", lambda _data: self._call(fn))
        self.on("restored", lambda _data: self._call(fn))
        return fn

    def on_ended(self, fn: F) -> F:
        """Decorator: ``fn()`` when the chat ends (either side)."""
        self.on("ended", lambda _data: self._call(fn))
        return fn


def reason_text(exc: BaseException) -> str:
    """A person-readable reason from a rejected command (a string, or a GMS failure object).

        >>> reason_text(CommandRejected("There is no active chat session"))
        'There is no active chat session'
        >>> reason_text(CommandRejected({"statusCode": 2, "errors": [{"code": 203, "advice": "too big"}]}))
        'too big'
    """
    reason = exc.reason if isinstance(exc, CommandRejected) else str(exc)
    if isinstance(reason, dict):
        errors = reason.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("advice") or errors[0].get("code") or reason)
        return str(reason.get("statusText") or reason.get("errorReason") or reason)
    return "unknown error" if reason is None else str(reason)
