"""GMS error shapes: names, email, messages, identity, unknown and ended chats, isolation."""

from __future__ import annotations

import pytest

from cxkit.mockgms import MockGMS

from .support import BASE, Customer


def error_code(r) -> int:
    return r.json()["errors"][0]["code"]


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({}, 161),
        ({"firstName": "F"}, 103),
        ({"lastName": "L"}, 102),
        ({"nickname": "   "}, 161),
        ({"nickname": "N", "emailAddress": "not-an-email"}, 364),
    ],
)
async def test_request_chat_validation(client, fields, code) -> None:
    r = await client.post(BASE + "/", data=fields)
    assert r.status_code == 400
    body = r.json()
    assert body["statusCode"] == 2 and body["chatEnded"] is False and body["messages"] == []
    assert body["errors"][0]["code"] == code and body["errors"][0]["advice"]


async def test_valid_email_and_initial_text(client, gms: MockGMS) -> None:
    r = await client.post(BASE, data={"nickname": "N", "emailAddress": "a@b.c", "subject": "S", "text": "first"})
    chat = gms.chat(r.json()["chatId"])
    assert chat["emailAddress"] == "a@b.c" and chat["subject"] == "S"
    assert chat["messages"][1]["type"] == "Message" and chat["messages"][1]["text"] == "first"


async def test_empty_message_and_message_too_long(client) -> None:
    from .support import client_for, make_gms

    gms = make_gms(max_message_chars=10)
    async with client_for(gms) as c:
        cust = Customer(c)
        await cust.request_chat()
        empty = await cust.op("send", message="")
        assert empty.status_code == 400 and error_code(empty) == 105
        missing = await cust.op("send")
        assert error_code(missing) == 105
        long = await cust.op("send", message="x" * 11)
        assert long.status_code == 400 and error_code(long) == 204
        assert len(gms.chat(cust.chat_id)["messages"]) == 1
        # counted as GMS (Java) counts: UTF-16 units, an emoji two
        assert error_code(await cust.op("send", message="x" * 9 + "👍")) == 204
        assert (await cust.op("send", message="x" * 8 + "👍")).status_code == 200


@pytest.mark.parametrize("which", ["secureKey", "userId"])
@pytest.mark.parametrize("value", ["", "wrong"])
async def test_wrong_or_missing_identity_is_refused(customer: Customer, gms: MockGMS, which, value) -> None:
    fields = {**customer.identity(), which: value, "message": "intruder"}
    r = await customer.client.post(f"{BASE}/{customer.chat_id}/send", data=fields)
    body = r.json()
    assert body["statusCode"] == 2 and error_code(r) == 110
    assert "secureKey" not in body and body["messages"] == []
    assert len(gms.chat(customer.chat_id)["messages"]) == 1


async def test_other_chats_credentials_do_not_work(client, gms: MockGMS) -> None:
    a, b = Customer(client), Customer(client)
    await a.request_chat(nickname="A")
    await b.request_chat(nickname="B")
    gms.agent(a.chat_id, "join")
    gms.agent(a.chat_id, "say", text="secret for A")
    # B's valid identity against A's chat: no transcript, no change
    for op, extra in [("refresh", {"transcriptPosition": "1"}), ("send", {"message": "x"}), ("disconnect", {}),
                      ("updateData", {"userData[k]": "v"}), ("fileLimits", {})]:
        path = "file/limits" if op == "fileLimits" else op
        r = await client.post(f"{BASE}/{a.chat_id}/{path}", data={**b.identity(), **extra})
        assert r.json()["statusCode"] == 2 and r.json()["messages"] == [], op
    chat_a = gms.chat(a.chat_id)
    assert chat_a["state"] == "connected" and chat_a["userData"] == {} and len(chat_a["messages"]) == 3


async def test_chat_is_bound_to_its_service(customer: Customer) -> None:
    r = await customer.client.post(f"/genesys/2/chat/other/{customer.chat_id}/refresh", data=customer.identity())
    assert r.json()["statusCode"] == 2 and r.json()["chatEnded"] is True and error_code(r) == 249
    assert "alias" not in r.json() and "not found" in r.json()["errors"][0]["advice"]


@pytest.mark.parametrize("path", ["/nosuchchat/refresh", "//refresh", "//customNotice", "//file/limits"])
async def test_unknown_or_empty_chat_id_is_gone(client, path) -> None:
    r = await client.post(BASE + path, data={"alias": "", "secureKey": "", "userId": "", "message": "n"})
    assert r.status_code == 200
    body = r.json()
    assert body["statusCode"] == 2 and body["chatEnded"] is True and body["errors"][0]["code"] == 249
    assert "not found" in body["errors"][0]["advice"]
    # the original client adopts the alias of any answer: an unknown session must not hand one out
    assert "alias" not in body


async def test_errors_on_a_known_chat_keep_the_alias(customer: Customer) -> None:
    r = await customer.op("send", message="")
    assert r.status_code == 400 and r.json()["alias"] == customer.start["alias"]


async def test_unknown_operation_and_method(customer: Customer) -> None:
    r = await customer.op("readReceipt")
    assert r.status_code == 404 and error_code(r) == 404 and r.json()["statusCode"] == 2
    r = await customer.client.get(f"{BASE}/{customer.chat_id}/refresh")
    assert r.status_code == 405 and error_code(r) == 405
    r = await customer.client.post(f"{BASE}/{customer.chat_id}/file/x/y/z", data=customer.identity())
    assert r.status_code == 404


@pytest.mark.parametrize("op", ["send", "startTyping", "stopTyping", "customNotice", "updateData",
                                "updateNickname", "pushUrl", "disconnect"])
async def test_operations_after_end_are_refused(customer: Customer, op) -> None:
    await customer.op("disconnect")
    r = await customer.op(op, message="m", nickname="n", pushUrl="http://x")
    assert r.json()["statusCode"] == 2 and r.json()["chatEnded"] is True and error_code(r) == 249


async def test_bad_transcript_position_and_event_attributes(customer: Customer) -> None:
    for value in ("abc", "-1"):
        r = await customer.op("refresh", transcriptPosition=value)
        assert r.status_code == 400 and error_code(r) == 100
    for attrs in ("{not json", "[1, 2]"):
        r = await customer.op("send", message="m", eventAttributes=attrs)
        assert r.status_code == 400 and error_code(r) == 100
    ok = await customer.op("refresh", transcriptPosition="0")
    assert [m["index"] for m in ok.json()["messages"]] == [1]


@pytest.mark.parametrize(
    "body",
    ["a&=x&&b=1=2&c=", "", "x=1&x=2", "&&", "alias=1&secureKey=k&transcriptPosition=2&message=", "=", "a=b=c&",
     "userData[k]=v&nickname=N", "m=a%20b&n=c+d&userData%5Bk%5D=v"],
)
def test_urlencoded_fast_path_matches_parse_qsl(body) -> None:
    from urllib.parse import parse_qsl

    from cxkit.mockgms.forms import parse_urlencoded

    assert parse_urlencoded(body.encode()) == dict(parse_qsl(body, keep_blank_values=True))


def test_too_many_fields_are_refused_with_or_without_escapes() -> None:
    from cxkit.mockgms.errors import GmsError
    from cxkit.mockgms.forms import MAX_FIELDS, parse_urlencoded

    for field in ("a=1", "a=%20"):
        with pytest.raises(GmsError, match="Max number of fields exceeded"):
            parse_urlencoded("&".join([field] * (MAX_FIELDS + 1)).encode())
