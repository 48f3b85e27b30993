"""CORS, apikey, body cap, malformed and non-UTF-8 bodies, userData and chat-count bounds."""

from __future__ import annotations

import pytest

from .support import BASE, Customer, client_for, make_gms

PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "apikey, content-type"}


@pytest.mark.parametrize("origin", ["http://127.0.0.1:8765", "http://localhost:3000", "https://localhost",
                                    "http://[::1]:9000", "http://testserver"])
async def test_cors_allows_local_and_own_origin(client, origin) -> None:
    pre = await client.options(BASE + "/", headers={"Origin": origin, **PREFLIGHT})
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == origin
    assert pre.headers["access-control-allow-credentials"] == "true"
    assert "POST" in pre.headers["access-control-allow-methods"]
    assert pre.headers["access-control-allow-headers"] == "apikey, content-type"
    r = await client.post(BASE + "/", data={"nickname": "N"}, headers={"Origin": origin})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == origin
    assert r.headers["vary"] == "Origin" and "Content-Disposition" in r.headers["access-control-expose-headers"]


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://127.0.0.1.evil.example", "http://testserver:81"])
async def test_cors_refuses_other_origins_before_acting(client, gms, origin) -> None:
    pre = await client.options(BASE + "/", headers={"Origin": origin, **PREFLIGHT})
    assert pre.status_code == 403 and "access-control-allow-origin" not in pre.headers
    r = await client.post(BASE + "/", data={"nickname": "N"}, headers={"Origin": origin})
    assert r.status_code == 403 and r.json()["errors"][0]["code"] == 403
    assert gms.chats() == []


async def test_cors_extra_origins_and_no_wildcard() -> None:
    gms = make_gms(cors_allow_origins=("https://shop.example",), cors_allow_localhost=False)
    async with client_for(gms) as c:
        ok = await c.post(BASE, data={"nickname": "N"}, headers={"Origin": "https://shop.example"})
        assert ok.headers["access-control-allow-origin"] == "https://shop.example"
        local = await c.post(BASE, data={"nickname": "N"}, headers={"Origin": "http://localhost:1"})
        assert local.status_code == 403
    with pytest.raises(ValueError):
        make_gms(cors_allow_origins=("*",))


async def test_no_origin_means_no_cors_headers(client) -> None:
    r = await client.post(BASE, data={"nickname": "N"})
    assert "access-control-allow-origin" not in r.headers


async def test_apikey_required_when_configured() -> None:
    gms = make_gms(apikey="s3cret")
    async with client_for(gms) as c:
        for headers in ({}, {"apikey": "wrong"}):
            r = await c.post(BASE, data={"nickname": "N"}, headers=headers)
            assert r.status_code == 401 and r.json()["errors"][0]["code"] == 401 and r.json()["statusCode"] == 2
        pre = await c.options(BASE, headers={"Origin": "http://localhost:1", **PREFLIGHT})
        assert pre.status_code == 204
        r = await c.post(BASE, data={"nickname": "N"}, headers={"apikey": "s3cret"})
        assert r.status_code == 200 and r.json()["statusCode"] == 0
        assert (await c.get("/mock/chats")).status_code == 200  # control API is not behind the key


