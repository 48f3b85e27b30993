"""The CometD face of the mock GMS: `/genesys/cometd`, `/genesys/2/chat-ntf` and `/mock/cometd`.

- `POST /genesys/cometd[/...]`: Bayeux over long-polling (bayeux.py), JSON array in, JSON array
  out; the chat channel `/service/chatV2/{serviceName}` is cometd_chat.py.
- `GET /genesys/cometd` upgraded to a WebSocket: the same Bayeux over frames (cometd_ws.py).
- `POST /genesys/2/chat-ntf`: the file operations of CometD mode, multipart (or form-encoded) with
  `operation` = `fileGetLimits` | `fileUpload` (part `file`) | `fileDownload` (+ `fileId`) and the
  chat's `secureKey`; answers as the REST file operations do (faults and the request log use
  the REST names fileLimits, fileUpload, fileDownload).
- `GET /mock/cometd`: the Bayeux clients (`clientId`, bound chats, queued and unacknowledged
  messages, held connects) and, since the last reset, what came on each transport:
  `{"clients": [...], "transports": {"handshakes": {"long-polling": n, "websocket": n},
  "connects": {...}, "socketsOpened": n, "socketsOpen": n, "upgradesRefused": n}}`;
  `POST /mock/cometd/expire`: forget every client (as a GMS restart would), so clients must
  handshake again.
- `POST /mock/cometd/faults {"operation": "handshake"|"connect"|"websocket", "mode", "count",
  "delayMs"}`, `GET /mock/cometd/faults`, `DELETE /mock/cometd/faults` (drops them): faults of
  the transport (cometd_faults.py); cleared by `/mock/reset` too.

    >>> import asyncio, httpx
    >>> from cxkit.mockgms import MockGMS
    >>> async def demo():
    ...     gms = MockGMS(agent="silent")
    ...     async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gms.app), base_url="http://t") as c:
    ...         r = await c.post("/genesys/cometd/handshake", json=[{"channel": "/meta/handshake",
    ...             "version": "1.0", "supportedConnectionTypes": ["long-polling"]}])
    ...         return r.json()[0]["successful"], r.json()[0]["advice"]["timeout"]
    >>> asyncio.run(demo())
    (True, 25000)
"""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from ..gms.websocket import ABORT_SCOPE_KEY
from .bayeux import LONG_POLLING, WEBSOCKET, BayeuxServer, CometdConfig
from .cometd_chat import ChatChannel, find_chat
from .cometd_faults import CometdFaults
from .cometd_ws import SocketFace
from .errors import Code, GmsError
from .faults import ConnectionDropped
from .forms import read_form
from .jsonin import JsonRefused, load_json
from .routes_chat import DROP_SCOPE_KEY

if TYPE_CHECKING:
    from .routes_chat import ChatApi
    from .state import ServerState

__all__ = ["CometdFace", "COMETD_PATH", "NTF_PATH", "NoDelay"]

COMETD_PATH = "/genesys/cometd"
NTF_PATH = "/genesys/2/chat-ntf"
_NTF_OPS = {"fileGetLimits": "fileLimits", "fileUpload": "fileUpload", "fileDownload": "fileDownload"}
_NO_STORE = {"Cache-Control": "no-store"}


