"""The mutable state of one mock server, shared by the routes and the Python API.

    >>> from cxkit.mockgms.state import ServerState
    >>> from cxkit.mockgms.config import MockConfig
    >>> ServerState(MockConfig(), "silent").preset.name
    'silent'
"""

from __future__ import annotations

from .agent import AgentPreset, parse_preset
from .chat import Chat
from .config import MockConfig
from .faults import FaultTable
from .idle import IdleTimer
from .memory import give_back_memory
from .requestlog import RequestLog
from .store import ChatStore

__all__ = ["ServerState"]


class ServerState:
    def __init__(self, config: MockConfig, agent: str | AgentPreset) -> None:
        self.config = config
        self.preset: AgentPreset = parse_preset(agent) if isinstance(agent, str) else agent
        self.store = ChatStore(config)
        self.faults = FaultTable()
        self.log = RequestLog(config.request_log_size, config.request_log_bytes, config.request_log_value_chars)

    def start_chat_timers(self, chat: Chat) -> None:
        """Give a new chat its idle timer and its simulated agent (needs the running loop)."""
        chat.idle = IdleTimer(chat, self.config.idle_alert_seconds, self.config.idle_close_seconds)
        chat.idle.activity()
        chat.agent = self.preset.create(self.store, chat)
        chat.agent.start()

    def reset(self) -> None:
        self.store.clear()
        self.faults.clear()
        self.log.clear()
        give_back_memory()
