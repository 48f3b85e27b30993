"""What the WebChatService answers and publishes, stated once as data.

`COMMAND_SPECS` names every command with what it resolves and rejects with; `EVENT_SPECS` every
event with its payload shapes and the commands or flows that publish it. The service registers
its commands and events from these tables and scripts/gen_docs.py renders them, so the reference
cannot drift from the code::

    >>> from cxkit.webchat.catalog import COMMAND_SPECS, EVENT_SPECS
    >>> COMMAND_SPECS["endChat"].rejects[0]
    'There is no active chat session'
    >>> EVENT_SPECS["messageReceived"].payloads[0].keys[:2]
    ('originalMessages', 'messages')
"""

from __future__ import annotations

from dataclasses import dataclass

from . import messages as msg

__all__ = ["COMMANDS", "COMMAND_SPECS", "CommandSpec", "Described", "EVENTS", "EVENT_SPECS",
           "EventSpec", "Payload"]


@dataclass(frozen=True)
class Described:
    """A settlement value described in words (a plain ``str`` is the exact text settled with)."""

    text: str



@dataclass(frozen=True)
class CommandSpec:
    """One command: what it resolves with and what it rejects with, in the order it checks."""

    name: str
    resolves: tuple[str | Described, ...]
    rejects: tuple[str | Described, ...] = ()


@dataclass(frozen=True)
class Payload:
    """One shape of an event's data: the keys of an object, or a description (``keys`` None)."""

    keys: tuple[str, ...] | None = None
    text: str = ""
    sticky: bool = False  # published with `republish`: late subscribers get it too


@dataclass(frozen=True)
class EventSpec:
    """One event: its payload shapes and who publishes it. ``registered`` False: published but,
    as in the original, not in the service's event registry."""

    name: str
    payloads: tuple[Payload, ...]
    by: tuple[str, ...]
    registered: bool = True


NO_VALUE = Described("(no value)")
GMS_ANSWER = Described("the GMS answer")
FAILURE = Described("the failure object")
PLAIN_FAILURE = Described("the plain failure object")

_COMMANDS = (
    CommandSpec("configure", (NO_VALUE,)),
    CommandSpec("startChat", (Described("the request-chat GMS answer"), GMS_ANSWER),
                (msg.ALREADY_ACTIVE, Described("`{statusCode: 1}` (another tab holds the start lock)"),
                 msg.MALFORMED_USER_DATA, FAILURE)),
    CommandSpec("endChat", (GMS_ANSWER,), (msg.NO_ACTIVE_SESSION, FAILURE)),
    CommandSpec("sendMessage", (GMS_ANSWER,),
                (msg.NO_ACTIVE_SESSION, msg.NO_MESSAGE, msg.MESSAGE_TOO_LONG, FAILURE)),
    CommandSpec("sendCustomNotice", (Described("the GMS answer, whatever its statusCode (sent without a chat too, as "
                                               "the original)"),), (FAILURE,)),
    CommandSpec("sendTyping",
                (Described("the startTyping/stopTyping GMS answer (none inside the 2 s window)"),),
                (msg.NO_ACTIVE_SESSION, FAILURE)),
    CommandSpec("sendFilteredMessage", (NO_VALUE,),
                (msg.NO_ACTIVE_SESSION_SHORT, msg.NO_MESSAGE, msg.MESSAGE_TOO_LONG,
                 msg.INVALID_FILTERS, FAILURE)),
    CommandSpec("addPrefilter", (Described("the registered filters (`Prefilters.registered()`)"),),
                (msg.INVALID_FILTERS,)),
    CommandSpec("updateUserData",
                (Described("the merged userData (no session)"),
                 Described("the GMS answer (during a session)")),
                (FAILURE,)),
    CommandSpec("poll", (NO_VALUE,), (msg.ACCESS_DENIED, msg.POLL_IN_PROGRESS)),
    CommandSpec("startPoll", (NO_VALUE,), (msg.COMETD_POLLING, msg.NO_ACTIVE_SESSION_SHORT)),
    CommandSpec("stopPoll", (NO_VALUE,), (msg.NO_ACTIVE_SESSION_SHORT, msg.NOT_POLLING)),
    CommandSpec("resetPollExceptions", (NO_VALUE,)),
    CommandSpec("restore", (NO_VALUE,),
                (msg.ALREADY_RESTORING, msg.RESTORE_SESSION_ACTIVE, msg.ACCESS_DENIED_RESTORE,
                 Described("(no value) when there is nothing to restore or the restore failed"))),
    CommandSpec("getTranscript",
                (Described("`{messages, ...}`: the transcript (`Transcript.as_result()`)"),)),
    CommandSpec("getAgents", (Described("`{agents}`: the agents map, by participant id"),)),
    CommandSpec("getStats", (Described("the chat's statistics (`Transcript.stats()`)"),)),
    CommandSpec("sendFile", (GMS_ANSWER,),
                (msg.COMETD_FILES, msg.NO_ACTIVE_SESSION, msg.NO_FILE,
                 Described("the same plain failure object for a file over the known limits (checked "
                           "before upload, nothing sent): `status` 400, `responseText` GMS's refusal "
                           "`{statusCode: 2, errors: [{code: 201/202/203, advice, filename}], ...}`"),
                 PLAIN_FAILURE)),
    CommandSpec("downloadFile", (NO_VALUE,),
                (msg.NO_FILE_ID, msg.NO_DOWNLOADER, Described("the download port's error message"))),
    CommandSpec("getFileLimits", (Described("the GMS answer as JSON **text**, whatever its statusCode, as the "
                                            "original"),),
                (msg.COMETD_FILES, PLAIN_FAILURE)),
    CommandSpec("getSessionData", (Described("session data `{sessionID, userId, secureKey, alias}`"),)),
    CommandSpec("fetchHistory", (NO_VALUE,), (msg.FETCH_HISTORY_SYNC, msg.NO_MORE_MESSAGES, FAILURE)),
    CommandSpec("registerTypingPreviewInput", (NO_VALUE,), (msg.INVALID_INPUT,)),
    CommandSpec("registerPreProcessor", (Described("the function registered"),), (msg.NO_PREPROCESSOR,)),
    CommandSpec("verifySession",
                (Described("`{sessionActive}`: true while a chat is active here or its cookie is there"),)),
    CommandSpec("sleep", (NO_VALUE,)),
    CommandSpec("wake", (NO_VALUE,), (FAILURE,)),
)