async def test_body_cap_by_content_length_and_by_stream() -> None:
    gms = make_gms(max_body_bytes=2048)
    async with client_for(gms) as c:
        r = await c.post(BASE, data={"nickname": "N", "text": "x" * 4000})
        assert r.status_code == 413 and r.json()["errors"][0]["code"] == 413 and r.json()["statusCode"] == 2

        async def chunks():
            yield b"nickname=N&text="
            for _ in range(10):
                yield b"y" * 500

        r = await c.post(BASE, content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 413
        assert gms.chats() == []
        # still serving
        assert (await c.post(BASE, data={"nickname": "N"})).json()["statusCode"] == 0


async def test_upload_body_cap_follows_max_file_bytes() -> None:
    gms = make_gms(max_file_bytes=1000)
    async with client_for(gms) as c:
        cust = Customer(c)
        await cust.request_chat()
        r = await c.post(f"{BASE}/{cust.chat_id}/file", files={"file": ("a.pdf", b"x" * 200_000)}, data=cust.identity())
        # far over: the body cap answers, as the widget knows it (a file too big), not 413
        assert r.status_code == 400 and r.json()["errors"] == [{"code": 202, "advice": "1000"}]
        r = await c.post(f"{BASE}/{cust.chat_id}/file", files={"file": ("a.pdf", b"x" * 1001)}, data=cust.identity())
        assert r.status_code == 400 and r.json()["errors"] == [{"code": 202, "advice": "1000", "filename": "a.pdf"}]


@pytest.mark.parametrize(
    ("content", "ctype", "code"),
    [
        (b"nickname=\xff\xfe", "application/x-www-form-urlencoded", 100),
        (b"nickname=%FF%FE", "application/x-www-form-urlencoded", 100),
        (b'{"nickname": "N"}', "application/json", 100),
        (b"x", "multipart/form-data", 100),
        # the multipart parser reads this as an empty form: no nickname
        (b"--zz\r\ngarbage", "multipart/form-data; boundary=zz", 161),
    ],
)
async def test_malformed_bodies_get_gms_errors(client, content, ctype, code) -> None:
    r = await client.post(BASE + "/", content=content, headers={"Content-Type": ctype})
    assert r.status_code == 400, r.text
    assert r.json()["statusCode"] == 2 and r.json()["errors"][0]["code"] == code
    assert (await client.post(BASE, data={"nickname": "N"})).json()["statusCode"] == 0


async def test_too_many_fields(client) -> None:
    body = "&".join(f"f{i}=1" for i in range(1500)) + "&nickname=N"
    r = await client.post(BASE, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == 100


async def test_no_content_type_is_read_as_form(client) -> None:
    r = await client.post(BASE, content=b"nickname=N")
    assert r.json()["statusCode"] == 0


async def test_huge_user_data_is_refused() -> None:
    gms = make_gms(max_user_data_keys=3, max_user_data_bytes=100)
    async with client_for(gms) as c:
        many = {f"userData[k{i}]": "v" for i in range(4)}
        r = await c.post(BASE, data={"nickname": "N", **many})
        assert r.status_code == 400 and "keys" in r.json()["errors"][0]["advice"]
        r = await c.post(BASE, data={"nickname": "N", "userData[big]": "x" * 200})
        assert r.status_code == 400 and "bytes" in r.json()["errors"][0]["advice"]
        cust = Customer(c)
        await cust.request_chat(**{"userData[a]": "1", "userData[b]": "2"})
        r = await cust.op("updateData", **{"userData[c]": "3", "userData[d]": "4"})
        assert r.status_code == 400
        assert gms.chat(cust.chat_id)["userData"] == {"a": "1", "b": "2"}


async def test_max_chats_evicts_ended_then_refuses() -> None:
    gms = make_gms(max_chats=2)
    async with client_for(gms) as c:
        a, b = Customer(c), Customer(c)
        await a.request_chat()
        await b.request_chat()
        full = await c.post(BASE, data={"nickname": "N"})
        assert full.status_code == 503 and full.json()["statusCode"] == 1
        assert full.json()["errors"][0]["code"] == 240
        await a.op("disconnect")
        r = await c.post(BASE, data={"nickname": "N"})
        assert r.json()["statusCode"] == 0
        assert a.chat_id not in [ch["chatId"] for ch in gms.chats()]
        gone = await a.op("refresh")
        assert gone.json()["statusCode"] == 2 and gone.json()["chatEnded"] is True


async def test_transcript_is_bounded_but_indexes_keep_counting() -> None:
    gms = make_gms(max_messages_per_chat=10)
    async with client_for(gms) as c:
        cust = Customer(c)
        await cust.request_chat()
        for i in range(20):
            await cust.op("send", message=f"m{i}")
        body = (await cust.op("refresh", transcriptPosition="1")).json()
        assert [m["index"] for m in body["messages"]] == list(range(12, 22))
        assert body["nextPosition"] == 22
        assert [m["index"] for m in (await cust.op("refresh", transcriptPosition="20")).json()["messages"]] == [20, 21]
