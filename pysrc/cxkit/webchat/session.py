"""The chat on this page: its state and the transitions it goes through, without any I/O.

The service publishes what a transition reports (a method returns True when its event is due),
so the rules live here once::

    >>> from cxkit.gms import Identity
    >>> from cxkit.webchat.session import ChatSession
    >>> session = ChatSession()
    >>> session.begin(Identity("c1", "a", "k", "u"))
    >>> session.lost_connection(), session.lost_connection()   # `disconnected` once
    (True, False)
    >>> session.regained_connection(), session.take_reconnected()
    (True, True)
    >>> session.close(); session.active, session.epoch, session.identity.chat_id
    (False, 1, '')
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from ..gms import Identity
from .files import FileLimits
from .filters import Prefilters
from .transcript import Transcript

__all__ = ["ChatSession"]


@dataclass
class ChatSession:
    """State of the (at most one) chat of a WebChatService.

    ``epoch`` grows when a chat ends, so late answers about the old one are dropped;
    ``restoring`` holds while a restore asks GMS about the previous chat (``restore_done`` is
    set when it is over); ``offline`` follows ``chatServerWentOffline``/``BackOnline``,
    ``disconnected`` the network, ``reconnect_due`` a ``reconnected`` not yet published;
    ``history_due`` (``(history_below,)``): a restore's first answer was a refusal
    (``restoredOffline``), so the first answer that brings the transcript brings its history."""

    identity: Identity = field(default_factory=Identity)
    active: bool = False
    restoring: bool = False
    restore_done: asyncio.Event | None = None
    epoch: int = 0
    transcript: Transcript = field(default_factory=Transcript)
    filters: Prefilters = field(default_factory=Prefilters)
    user_data: dict[str, Any] = field(default_factory=dict)
    file_limits: FileLimits | None = None
    poll_exceptions: int = 0
    offline: bool = False
    disconnected: bool = False
    reconnect_due: bool = False
    history_due: tuple[int | None] | None = None
    ending: bool = False  # endChat is under way: it runs the end sequence itself

    @property
    def kept(self) -> bool:
        """True while the cookies follow this chat (during it and while it is restored)."""
        return self.active or self.restoring

    def begin(self, identity: Identity) -> None:
        self.identity = identity
        self.active = True
        self.poll_exceptions = 0
        self.offline = self.disconnected = False

    def close(self) -> None:
        """The chat is over: forget it (the transcript stays readable until the next one)."""
        self.active = False
        self.epoch += 1
        self.transcript.close()
        self.filters.clear()
        self.identity = Identity()
        self.file_limits = None
        self.offline = self.disconnected = self.reconnect_due = False
        self.poll_exceptions = 0
        self.history_due = None

    async def restore_finished(self) -> None:
        """Until a restore in flight (if any) is over: what waits for it learns which chat is on."""
        if self.restoring and self.restore_done is not None:
            await self.restore_done.wait()

    def new_transcript(self) -> None:
        self.transcript = Transcript()
        self.history_due = None

    def lost_connection(self) -> bool:
        """A request got no answer: True when ``disconnected`` is due (once, during a chat)."""
        if self.active and not self.disconnected:
            self.disconnected = True
            return True
        return False

    def regained_connection(self) -> bool:
        """An answer came: True when it ends a disconnection (``reconnected`` is then due)."""
        if self.disconnected:
            self.disconnected = False
            self.reconnect_due = True
            return True
        return False

    def take_reconnected(self) -> bool:
        """True once per due ``reconnected``."""
        due, self.reconnect_due = self.reconnect_due, False
        return due

    def poll_answered(self) -> bool:
        """A poll succeeded: True when it ends an offline spell (``chatServerBackOnline``, and
        ``reconnected`` becomes due)."""
        self.poll_exceptions = 0
        if self.offline:
            self.offline = False
            self.reconnect_due = True
            return True
        return False

    def poll_refused(self, limit: int) -> bool:
        """GMS answered ``statusCode: 1``: True when that makes the server offline (more than
        ``limit`` in a row)."""
        self.poll_exceptions += 1
        if self.poll_exceptions > limit:
            self.poll_exceptions = 0
            if not self.offline:
                self.offline = True
                return True
        return False
