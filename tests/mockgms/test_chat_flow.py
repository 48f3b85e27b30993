"""The basic chat: request, refresh, send, typing, disconnect, as the widget drives it."""

from __future__ import annotations

import re

from cxkit.mockgms import MockGMS

from .support import BASE, Customer

C3_FIELDS = {"statusCode", "alias", "chatEnded", "chatId", "messages", "nextPosition", "secureKey", "userId"}


async def test_request_chat_answers_c3_with_client_joined(customer: Customer) -> None:
    body = customer.start
    assert set(body) == C3_FIELDS
    assert body["statusCode"] == 0 and body["chatEnded"] is False
    assert re.fullmatch(r"[0-9A-F]{16}", body["userId"]) and re.fullmatch(r"[0-9a-f]{16}", body["secureKey"])
    [joined] = body["messages"]
    assert joined["index"] == 1 and joined["type"] == "ParticipantJoined"
    assert joined["from"] == {"nickname": "Nick", "participantId": 1, "type": "Client"}
    assert isinstance(joined["utcTime"], int) and joined["utcTime"] > 1_600_000_000_000
    assert body["nextPosition"] == 2


async def test_request_chat_without_trailing_slash(client) -> None:
    r = await client.post(BASE, data={"nickname": "N"})
    assert r.status_code == 200 and r.json()["statusCode"] == 0


async def test_first_and_last_name_make_the_nickname(client) -> None:
    r = await client.post(BASE + "/", data={"firstName": "First", "lastName": "Last"})
    assert r.json()["messages"][0]["from"]["nickname"] == "First Last"


async def test_refresh_returns_from_transcript_position(customer: Customer, gms: MockGMS) -> None:
    gms.agent(customer.chat_id, "join")
    gms.agent(customer.chat_id, "typing")
    gms.agent(customer.chat_id, "say", text="Hello!")
    r = await customer.op("refresh", transcriptPosition="1", message="")
    body = r.json()
    assert [m["index"] for m in body["messages"]] == [1, 2, 3, 4]
    assert [m["type"] for m in body["messages"]] == ["ParticipantJoined", "ParticipantJoined", "TypingStarted", "Message"]
    agent_from = body["messages"][3]["from"]
    assert agent_from == {"nickname": "Anna", "participantId": 2, "type": "Agent"}
    assert body["messages"][3]["text"] == "Hello!"
    assert body["nextPosition"] == 5
    later = (await customer.op("refresh", transcriptPosition="4", message="")).json()
    assert [m["index"] for m in later["messages"]] == [4]
    none = (await customer.op("refresh", transcriptPosition="5", message="")).json()
    assert none["messages"] == [] and none["nextPosition"] == 5


async def test_refresh_without_position_returns_everything(customer: Customer) -> None:
    body = (await customer.op("refresh")).json()
    assert [m["index"] for m in body["messages"]] == [1]


async def test_send_records_client_message_and_answers_empty(customer: Customer, gms: MockGMS) -> None:
    r = await customer.op("send", message="hi", messageType="text")
    body = r.json()
    assert body["statusCode"] == 0 and body["messages"] == [] and body["nextPosition"] == 3
    chat = gms.chat(customer.chat_id)
    assert chat["messages"][-1]["type"] == "Message" and chat["messages"][-1]["text"] == "hi"
    assert chat["messages"][-1]["from"]["type"] == "Client"


async def test_send_with_position_returns_transcript_and_event_attributes(customer: Customer) -> None:
    r = await customer.op("send", message="hi", transcriptPosition="2", eventAttributes='{"a": 1}')
    [msg] = r.json()["messages"]
    assert msg["index"] == 2 and msg["eventAttributes"] == {"a": 1}


async def test_typing_keeps_preview_and_records_events(customer: Customer, gms: MockGMS) -> None:
    r = await customer.op("startTyping", message="typ", transcriptPosition="2")
    assert [m["type"] for m in r.json()["messages"]] == ["TypingStarted"]
    assert gms.chat(customer.chat_id)["typingPreview"] == "typ"
    await customer.op("refresh", transcriptPosition="3", message="typing more")
    assert gms.chat(customer.chat_id)["typingPreview"] == "typing more"
    r = await customer.op("stopTyping", message="typ", transcriptPosition="3")
    assert [m["type"] for m in r.json()["messages"]] == ["TypingStopped"]
    assert gms.chat(customer.chat_id)["typingPreview"] == "typ"
    await customer.op("send", message="typ")
    assert gms.chat(customer.chat_id)["typingPreview"] == ""


async def test_disconnect_ends_chat(customer: Customer, gms: MockGMS) -> None:
    r = await customer.op("disconnect")
    assert r.json()["statusCode"] == 0 and r.json()["chatEnded"] is True
    chat = gms.chat(customer.chat_id)
    assert chat["state"] == "ended"
    assert chat["messages"][-1]["type"] == "ParticipantLeft" and chat["messages"][-1]["from"]["type"] == "Client"
    # the client can still learn the end by polling; anything else is refused with statusCode 2
    poll = (await customer.op("refresh", transcriptPosition="1")).json()
    assert poll["statusCode"] == 0 and poll["chatEnded"] is True
    again = (await customer.op("send", message="late")).json()
    assert again["statusCode"] == 2 and again["chatEnded"] is True and again["errors"][0]["code"] == 249