COMMAND_SPECS: dict[str, CommandSpec] = {spec.name: spec for spec in _COMMANDS}
COMMANDS: list[str] = list(COMMAND_SPECS)

NONE = Payload(text="none (subscribers get `{}`)")
SESSION_DATA = Payload(("sessionID", "userId", "secureKey", "alias"), "session data")
PARTICIPANT = Payload(("message", "agents", "numAgentsConnected"))
LEFT_AT_END = Payload(("numAgentsConnected",), "at the end of a chat")
MESSAGE = Payload(text="the normalized message (or none when implied by another message)")
FAILURE_PAYLOAD = Payload(text="the failure object (see the commands legend)")

_EVENTS = (
    EventSpec("ready", (Payload(text=NONE.text, sticky=True),), ("configure",)),
    EventSpec("restored", (NONE, Payload(("async",), "async mode")), ("restore",)),
    EventSpec("restoreTimeout", (NONE,), ("restore",)),
    EventSpec("restoreFailed", (NONE,), ("restore",)),
    EventSpec("messageReceived", (Payload(("originalMessages", "messages", "restoring", "sessionData",
                                           "oldMessages", "idleTimeCountDown")),),
              ("polling", "restore", "notifications", "sendMessage", "sendTyping", "fetchHistory")),
    EventSpec("error", (FAILURE_PAYLOAD,
                        Payload(("errorReason", "message"), "an exception while polling")),
              ("every command that asks GMS", "polling", "restore")),
    EventSpec("started", (SESSION_DATA,), ("startChat",)),
    EventSpec("ended", (NONE,), ("endChat", "GMS ending the chat")),
    EventSpec("agentTypingStarted", (MESSAGE,), ("messages",)),
    EventSpec("agentTypingStopped", (MESSAGE,), ("messages",)),
    EventSpec("pollingStarted", (NONE,), ("startChat", "restore", "startPoll")),
    EventSpec("pollingStopped", (NONE,), ("endChat", "GMS ending the chat", "stopPoll")),
    EventSpec("clientConnected", (PARTICIPANT,), ("messages",)),
    EventSpec("clientDisconnected", (LEFT_AT_END, PARTICIPANT), ("endChat", "messages")),
    EventSpec("agentConnected", (PARTICIPANT,), ("messages",)),
    EventSpec("agentDisconnected", (LEFT_AT_END, PARTICIPANT), ("endChat", "messages")),
    EventSpec("supervisorConnected", (PARTICIPANT,), ("messages",)),
    EventSpec("supervisorDisconnected", (LEFT_AT_END, PARTICIPANT), ("endChat", "messages")),
    EventSpec("botConnected", (PARTICIPANT,), ("messages",)),
    EventSpec("botDisconnected", (PARTICIPANT,), ("messages",)),
    EventSpec("clientTypingStarted", (NONE,), ("sendTyping", "typing preview input")),
    EventSpec("clientTypingStopped", (NONE,),
              ("sendTyping", "typing preview input", "sendMessage", "endChat")),
    EventSpec("ajaxResponse", (Payload(text="the GMS answer body"),),
              ("every GMS answer that succeeded", "polling")),
    EventSpec("disconnected", (NONE,), ("a network failure during a chat",)),
    EventSpec("reconnected", (NONE,), ("the first answer after a network failure",)),
    EventSpec("chatServerWentOffline", (NONE,), ("polling (`pollExceptionLimit`)",)),
    EventSpec("chatServerBackOnline", (NONE,), ("polling",)),
    EventSpec("sleeping", (NONE,), ("sleep", "the page hidden (`sleepEnabled`)")),
    EventSpec("waking", (NONE,), ("wake", "the page shown (`sleepEnabled`)")),
    EventSpec("restoredOffline", (NONE, Payload(("async",), "async mode")), ("restore",),
              registered=False),
)

EVENT_SPECS: dict[str, EventSpec] = {spec.name: spec for spec in _EVENTS}
EVENTS: list[str] = [spec.name for spec in _EVENTS if spec.registered]
