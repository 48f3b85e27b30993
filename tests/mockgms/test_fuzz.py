"""Property-based fuzzing (Hypothesis) of every mock route and the Bayeux endpoint (issue 12 item 8):
whatever comes in, no 500, nothing raised out of the app (uvicorn would drop the connection), and
a witness chat next to the fuzzed one keeps being served with nothing lost.

Deterministic by default (derandomize) so a run is repeatable; CXKIT_FUZZ_EXAMPLES=N runs N
examples per test with fresh randomness.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxkit.mockgms import FileLimits, MockGMS

from .support import BASE, Customer, client_for, make_gms

DEEP = int(os.environ.get("CXKIT_FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=DEEP or 100, deadline=None, database=None, derandomize=not DEEP,
                suppress_health_check=list(HealthCheck))

text = st.text(max_size=40)
hostile_text = st.one_of(text, st.sampled_from(["NaN", "Infinity", "-1", "1e999", "0", "[]", "{}", '{"a": NaN}',
                                                "[" * 2000, "%", "%FF", "\x00", "ä" * 3, "true", "no", " "]))
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), text),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)), max_leaves=12)
json_text = st.one_of(json_values.map(json.dumps), hostile_text,
                      json_values.map(lambda v: json.dumps({"x": v}).replace("null", "NaN")))

CHAT_OPS = ["", "refresh", "send", "startTyping", "stopTyping", "disconnect", "customNotice", "updateData",
            "updateNickname", "pushUrl", "file/limits", "file", "file/{file}/download", "file/{file}/delete",
            "readReceipt", "file/x/y/z"]
FORM_KEYS = ["message", "eventAttributes", "transcriptPosition", "nickname", "firstName", "lastName",
             "emailAddress", "subject", "text", "pushUrl", "userData[k]", "userData[]", "alias", "operation",
             "fileId", "secureKey", "userId", "x" * 50]


class Runner:
    """One mock, one loop; a witness chat whose transcript must never change, and a fuzzed chat."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.gms: MockGMS = make_gms(max_wait_seconds=0, file_limits=FileLimits(file_types=("png", "txt")))
        self.gms.cometd.config.timeout_s = 0
        self.client: httpx.AsyncClient = client_for(self.gms)
        self.witness = Customer(self.client)
        self.run(self._setup())
        self.requests = 0

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    async def _setup(self) -> None:
        await self.witness.request_chat(nickname="Witness")
        self.gms.agent(self.witness.chat_id, "join")
        self.gms.agent(self.witness.chat_id, "say", text="kept", eventAttributes={"a": [1, 2.5]})
        self.witness_messages = self.gms.chat(self.witness.chat_id)["messages"]
        self.fuzzed = Customer(self.client)
        await self.fuzzed.request_chat(nickname="Fuzzed")
        up = await self.client.post(f"{BASE}/{self.fuzzed.chat_id}/file", files={"file": ("a.png", b"PNG", "image/png")},
                                    data=self.fuzzed.identity())
        self.file_id = up.json()["userData"]["file-id"]
        r = await self.client.post("/genesys/cometd", json=[{"channel": "/meta/handshake"}])
        self.bayeux_id = r.json()[0]["clientId"]
        await self.client.post("/genesys/cometd", json=[
            {"channel": "/meta/subscribe", "clientId": self.bayeux_id, "subscription": "/broadcast"},
            {"channel": "/service/chatV2/customer-support", "clientId": self.bayeux_id,
             "data": {"operation": "requestNotifications", "secureKey": self.fuzzed.start["secureKey"]}}])

    def close(self) -> None:
        self.run(self.client.aclose())
        for task in asyncio.all_tasks(self.loop):
            task.cancel()
        self.run(asyncio.sleep(0))
        self.loop.close()

    async def send(self, method: str, path: str, **kw: Any) -> None:
        self.requests += 1
        response = await self.client.request(method, path, **kw)  # anything raised fails the test
        assert response.status_code < 500, (method, path, kw, response.status_code, response.text[:300])
        self.gms.state.faults.clear()  # a fuzzed POST /mock/faults must not fail the witness check
        await self.check_witness()
        # what the fuzzed input stored must not break later answers about its own chat either
        for later in (self.client.get(f"/mock/chats/{self.fuzzed.chat_id}"),
                      self.fuzzed.op("refresh", transcriptPosition="1"),
                      self.client.post("/genesys/cometd", json=[{"channel": "/meta/connect", "clientId": self.bayeux_id}]),
                      self.client.get("/mock/requests")):
            assert (await later).status_code < 500

    async def check_witness(self) -> None:
        r = await self.witness.op("refresh", transcriptPosition="1")
        assert r.status_code == 200 and r.json()["statusCode"] == 0, r.text
        assert r.json()["messages"] == self.witness_messages

    def chat_path(self, chat: str, op: str) -> str:
        chat_id = {"fuzzed": self.fuzzed.chat_id, "empty": ""}.get(chat, quote(chat, safe=""))
        return f"{BASE}/{chat_id}/{op.format(file=self.file_id)}".rstrip("/")

    def identity(self, right: bool) -> dict[str, str]:
        return self.fuzzed.identity() if right else {}


