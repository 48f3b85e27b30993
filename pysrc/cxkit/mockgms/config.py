"""Configuration of the mock GMS: dataclasses whose fields carry their own doc and bounds
(`setting(default, doc, bounds=(low, high))`, read back with `field_facts`), checked at construction.

    >>> from cxkit.mockgms import MockConfig, FileLimits
    >>> cfg = MockConfig(echo_join_delay=0.01, idle_alert_seconds=0)
    >>> cfg.limits_for("customer-support").max_files
    5
    >>> MockConfig(max_chats=0)
    Traceback (most recent call last):
    ...
    ValueError: max_chats must be between 1 and 1000000, got 0
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FieldFacts", "FileLimits", "MockConfig", "check_bounds", "field_facts", "setting"]


def setting(default: Any = dataclasses.MISSING, doc: str = "", *, bounds: tuple[float, float] | None = None,
            factory: Callable[[], Any] | None = None) -> Any:
    """A config field with its doc and (for numbers) its inclusive bounds, checked at construction."""
    meta = {"doc": doc, "bounds": bounds}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class FieldFacts:
    """What `setting` declared for one field: name, default, doc, bounds (None: unchecked)."""

    name: str
    default: Any
    doc: str
    bounds: tuple[float, float] | None


def field_facts(cls: type) -> list[FieldFacts]:
    """Every field of a config dataclass with its default, doc and bounds, in declaration order.

        >>> [f for f in field_facts(MockConfig) if f.name == "max_chats"][0].bounds
        (1, 1000000)
    """
    out = []
    for f in dataclasses.fields(cls):
        factory = f.default_factory
        default = f.default if f.default is not dataclasses.MISSING else factory() if callable(factory) else None
        out.append(FieldFacts(f.name, default, f.metadata.get("doc", ""), f.metadata.get("bounds")))
    return out


def check_bounds(obj: Any) -> None:
    """Refuse (ValueError) a field value outside the bounds its `setting` declared."""
    for f in dataclasses.fields(obj):
        if f.metadata.get("bounds") is not None:
            _check(f.name, getattr(obj, f.name), *f.metadata["bounds"])


@dataclass
class FileLimits:
    """File-transfer limits of one chat service, published as the `file-client-cfg-get` Notice.
    The defaults are the real GMS answer (spec C.3); configure more file types if you need them.

        >>> limits = FileLimits(file_types=(".PNG", "txt"), max_files=1)
        >>> limits.file_types, limits.max_files, MockConfig(file_limits=limits).limits_for("any").max_files
        (('png', 'txt'), 1, 1)
    """

    file_types: tuple[str, ...] = setting(("jpeg", "jpg", "pdf", "png", "zip"),
                                          "accepted extensions (`upload-file-types`), lower case, no dot")
    max_file_size: int = setting(10 * 1024 * 1024, "bytes per file (`upload-max-file-size`)", bounds=(1, 1 << 30))
    max_files: int = setting(5, "client uploads per chat (`upload-max-files`)", bounds=(0, 10_000))
    max_total_size: int = setting(99_614_720, "bytes of client uploads per chat (`upload-max-total-size`)",
                                  bounds=(0, 1 << 34))
    need_agent: bool = setting(False, "uploads only while an agent is connected (`upload-need-agent`, code 200)")
    download_attempts: int = setting(2, "customer downloads per chat (`download-attempts`, code 205)",
                                     bounds=(0, 1_000_000))
    delete_file: str = setting("odd", "`delete-file`, published as it is")

    def __post_init__(self) -> None:
        self.file_types = tuple(t.lower().lstrip(".") for t in self.file_types)
        check_bounds(self)


@dataclass
class MockConfig:
    """Everything tunable in the mock. Times are seconds (floats), sizes bytes.

    Bounds are checked at construction; 0 disables the idle timers.

        >>> cfg = MockConfig(agent_nickname="Bob", service_file_limits={"sales": FileLimits(max_files=0)})
        >>> cfg.agent_nickname, cfg.limits_for("sales").max_files, cfg.limits_for("customer-support").max_files
        ('Bob', 0, 5)
    """

    # identity / wire
    alias: str = setting("117", "the GMS `alias` of every chat")
    apikey: str | None = setting(None, "when set, every /genesys request needs header `apikey: <this>`")
    cors_allow_origins: tuple[str, ...] = setting(
        (), "origins allowed besides the request's own and (with `cors_allow_localhost`) local ones; "
            "\"*\" is refused (credentials are allowed)")
    cors_allow_localhost: bool = setting(True, "allow http(s)://localhost, 127.0.0.1 and [::1] on any port")
    allowed_hosts: tuple[str, ...] = setting(
        (), "Host header allowlist (DNS rebinding), added to IP literals, localhost, *.localhost and the "
            "ASGI server's own name; \"*\" turns the check off")
    # simulated agent
    agent_nickname: str = setting("Anna", "the agent's name (`join` and the echo agent)")
    echo_join_delay: float = setting(0.2, "seconds before the echo agent joins", bounds=(0, 3600))
    echo_typing_delay: float = setting(0.1, "seconds between TypingStarted and the echoed Message", bounds=(0, 3600))
    echo_prefix: str = setting("", "put before each echoed text")
    # idle handling (polling is not activity)
    idle_alert_seconds: float = setting(300.0, "IdleAlert after this much customer inactivity (0: off)",
                                        bounds=(0, 86_400))
    idle_close_seconds: float = setting(120.0, "IdleClose this long after the IdleAlert (0: off)",
                                        bounds=(0, 86_400))
    # bounds (all state is in memory)
    max_body_bytes: int = setting(256 * 1024, "any non-upload request body; 413 beyond", bounds=(1024, 64 << 20))
    max_chats: int = setting(20_000, "open + ended chats kept; ended ones are evicted first, then code 240",
                             bounds=(1, 1_000_000))
    max_messages_per_chat: int = setting(5_000, "oldest are forgotten beyond this; indexes keep counting",
                                         bounds=(10, 1_000_000))
    max_message_chars: int = setting(10_000, "code 204 beyond", bounds=(1, 1 << 20))
    max_user_data_keys: int = setting(200, "userData keys of one chat", bounds=(1, 100_000))
    max_user_data_bytes: int = setting(64 * 1024, "keys + values of one chat, UTF-8", bounds=(64, 16 << 20))
    max_file_bytes: int = setting(10 * 1024 * 1024, "hard cap on one upload, whatever the service limits say",
                                  bounds=(1, 1 << 30))
    max_total_file_bytes: int = setting(256 * 1024 * 1024, "all files of all chats together", bounds=(0, 1 << 34))
    request_log_size: int = setting(2_000, "entries; the oldest go first", bounds=(0, 1_000_000))
    request_log_bytes: int = setting(16 << 20, "about this much form text in all; the oldest go first",
                                     bounds=(64 << 10, 1 << 30))
    request_log_value_chars: int = setting(10_000, "a logged form value is cut there (entry lists it in "
                                                   "\"truncated\")", bounds=(16, 1 << 20))
    max_wait_seconds: float = setting(
        60.0, "cap on the HTTP control API's long polls (MockGMS's own waits are not capped)", bounds=(0, 3600))
    body_timeout_seconds: float = setting(30.0, "a request body must be complete this long after its headers (408)",
                                          bounds=(0.01, 3600))
    header_timeout_seconds: float = setting(10.0, "MockGMS.running(): request headers must be complete this long "
                                                  "after connect or the previous response", bounds=(0.01, 3600))
    file_limits: FileLimits = setting(doc="file limits of every service", factory=FileLimits)
    service_file_limits: dict[str, FileLimits] = setting(doc="per-service overrides of `file_limits`", factory=dict)

    def __post_init__(self) -> None:
        if "*" in self.cors_allow_origins:
            raise ValueError("cors_allow_origins may not contain '*' (responses allow credentials)")
        self.cors_allow_origins = tuple(o.rstrip("/") for o in self.cors_allow_origins)
        self.allowed_hosts = tuple(self.allowed_hosts)
        check_bounds(self)

    def limits_for(self, service: str) -> FileLimits:
        return self.service_file_limits.get(service, self.file_limits)

    @property
    def max_upload_body_bytes(self) -> int:
        # the multipart envelope and identity parts need a little room besides the file
        return self.max_file_bytes + 64 * 1024


def _check(name: str, value: float, low: float, high: float) -> None:
    if not (low <= value <= high):
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
