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
from dataclasses import dataclass, field
from typing import Any, Mapping

__all__ = ["WebChatConfig"]

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


def _bool(raw: Mapping[str, Any], key: str, default: bool) -> bool:
    value = raw.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        logger.warning("WebChatService: invalid value %r for webchat.%s (expected true or "
                       "false); using the default %r", value, key, default)
        return default
    return value


def _str(raw: Mapping[str, Any], key: str, default: str = "") -> str:
    value = raw.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        logger.warning("WebChatService: invalid value %r for webchat.%s (expected a string); "
                       "using the default %r", value, key, default)
        return default
    return value


def _section(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key)
    return value if isinstance(value, Mapping) else {}


@dataclass
class WebChatConfig:
    """The service's options. Times are in milliseconds, as in the original."""

    data_url: str = ""
    server_url: str = ""
    enable_url_trailing_slash: bool = True
    apikey: str = ""
    endpoint: str = ""
    user_data: dict[str, Any] = field(default_factory=dict)
    enable_custom_header: bool = False
    ajax_timeout: int = 3000
    file_upload_timeout: int = 0
    poll_exception_limit: int = 5
    restore_timeout: int = 60000
    dynamic_polling: bool = True
    poll_rate: int = 3000
    poll_rate_min: int = 500
    poll_rate_max: int = 3000
    poll_rate_mult: float = 1.2
    poll_rate_sleep: int = 30000
    sleep_enabled: bool = False
    max_message_length: int | None = None
    cometd_enabled: bool = False
    cometd_url: str = ""
    cometd_channel: str = "/service/chatV2/customer-support"
    cometd_api_url: str = ""
    cometd_websocket_enabled: bool = True
    async_enabled: bool = False
    max_message_page_size: int = 20
    # The page's session callbacks (async mode), as the original names them: setSessionData is
    # the *reader* (called once at configure), getSessionData the *writer* (spec B.4).
    async_set_session_data: Any = None
    async_get_session_data: Any = None
    raw: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, key in (("async_set_session_data", "setSessionData"), ("async_get_session_data", "getSessionData")):
            value = getattr(self, name)
            if value is not None and not callable(value):
                logger.warning("WebChatService: invalid value %r for webchat.async.%s (expected a function); "
                               "ignoring it", value, key)
                setattr(self, name, None)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> "WebChatConfig":
        raw = dict(raw or {})
        user_data = raw.get("userData") or {}
        if not isinstance(user_data, Mapping):
            logger.warning("WebChatService: webchat.userData must be an object; ignoring %r",
                           user_data)
            user_data = {}
        poll_rate_min = _number(raw, "pollRateMin", 500, 250)
        max_key = "pollRateMax" if "pollRateMax" in raw else "pollIntervalIdle_ms"
        poll_rate_max = _number(raw, max_key, 3000, poll_rate_min, 30000)
        max_length = raw.get("maxMessageLength")
        if max_length is not None:
            max_length = _number(raw, "maxMessageLength", None, 1)
        cometd = _section(raw, "cometD")
        async_ = _section(raw, "async")
        return cls(
            data_url=_str(raw, "dataURL"),
            server_url=_str(raw, "serverURL"),
            enable_url_trailing_slash=_bool(raw, "enableUrlTrailingSlash", True),
            apikey=_str(raw, "apikey"),
            endpoint=_str(raw, "endpoint"),
            user_data=dict(user_data),
            enable_custom_header=_bool(raw, "enableCustomHeader", False),
            ajax_timeout=_number(raw, "ajaxTimeout", 3000, 0),
            file_upload_timeout=_number(raw, "fileUploadTimeout", 0, 0),
            poll_exception_limit=_number(raw, "pollExceptionLimit", 5, 0),
            restore_timeout=_number(raw, "restoreTimeout", 60000, 0),
            dynamic_polling=_bool(raw, "dynamicPolling", True),
            poll_rate=_number(raw, "pollRate", 3000, 1000, 30000),
            poll_rate_min=poll_rate_min,
            poll_rate_max=poll_rate_max,
            poll_rate_mult=_number(raw, "pollRateMult", 1.2, 1, low_open=True, integer=False),
            poll_rate_sleep=_number(raw, "pollRateSleep", 30000, 1000, 30000),
            sleep_enabled=_bool(raw, "sleepEnabled", False),
            max_message_length=max_length,
            cometd_enabled=bool(cometd.get("enabled", False)),
            cometd_url=_str(cometd, "cometURL"),
            cometd_channel=_str(cometd, "channel", "/service/chatV2/customer-support"),
            cometd_api_url=_str(cometd, "apiURL"),
            cometd_websocket_enabled=_bool(cometd, "websocketEnabled", True),
            async_enabled=bool(async_.get("enabled", False)),
            max_message_page_size=_number(async_, "maxMessagePageSize", 20, 1),
            async_set_session_data=async_.get("setSessionData"),
            async_get_session_data=async_.get("getSessionData"),
            raw=raw,
        )

    @property
    def ajax_timeout_s(self) -> float | None:
        return self.ajax_timeout / 1000 if self.ajax_timeout else None

    @property
    def file_upload_timeout_s(self) -> float | None:
        return self.file_upload_timeout / 1000 if self.file_upload_timeout else None
