"""`WebChatService`: the session state, message processing and the two ways a chat ends.

The command handlers are in commands.py, restore in restore.py; this module owns what they share.
Normally built by `install_webchat_service`::

    import asyncio, httpx
    from cxkit.bus import Bus
    from cxkit.gms import HttpxTransport
    from cxkit.webchat import MemoryStorage, Ports, install_webchat_service

    async def main():
        bus = Bus()
        transport = HttpxTransport(transport=httpx.MockTransport(
            lambda request: httpx.Response(200, json={"statusCode": 0, "messages": []})))
        service = install_webchat_service(bus, {"dataURL": "http://gms/genesys/2/chat/cs"},
                                          Ports(transport, MemoryStorage()))
        page = bus.register_plugin("Page")
        print(await page.command("WebChatService.verifySession"))  # {'sessionActive': False}

    asyncio.run(main())
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..common.clock import now_ms
from ..gms import ChatClient, GmsClient, GmsReply, Identity, Transport
from ..gms.websocket import WebSocketConnector
from .async_session import SessionDataWriter, start_async_restore
from .catalog import EVENTS
from .config import WebChatConfig
from .cookies import SessionCookies
from .polling import PollingLoop
from .ports import Downloader, PageInfo, Storage, TypingInput
from .processing import MessageProcessor
from .push import PushMode, identity_of
from .restore import restore_session
from .session import ChatSession
from .tasks import spawn
from .typing_indicator import ClientTyping, CometdTyping
from .user_data import data_copy

if TYPE_CHECKING:
    from ..bus import Bus, Plugin

__all__ = ["EVENTS", "NAME", "WebChatService"]

logger = logging.getLogger("cxkit.webchat")

NAME = "WebChatService"
#: How long a typing input in another thread may take to say its value (`current_preview_text`).
READ_INPUT_S = 1.0

# GMS error 204 (message too long) concerns the visitor's send, not the poll.
_IGNORED_POLL_ERRORS = {204}


class WebChatService:
    """One WebChatService on one bus. ``now()`` returns epoch milliseconds (cookies, locks).

    The chat's state is `session` (a `ChatSession`); message processing is `processor`.
    `install_webchat_service` makes one (the module's example); what it holds is plain Python:

        >>> import asyncio, httpx
        >>> from cxkit.bus import Bus
        >>> from cxkit.gms import HttpxTransport
        >>> from cxkit.webchat import MemoryStorage, Ports, install_webchat_service
        >>> gms = httpx.MockTransport(lambda request: httpx.Response(200, json={"statusCode": 0, "messages": []}))
        >>> async def main():
        ...     service = install_webchat_service(Bus(), {"dataURL": "http://gms/genesys/2/chat/cs"},
        ...                                       Ports(HttpxTransport(transport=gms), MemoryStorage()))
        ...     return service.name, service.session.active, service.config.poll_rate
        >>> asyncio.run(main())
        ('WebChatService', False, 3000)
    """

    def __init__(self, bus: Bus, *, transport: Transport, storage: Storage,
                 page_info: PageInfo | Callable[[], PageInfo] | None = None, now: Callable[[], float] | None = None,
                 downloader: Downloader | None = None, name: str = NAME,
                 websocket: WebSocketConnector | None = None) -> None:
        self.bus = bus
        self.websocket = websocket  # the page's WebSocket port (CometD); None: long-polling only
        self.name = name
        self.transport = transport
        self.cookies = SessionCookies(storage)
        self._page_info = page_info or PageInfo()
        self.now: Callable[[], float] = now or now_ms
        self.downloader = downloader
        self.config = WebChatConfig()
        self.client: ChatClient = GmsClient(transport)
        self.plugin: Plugin = bus.register_plugin(name)  # RegistrationRefused if taken
        self.session = ChatSession()
        self.processor = MessageProcessor(self)
        self.configured = False
        self.pending_config: Mapping[str, Any] | None = None  # for start()
        self.polling = PollingLoop(self.config, self.poll_once, self._polling_failed)
        self.push: PushMode | None = None  # CometD mode (push.py)
        self.typing: ClientTyping | CometdTyping = self._rest_typing()
        self.typing_input: TypingInput | None = None
        self._typing_position: int | None = None  # of the last startTyping
        self._detach_input: Callable[[], None] | None = None
        self.session_writer = SessionDataWriter()

    @property
    def page_info(self) -> PageInfo:
        """The page as a chat starting now reports it (``_genesys_url``, ``_genesys_pageTitle``...):
        a provider given as ``page_info`` is asked each time, so a single-page app's later URL and
        title count, as the original reads them when the request goes."""
        info = self._page_info
        return info() if callable(info) else info

    def _rest_typing(self) -> ClientTyping:
        return ClientTyping(self._send_start_typing, self._send_stop_typing, self._typing_changed)

    def _cometd_typing(self) -> CometdTyping:
        return CometdTyping(self._send_start_typing, self._send_stop_typing,
                            lambda: self.preview_text() if self.typing_input is not None else None,
                            self.current_preview_text)

    @property
    def sleeping(self) -> bool:
        """The sleep/wake state; the polling loop owns it (it picks the poll rate)."""
        return self.polling.sleeping

    # -- plumbing --------------------------------------------------------------------------------

    def publish(self, event: str, data: Any = None) -> None:
        self.plugin.publish(event, data)

    def set_data(self, key: str, value: Any) -> None:
        self.plugin.data(key, value)

    def apply_config(self, raw: Mapping[str, Any] | None) -> None:
        self.config = WebChatConfig.from_dict(raw)
        self.client = GmsClient(
            self.transport, data_url=self.config.data_url, server_url=self.config.server_url,
            enable_url_trailing_slash=self.config.enable_url_trailing_slash,
            apikey=self.config.apikey, timeout=self.config.ajax_timeout_s,
            file_upload_timeout=self.config.file_upload_timeout_s)
        self.polling.config = self.config
        wanted = CometdTyping if self.config.cometd_enabled else ClientTyping
        if not isinstance(self.typing, wanted):
            self.typing.reset()
            self.typing = self._cometd_typing() if self.config.cometd_enabled else self._rest_typing()
        if self.config.cometd_enabled:
            # A running Bayeux connection survives a re-configure; a new one takes the new options.
            if self.push is None or not self.push.bayeux.running:
                self.push = PushMode(self)
            self.client = self.push.client
        else:
            self.push = None

    async def request(self, call: Callable[[], Awaitable[GmsReply]]) -> GmsReply:
        """Every GMS request goes through here: custom headers, connectivity events."""
        if self.config.enable_custom_header:
            header = self.plugin.data("App.requestHeader") or {}
            auth = header.get("Authorization") if isinstance(header, Mapping) else None
            if auth:
                self.client.headers["Authorization"] = str(auth)
            else:
                self.client.headers.pop("Authorization", None)
        reply = await call()
        self._note_connectivity(reply)
        return reply

    def _note_connectivity(self, reply: GmsReply) -> None:
        if reply.kind == "network":
            if self.session.lost_connection():
                self.publish("disconnected")
        elif self.session.regained_connection():
            # ``reconnected`` follows the messages this answer brings (the original:
            # disconnected, messageReceived, reconnected): `process` publishes it after them,
            # and for an answer without messages it goes out on the next loop turn.
            asyncio.get_running_loop().call_soon(self.flush_reconnected)

    def flush_reconnected(self) -> None:
        if self.session.take_reconnected():
            self.publish("reconnected")

    def report_failure(self, reply: GmsReply, *, plain: bool = False) -> dict[str, Any]:
        """Publish ``error`` for a failed request (a network failure during a session is
        ``disconnected`` instead) and return what the command rejects with. ``plain``: a
        file request's failure (`GmsReply.plain_failure`)."""
        failure = reply.plain_failure() if plain else reply.failure()
        if not (reply.kind == "network" and self.session.active):
            self.publish("error", failure)
        return failure

    def update_identity(self, body: Mapping[str, Any] | None) -> None:
        """GMS may move the session to another alias; always keep the latest identity."""
        if not body:
            return
        current = self.session.identity
        fresh = Identity(
            chat_id=str(body.get("chatId") or current.chat_id),
            alias=str(body.get("alias") or current.alias),
            secure_key=str(body.get("secureKey") or current.secure_key),
            user_id=str(body.get("userId") or current.user_id))
        if fresh != current:
            self.session.identity = fresh
            if self.session.kept:
                self.cookies.save_identity(fresh)
                self.set_data(f"{self.name}.sessionData", fresh.as_session_data())
                self.write_session_data()

    def preview_text(self) -> str:
        if self.typing_input is None:
            return ""
        try:
            value = self.typing_input.value
        except Exception:
            return ""
        return value if isinstance(value, str) else ""

    async def current_preview_text(self) -> str:
        """`preview_text` as the input holds it now: one whose value is a copy (`TypingInput`) is
        read first, for at most `READ_INPUT_S` (an input that cannot answer keeps its last value)."""
        read = getattr(self.typing_input, "read", None)
        if read is not None:
            try:
                await asyncio.wait_for(read(), READ_INPUT_S)
            except Exception:  # gone, or no answer in time: the value it had
                logger.debug("WebChatService: the typing input could not be read", exc_info=True)
        return self.preview_text()

    # -- session lifecycle -----------------------------------------------------------------------

    @property
    def preprocessors(self) -> list[Callable[[dict[str, Any]], Any]]:
        return self.processor.preprocessors

    def process(self, body: Mapping[str, Any] | None, *, restoring: bool = False,
                history_below: int | None = None, old_messages: bool = False) -> None:
        """Deliver the new messages of one GMS answer (`MessageProcessor.process`)."""
        if self.session.history_due is not None and body and not restoring:
            (history_below,), restoring, self.session.history_due = self.session.history_due, True, None
        self.processor.process(body, restoring=restoring, history_below=history_below,
                               old_messages=old_messages)

    def chat_ended(self) -> None:
        """GMS said the chat ended (while endChat publishes disconnect, endChat ends it)."""
        if not self.session.ending:
            self.end_by_server()

    def begin_session(self, identity: Identity) -> None:
        self.session.begin(identity)
        self.cookies.save_identity(identity)
        self.cookies.index = self.session.transcript.next_index
        self.cookies.set_auto_load(self.name, True)
        self.set_data(f"{self.name}.sessionData", identity.as_session_data())
        self.write_session_data()

    def begin_push_session(self, body: Mapping[str, Any]) -> None:
        """CometD mode: the first notification after requestChat starts the session."""
        self.session.new_transcript()
        self.begin_session(identity_of(body))
        self.set_data("sessionActive", True)
        self.publish("started", self.session.identity.as_session_data())

    def start_polling(self) -> bool:
        if self.config.cometd_enabled:
            return False  # notifications are pushed; there is nothing to poll
        if self.polling.start():
            self.publish("pollingStarted")
            return True
        return False

    def stop_polling(self) -> bool:
        if self.polling.stop():
            self.publish("pollingStopped")
            return True
        return False

    def end_locally(self) -> None:
        """After endChat: pollingStopped, sessionActive false, *Disconnected, ended."""
        self.stop_polling()
        self._close_session()
        self.set_data("sessionActive", False)
        for prefix in ("supervisor", "agent", "client"):
            self.publish(f"{prefix}Disconnected", {"numAgentsConnected": 0})
        self.publish("ended")

    def end_by_server(self) -> None:
        """GMS said chatEnded: sessionActive false, ended, pollingStopped (no *Disconnected)."""
        self._close_session()
        self.set_data("sessionActive", False)
        self.publish("ended")
        self.stop_polling()

    def _close_session(self) -> None:
        self.typing.reset()
        self.detach_typing_input()
        self.session.close()
        self.cookies.clear_session()
        self.cookies.set_auto_load(self.name, False)
        self.write_session_data()
        self.polling.last_poll = None
        if self.push is not None:
            # The Bayeux connection is closed until the next chat (no idle long poll); a fresh
            # one serves the next chat, so a quick new startChat cannot race the closing.
            old, self.push = self.push, PushMode(self)
            self.client = self.push.client
            spawn(old.close())

    # -- polling ---------------------------------------------------------------------------------

    async def poll_once(self) -> None:
        if not self.session.active:
            return
        text = await self.current_preview_text()
        if not self.session.active:
            return
        epoch = self.session.epoch
        identity, position = self.session.identity, self.session.transcript.next_index
        self.cookies.ping = self.now()
        reply = await self.request(lambda: self.client.refresh(identity, position, text))
        if epoch != self.session.epoch or not self.session.active:
            return
        self.handle_poll_reply(reply)

    def _polling_failed(self, exc: Exception) -> None:
        """Polling goes on after any exception; page code hears of it as an ``error``."""
        self.publish("error", {"errorReason": "InternalError",
                               "message": f"{type(exc).__name__}: {exc}"})

    def handle_poll_reply(self, reply: GmsReply, *, pushed: bool = False) -> None:
        """A refresh's answer, or (``pushed``) a CometD notification: there every refusal
        answers one of the page's publishes (a send the command resolved on its publish, as the
        original), so each one is an ``error``, statusCode 1 and code 204 too: none goes unheard."""
        if reply.kind == "ok":
            if self.session.poll_answered():
                self.publish("chatServerBackOnline")
                self.flush_reconnected()  # spec B.5: back online is also reconnected
            self.update_identity(reply.body)
            self.process(reply.body)
            self.plugin.publish_direct("ajaxResponse", reply.body)
        elif reply.kind == "retry":
            self.plugin.publish_direct("ajaxResponse", reply.body)
            if pushed:
                self.publish("error", reply.failure())
            if self.session.poll_refused(self.config.poll_exception_limit):
                self.publish("chatServerWentOffline")
        elif reply.kind == "network":
            if not self.session.active:
                self.publish("error", reply.failure())
        else:
            codes = reply.error_codes
            if pushed or not codes or any(code not in _IGNORED_POLL_ERRORS for code in codes):
                self.publish("error", reply.failure())
            if reply.chat_ended and self.session.active:
                self.process(reply.body)

    # -- typing ----------------------------------------------------------------------------------

    def _typing_changed(self, typing: bool) -> None:
        self.publish("clientTypingStarted" if typing else "clientTypingStopped")

    async def _send_start_typing(self, text: str) -> GmsReply:
        # stopTyping repeats this position, as the original does (not the one of its own time)
        position = self._typing_position = self.session.transcript.next_index
        reply = await self.request(lambda: self.client.start_typing(self.session.identity, text, position))
        self.after_side_request(reply)
        return reply

    async def _send_stop_typing(self, text: str) -> GmsReply | None:
        if not self.session.active:
            return None
        position = self._typing_position or self.session.transcript.next_index
        reply = await self.request(lambda: self.client.stop_typing(self.session.identity, text, position))
        self.after_side_request(reply)
        return reply

    def after_side_request(self, reply: GmsReply) -> None:
        """Typing and send answers may carry the transcript: deliver it like a poll would."""
        if reply.ok and self.session.active:
            self.update_identity(reply.body)
            self.process(reply.body)
        if reply.ok:
            self.plugin.publish_direct("ajaxResponse", reply.body)

    def attach_typing_input(self, element: TypingInput) -> None:
        self.detach_typing_input()
        self.typing_input = element

        def on_input() -> None:
            if self.session.active:
                spawn(self.typing.touch(self.preview_text()))

        self._detach_input = element.on_input(on_input)

    def detach_typing_input(self) -> None:
        if self._detach_input is not None:
            try:
                self._detach_input()
            except Exception:
                logger.exception("WebChatService: detaching the typing input failed")
        self._detach_input = None
        self.typing_input = None

    # -- configure (B, startup) ------------------------------------------------------------------

    def start(self) -> bool:
        """Configure with the config given at install (``install_webchat_service(start=False)``);
        False if the service had started already."""
        if self.configured:
            return False
        self.configure(self.pending_config)
        return True

    def configure(self, raw: Mapping[str, Any] | None) -> None:
        """First configuration: data keys, ready, sticky ``ready``, then restore if a session
        cookie is there (needs a running event loop, as in the browser)."""
        self.apply_config(raw)
        self.configured = True
        self.session.user_data = data_copy(self.config.user_data)
        self.set_data("sleeping", False)
        self.set_data("sessionActive", False)
        self.plugin.ready()
        self.plugin.republish("ready")
        self.set_data("userData", data_copy(self.session.user_data))
        if self.config.sleep_enabled:
            self.plugin.subscribe("App.data.pageHidden", self._page_hidden)
        if self.config.async_enabled and self.push is not None:
            start_async_restore(self)
        elif self.cookies.has_session():
            try:
                spawn(restore_session(self))
            except RuntimeError:
                logger.error("WebChatService: a chat session cookie exists but no event loop "
                             "is running, so it cannot be restored")

    # -- asynchronous chat: the page keeps the session (spec B.4, names as the original has them)

    def write_session_data(self) -> None:
        """Async mode: give the page's ``async.getSessionData`` the identity when it changed."""
        if self.config.async_enabled and self.push is not None:
            self.session_writer.write(self.config, self.session.identity)

    def _page_hidden(self, event: Any) -> None:
        record = event.data if hasattr(event, "data") else {}
        hidden = record.get("value") if isinstance(record, Mapping) else None
        if hidden is True and not self.sleeping:
            self.plugin.command("sleep")
        elif hidden is False and self.sleeping:
            self.plugin.command("wake")
