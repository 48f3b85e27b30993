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
import copy
import logging
from collections import deque
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Mapping

from ..common.clock import now_ms
from ..gms import ChatClient, GmsClient, GmsReply, Identity, Transport
from ..gms.websocket import WebSocketConnector
from .config import WebChatConfig
from .cookies import SessionCookies
from .files import FileLimits
from .filters import Prefilters
from .normalize import normalize, participant_id, sender_type
from .polling import PollingLoop
from .ports import Downloader, PageInfo, Storage, TypingInput
from .push import PushMode
from .tasks import spawn
from .transcript import Transcript
from .typing_indicator import ClientTyping, CometdTyping

if TYPE_CHECKING:
    from ..bus import Bus, Plugin

__all__ = ["EVENTS", "NAME", "WebChatService"]

logger = logging.getLogger("cxkit.webchat")

NAME = "WebChatService"
EVENTS = ["ready", "restored", "restoreTimeout", "restoreFailed", "messageReceived", "error",
          "started", "ended", "agentTypingStarted", "agentTypingStopped", "pollingStarted",
          "pollingStopped", "clientConnected", "clientDisconnected", "agentConnected",
          "agentDisconnected", "supervisorConnected", "supervisorDisconnected", "botConnected",
          "botDisconnected", "clientTypingStarted", "clientTypingStopped", "ajaxResponse",
          "disconnected", "reconnected", "chatServerWentOffline", "chatServerBackOnline",
          "sleeping", "waking"]

_AGENT_TYPES = ("Agent", "Supervisor")
_CONNECT_EVENTS = {"Agent": "agent", "Supervisor": "supervisor", "Client": "client", "Bot": "bot"}
_IMPLIED_TYPING_STOP = ("Message", "PushUrl", "Notice")
# GMS error 204 (message too long) concerns the visitor's send, not the poll.
_IGNORED_POLL_ERRORS = {204}
# Stands for the agents map in participant events until the whole answer is processed.
ROSTER_AFTER_ANSWER: Any = object()


KEYS_COOKIE = "_genesys.widgets.webchat.state.keys"  # the key name the reader is given


async def _settle(awaitable: Any, name: str) -> None:
    try:
        await awaitable
    except Exception:
        logger.exception("WebChatService: %s failed", name)


