"""The cookies the original writes, by the same names, so existing page logic still finds them.

    >>> from cxkit.webchat.cookies import SessionCookies
    >>> from cxkit.webchat.ports import MemoryStorage
    >>> from cxkit.gms import Identity
    >>> cookies = SessionCookies(MemoryStorage())
    >>> cookies.save_identity(Identity("c1", "117", "sk", "u1"))
    >>> cookies.storage.values["_genesys.widgets.webchat.state.keys"]
    '{"secureKey":"sk","alias":"117","userId":"u1"}'
    >>> cookies.load_identity()
    Identity(chat_id='c1', alias='117', secure_key='sk', user_id='u1')
"""

from __future__ import annotations

import json
from typing import Any, overload

from ..gms import Identity
from .ports import Storage

__all__ = ["AUTO_LOAD_LIST", "CHAT_START_LOCK", "FILTERS", "INDEX", "KEYS", "META_DATA", "PING",
           "SESSION", "SessionCookies"]

_STATE = "_genesys.widgets.webchat.state."
SESSION = _STATE + "session"
KEYS = _STATE + "keys"
INDEX = _STATE + "index"
PING = _STATE + "ping"
FILTERS = _STATE + "filters"
CHAT_START_LOCK = _STATE + "chatStartLock"
META_DATA = "_genesys.widgets.webchat.metaData"
AUTO_LOAD_LIST = "_genesys.widgets.app.autoLoadList"

_SESSION_COOKIES = (SESSION, KEYS, INDEX, PING, FILTERS, META_DATA)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


class _ClockCookie:
    """A `SessionCookies` attribute kept in one cookie that holds a clock reading (epoch ms),
    stored whole; None when it is missing or not a number."""

    def __init__(self, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, cookies: None, owner: type | None = None) -> _ClockCookie: ...
    @overload
    def __get__(self, cookies: SessionCookies, owner: type | None = None) -> int | None: ...
    def __get__(self, cookies: SessionCookies | None, owner: type | None = None) -> _ClockCookie | int | None:
        return self if cookies is None else cookies._int(self.name)

    def __set__(self, cookies: SessionCookies, value: float) -> None:
        cookies.storage.set(self.name, str(int(value)))


class SessionCookies:
    """Typed access to the webchat cookies over a `Storage`."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def _json(self, name: str) -> Any:
        raw = self.storage.get(name)
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return None

    def _int(self, name: str) -> int | None:
        raw = self.storage.get(name)
        try:
            return int(float(raw)) if raw else None
        except ValueError:
            return None

    def has_session(self) -> bool:
        return bool(self.storage.get(SESSION))

    def save_identity(self, identity: Identity) -> None:
        self.storage.set(SESSION, identity.chat_id)
        self.storage.set(KEYS, _dumps({"secureKey": identity.secure_key, "alias": identity.alias,
                                       "userId": identity.user_id}))

    def load_identity(self) -> Identity | None:
        chat_id = self.storage.get(SESSION)
        if not chat_id:
            return None
        keys = self._json(KEYS)
        keys = keys if isinstance(keys, dict) else {}
        return Identity(chat_id, str(keys.get("alias") or ""), str(keys.get("secureKey") or ""),
                        str(keys.get("userId") or ""))

    @property
    def index(self) -> int | None:
        return self._int(INDEX)

    @index.setter
    def index(self, value: int) -> None:
        self.storage.set(INDEX, str(value))

    ping = _ClockCookie(PING)

    def load_filters(self) -> list[dict[str, str]]:
        saved = self._json(FILTERS)
        custom = saved.get("custom") if isinstance(saved, dict) else None
        if not isinstance(custom, list):
            return []
        return [f for f in custom if isinstance(f, dict) and isinstance(f.get("source"), str)]

    def save_filters(self, custom: list[dict[str, str]]) -> None:
        self.storage.set(FILTERS, _dumps({"custom": custom}))

    start_lock = _ClockCookie(CHAT_START_LOCK)

    def release_start_lock(self) -> None:
        self.storage.delete(CHAT_START_LOCK)

    def set_auto_load(self, plugin: str, enabled: bool) -> None:
        current = self._json(AUTO_LOAD_LIST)
        current = current if isinstance(current, dict) else {}
        current[plugin] = enabled
        self.storage.set(AUTO_LOAD_LIST, _dumps(current))

    def clear_session(self) -> None:
        for name in _SESSION_COOKIES:
            self.storage.delete(name)
