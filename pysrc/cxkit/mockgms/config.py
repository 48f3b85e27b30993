"""Configuration of the mock GMS: one frozen-ish dataclass with documented defaults and bounds.

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

from dataclasses import dataclass, field

__all__ = ["FileLimits", "MockConfig"]


@dataclass
class FileLimits:
    """File-transfer limits of one chat service, published as the `file-client-cfg-get` Notice.
    The defaults are the real GMS answer (spec C.3); configure more file types if you need them."""

    file_types: tuple[str, ...] = ("jpeg", "jpg", "pdf", "png", "zip")
    max_file_size: int = 10 * 1024 * 1024
    max_files: int = 5
    max_total_size: int = 99_614_720
    need_agent: bool = False
    download_attempts: int = 2
    delete_file: str = "odd"

    def __post_init__(self) -> None:
        self.file_types = tuple(t.lower().lstrip(".") for t in self.file_types)
        _check("max_file_size", self.max_file_size, 1, 1 << 30)
        _check("max_files", self.max_files, 0, 10_000)
        _check("max_total_size", self.max_total_size, 0, 1 << 34)
        _check("download_attempts", self.download_attempts, 0, 1_000_000)


@dataclass
class MockConfig:
    """Everything tunable in the mock. Times are seconds (floats), sizes bytes.

    Bounds are checked at construction; 0 disables the idle timers.
    """

    # identity / wire
    alias: str = "117"
    apikey: str | None = None  # when set, every /genesys request needs header `apikey: <this>`
    # CORS: the request's own origin and (if cors_allow_localhost) http(s)://localhost|127.0.0.1|[::1]:<any port>
    # are always allowed; these are added. "*" is refused (credentials are allowed).
    cors_allow_origins: tuple[str, ...] = ()
    cors_allow_localhost: bool = True
    # Host header allowlist (DNS rebinding): IP literals, localhost, *.localhost and the ASGI
    # server's own name are always allowed; these names are added; "*" turns the check off.
    allowed_hosts: tuple[str, ...] = ()
    # simulated agent
    agent_nickname: str = "Anna"
    echo_join_delay: float = 0.2  # 0..3600
    echo_typing_delay: float = 0.1  # time between TypingStarted and the echoed Message, 0..3600
    echo_prefix: str = ""
    # idle handling: IdleAlert after idle_alert_seconds of customer inactivity, IdleClose
    # idle_close_seconds after that (0 = off). Polling (refresh) is not activity.
    idle_alert_seconds: float = 300.0
    idle_close_seconds: float = 120.0
    # bounds (all state is in memory)
    max_body_bytes: int = 256 * 1024  # any non-upload request body, 1 KiB..64 MiB -> 413 beyond
    max_chats: int = 20_000  # open + ended chats kept; ended ones are evicted first, then code 240
    max_messages_per_chat: int = 5_000  # oldest are forgotten beyond this; indexes keep counting
    max_message_chars: int = 10_000  # code 204 beyond
    max_user_data_keys: int = 200
    max_user_data_bytes: int = 64 * 1024  # keys + values of one chat, UTF-8
    max_file_bytes: int = 10 * 1024 * 1024  # hard cap on one upload, whatever the service limits say
    max_total_file_bytes: int = 256 * 1024 * 1024  # all files of all chats together
    request_log_size: int = 2_000  # entries; the oldest go first
    request_log_bytes: int = 16 << 20  # about this much form text in all, 64 KiB..1 GiB; the oldest go first
    request_log_value_chars: int = 10_000  # a logged form value is cut there (entry lists it in "truncated")
    max_wait_seconds: float = 60.0  # cap on the control API long polls
    body_timeout_seconds: float = 30.0  # a request body must be complete this long after its headers (408)
    header_timeout_seconds: float = 10.0  # MockGMS.running(): request headers must be complete this long after connect or the previous response
    file_limits: FileLimits = field(default_factory=FileLimits)
    service_file_limits: dict[str, FileLimits] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if "*" in self.cors_allow_origins:
            raise ValueError("cors_allow_origins may not contain '*' (responses allow credentials)")
        self.cors_allow_origins = tuple(o.rstrip("/") for o in self.cors_allow_origins)
        self.allowed_hosts = tuple(self.allowed_hosts)
        _check("echo_join_delay", self.echo_join_delay, 0, 3600)
        _check("echo_typing_delay", self.echo_typing_delay, 0, 3600)
        _check("idle_alert_seconds", self.idle_alert_seconds, 0, 86_400)
        _check("idle_close_seconds", self.idle_close_seconds, 0, 86_400)
        _check("max_body_bytes", self.max_body_bytes, 1024, 64 << 20)
        _check("max_chats", self.max_chats, 1, 1_000_000)
        _check("max_messages_per_chat", self.max_messages_per_chat, 10, 1_000_000)
        _check("max_message_chars", self.max_message_chars, 1, 1 << 20)
        _check("max_user_data_keys", self.max_user_data_keys, 1, 100_000)
        _check("max_user_data_bytes", self.max_user_data_bytes, 64, 16 << 20)
        _check("max_file_bytes", self.max_file_bytes, 1, 1 << 30)
        _check("max_total_file_bytes", self.max_total_file_bytes, 0, 1 << 34)
        _check("request_log_size", self.request_log_size, 0, 1_000_000)
        _check("request_log_bytes", self.request_log_bytes, 64 << 10, 1 << 30)
        _check("request_log_value_chars", self.request_log_value_chars, 16, 1 << 20)
        _check("max_wait_seconds", self.max_wait_seconds, 0, 3600)
        _check("body_timeout_seconds", self.body_timeout_seconds, 0.01, 3600)
        _check("header_timeout_seconds", self.header_timeout_seconds, 0.01, 3600)

    def limits_for(self, service: str) -> FileLimits:
        return self.service_file_limits.get(service, self.file_limits)

    @property
    def max_upload_body_bytes(self) -> int:
        # the multipart envelope and identity parts need a little room besides the file
        return self.max_file_bytes + 64 * 1024


def _check(name: str, value: float, low: float, high: float) -> None:
    if not (low <= value <= high):
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