class WebChatService:
    """One WebChatService on one bus. ``now()`` returns epoch milliseconds (cookies, locks)."""

    def __init__(self, bus: "Bus", *, transport: Transport, storage: Storage,
                 page_info: PageInfo | None = None, now: Callable[[], float] | None = None,
                 downloader: Downloader | None = None, name: str = NAME,
                 websocket: WebSocketConnector | None = None) -> None:
        self.bus = bus
        self.websocket = websocket  # the page's WebSocket port (CometD); None: long-polling only
        self.name = name
        self.transport = transport
        self.cookies = SessionCookies(storage)
        self.page_info = page_info or PageInfo()
        self.now = now or now_ms
        self.downloader = downloader
        self.config = WebChatConfig()
        self.client: ChatClient = GmsClient(transport)
        self.plugin: "Plugin" = bus.register_plugin(name)  # RegistrationRefused if taken
        self.identity = Identity()
        self.active = False
        self.configured = False
        self.pending_config: Mapping[str, Any] | None = None  # for start()
        self.restoring = False
        self.restore_done: asyncio.Event | None = None
        self.epoch = 0  # bumped when a session ends, so late replies of the old one are dropped
        self.transcript = Transcript()
        self.filters = Prefilters()
        self.preprocessors: list[Callable[[dict[str, Any]], Any]] = []
        # GMS answers waiting for a pre-processor that answers later (see `process`), in order.
        self._backlog: deque[tuple[Mapping[str, Any], dict[str, Any]]] = deque()
        self.user_data: dict[str, Any] = {}
        self.polling = PollingLoop(self.config, self.poll_once, self._polling_failed)
        self.push: PushMode | None = None  # CometD mode (push.py)
        self.typing: ClientTyping | CometdTyping = self._rest_typing()
        self.typing_input: TypingInput | None = None
        self._typing_position: int | None = None  # of the last startTyping
        self._detach_input: Callable[[], None] | None = None
        self.file_limits: FileLimits | None = None
        self.poll_exceptions = 0
        self.offline = False
        self.disconnected = False
        self._reconnect_due = False
        self._written_key: str | None = None  # the secureKey last given to async.getSessionData

    def _rest_typing(self) -> ClientTyping:
        return ClientTyping(self._send_start_typing, self._send_stop_typing, self._typing_changed)

    def _cometd_typing(self) -> CometdTyping:
        return CometdTyping(self._send_start_typing, self._send_stop_typing,
                            lambda: self.preview_text() if self.typing_input is not None else None)

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
            if self.active and not self.disconnected:
                self.disconnected = True
                self.publish("disconnected")
        elif self.disconnected:
            # ``reconnected`` follows the messages this answer brings (the original:
            # disconnected, messageReceived, reconnected): `process` publishes it after them,
            # and for an answer without messages it goes out on the next loop turn.
            self.disconnected = False
            self._reconnect_due = True
            asyncio.get_running_loop().call_soon(self.flush_reconnected)

    def flush_reconnected(self) -> None:
        if self._reconnect_due:
            self._reconnect_due = False
            self.publish("reconnected")

    def report_failure(self, reply: GmsReply, *, plain: bool = False) -> dict[str, Any]:
        """Publish ``error`` for a failed request (a network failure during a session is
        ``disconnected`` instead) and return what the command rejects with. ``plain``: a
        file request's failure (`GmsReply.plain_failure`)."""
        failure = reply.plain_failure() if plain else reply.failure()
        if not (reply.kind == "network" and self.active):
            self.publish("error", failure)
        return failure

    def update_identity(self, body: Mapping[str, Any] | None) -> None:
        """GMS may move the session to another alias; always keep the latest identity."""
        if not body:
            return
        current = self.identity
        fresh = Identity(
            chat_id=str(body.get("chatId") or current.chat_id),
            alias=str(body.get("alias") or current.alias),
            secure_key=str(body.get("secureKey") or current.secure_key),
            user_id=str(body.get("userId") or current.user_id))
        if fresh != current:
            self.identity = fresh
            if self.active or self.restoring:
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

    # -- messages (B.2) --------------------------------------------------------------------------

    def process(self, body: Mapping[str, Any] | None, *, restoring: bool = False,
                history_below: int | None = None, old_messages: bool = False) -> None:
        """Deliver the new messages of one GMS answer, then end the session if GMS says so.

        During a restore, messages below ``history_below`` (the index cookie of the page that
        was unloaded) are history (``restoring: true``); later ones arrived while the page was
        away and are delivered as live, in a second ``messageReceived``. ``old_messages``
        (fetchHistory) flags the event ``oldMessages: true`` with messages by index descending.

        A pre-processor marked ``answers_later`` (a JS function on the page, seen from a Web
        Worker) returns an awaitable: then the answer waits for it, and so does every later
        answer, so messages are still delivered once each and in order."""
        if not body:
            return
        options = {"restoring": restoring, "history_below": history_below, "old_messages": old_messages}
        if self._backlog or any(getattr(p, "answers_later", False) for p in self.preprocessors):
            self._backlog.append((body, options))
            if len(self._backlog) == 1:
                spawn(self._process_backlog())
            return
        self._process_now(body, None, **options)

    async def _process_backlog(self) -> None:
        while self._backlog:
            body, options = self._backlog[0]
            try:
                edited = await self._preprocess_later(body)
            finally:
                self._backlog.popleft()
            self._process_now(body, edited, **options)

    async def _preprocess_later(self, body: Mapping[str, Any]) -> dict[int, dict[str, Any]]:
        """The new messages of ``body`` (by position) as the pre-processors left them."""
        edited: dict[int, dict[str, Any]] = {}
        messages = body.get("messages")
        for position, raw in enumerate(messages if isinstance(messages, list) else []):
            if isinstance(raw, dict) and not self.transcript.seen_before(raw):
                edited[position] = message = copy.deepcopy(raw)
                for preprocessor in list(self.preprocessors):
                    try:
                        result = preprocessor(message)
                        if result is not None and hasattr(result, "__await__"):
                            await result
                    except Exception:
                        logger.exception("WebChatService: a pre-processor raised")
        return edited

    def _process_now(self, body: Mapping[str, Any], edited: dict[int, dict[str, Any]] | None, *,
                     restoring: bool, history_below: int | None, old_messages: bool) -> None:
        messages = body.get("messages")
        history: tuple[list, list] = ([], [])
        live: tuple[list, list] = ([], [])
        events = _AnswerEvents()
        for position, raw in enumerate(messages if isinstance(messages, list) else []):
            if not isinstance(raw, dict) or not self.transcript.is_new(raw):
                continue
            index = raw.get("index")
            is_history = restoring and (history_below is None or not isinstance(index, int)
                                        or index < history_below)
            # The pre-processors get the raw message itself, as in the original: what they
            # change in place shows in originalMessages too (a redaction leaves no clear text).
            original = edited.get(position) if edited is not None else None
            if original is None:
                original = copy.deepcopy(raw)
                for preprocessor in list(self.preprocessors):
                    try:
                        preprocessor(original)  # return values are ignored, as in the original
                    except Exception:
                        logger.exception("WebChatService: a pre-processor raised")
            try:
                normalized = normalize(original, restoring=is_history)
                answer_events = _AnswerEvents()
                self._side_effects(original, normalized, answer_events)
                events.held += answer_events.held
            except Exception:
                # The index is already marked seen: dropping the message now would lose it for
                # good. Deliver it as GMS sent it instead, without its side effects.
                logger.exception("WebChatService: a pre-processed message could not be handled; "
                                 "delivering it unmodified")
                original = copy.deepcopy(raw)
                normalized = normalize(original, restoring=is_history)
            if not self.filters.hides(original):
                self.transcript.add(original, normalized)
                group = history if is_history else live
                group[0].append(original)
                group[1].append(normalized)
        if self.active or self.restoring:
            self.cookies.index = self.transcript.next_index
        events.flush(self)
        for (originals, normalized), is_history in ((history, True), (live, False)):
            if normalized:
                if old_messages:
                    normalized = sorted(normalized, key=lambda m: m.get("index") or 0, reverse=True)
                self.publish("messageReceived", {
                    "originalMessages": copy.deepcopy(originals),
                    "messages": copy.deepcopy(normalized),
                    "restoring": is_history,
                    "sessionData": self.identity.as_session_data(),
                    "oldMessages": old_messages,
                    "idleTimeCountDown": body.get("idleTimerExpire"),
                })
        self.flush_reconnected()
        if body.get("chatEnded") and self.active and not (self.push is not None and self.push.ending):
            self.end_by_server()  # (while endChat publishes disconnect, endChat ends the session)

    def _side_effects(self, raw: dict[str, Any], message: dict[str, Any],
                      events: "_AnswerEvents") -> None:
        """The roster changes now; the events wait in ``events`` for the end of the answer."""
        kind = raw.get("type")
        sender = raw.get("from") if isinstance(raw.get("from"), dict) else {}
        # A pre-processor may have put anything there; only the known strings mean a party.
        party, raw_party = (value if isinstance(value, str) else None
                            for value in (sender_type(raw), sender.get("type")))
        roster = self.transcript.roster
        if kind in ("ParticipantJoined", "ParticipantLeft"):
            joined = kind == "ParticipantJoined"
            if party in _AGENT_TYPES:
                if joined:
                    roster.join(participant_id(raw), sender.get("nickname"),
                                supervisor=party == "Supervisor", time=raw.get("utcTime"))
                else:
                    roster.leave(participant_id(raw), raw.get("utcTime"))
            prefix = _CONNECT_EVENTS.get(party or "")
            if prefix:
                events.publish(f"{prefix}{'Connected' if joined else 'Disconnected'}", {
                    "message": copy.deepcopy(message), "agents": ROSTER_AFTER_ANSWER,
                    "numAgentsConnected": roster.connected_count})
            if not joined and raw_party in _AGENT_TYPES:
                self._agent_typing(events, False, None)
        elif raw_party in _AGENT_TYPES:
            if kind == "TypingStarted":
                self._agent_typing(events, True, message)
            elif kind == "TypingStopped":
                self._agent_typing(events, False, message)
            elif kind in _IMPLIED_TYPING_STOP:
                self._agent_typing(events, False, None)

    @staticmethod
    def _agent_typing(events: "_AnswerEvents", typing: bool, message: dict[str, Any] | None) -> None:
        events.set_data("agentTyping", typing)
        events.publish("agentTypingStarted" if typing else "agentTypingStopped",
                       copy.deepcopy(message) if message is not None else None)

    # -- session lifecycle -----------------------------------------------------------------------

    def begin_session(self, identity: Identity) -> None:
        self.identity = identity
        self.active = True
        self.poll_exceptions = 0
        self.offline = self.disconnected = False
        self.cookies.save_identity(identity)
        self.cookies.index = self.transcript.next_index
        self.cookies.set_auto_load(self.name, True)
        self.set_data(f"{self.name}.sessionData", identity.as_session_data())
        self.write_session_data()

    def begin_push_session(self, body: Mapping[str, Any]) -> None:
        """CometD mode: the first notification after requestChat starts the session."""
        self.new_transcript()
        self.begin_session(Identity(str(body.get("chatId") or ""), str(body.get("alias") or ""),
                                    str(body.get("secureKey") or ""), str(body.get("userId") or "")))
        self.set_data("sessionActive", True)
        self.publish("started", self.identity.as_session_data())

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
        self.active = False
        self.epoch += 1
        self.typing.reset()
        self.detach_typing_input()
        self.transcript.close()
        self.cookies.clear_session()
        self.cookies.set_auto_load(self.name, False)
        self.filters.clear()
        self.identity = Identity()
        self.write_session_data()
        self.file_limits = None
        self.polling.last_poll = None
        self.offline = self.disconnected = self._reconnect_due = False
        self.poll_exceptions = 0
        if self.push is not None:
            # The Bayeux connection is closed until the next chat (no idle long poll); a fresh
            # one serves the next chat, so a quick new startChat cannot race the closing.
            old, self.push = self.push, PushMode(self)
            self.client = self.push.client
            spawn(old.close())

    def new_transcript(self) -> None:
        self.transcript = Transcript()

    # -- polling ---------------------------------------------------------------------------------

    async def poll_once(self) -> None:
        if not self.active:
            return
        epoch = self.epoch
        identity, position = self.identity, self.transcript.next_index
        self.cookies.ping = self.now()
        reply = await self.request(lambda: self.client.refresh(identity, position,
                                                               self.preview_text()))
        if epoch != self.epoch or not self.active:
            return
        self.handle_poll_reply(reply)

    def _polling_failed(self, exc: Exception) -> None:
        """Polling goes on after any exception; page code hears of it as an ``error``."""
        self.publish("error", {"errorReason": "InternalError",
                               "message": f"{type(exc).__name__}: {exc}"})

    def handle_poll_reply(self, reply: GmsReply) -> None:
        if reply.kind == "ok":
            self.poll_exceptions = 0
            if self.offline:
                self.offline = False
                self.publish("chatServerBackOnline")
                self._reconnect_due = True  # spec B.5: back online is also reconnected
                self.flush_reconnected()
            self.update_identity(reply.body)
            self.process(reply.body)
            self.plugin.publish_direct("ajaxResponse", reply.body)
        elif reply.kind == "retry":
            self.plugin.publish_direct("ajaxResponse", reply.body)
            self.poll_exceptions += 1
            if self.poll_exceptions > self.config.poll_exception_limit:
                self.poll_exceptions = 0
                if not self.offline:
                    self.offline = True
                    self.publish("chatServerWentOffline")
        elif reply.kind == "network":
            if not self.active:
                self.publish("error", reply.failure())
        else:
            codes = reply.error_codes
            if not codes or any(code not in _IGNORED_POLL_ERRORS for code in codes):
                self.publish("error", reply.failure())
            if reply.chat_ended and self.active:
                self.process(reply.body)

    # -- typing ----------------------------------------------------------------------------------

    def _typing_changed(self, typing: bool) -> None:
        self.publish("clientTypingStarted" if typing else "clientTypingStopped")

    async def _send_start_typing(self, text: str) -> GmsReply:
        # stopTyping repeats this position, as the original does (not the one of its own time)
        position = self._typing_position = self.transcript.next_index
        reply = await self.request(lambda: self.client.start_typing(self.identity, text, position))
        self._after_side_request(reply)
        return reply

    async def _send_stop_typing(self, text: str) -> GmsReply | None:
        if not self.active:
            return None
        position = self._typing_position or self.transcript.next_index
        reply = await self.request(lambda: self.client.stop_typing(self.identity, text, position))
        self._after_side_request(reply)
        return reply

    def _after_side_request(self, reply: GmsReply) -> None:
        """Typing and send answers may carry the transcript: deliver it like a poll would."""
        if reply.ok and self.active:
            self.update_identity(reply.body)
            self.process(reply.body)
        if reply.ok:
            self.plugin.publish_direct("ajaxResponse", reply.body)

    def attach_typing_input(self, element: TypingInput) -> None:
        self.detach_typing_input()
        self.typing_input = element

        def on_input() -> None:
            if self.active:
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
        from .restore import restore_session

        self.apply_config(raw)
        self.configured = True
        self.user_data = copy.deepcopy(self.config.user_data)
        self.set_data("sleeping", False)
        self.set_data("sessionActive", False)
        self.plugin.ready()
        self.plugin.republish("ready")
        self.set_data("userData", copy.deepcopy(self.user_data))
        if self.config.sleep_enabled:
            self.plugin.subscribe("App.data.pageHidden", self._page_hidden)
        if self.config.async_enabled and self.push is not None:
            self._start_async_restore()
        elif self.cookies.has_session():
            try:
                spawn(restore_session(self))
            except RuntimeError:
                logger.error("WebChatService: a chat session cookie exists but no event loop "
                             "is running, so it cannot be restored")

    # -- asynchronous chat: the page keeps the session (spec B.4, names as the original has them)

    def write_session_data(self) -> None:
        """Async mode: give the page's ``async.getSessionData`` (the writer, despite its name)
        the identity whenever the secureKey changes (empty when the chat is over)."""
        writer = self.config.async_get_session_data
        if not (self.config.async_enabled and self.push is not None and writer is not None):
            return
        key = self.identity.secure_key
        if key == self._written_key or (self._written_key is None and not key):
            return
        self._written_key = key
        try:
            result = writer(self.identity.as_session_data(), None, {})
            if result is not None and hasattr(result, "__await__"):
                spawn(_settle(result, "async.getSessionData"))
        except Exception:
            logger.exception("WebChatService: async.getSessionData raised")

    async def read_session_data(self) -> Any:
        """Async mode: what the page's ``async.setSessionData`` (the reader) returns (awaited
        when it answers later, as a JS function seen from a Web Worker does); None on failure."""
        reader = self.config.async_set_session_data
        if reader is None:
            return None
        try:
            result = reader(KEYS_COOKIE, None, {})
            if result is not None and hasattr(result, "__await__"):
                result = await result
        except Exception:
            logger.exception("WebChatService: async.setSessionData raised")
            return None
        return result

    def _start_async_restore(self) -> None:
        from .restore import restore_session

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            logger.error("WebChatService: async mode needs a running event loop to restore")
            return
        self.restoring = True
        self.restore_done = done = asyncio.Event()

        async def run() -> None:
            data = None
            try:
                data = await self.read_session_data()
            finally:
                self.restoring = False
            try:
                if data is not None:
                    await restore_session(self, session_data=data)  # no await before it flags restoring
            finally:
                done.set()

        loop.create_task(run())

    def _page_hidden(self, event: Any) -> None:
        record = event.data if hasattr(event, "data") else {}
        hidden = record.get("value") if isinstance(record, Mapping) else None
        if hidden is True and not self.sleeping:
            self.plugin.command("sleep")
        elif hidden is False and self.sleeping:
            self.plugin.command("wake")


class _AnswerEvents:
    """The events one GMS answer causes, held in order and published once the whole answer is
    processed. Participant events then carry the roster as it stands after that answer, as
    the original's live agents map showed it to subscribers (its deliveries ran after the
    answer); each gets its own copy, and ``numAgentsConnected`` stays the count of its time."""

    def __init__(self) -> None:
        self.held: list[tuple[str, str, Any]] = []

    def publish(self, event: str, data: Any = None) -> None:
        self.held.append(("event", event, data))

    def set_data(self, key: str, value: Any) -> None:
        self.held.append(("data", key, value))

    def flush(self, service: WebChatService) -> None:
        held, self.held = self.held, []
        agents = service.transcript.roster.snapshot() if held else {}
        for kind, name, data in held:
            if kind == "data":
                service.set_data(name, data)
                continue
            if isinstance(data, dict) and data.get("agents") is ROSTER_AFTER_ANSWER:
                data["agents"] = copy.deepcopy(agents)
            service.publish(name, data)