def test_fuzz_chat_api_forms() -> None:
    runner = Runner()
    try:
        @FUZZ
        @given(chat=st.one_of(st.sampled_from(["fuzzed", "empty"]), text.filter(lambda t: "/" not in t and "?" not in t
                                                                                and "#" not in t)),
               op=st.sampled_from(CHAT_OPS), right=st.booleans(),
               fields=st.dictionaries(st.sampled_from(FORM_KEYS), hostile_text, max_size=6),
               method=st.sampled_from(["POST", "POST", "POST", "GET", "PUT"]),
               multipart=st.booleans(), ctype=hostile_text, name=hostile_text)
        def check(chat, op, right, fields, method, multipart, ctype, name) -> None:
            data = {**runner.identity(right), **fields}
            if multipart:
                files = {"file": (name or "f", b"bytes", ctype.replace("\r", "").replace("\n", "") or "x/y")}
                runner.run(runner.send(method, runner.chat_path(chat, op), data=data, files=files))
            else:
                runner.run(runner.send(method, runner.chat_path(chat, op), data=data))

        check()
    finally:
        runner.close()


def test_fuzz_control_api_and_raw_bodies() -> None:
    runner = Runner()
    routes = [("POST", "/mock/chats/{chat}/agent"), ("POST", "/mock/faults"), ("GET", "/mock/faults"),
              ("GET", "/mock/chats/{chat}"), ("GET", "/mock/chats/{chat}/wait"), ("GET", "/mock/wait-chat"),
              ("GET", "/mock/requests"), ("GET", "/mock/requests/wait"), ("GET", "/mock/chats/{chat}/files/{file}"),
              ("GET", "/mock/config"), ("GET", "/mock/chats"), ("GET", "/mock/cometd"), ("GET", "/agent"),
              ("POST", "/genesys/2/chat-ntf"), ("POST", "/genesys/cometd")]
    actions = st.sampled_from(["join", "leave", "typing", "stopTyping", "say", "notice", "customNotice", "pushUrl",
                               "file", "idleAlert", "idleClose", "end", "nope"])
    agent_body = st.fixed_dictionaries({"action": st.one_of(actions, json_values)},
                                       optional={k: json_values for k in ("text", "nickname", "supervisor",
                                                                          "closeSeconds", "fileName", "content",
                                                                          "contentType", "eventAttributes", "url")})
    fault_body = st.fixed_dictionaries({}, optional={"operation": st.one_of(st.sampled_from(["send", "*"]), json_values),
                                                      "mode": st.one_of(st.sampled_from(["delay", "drop", "http500"]),
                                                                        json_values),
                                                      "count": json_values, "delayMs": json_values})

    @FUZZ
    @given(route=st.sampled_from(routes), on_witness=st.just(False), chat=st.sampled_from(["fuzzed", "nochat", ""]),
           body=st.one_of(agent_body.map(json.dumps), fault_body.map(json.dumps), json_text),
           query=st.dictionaries(st.sampled_from(["after", "timeout", "type", "operation", "chatId", "form.message"]),
                                 hostile_text, max_size=3),
           ctype=st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain"]))
    def check(route, on_witness, chat, body, query, ctype) -> None:
        method, template = route
        chat_id = runner.fuzzed.chat_id if chat == "fuzzed" else chat
        path = template.format(chat=chat_id or "x", file=runner.file_id)
        kw: dict[str, Any] = {"params": query}
        if method == "POST":
            kw.update(content=body.encode("utf-8", "surrogatepass"), headers={"Content-Type": ctype})
        runner.run(runner.send(method, path, **kw))

    try:
        check()
    finally:
        runner.close()


def test_fuzz_bayeux() -> None:
    runner = Runner()

    async def handshake() -> str:
        r = await runner.client.post("/genesys/cometd", json=[{"channel": "/meta/handshake",
                                                               "supportedConnectionTypes": ["long-polling"]}])
        return r.json()[0]["clientId"]

    client_id = runner.run(handshake())
    channels = st.sampled_from(["/meta/connect", "/meta/subscribe", "/meta/unsubscribe", "/meta/disconnect",
                                "/meta/handshake", "/meta/nope", "/service/chatV2/customer-support", "/service/x",
                                "/broadcast", "nope"])
    operations = st.sampled_from(["requestChat", "sendMessage", "startTyping", "stopTyping", "requestNotifications",
                                  "customNotice", "updateData", "updateNickname", "pushUrl", "disconnect", "x"])
    message = st.fixed_dictionaries(
        {"channel": st.one_of(channels, json_values)},
        optional={"clientId": st.one_of(st.just(client_id), json_values), "id": json_values,
                  "subscription": st.one_of(channels, json_values), "connectionType": json_values,
                  "advice": st.one_of(st.fixed_dictionaries({"timeout": json_values}), json_values),
                  "data": st.one_of(st.fixed_dictionaries({"operation": operations}, optional={
                      "secureKey": st.one_of(st.just(runner.fuzzed.start["secureKey"]), text),
                      "message": json_values, "userData": st.one_of(json_values, json_text),
                      "transcriptPosition": json_values, "nickname": json_values}), json_values)})

    @FUZZ
    @given(batch=st.one_of(st.lists(message, max_size=4).map(json.dumps), message.map(json.dumps), json_text))
    def check(batch) -> None:
        runner.run(runner.send("POST", "/genesys/cometd", content=batch.encode("utf-8", "surrogatepass"),
                               headers={"Content-Type": "application/json"}))

    try:
        check()
    finally:
        runner.close()
