"""The chat channel over Bayeux and the chat-ntf file operations: every operation, pushes on
transcript growth, requestNotifications positions, errors, faults, shared state with REST."""

from __future__ import annotations

import asyncio
import base64

import pytest

from cxkit.mockgms import MockGMS

from .cometd_support import RawBayeux, until_held
from .support import BASE, Customer, make_gms


@pytest.fixture
def gms() -> MockGMS:
    gms = make_gms()
    gms.cometd.config.timeout_s = 5
    return gms


@pytest.fixture
async def bayeux(client) -> RawBayeux:
    return RawBayeux(client)


async def test_request_chat_pushes_the_chat_v2_answer(bayeux: RawBayeux, gms: MockGMS) -> None:
    first = await bayeux.start(userData={"a": "1", "n": 2, "nested": {"x": True}}, subject="S")
    assert first["statusCode"] == 0 and first["chatEnded"] is False
    assert set(first) >= {"alias", "chatId", "secureKey", "userId", "nextPosition", "messages"}
    assert [m["type"] for m in first["messages"]] == ["ParticipantJoined"] and first["nextPosition"] == 2
    chat = gms.chat(first["chatId"])
    assert chat["userData"] == {"a": "1", "n": "2", "nested": '{"x":true}'} and chat["subject"] == "S"
    [entry] = gms.requests("requestChat")
    assert entry["face"] == "cometd" and entry["cometdOperation"] == "requestChat" and entry["statusCode"] == 0


async def test_agent_actions_are_pushed_to_the_held_connect(bayeux: RawBayeux, gms: MockGMS) -> None:
    await bayeux.start()
    held = asyncio.create_task(bayeux.notifications())
    await until_held(gms, bayeux.client_id)
    assert not held.done()
    gms.agent(bayeux.chat_id, "join")
    gms.agent(bayeux.chat_id, "say", text="Hello!")
    notes = await asyncio.wait_for(held, 2)
    messages = [m for n in notes for m in n["messages"]]
    assert [(m["index"], m["type"]) for m in messages][:1] == [(2, "ParticipantJoined")]
    if len(messages) == 1:  # the join and the message may come in two connects
        messages += (await bayeux.notifications())[0]["messages"]
    assert [m.get("text") for m in messages] == [None, "Hello!"]


async def test_own_operations_come_back_as_notifications(bayeux: RawBayeux, gms: MockGMS) -> None:
    await bayeux.start()
    ack = await bayeux.publish("sendMessage", message="hi", messageType="text",
                               eventAttributes={"general-properties": {"related-event-id": "7"}})
    assert ack["successful"] is True
    [note] = await bayeux.notifications()
    [msg] = note["messages"]
    assert (msg["type"], msg["text"], msg["from"]["type"]) == ("Message", "hi", "Client")
    assert msg["eventAttributes"] == {"general-properties": {"related-event-id": "7"}}
    [logged] = await gms.wait_requests("send", message="hi", timeout=0)
    assert logged["cometdOperation"] == "sendMessage" and logged["statusCode"] == 0

    await bayeux.publish("startTyping", message="typ")
    assert gms.chat(bayeux.chat_id)["typingPreview"] == "typ"
    await bayeux.publish("stopTyping", message="")
    await bayeux.publish("customNotice", message="note")
    await bayeux.publish("updateNickname", nickname="Nicky")
    await bayeux.publish("pushUrl", pushUrl="http://x.test/")
    await bayeux.publish("updateData", userData={"k": "v"})
    types = []
    while len(types) < 5:
        types += [m["type"] for n in await bayeux.notifications() for m in n["messages"]]
    assert types == ["TypingStarted", "TypingStopped", "CustomNotice", "NicknameUpdated", "PushUrl"]
    assert gms.chat(bayeux.chat_id)["userData"]["k"] == "v"


async def test_disconnect_pushes_the_end(bayeux: RawBayeux, gms: MockGMS) -> None:
    await bayeux.start()
    await bayeux.publish("disconnect")
    [note] = await bayeux.notifications()
    assert note["chatEnded"] is True and note["messages"][0]["type"] == "ParticipantLeft"
    assert gms.chat(bayeux.chat_id)["state"] == "ended" and gms.cometd.chat.bindings == {}


async def test_agent_end_is_pushed(bayeux: RawBayeux, gms: MockGMS) -> None:
    await bayeux.start()
    gms.agent(bayeux.chat_id, "join")
    gms.agent(bayeux.chat_id, "end")
    notes = []
    while not any(n["chatEnded"] for n in notes):
        notes += await bayeux.notifications()
    assert notes[-1]["chatEnded"] is True


