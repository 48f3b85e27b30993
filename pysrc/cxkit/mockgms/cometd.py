"""The CometD face of the mock GMS: `/genesys/cometd`, `/genesys/2/chat-ntf` and `/mock/cometd`.

- `POST /genesys/cometd[/...]`: Bayeux over long-polling (bayeux.py), JSON array in, JSON array
  out; the chat channel `/service/chatV2/{serviceName}` is cometd_chat.py.
- `POST /genesys/2/chat-ntf`: the file operations of CometD mode, multipart (or form-encoded) with
  `operation` = `fileGetLimits` | `fileUpload` (part `file`) | `fileDownload` (+ `fileId`) and the
  chat's `secureKey`; answers as the REST file operations do (faults and the request log use
  the REST names fileLimits, fileUpload, fileDownload).
- `GET /mock/cometd`: the Bayeux clients (`clientId`, bound chats, queued messages, held
  connects); `POST /mock/cometd/expire`: forget every client (as a GMS restart would), so
  clients must handshake again.

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

import socket
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .bayeux import BayeuxServer, CometdConfig
from .jsonin import JsonRefused, load_json
from .cometd_chat import ChatChannel, find_chat
from .errors import Code, GmsError
from .forms import read_form

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

    def __init__(self, state: "ServerState", api: "ChatApi", config: CometdConfig | None = None) -> None:
        self.state, self.api = state, api
        self.bayeux = BayeuxServer(config or CometdConfig())
        self.chat = ChatChannel(state, api, self.bayeux)
        self.bayeux.on_publish = self.chat.on_publish

    @property
    def config(self) -> CometdConfig:
        return self.bayeux.config

    def routes(self) -> list[Route]:
        return [
            Route(COMETD_PATH, self.bayeux_endpoint, methods=["POST"]),
            Route(COMETD_PATH + "/{rest:path}", self.bayeux_endpoint, methods=["POST"]),
            Route(NTF_PATH, self.ntf_endpoint, methods=["POST"]),
            Route("/mock/cometd", self.list_clients, methods=["GET"]),
            Route("/mock/cometd/expire", self.expire, methods=["POST"]),
        ]

    def clients(self) -> list[dict[str, Any]]:
        chats: dict[str, list[str]] = {}
        for (client_id, chat_id) in self.chat.bindings:
            chats.setdefault(client_id, []).append(chat_id)
        return [{"clientId": s.client_id, "chats": chats.get(s.client_id, []), "queued": len(s.queue),
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
        return JSONResponse(await self.bayeux.handle(messages), headers=_NO_STORE)

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
        return JSONResponse({"clients": self.clients()})

    async def expire(self, request: Request) -> Response:
        count = len(self.bayeux.sessions)
        self.bayeux.close_all()
        return JSONResponse({"expired": count})


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
        if scope["type"] == "http" and scope.get("path", "").startswith(COMETD_PATH):
            transport = getattr(getattr(send, "__self__", None), "transport", None)
            sock = transport.get_extra_info("socket") if transport is not None else None
            if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
                try:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                except OSError:
                    pass
        await self.app(scope, receive, send)
