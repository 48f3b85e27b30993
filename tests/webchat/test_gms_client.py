"""GmsClient against a recording httpx MockTransport: URLs, field order, headers, parsing."""

import asyncio
import json
from urllib.parse import parse_qsl

import httpx
import pytest

from cxkit.gms import BytesFile, GmsClient, HttpResponse, HttpxTransport, Identity, parse_reply

BASE = "http://gms.test/genesys/2/chat/customer-support"
IDENT = Identity(chat_id="c1", alias="117", secure_key="sk", user_id="u1")
OK = {"statusCode": 0, "chatId": "c1", "alias": "117", "secureKey": "sk", "userId": "u1",
      "messages": [], "chatEnded": False}


class Recorder:
    def __init__(self, response=None):
        self.requests: list[httpx.Request] = []
        self.response = response or (lambda request: httpx.Response(200, json=OK))

    def __call__(self, request):
        self.requests.append(request)
        return self.response(request)

    def fields(self, i=-1):
        return parse_qsl(self.requests[i].content.decode(), keep_blank_values=True)


def make(recorder, **kw):
    return GmsClient(HttpxTransport(transport=httpx.MockTransport(recorder)), data_url=BASE, **kw)


async def test_request_chat_url_and_field_order():
    rec = Recorder()
    reply = await make(rec).request_chat(
        Identity(), nickname="Nick", first_name="First", last_name="Last", email="a@b.c",
        subject="Subj", user_data={"GCTI_LanguageCode": "en", "a": "1", "n": 3})
    assert reply.ok and reply.body["chatId"] == "c1"
    req = rec.requests[0]
    assert str(req.url) == BASE + "/"
    assert req.headers["content-type"] == "application/x-www-form-urlencoded"
    assert rec.fields() == [
        ("alias", ""), ("secureKey", ""), ("userId", ""), ("nickname", "Nick"),
        ("firstName", "First"), ("lastName", "Last"), ("emailAddress", "a@b.c"),
        ("subject", "Subj"), ("text", ""), ("userData[GCTI_LanguageCode]", "en"),
        ("userData[a]", "1"), ("userData[n]", "3")]


async def test_trailing_slash_variants():
    rec = Recorder()
    await GmsClient(HttpxTransport(transport=httpx.MockTransport(rec)), data_url=BASE + "/",
                    enable_url_trailing_slash=False).request_chat(Identity(), nickname="n")
    await make(rec).refresh(IDENT, 4)
    assert [str(r.url) for r in rec.requests] == [BASE, BASE + "/c1/refresh"]


async def test_empty_chat_id_gives_double_slash():
    rec = Recorder()
    await make(rec).custom_notice(Identity(), "n")
    assert str(rec.requests[0].url) == BASE + "//customNotice"
    assert rec.fields() == [("alias", ""), ("secureKey", ""), ("userId", ""), ("message", "n")]


@pytest.mark.parametrize("call, path, extra", [
    (lambda c: c.refresh(IDENT, 5, "typ"), "refresh", [("transcriptPosition", "5"), ("message", "typ")]),
    (lambda c: c.send(IDENT, "hi"), "send", [("message", "hi"), ("messageType", "text")]),
    (lambda c: c.send(IDENT, "hi", "x", {"a": 1}), "send",
     [("message", "hi"), ("messageType", "x"), ("eventAttributes", '{"a":1}')]),
    (lambda c: c.start_typing(IDENT, "ty", 3), "startTyping", [("transcriptPosition", "3"), ("message", "ty")]),
    (lambda c: c.stop_typing(IDENT, "ty", 3), "stopTyping", [("transcriptPosition", "3"), ("message", "ty")]),
    (lambda c: c.disconnect(IDENT), "disconnect", []),
    (lambda c: c.custom_notice(IDENT, "bye"), "customNotice", [("message", "bye")]),
    (lambda c: c.update_data(IDENT, {"x": "2"}), "updateData", [("userData[x]", "2")]),
    (lambda c: c.update_nickname(IDENT, "N"), "updateNickname", [("nickname", "N")]),
])
async def test_operation_urls_and_fields(call, path, extra):
    rec = Recorder()
    await call(make(rec))
    assert str(rec.requests[0].url) == f"{BASE}/c1/{path}"
    assert rec.fields() == [("alias", "117"), ("secureKey", "sk"), ("userId", "u1")] + extra