async def test_request_notifications_from_a_position_on_another_client(client, bayeux: RawBayeux, gms: MockGMS) -> None:
    await bayeux.start()
    gms.agent(bayeux.chat_id, "join")
    gms.agent(bayeux.chat_id, "say", text="one")
    # A reloaded page: a new Bayeux client asks for what it has not seen.
    other = RawBayeux(client)
    await other.handshake()
    await other.connect()
    other.secure_key, other.chat_id, other.user_id = bayeux.secure_key, bayeux.chat_id, bayeux.user_id
    await other.publish("requestNotifications", transcriptPosition=3)
    [note] = await other.notifications()
    assert [m["index"] for m in note["messages"]] == [3] and note["chatId"] == bayeux.chat_id
    await other.publish("requestNotifications", transcriptPosition=0)
    [note] = await other.notifications()
    assert [m["index"] for m in note["messages"]] == [1, 2, 3]
    await other.publish("requestNotifications", transcriptPosition=-1)
    [note] = await other.notifications()
    assert note["messages"] == [] and note["nextPosition"] == 4
    gms.agent(bayeux.chat_id, "say", text="two")
    [note] = await other.notifications()
    assert [m["text"] for m in note["messages"]] == ["two"]


async def test_rest_and_cometd_share_one_chat(client, bayeux: RawBayeux, gms: MockGMS) -> None:
    first = await bayeux.start()
    ident = {k: first[k] for k in ("alias", "secureKey", "userId")}
    r = await client.post(f"{BASE}/{first['chatId']}/send", data={**ident, "message": "via rest"})
    assert r.json()["statusCode"] == 0
    [note] = await bayeux.notifications()
    assert note["messages"][0]["text"] == "via rest"


async def test_errors_are_pushed_to_the_publisher(bayeux: RawBayeux, gms: MockGMS) -> None:
    await bayeux.handshake()
    await bayeux.connect()
    await bayeux.publish("requestChat")  # no name
    [note] = await bayeux.notifications()
    assert note["statusCode"] == 2 and note["errors"][0]["code"] == 161
    await bayeux.publish("sendMessage", secureKey="wrong", message="x")
    [note] = await bayeux.notifications()
    assert note["statusCode"] == 2 and note["chatEnded"] is True and note["errors"][0]["code"] == 249
    await bayeux.publish("bogus")
    [note] = await bayeux.notifications()
    assert note["errors"][0]["code"] == 100
    await bayeux.start()
    await bayeux.publish("sendMessage", message="")
    [note] = await bayeux.notifications()
    assert note["errors"][0]["code"] == 105 and note["chatId"] == bayeux.chat_id
    await bayeux.publish("disconnect")
    await bayeux.notifications()
    await bayeux.publish("sendMessage", message="late")
    [note] = await bayeux.notifications()
    assert note["chatEnded"] is True and note["errors"][0]["code"] == 249


@pytest.mark.parametrize(("mode", "status_code"), [("status1", 1), ("status2", 2), ("http500", 1)])
async def test_faults_apply_by_rest_name(bayeux: RawBayeux, gms: MockGMS, mode, status_code) -> None:
    await bayeux.start()
    gms.fault("send", mode)
    await bayeux.publish("sendMessage", message="lost")
    [note] = await bayeux.notifications()
    assert note["statusCode"] == status_code
    assert [m["type"] for m in gms.chat(bayeux.chat_id)["messages"]] == ["ParticipantJoined"]
    assert gms.requests("send")[0]["fault"] == mode


@pytest.mark.parametrize("ended", [False, True])
@pytest.mark.parametrize("mode", ["http500json", "http404json", "status1", "status2"])
async def test_both_faces_answer_a_fault_alike(client, bayeux: RawBayeux, gms: MockGMS, mode, ended) -> None:
    customer = Customer(client)
    await customer.request_chat()
    if ended:
        await customer.op("disconnect")
    gms.fault("refresh", mode)
    rest = (await customer.op("refresh")).json()
    await bayeux.handshake()
    await bayeux.connect()
    bayeux.secure_key = customer.start["secureKey"]
    gms.fault("refresh", mode)
    await bayeux.publish("requestNotifications", transcriptPosition=1)
    [cometd] = await bayeux.notifications()
    assert cometd == rest and rest["chatEnded"] is (ended and mode == "status2") and rest["chatId"] == customer.chat_id
    assert [e["chatId"] for e in gms.requests("refresh")] == [customer.chat_id] * 2