class CometdFace:
    """`gms.cometd`: the Bayeux server (`.bayeux`), the chat channel (`.chat`) and their routes."""

    def __init__(self, state: ServerState, api: ChatApi, config: CometdConfig | None = None) -> None:
        self.state, self.api = state, api
        self.bayeux = BayeuxServer(config or CometdConfig())
        self.chat = ChatChannel(state, api, self.bayeux)
        self.bayeux.on_publish = self.chat.on_publish
        self.faults = CometdFaults()
        self.sockets = SocketFace(self)
        self.counts: dict[str, dict[str, int]] = {}
        # /mock/reset (ServerState.reset) also clears the transport's faults and counts
        reset = state.reset

        def reset_all() -> None:
            reset()
            self.reset()

        state.reset = reset_all  # type: ignore[method-assign]

    def reset(self) -> None:
        self.faults.clear()
        self.sockets.reset()
        self.counts = {}

    def count(self, what: str, transport: str) -> None:
        if what:
            per = self.counts.setdefault(what, {LONG_POLLING: 0, WEBSOCKET: 0})
            per[transport] = per.get(transport, 0) + 1

    def forget(self, client_id: Any) -> None:
        session = self.bayeux.sessions.get(client_id) if isinstance(client_id, str) else None
        if session is not None:
            self.bayeux.close(session)

    def transports(self) -> dict[str, Any]:
        empty = {LONG_POLLING: 0, WEBSOCKET: 0}
        return {"handshakes": dict(self.counts.get("handshake", empty)),
                "connects": dict(self.counts.get("connect", empty)),
                "socketsOpened": self.sockets.opened, "socketsOpen": len(self.sockets.sockets),
                "upgradesRefused": self.sockets.refused}

    @property
    def config(self) -> CometdConfig:
        return self.bayeux.config

    def routes(self) -> list[BaseRoute]:
        return [
            Route(COMETD_PATH, self.bayeux_endpoint, methods=["POST"]),
            Route(COMETD_PATH + "/{rest:path}", self.bayeux_endpoint, methods=["POST"]),
            _SocketRoute(COMETD_PATH, self.sockets.endpoint),
            _SocketRoute(COMETD_PATH + "/{rest:path}", self.sockets.endpoint),
            Route(NTF_PATH, self.ntf_endpoint, methods=["POST"]),
            Route("/mock/cometd", self.list_clients, methods=["GET"]),
            Route("/mock/cometd/expire", self.expire, methods=["POST"]),
            Route("/mock/cometd/faults", self.fault_endpoint, methods=["GET", "POST", "DELETE"]),
        ]

    def clients(self) -> list[dict[str, Any]]:
        chats: dict[str, list[str]] = {}
        for (client_id, chat_id) in self.chat.bindings:
            chats.setdefault(client_id, []).append(chat_id)
        return [{"clientId": s.client_id, "chats": chats.get(s.client_id, []), "queued": len(s.queue),
                 "unacknowledged": len(s.unacked), "ack": s.ack,
                 "holding": s.holding, "subscriptions": sorted(s.subscriptions)}
                for s in self.bayeux.sessions.values()]

    # -- endpoints ------------------------------------------------------------------------------
    async def bayeux_endpoint(self, request: Request) -> Response:
        if self.state.config.apikey is not None and request.headers.get("apikey", "") != self.state.config.apikey:
            return JSONResponse([{"successful": False, "error": "401::Missing or invalid apikey header"}],
                                status_code=401, headers=_NO_STORE)
        try:
            payload = load_json(await request.body() or b"null")
        except JsonRefused as exc:
            return JSONResponse([{"successful": False, "error": f"400::Body must be JSON ({exc})"}], status_code=400,
                                headers=_NO_STORE)
        messages = payload if isinstance(payload, list) else [payload]
        channels = [m.get("channel") for m in messages if isinstance(m, dict)]
        operation = "handshake" if "/meta/handshake" in channels else "connect" if "/meta/connect" in channels else ""
        self.count(operation, LONG_POLLING)
        fault = self.faults.take(operation) if operation else None
        mode = fault.mode if fault is not None else None
        if mode == "delay":
            await asyncio.sleep(fault.delay_ms / 1000)  # type: ignore[union-attr]
        elif mode == "http500":
            return PlainTextResponse("Internal Server Error", status_code=500, headers=_NO_STORE)
        elif mode == "drop" and operation == "handshake":
            request.scope[DROP_SCOPE_KEY] = True
            raise ConnectionDropped("drop fault on the handshake")
        elif mode == "unknown":
            if operation == "handshake":
                return JSONResponse([{"channel": "/meta/handshake", "successful": False, "error": "402::Unknown client",
                                      "advice": {"reconnect": "handshake", "interval": 0}}], headers=_NO_STORE)
            for message in messages:
                if isinstance(message, dict) and message.get("channel") == "/meta/connect":
                    self.forget(message.get("clientId"))
        replies = await self.bayeux.handle(messages, LONG_POLLING)
        if mode == "drop":
            # the connect was answered, and the answer (with what it carried) is lost
            request.scope[DROP_SCOPE_KEY] = True
            raise ConnectionDropped("drop fault on the connect")
        return JSONResponse(replies, headers=_NO_STORE)

    async def ntf_endpoint(self, request: Request) -> Response:
        entry = self.state.log.record("unknown", None, None, {})
        entry["face"] = "cometd"
        try:
            response = await self._ntf(request, entry)
            entry["httpStatus"] = response.status_code
            return response
        finally:
            self.state.log.done(entry)

    async def _ntf(self, request: Request, entry: dict[str, Any]) -> Response:
        cfg = self.state.config
        chat_id: str | None = None
        try:
            if cfg.apikey is not None and request.headers.get("apikey", "") != cfg.apikey:
                raise GmsError(Code.NOT_AUTHORIZED, "Missing or invalid apikey header", http_status=401)
            form = await read_form(request, cfg.max_file_bytes)
            operation = form.fields.get("operation", "")
            op = _NTF_OPS.get(operation)
            entry["cometdOperation"] = operation
            self.state.log.set_form(entry, form.fields)
            if op is None:
                raise GmsError(Code.NOT_FOUND, f"Unknown chat-ntf operation {operation!r}", http_status=404)
            entry["operation"] = op
            chat = find_chat(self.state, form.fields)
            chat_id = entry["chatId"] = chat.chat_id
            entry["serviceName"] = chat.service
            form.fields["userId"] = chat.user_id
            fault = self.state.faults.take(op)
            if fault is not None:
                entry["fault"] = fault.mode
                early = await self.api._apply_fault(request, fault, chat.chat_id)
                if early is not None:
                    return early
            if op == "fileDownload":
                return self.api._download(chat.service, chat.chat_id, form.fields.get("fileId", ""), form)
            body = self.api._chat_op(op, chat.service, chat.chat_id, None, form)
            entry["statusCode"] = body["statusCode"]
            return JSONResponse(body, headers=_NO_STORE)
        except GmsError as err:
            entry["statusCode"] = err.status_code
            return self.api.error_response(err, chat_id)

    async def list_clients(self, request: Request) -> Response:
        return JSONResponse({"clients": self.clients(), "transports": self.transports()})

    async def fault_endpoint(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.faults.clear()
        if request.method in ("GET", "DELETE"):
            return JSONResponse({"faults": self.faults.pending()})
        try:
            body = load_json(await request.body() or b"{}")
        except JsonRefused as exc:
            return JSONResponse({"error": f"body must be a JSON object: {exc}"}, status_code=400)
        if not isinstance(body, dict):
            return JSONResponse({"error": "body must be a JSON object"}, status_code=400)
        try:
            fault = self.faults.add(body.get("operation"), body.get("mode"),  # type: ignore[arg-type]
                                    body.get("count", 1), body.get("delayMs", 0))
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"fault": fault.as_dict(), "faults": self.faults.pending()})

    async def expire(self, request: Request) -> Response:
        count = len(self.bayeux.sessions)
        self.bayeux.close_all()
        return JSONResponse({"expired": count})


class _SocketRoute(WebSocketRoute):
    """A WebSocket route that lists itself like the HTTP ones (``methods``) in the reference."""

    methods = {"WEBSOCKET"}


class NoDelay:
    """Sets TCP_NODELAY on the connections that carry `/genesys/cometd` requests (uvicorn does not).

    A held /meta/connect is answered long after its request was acknowledged, so the response
    headers leave at once and Nagle holds the body back until the client's delayed ACK, 40 ms
    later: one push cost 45 ms instead of 1.5 ms. Must wrap the app outermost, where `send` is
    still uvicorn's (its cycle knows the transport); elsewhere it does nothing.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and scope.get("path", "").startswith(COMETD_PATH):
            transport = getattr(getattr(send, "__self__", None), "transport", None)
            if scope["type"] == "websocket" and transport is not None and hasattr(transport, "abort"):
                scope[ABORT_SCOPE_KEY] = transport.abort  # the socket's `drop` fault
            sock = transport.get_extra_info("socket") if transport is not None else None
            if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
                try:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                except OSError:
                    pass
        await self.app(scope, receive, send)
