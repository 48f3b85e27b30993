"""File transfer: limits Notice, upload checks, download bytes and headers, delete."""

from __future__ import annotations

import os

import pytest

from cxkit.mockgms import FileLimits, MockGMS

from .support import BASE, Customer, client_for, make_gms


async def upload(cust: Customer, name: str, data: bytes, ctype: str = "application/pdf", **extra: str):
    # the widget sends the file part first, then alias, userId, secureKey
    return await cust.client.post(
        f"{BASE}/{cust.chat_id}/file",
        files={"file": (name, data, ctype)},
        data={"alias": cust.start["alias"], "userId": cust.start["userId"], "secureKey": cust.start["secureKey"], **extra},
    )


async def test_limits_notice_has_string_values(customer: Customer) -> None:
    r = await customer.client.post(f"{BASE}/{customer.chat_id}/file/limits", files={"alias": (None, customer.start["alias"]),
                                   "userId": (None, customer.start["userId"]), "secureKey": (None, customer.start["secureKey"])})
    body = r.json()
    assert body["statusCode"] == 0
    [notice] = body["messages"]
    assert notice["type"] == "Notice" and notice["text"] == "file-client-cfg-get" and "index" not in notice
    ud = notice["userData"]
    assert set(ud) == {"download-attempts", "upload-max-files", "delete-file", "upload-max-file-size",
                       "used-download-attempts", "used-upload-max-total-size", "upload-need-agent",
                       "used-upload-max-files", "upload-max-total-size", "upload-file-types"}
    assert all(isinstance(v, str) for v in ud.values())
    assert ud["upload-max-file-size"] == "10485760" and ud["upload-need-agent"] == "false"
    # the real GMS answer (spec C.3): tests that need other types configure FileLimits
    assert ud["upload-file-types"] == "jpeg:jpg:pdf:png:zip" and ud["download-attempts"] == "2"
    # not part of the transcript
    assert len((await customer.op("refresh", transcriptPosition="1")).json()["messages"]) == 1


async def test_upload_download_delete_roundtrip(customer: Customer, gms: MockGMS) -> None:
    data = os.urandom(1000)
    r = await upload(customer, "hello.pdf", data, transcriptPosition="2")
    body = r.json()
    assert r.status_code == 200 and body["statusCode"] == 0
    file_id = body["userData"]["file-id"]
    [msg] = body["messages"]
    assert msg["type"] == "FileUploaded" and msg["from"]["type"] == "Client"
    assert "text" not in msg  # GMS names the file in userData only
    assert msg["userData"]["file-name"] == "hello.pdf" and msg["userData"]["file-size"] == "1000"
    assert msg["userData"]["file-id"] == file_id
    assert gms.chat(customer.chat_id)["files"][0]["fileSize"] == 1000

    dl = await customer.client.post(f"{BASE}/{customer.chat_id}/file/{file_id}/download",
                                    files={k: (None, v) for k, v in customer.identity().items()})
    assert dl.status_code == 200 and dl.content == data
    assert dl.headers["content-disposition"].startswith('attachment; filename="hello.pdf"')
    assert dl.headers["content-type"].startswith("application/pdf")

    limits = (await customer.op("file/limits")).json()["messages"][0]["userData"]
    assert limits["used-upload-max-files"] == "1" and limits["used-upload-max-total-size"] == "1000"
    assert limits["used-download-attempts"] == "1"

    rm = await customer.op(f"file/{file_id}/delete", transcriptPosition="3")
    [deleted] = rm.json()["messages"]
    assert deleted["type"] == "FileDeleted" and deleted["userData"]["file-id"] == file_id
    gone = await customer.op(f"file/{file_id}/download")
    assert gone.status_code == 404 and gone.json()["errors"][0]["code"] == 404


async def test_download_non_ascii_name(customer: Customer) -> None:
    file_id = (await upload(customer, "résumé.pdf", b"%PDF", "application/pdf")).json()["userData"]["file-id"]
    dl = await customer.op(f"file/{file_id}/download")
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9.pdf" in dl.headers["content-disposition"]
    assert dl.content == b"%PDF"