@pytest.mark.parametrize(("mode", "code"), [("http500", 500), ("http404", 404)])
async def test_plain_http_faults_push_the_gms_error_on_the_chat_channel(bayeux: RawBayeux, gms: MockGMS,
                                                                         mode, code) -> None:
    # a publish has no HTTP answer of its own to make plain: the publisher gets the GMS error body
    await bayeux.start()
    gms.fault("send", mode)
    await bayeux.publish("sendMessage", message="lost")
    [note] = await bayeux.notifications()
    assert note["errors"][0]["code"] == code and note["chatId"] == bayeux.chat_id


async def test_drop_and_delay_faults(bayeux: RawBayeux, gms: MockGMS) -> None:
    await bayeux.start()
    gms.fault("send", "drop")
    await bayeux.publish("sendMessage", message="lost")
    gms.fault("send", "delay", delay_ms=30)
    loop = asyncio.get_running_loop()
    start = loop.time()
    await bayeux.publish("sendMessage", message="late")
    assert loop.time() - start >= 0.03
    [note] = await bayeux.notifications()
    assert [m["text"] for m in note["messages"]] == ["late"]


async def test_chat_ntf_file_operations(client, bayeux: RawBayeux, gms: MockGMS) -> None:
    await bayeux.start()
    key = {"secureKey": bayeux.secure_key}
    r = await client.post("/genesys/2/chat-ntf", files={"operation": (None, "fileGetLimits"), "secureKey": (None, key["secureKey"])})
    assert r.status_code == 200
    [logged] = await gms.wait_requests("fileLimits", chat_id=bayeux.chat_id, timeout=0)
    assert logged["httpStatus"] == 200 and logged["face"] == "cometd"
    [notice] = r.json()["messages"]
    assert notice["text"] == "file-client-cfg-get" and "upload-max-files" in notice["userData"]
    r = await client.post("/genesys/2/chat-ntf", data={"operation": "fileUpload", **key},
                          files={"file": ("a.pdf", b"hello", "application/pdf")})
    assert r.status_code == 200 and r.json()["statusCode"] == 0
    file_id = r.json()["userData"]["file-id"]
    [note] = await bayeux.notifications()
    assert note["messages"][0]["type"] == "FileUploaded" and note["messages"][0]["userData"]["file-id"] == file_id
    r = await client.post("/genesys/2/chat-ntf", data={"operation": "fileDownload", "fileId": file_id, **key})
    assert r.content == b"hello" and "a.pdf" in r.headers["content-disposition"]
    r = await client.post("/genesys/2/chat-ntf", data={"operation": "fileUpload", **key},
                          files={"file": ("a.exe", b"x", "application/octet-stream")})
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == 203
    ops = [(e["operation"], e["cometdOperation"]) for e in gms.requests() if e.get("face") == "cometd"
           and e["operation"].startswith("file")]
    assert ops == [("fileLimits", "fileGetLimits"), ("fileUpload", "fileUpload"),
                   ("fileDownload", "fileDownload"), ("fileUpload", "fileUpload")]


async def test_chat_ntf_refusals(client, gms: MockGMS) -> None:
    r = await client.post("/genesys/2/chat-ntf", data={"operation": "fileGetLimits", "secureKey": "nope"})
    assert r.json()["statusCode"] == 2 and r.json()["chatEnded"] is True and "alias" not in r.json()
    r = await client.post("/genesys/2/chat-ntf", data={"operation": "rm", "secureKey": "nope"})
    assert r.status_code == 404


async def test_chat_ntf_upload_bigger_than_the_plain_body_cap(client, bayeux: RawBayeux) -> None:
    await bayeux.start()
    data = base64.b64encode(bytes(range(256)) * 1500)  # ~500 KB, over the 256 KiB form cap
    r = await client.post("/genesys/2/chat-ntf", data={"operation": "fileUpload", "secureKey": bayeux.secure_key},
                          files={"file": ("big.pdf", data, "application/pdf")})
    assert r.status_code == 200, r.text


async def test_closing_a_client_drops_its_bindings(bayeux: RawBayeux, gms: MockGMS) -> None:
    await bayeux.start()
    assert len(gms.cometd.chat.bindings) == 1
    await bayeux.post({"channel": "/meta/disconnect", "clientId": bayeux.client_id})
    assert gms.cometd.chat.bindings == {}
    gms.agent(bayeux.chat_id, "join")  # nobody to push to: nothing breaks
