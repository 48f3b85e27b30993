"""WebChatService configuration (``_genesys.widgets.webchat``, spec B.4): defaults and ranges.

A value of the wrong type or out of range is replaced by its default, with a warning on the
``cxkit.webchat`` logger (the browser glue forwards it to the console)::

    >>> from cxkit.webchat.config import WebChatConfig
    >>> cfg = WebChatConfig.from_dict({"dataURL": "http://h/genesys/2/chat/cs", "pollRate": 50})
    >>> cfg.poll_rate, cfg.poll_rate_min, cfg.ajax_timeout
    (3000, 500, 3000)
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

__all__ = ["CONFIG_KEYS", "ConfigKey", "WebChatConfig"]

_T = TypeVar("_T")

logger = logging.getLogger("cxkit.webchat")


def _number(raw: Mapping[str, Any], key: str, default: float, low: float | None = None,
            high: float | None = None, *, low_open: bool = False, integer: bool = True) -> Any:
    if key not in raw or raw[key] is None:
        return default
    value = raw[key]
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        bounds = []
        if low is not None:
            bounds.append(f"{'>' if low_open else '>='} {low:g}")
        if high is not None:
            bounds.append(f"<= {high:g}")
        logger.warning("WebChatService: invalid value %r for webchat.%s (expected a number %s); "
                       "using the default %r", raw[key], key, " and ".join(bounds) or "", default)
        return default
    return int(value) if integer and float(value).is_integer() else value


def _of_type(raw: Mapping[str, Any], key: str, default: _T, kind: type[_T], expected: str) -> _T:
    """``raw[key]`` when it is a `kind`; `default` when it is missing or None, and (with a warning
    that it expected `expected`) when it is anything else."""
    value = raw.get(key, default)
    if value is None:
        return default
    if not isinstance(value, kind):
        logger.warning("WebChatService: invalid value %r for webchat.%s (expected %s); using the default %r",
                       value, key, expected, default)
        return default
    return value


def _bool(raw: Mapping[str, Any], key: str, default: bool) -> bool:
    return _of_type(raw, key, default, bool, "true or false")


def _str(raw: Mapping[str, Any], key: str, default: str = "") -> str:
    return _of_type(raw, key, default, str, "a string")


def _section(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key)
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class ConfigKey:
    """One key of ``_genesys.widgets.webchat``: its `WebChatConfig` field, type, default, range.

    ``key`` is dotted for the ``cometD`` and ``async`` sections; ``aliases`` are older names read
    when the key is absent; ``low_field`` makes another field's value the lower bound. Types:
    string, boolean, flag (any value, taken for its truth), integer, number, object, function.
    """

    key: str
    field: str
    type: str
    default: Any = None
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    low_field: str | None = None
    aliases: tuple[str, ...] = ()

    @property
    def range(self) -> str:
        """The accepted range in words, "" when any value of the type is.

        >>> [spec.range for spec in CONFIG_KEYS if spec.key in ("pollRateMax", "pollRateMult", "apikey")]
        ['', '>= `pollRateMin` and <= 30000', '> 1']
        """
        low = f"`{self.low_field}`" if self.low_field else (f"{self.low:g}" if self.low is not None else None)
        bounds = [f"{'>' if self.low_open else '>='} {low}" if low else "",
                  f"<= {self.high:g}" if self.high is not None else ""]
        return " and ".join(b for b in bounds if b)


# Every key the service reads, in the order the reference lists them; the defaults are stated
# here only (the dataclass takes them from this table).
CONFIG_KEYS: tuple[ConfigKey, ...] = (
    ConfigKey("dataURL", "data_url", "string", ""),
    ConfigKey("serverURL", "server_url", "string", ""),
    ConfigKey("enableUrlTrailingSlash", "enable_url_trailing_slash", "boolean", True),
    ConfigKey("apikey", "apikey", "string", ""),
    ConfigKey("endpoint", "endpoint", "string", ""),
    ConfigKey("userData", "user_data", "object", {}),
    ConfigKey("enableCustomHeader", "enable_custom_header", "boolean", False),
    ConfigKey("ajaxTimeout", "ajax_timeout", "integer", 3000, 0),
    ConfigKey("fileUploadTimeout", "file_upload_timeout", "integer", 0, 0),
    ConfigKey("pollExceptionLimit", "poll_exception_limit", "integer", 5, 0),
    ConfigKey("restoreTimeout", "restore_timeout", "integer", 60000, 0),
    ConfigKey("dynamicPolling", "dynamic_polling", "boolean", True),
    ConfigKey("pollRate", "poll_rate", "integer", 3000, 1000, 30000),
    ConfigKey("pollRateMin", "poll_rate_min", "integer", 500, 250),
    ConfigKey("pollRateMax", "poll_rate_max", "integer", 3000, high=30000, low_field="pollRateMin",
              aliases=("pollIntervalIdle_ms",)),
    ConfigKey("pollRateMult", "poll_rate_mult", "number", 1.2, 1, low_open=True),
    ConfigKey("pollRateSleep", "poll_rate_sleep", "integer", 30000, 1000, 30000),
    ConfigKey("sleepEnabled", "sleep_enabled", "boolean", False),
    ConfigKey("maxMessageLength", "max_message_length", "integer", None, 1),
    ConfigKey("cometD.enabled", "cometd_enabled", "flag", False),
    ConfigKey("cometD.cometURL", "cometd_url", "string", ""),
    ConfigKey("cometD.channel", "cometd_channel", "string", "/service/chatV2/customer-support"),
    ConfigKey("cometD.apiURL", "cometd_api_url", "string", ""),
    ConfigKey("cometD.websocketEnabled", "cometd_websocket_enabled", "boolean", True),
    ConfigKey("async.enabled", "async_enabled", "flag", False),
    ConfigKey("async.maxMessagePageSize", "max_message_page_size", "integer", 20, 1),
    # The page's session callbacks, as the original names them: setSessionData is the *reader*
    # (called once at configure), getSessionData the *writer* (spec B.4).
    ConfigKey("async.setSessionData", "async_set_session_data", "function"),
    ConfigKey("async.getSessionData", "async_get_session_data", "function"),
)

_BY_FIELD = {spec.field: spec for spec in CONFIG_KEYS}


def _default(name: str) -> Any:
    value = _BY_FIELD[name].default
    return field(default_factory=dict) if isinstance(value, dict) else value


def _object(raw: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key) or {}
    if not isinstance(value, Mapping):
        logger.warning("WebChatService: webchat.%s must be an object; ignoring %r", key, value)
        return {}
    return dict(value)


def _function(raw: Mapping[str, Any], key: str, section: str) -> Any:
    value = raw.get(key)
    if value is not None and not callable(value):
        logger.warning("WebChatService: invalid value %r for webchat.%s%s (expected a function); "
                       "ignoring it", value, section, key)
        return None
    return value


def _read(spec: ConfigKey, raw: Mapping[str, Any], read: Mapping[str, Any]) -> Any:
    """The value of one key in ``raw`` (its section already picked), checked against ``spec``."""
    section, _, key = spec.key.rpartition(".")
    if spec.aliases and key not in raw:
        key = next((alias for alias in spec.aliases if alias in raw), key)
    if spec.type == "string":
        return _str(raw, key, spec.default)
    if spec.type == "boolean":
        return _bool(raw, key, spec.default)
    if spec.type == "flag":
        return bool(raw.get(key, spec.default))
    if spec.type == "object":
        return _object(raw, key)
    if spec.type == "function":
        return _function(raw, key, section + "." if section else "")
    low = read[_BY_KEY[spec.low_field].field] if spec.low_field else spec.low
    if spec.default is None and raw.get(key) is None:
        return None
    return _number(raw, key, spec.default, low, spec.high, low_open=spec.low_open,
                   integer=spec.type == "integer")


_BY_KEY = {spec.key: spec for spec in CONFIG_KEYS}


@dataclass
class WebChatConfig:
    """The service's options (`CONFIG_KEYS` says which key sets which). Times are in
    milliseconds, as in the original.

        >>> config = WebChatConfig.from_dict({"dataURL": "http://gms/genesys/2/chat/cs", "pollRateMax": 5000})
        >>> config.data_url, config.poll_rate_max, config.restore_timeout
        ('http://gms/genesys/2/chat/cs', 5000, 60000)
    """

    data_url: str = _default("data_url")
    server_url: str = _default("server_url")
    enable_url_trailing_slash: bool = _default("enable_url_trailing_slash")
    apikey: str = _default("apikey")
    endpoint: str = _default("endpoint")
    user_data: dict[str, Any] = _default("user_data")
    enable_custom_header: bool = _default("enable_custom_header")
    ajax_timeout: int = _default("ajax_timeout")
    file_upload_timeout: int = _default("file_upload_timeout")
    poll_exception_limit: int = _default("poll_exception_limit")
    restore_timeout: int = _default("restore_timeout")
    dynamic_polling: bool = _default("dynamic_polling")
    poll_rate: int = _default("poll_rate")
    poll_rate_min: int = _default("poll_rate_min")
    poll_rate_max: int = _default("poll_rate_max")
    poll_rate_mult: float = _default("poll_rate_mult")
    poll_rate_sleep: int = _default("poll_rate_sleep")
    sleep_enabled: bool = _default("sleep_enabled")
    max_message_length: int | None = _default("max_message_length")
    cometd_enabled: bool = _default("cometd_enabled")
    cometd_url: str = _default("cometd_url")
    cometd_channel: str = _default("cometd_channel")
    cometd_api_url: str = _default("cometd_api_url")
    cometd_websocket_enabled: bool = _default("cometd_websocket_enabled")
    async_enabled: bool = _default("async_enabled")
    max_message_page_size: int = _default("max_message_page_size")
    async_set_session_data: Any = _default("async_set_session_data")
    async_get_session_data: Any = _default("async_get_session_data")
    raw: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for spec in CONFIG_KEYS:
            if spec.type == "function":
                setattr(self, spec.field, _function({spec.key: getattr(self, spec.field)}, spec.key, ""))

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> WebChatConfig:
        raw = dict(raw or {})
        read: dict[str, Any] = {}
        for spec in CONFIG_KEYS:
            section = spec.key.rpartition(".")[0]
            read[spec.field] = _read(spec, _section(raw, section) if section else raw, read)
        return cls(**read, raw=raw)

    @property
    def ajax_timeout_s(self) -> float | None:
        return self.ajax_timeout / 1000 if self.ajax_timeout else None

    @property
    def file_upload_timeout_s(self) -> float | None:
        return self.file_upload_timeout / 1000 if self.file_upload_timeout else None
