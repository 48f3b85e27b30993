"""cxkit.mockgms: a faithful mock of the Genesys Mobile Services Chat API v2, with a scriptable
agent, fault injection, a JSON control API and an agent console.

URL space (the app answers only these; use `gms.wrap(other_app)` to serve it beside static files,
or add `gms.routes` to your own Starlette app, which then lacks the CORS and body-cap middleware):

- `POST /genesys/2/chat/{service}[/]` and `/{chatId}/{refresh|send|startTyping|stopTyping|disconnect|
  customNotice|updateData|updateNickname|pushUrl}`, `/{chatId}/file/limits`, `/{chatId}/file`,
  `/{chatId}/file/{fileId}/download`, `/{chatId}/file/{fileId}/delete`.
- CometD (cometd.py): `POST /genesys/cometd[/...]`, Bayeux 1.0 over long-polling (handshake,
  connect held up to `CometdConfig.timeout_s` = 25 s until a notification, subscribe, publish,
  disconnect; advice `{reconnect, interval, timeout}`; unknown clients are told to handshake).
  The chat channel `/service/chatV2/{service}` takes `{operation, secureKey, ...}` publishes
  (requestChat, sendMessage, startTyping, stopTyping, requestNotifications + transcriptPosition,
  customNotice, updateData, updateNickname, pushUrl, disconnect) and pushes
  `{channel, data: <Chat V2 response>}` whenever the chat's transcript grows or it ends; the
  REST code does the work, so both faces share each chat. File operations go to
  `POST /genesys/2/chat-ntf` (`operation` = fileGetLimits | fileUpload | fileDownload, secureKey).
  Faults and the request log use the REST names (sendMessage -> `send`, requestNotifications ->
  `refresh`, fileGetLimits -> `fileLimits`); log entries of this face carry `face: "cometd"`.
  `GET /mock/cometd` lists Bayeux clients, `POST /mock/cometd/expire` forgets them all.
  `MockGMS(cometd=CometdConfig(...))` or `gms.cometd.config` tunes it.
- `/mock/...` control API (see routes_control.py), `/agent` agent console.

Unit tests, in-process:

    >>> import asyncio, httpx
    >>> from cxkit.mockgms import MockGMS, MockConfig
    >>> async def demo():
    ...     gms = MockGMS(MockConfig(), agent="silent")
    ...     async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gms.app), base_url="http://testserver") as c:
    ...         start = (await c.post("/genesys/2/chat/customer-support/", data={"nickname": "Nick"})).json()
    ...         gms.agent(start["chatId"], "join")
    ...         gms.agent(start["chatId"], "say", text="Hello!")
    ...         ident = {k: start[k] for k in ("alias", "secureKey", "userId")}
    ...         poll = await c.post(f"/genesys/2/chat/customer-support/{start['chatId']}/refresh",
    ...                             data={**ident, "transcriptPosition": "2", "message": ""})
    ...         return [m["type"] for m in poll.json()["messages"]]
    >>> asyncio.run(demo())
    ['ParticipantJoined', 'Message']

Bounds (all state is in memory): see MockConfig: max_chats (ended chats evicted first, then code 240),
max_messages_per_chat (older messages forgotten, indexes keep counting), max_message_chars,
max_user_data_keys/bytes, max_body_bytes, max_file_bytes, max_total_file_bytes, request_log_size,
max_wait_seconds; at most 1000 pending faults.
"""

from .actions import ACTION_TABLE, ACTIONS, ActionError
from .bayeux import CometdConfig
from .config import FileLimits, MockConfig
from .errors import Code, GmsError
from .faults import FAULT_MODES, OPERATIONS, ConnectionDropped
from .server import PREFIXES, MockGMS

__all__ = [
    "ACTION_TABLE",
    "ACTIONS",
    "ActionError",
    "Code",
    "CometdConfig",
    "ConnectionDropped",
    "FAULT_MODES",
    "FileLimits",
    "GmsError",
    "MockConfig",
    "MockGMS",
    "OPERATIONS",
    "PREFIXES",
]