async def test_apikey_and_extra_headers():
    rec = Recorder()
    client = make(rec, apikey="K", headers={"Authorization": "Bearer t"})
    await client.refresh(IDENT, 1)
    assert rec.requests[0].headers["apikey"] == "K"
    assert rec.requests[0].headers["authorization"] == "Bearer t"
    await make(rec).refresh(IDENT, 1)
    assert "apikey" not in rec.requests[1].headers


async def test_form_encoding_escapes_like_encode_uri_component():
    rec = Recorder()
    await make(rec).send(IDENT, "a b&c=d/é!")
    assert b"message=a+b%26c%3Dd%2F%C3%A9!" in rec.requests[0].content


async def test_multipart_file_limits_and_upload_order():
    rec = Recorder()
    client = make(rec)
    await client.file_limits(IDENT)
    await client.upload_file(IDENT, BytesFile("hello.txt", b"x" * 10, "text/plain"))
    limits, upload = rec.requests
    assert str(limits.url) == BASE + "/c1/file/limits"
    assert str(upload.url) == BASE + "/c1/file"
    assert limits.headers["content-type"].startswith("multipart/form-data; boundary=")
    names = [part.split(b'name="')[1].split(b'"')[0] for part in upload.content.split(b"Content-Disposition")[1:]]
    assert names == [b"file", b"alias", b"userId", b"secureKey"]
    assert b'filename="hello.txt"' in upload.content and b"Content-Type: text/plain" in upload.content
    names = [part.split(b'name="')[1].split(b'"')[0] for part in limits.content.split(b"Content-Disposition")[1:]]
    assert names == [b"alias", b"userId", b"secureKey"]


def test_download_request():
    req = GmsClient(None, data_url=BASE).download_request(IDENT, "f9", "a.txt")
    assert req.url == BASE + "/c1/file/f9/download"
    assert req.fields == [("alias", "117"), ("secureKey", "sk"), ("userId", "u1")]


async def test_network_failure_and_timeout_are_status_zero():
    def boom(request):
        raise httpx.ConnectError("down")
    reply = await make(Recorder(boom)).refresh(IDENT, 1)
    assert reply.kind == "network" and reply.failure()["status"] == 0
    assert reply.failure()["readyState"] == 0

    class Hanging(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request):
            await asyncio.Event().wait()
    client = GmsClient(HttpxTransport(transport=Hanging()), data_url=BASE, timeout=0.01)
    reply = await client.refresh(IDENT, 1)
    assert reply.kind == "network"


@pytest.mark.parametrize("status, body, kind, reason", [
    (200, {"statusCode": 0}, "ok", None),
    (200, {"statusCode": 1}, "retry", None),
    (200, {"statusCode": 2, "chatEnded": True, "errors": [{"code": 249}]}, "failed", None),
    (200, "not json", "failed", None),
    (500, "boom", "http_error", "InvalidService"),
    (404, "", "http_error", "InvalidService"),
    (502, "", "http_error", "InvalidService"),
    (400, {"statusCode": 2, "errors": [{"code": 203, "advice": "type"}]}, "http_error", None),
    (500, {"statusCode": 2, "errors": [{"code": 306}]}, "http_error", "InvalidService"),
    (503, "", "http_error", None),
])
def test_parse_reply_kinds(status, body, kind, reason):
    text = body if isinstance(body, str) else json.dumps(body)
    reply = parse_reply(HttpResponse(status, text))
    assert reply.kind == kind
    failure = reply.failure()
    assert failure.get("errorReason") == reason
    if kind in ("retry", "failed") and isinstance(body, dict):
        assert failure == body
    elif kind == "http_error":
        assert failure["status"] == status and failure["responseText"] == text


def test_answered_means_gms_json_over_http_2xx_whatever_its_status_code():
    """sendCustomNotice and getFileLimits resolve with an answered reply (the original resolved
    on jQuery's success); a non-JSON 2xx, an HTTP error, no answer, or a CometD publish the
    client itself saw refused are not answers from GMS."""
    from cxkit.webchat.push import _refused_reply

    assert parse_reply(HttpResponse(200, '{"statusCode":2,"errors":[]}', "OK")).answered
    assert parse_reply(HttpResponse(200, '{"statusCode":0}', "OK")).answered
    assert not parse_reply(HttpResponse(200, "<html>a proxy's page</html>", "OK")).answered
    assert not parse_reply(HttpResponse(500, '{"statusCode":2}', "Internal Server Error")).answered
    assert not parse_reply(HttpResponse(0, "", "error")).answered
    assert not _refused_reply("no subscription").answered
