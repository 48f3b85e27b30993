"""The JSON control API under /mock, and the agent console at /agent. `CONTROL_API` lists every
route with what it does (the reference docs render it); the names match `MockGMS`'s Python API
and the `gms` fixture's (docs/pytest-plugin.md, "One vocabulary", has the table of the three).

    >>> from cxkit.mockgms.routes_control import control_routes  # mounted by MockGMS
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import math
import re
from importlib import resources
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from . import control
from .actions import ActionError
from .jsonin import JsonRefused, load_json
from .routes_chat import file_response
from .state import ServerState

__all__ = ["CONTROL_API", "control_routes", "console_routes"]

# (methods, path, what it does): the /mock/cometd routes are cometd.py's
CONTROL_API: tuple[tuple[str, str, str], ...] = (
    ("GET", "/mock/chats", '{"chats": [summary, ...]}, oldest first'),
    ("GET", "/mock/chats/wait?after=N&timeout=S", 'long poll until a chat numbered > N (default 0: the first '
                                                   'since reset) exists -> {"timedOut", "chat"}'),
    ("GET", "/mock/wait-chat", "the same (an older name, kept for existing clients)"),
    ("GET", "/mock/chats/{chatId}", "detail (state, participants, messages, userData, files, typingPreview)"),
    ("POST", "/mock/chats/{chatId}/agent", '{"action": ..., params} -> {"messages": [appended], ...}'),
    ("GET", "/mock/chats/{chatId}/wait?after=N&timeout=S[&type=T]",
     'long poll until messages with index > N (of type T) -> {"timedOut", "messages", ...}'),
    ("GET", "/mock/chats/{chatId}/files/{fileId}", "a file's bytes (agent side, no identity needed)"),
    ("POST", "/mock/faults", '{"operation", "mode", "count", "delayMs"} -> {"fault", "faults"}'),
    ("GET", "/mock/faults", '{"faults": [pending, ...]}'),
    ("DELETE", "/mock/faults", 'drop the pending Chat API faults -> {"faults": []}'),
    ("GET", "/mock/requests?operation=&chatId=", '{"requests": [...]}: the request log, oldest first'),
    ("GET", "/mock/requests/wait?operation=&chatId=&after=N&timeout=S[&form.F=V...]",
     "long poll until the log has done (answered, failed or dropped) entries numbered > N matching every "
     'filter (form.F=V: the request\'s form field F equals V) -> {"timedOut", "requests": [...]}'),
    ("POST", "/mock/reset", "forget every chat, fault and logged request"),
    ("GET", "/mock/config", "the effective configuration"),
)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = load_json(await request.body() or b"{}")
    except JsonRefused as exc:
        raise ActionError(400, f"body must be a JSON object: {exc}") from None
    if not isinstance(body, dict):
        raise ActionError(400, "body must be a JSON object")
    return body


def _number(request: Request, name: str, default: float) -> float:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):  # nan would slip past the max_wait_seconds cap, inf past int()
        raise ActionError(400, f"query parameter {name!r} must be a finite number")
    return value


def control_routes(state: ServerState) -> list[Route]:
    def wait_s(request: Request) -> float:
        """A long poll's ``timeout``, capped: no HTTP request holds the server longer than
        ``max_wait_seconds`` (the in-process waits of `MockGMS` are not capped)."""
        return min(max(_number(request, "timeout", 10.0), 0.0), state.config.max_wait_seconds)

    def guarded(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)
            except ActionError as exc:
                return _error(exc.status, exc.message)
        return endpoint

    async def chats(request: Request) -> Response:
        return JSONResponse({"chats": control.list_chats(state)})

    async def chat(request: Request) -> Response:
        return JSONResponse(control.get_chat(state, request.path_params["chat_id"]))

    async def agent(request: Request) -> Response:
        body = await _json_body(request)
        action = body.pop("action", None)
        if not isinstance(action, str):
            raise ActionError(400, "'action' is required")
        return JSONResponse(control.agent_action(state, request.path_params["chat_id"], action, body))

    async def wait(request: Request) -> Response:
        result = await control.wait_messages(
            state, request.path_params["chat_id"], int(_number(request, "after", 0)),
            wait_s(request), request.query_params.get("type") or None,
        )
        return JSONResponse(result)

    async def wait_chat(request: Request) -> Response:
        found = await control.wait_chat(state, int(_number(request, "after", 0)), wait_s(request))
        return JSONResponse({"timedOut": found is None, "chat": found})

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            state.faults.clear()
        if request.method in ("GET", "DELETE"):
            return JSONResponse({"faults": state.faults.pending()})
        body = await _json_body(request)
        fault = control.add_fault(
            state, str(body.get("operation", "")), str(body.get("mode", "")),
            body.get("count", 1), body.get("delayMs", 0),
        )
        return JSONResponse({"fault": fault, "faults": state.faults.pending()})

    async def file(request: Request) -> Response:
        chat = state.store.get(request.path_params["chat_id"])
        stored = chat.files.get(request.path_params["file_id"]) if chat is not None else None
        if stored is None:
            raise ActionError(404, "no such file")
        return file_response(stored)

    async def reset(request: Request) -> Response:
        state.reset()
        return JSONResponse({"reset": True})

    async def requests(request: Request) -> Response:
        q = request.query_params
        return JSONResponse({"requests": state.log.entries(q.get("operation") or None, q.get("chatId") or None)})

    async def wait_requests(request: Request) -> Response:
        q = request.query_params
        form = {k[len("form."):]: v for k, v in q.multi_items() if k.startswith("form.")}
        return JSONResponse(await control.wait_requests(
            state, q.get("operation") or None, q.get("chatId") or None, int(_number(request, "after", 0)),
            wait_s(request), form,
        ))

    async def config(request: Request) -> Response:
        data = dataclasses.asdict(state.config)
        data["apikey"] = "***" if state.config.apikey else None
        data["agent"] = state.preset.name
        return JSONResponse(data)

    return [
        Route("/mock/chats", guarded(chats), methods=["GET"]),
        Route("/mock/chats/wait", guarded(wait_chat), methods=["GET"]),  # before /mock/chats/{chat_id}
        Route("/mock/wait-chat", guarded(wait_chat), methods=["GET"]),
        Route("/mock/chats/{chat_id}", guarded(chat), methods=["GET"]),
        Route("/mock/chats/{chat_id}/agent", guarded(agent), methods=["POST"]),
        Route("/mock/chats/{chat_id}/wait", guarded(wait), methods=["GET"]),
        Route("/mock/chats/{chat_id}/files/{file_id}", guarded(file), methods=["GET"]),
        Route("/mock/faults", guarded(faults), methods=["GET", "POST", "DELETE"]),
        Route("/mock/reset", guarded(reset), methods=["POST"]),
        Route("/mock/requests", guarded(requests), methods=["GET"]),
        Route("/mock/requests/wait", guarded(wait_requests), methods=["GET"]),
        Route("/mock/config", guarded(config), methods=["GET"]),
    ]


def console_csp(html: str) -> str:
    """The console's policy: its own inline script and style (by hash) and same-origin fetches;
    nothing else loads or runs, so a chat message cannot bring script into the agent's page."""
    def hashes(tag: str) -> str:
        bodies = re.findall(rf"<{tag}>(.*?)</{tag}>", html, re.S)
        return " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'"
                        for b in bodies)
    return (f"default-src 'none'; script-src {hashes('script')}; style-src {hashes('style')}; "
            "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def console_routes() -> list[Route]:
    """The agent console page. Element ids for browser tests: #chats (li[data-chat-id]), #transcript
    (li[data-index][data-type]), #preview (customer typing preview), #nickname, #join, #leave, #text,
    #say, #file, #end, #error."""

    html = resources.files("cxkit.mockgms.console").joinpath("index.html").read_text(encoding="utf-8")
    headers = {"Cache-Control": "no-store", "Content-Security-Policy": console_csp(html),
               "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}

    async def console(request: Request) -> Response:
        return HTMLResponse(html, headers=headers)

    return [Route("/agent", console, methods=["GET"]), Route("/agent/", console, methods=["GET"])]