async def test_download_needs_this_chats_identity(client, gms: MockGMS) -> None:
    a, b = Customer(client), Customer(client)
    await a.request_chat()
    await b.request_chat()
    file_id = (await upload(a, "a.pdf", b"A's secret")).json()["userData"]["file-id"]
    r = await client.post(f"{BASE}/{a.chat_id}/file/{file_id}/download", data=b.identity())
    assert r.json()["statusCode"] == 2 and b"secret" not in r.content
    r = await client.post(f"{BASE}/{b.chat_id}/file/{file_id}/download", data=b.identity())
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("limits", "uploads", "code", "advice"),
    [
        (FileLimits(file_types=("png",)), [("a.pdf", 10)], 203, "png"),
        (FileLimits(max_file_size=100), [("a.pdf", 101)], 202, "100"),
        (FileLimits(max_files=1), [("a.pdf", 1), ("b.pdf", 1)], 201, "1"),
        (FileLimits(max_total_size=150), [("a.pdf", 100), ("b.pdf", 100)], 202, "150"),
    ],
)
async def test_upload_limits(limits, uploads, code, advice) -> None:
    gms = make_gms(file_limits=limits)
    async with client_for(gms) as c:
        cust = Customer(c)
        await cust.request_chat()
        *ok, (name, size) = uploads
        for n, s in ok:
            assert (await upload(cust, n, b"x" * s)).status_code == 200
        r = await upload(cust, name, b"x" * size)
        assert r.status_code == 400
        assert r.json()["statusCode"] == 2
        # GMS's refusal names the file: the widget's own local check gives page code the same
        assert r.json()["errors"] == [{"code": code, "advice": advice, "filename": name}]


async def test_need_agent_and_per_service_limits() -> None:
    gms = make_gms(service_file_limits={"strict": FileLimits(need_agent=True)})
    async with client_for(gms) as c:
        strict = Customer(c, service="strict")
        await strict.request_chat()
        lim = (await strict.op("file/limits")).json()["messages"][0]["userData"]
        assert lim["upload-need-agent"] == "true"
        r = await strict.client.post(f"/genesys/2/chat/strict/{strict.chat_id}/file",
                                     files={"file": ("a.pdf", b"x")}, data=strict.identity())
        assert r.status_code == 400 and r.json()["errors"] == [
            {"code": 200, "advice": "File upload is allowed only while an agent is connected", "filename": "a.pdf"}]
        gms.agent(strict.chat_id, "join")
        r = await strict.client.post(f"/genesys/2/chat/strict/{strict.chat_id}/file",
                                     files={"file": ("a.pdf", b"x")}, data=strict.identity())
        assert r.status_code == 200
        relaxed = Customer(c)
        await relaxed.request_chat()
        assert (await upload(relaxed, "a.pdf", b"x")).status_code == 200


async def test_upload_without_file_part(customer: Customer) -> None:
    r = await customer.client.post(f"{BASE}/{customer.chat_id}/file", files={k: (None, v) for k, v in customer.identity().items()})
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == 100


async def test_server_wide_file_byte_bound(client) -> None:
    gms = make_gms(max_total_file_bytes=150)
    async with client_for(gms) as c:
        cust = Customer(c)
        await cust.request_chat()
        assert (await upload(cust, "a.pdf", b"x" * 100)).status_code == 200
        r = await upload(cust, "b.pdf", b"x" * 100)
        assert r.status_code == 400 and r.json()["errors"] == [{"code": 202, "advice": "150", "filename": "b.pdf"}]


async def test_default_file_types_refuse_txt_and_gif(customer: Customer) -> None:
    for name in ("notes.txt", "cat.gif"):
        r = await upload(customer, name, b"x", "text/plain")
        assert r.status_code == 400
        assert r.json()["errors"] == [{"code": 203, "advice": "jpeg:jpg:pdf:png:zip", "filename": name}]
    assert (await upload(customer, "scan.JPG", b"x", "image/jpeg")).status_code == 200


async def test_upload_refusal_is_the_whole_gms_answer_naming_the_file(customer: Customer) -> None:
    r = await upload(customer, "naïve plan.exe", b"x", "application/octet-stream")
    assert (r.status_code, r.reason_phrase) == (400, "Bad Request")
    assert r.json() == {"statusCode": 2, "alias": customer.start["alias"], "chatEnded": False,
                        "chatId": customer.chat_id, "messages": [],
                        "errors": [{"code": 203, "advice": "jpeg:jpg:pdf:png:zip", "filename": "naïve plan.exe"}]}
    # other refusals name no file
    r = await customer.op("send")
    assert r.json()["errors"] == [{"code": 105, "advice": "message is required"}]


async def test_agent_file_message_has_no_text(customer: Customer, gms: MockGMS) -> None:
    gms.agent(customer.chat_id, "join")
    [msg] = gms.agent(customer.chat_id, "file", fileName="terms.pdf", content="JVBERg==")
    assert msg["type"] == "FileUploaded" and "text" not in msg and msg["userData"]["file-name"] == "terms.pdf"
