"""getFileLimits, sendFile, downloadFile against the mock GMS."""

import json

from webchat_harness import BASE, Page, mock_gms
from webchat_vclock import virtual_time

from cxkit.gms import BytesFile
from cxkit.mockgms import FileLimits as MockFileLimits
from cxkit.webchat import messages as msg


class FileInputBox:
    def __init__(self, *files):
        self.files = list(files)


@virtual_time
async def test_get_file_limits_resolves_the_json_text():
    page = Page(mock_gms()).boot()
    await page.start()
    text = await page.cmd("getFileLimits")
    assert isinstance(text, str)
    notice = json.loads(text)["messages"][0]
    assert notice["text"] == "file-client-cfg-get" and "upload-max-files" in notice["userData"]
    request = page.transport.of("limits")[0]
    assert request["kind"] == "multipart" and request["url"] == f"{BASE}/{page.chat_id}/file/limits"
    assert [name for name, _ in request["fields"]] == ["alias", "userId", "secureKey"]
    assert page.service.session.file_limits is not None


@virtual_time
async def test_get_file_limits_without_session_posts_with_empty_identity():
    page = Page(mock_gms()).boot()
    text = await page.cmd("getFileLimits")  # the mock refuses the empty chat id: resolved, as observed
    assert page.transport.sent[0]["url"] == BASE + "//file/limits"
    assert '"statusCode":2' in text and page.service.session.file_limits is None


@virtual_time
async def test_file_commands_rejected_with_cometd():
    page = Page(mock_gms(), config={"cometD": {"enabled": True}}).boot()
    text = "File Uploads are not currently supported when using CometD"
    assert await page.reject("getFileLimits") == text
    assert await page.reject("sendFile", {"files": FileInputBox(BytesFile("a.txt", b"x"))}) == text


@virtual_time
async def test_send_file_uploads_and_the_transcript_shows_it():
    # the mock's default types are GMS's (jpeg:jpg:pdf:png:zip): this test sends text files
    page = Page(mock_gms(file_limits=MockFileLimits(file_types=("txt",)))).boot()
    assert await page.reject("sendFile", {"files": FileInputBox(BytesFile("a.txt", b"x"))}) == \
        msg.NO_ACTIVE_SESSION
    await page.start()
    hello = BytesFile("hello.txt", b"h" * 1000, "text/plain")
    body = await page.cmd("sendFile", {"files": FileInputBox(hello)})
    assert body["statusCode"] == 0 and body["userData"]["file-id"]
    upload = page.transport.of("file")[0]
    assert [name for name, _ in upload["fields"]] == ["file", "alias", "userId", "secureKey"]
    assert upload["fields"][0][1] is hello  # the handle itself, never copied by the core
    await page.wait_for(lambda: any(m["type"] == "FileUploaded" for d in page.of("messageReceived")
                                    for m in d["messages"]))
    uploaded = [m for d in page.of("messageReceived") for m in d["messages"] if m["type"] == "FileUploaded"][0]
    assert uploaded["fileDetails"]["file-name"] == "hello.txt"
    assert uploaded["fileDetails"] == uploaded["userData"]
    stored = page.gms.chat(page.chat_id)["files"]
    assert len(stored) == 1
    # other shapes: {files: [File]}, a bare file, a jQuery-like list of inputs
    for option in ([BytesFile("b.txt", b"b")], BytesFile("c.txt", b"c"), [FileInputBox(BytesFile("d.txt", b"d"))]):
        assert (await page.cmd("sendFile", {"files": option}))["statusCode"] == 0
    for empty in (None, FileInputBox(), [], "x"):
        assert await page.reject("sendFile", {"files": empty}) == msg.NO_FILE


@virtual_time
async def test_send_file_checks_known_limits_before_uploading():
    gms = mock_gms(file_limits=MockFileLimits(file_types=("txt",), max_file_size=10, max_files=1))
    page = Page(gms).boot()
    await page.start()
    await page.cmd("getFileLimits")
    cases = [(BytesFile("a.exe", b"x"), 203), (BytesFile("a.txt", b"x" * 11), 202)]
    for file, code in cases:
        failure = await page.reject("sendFile", {"files": [file]})
        assert failure["status"] == 400
        assert json.loads(failure["responseText"])["errors"][0] == \
            {"code": code, "advice": "txt" if code == 203 else "10", "filename": file.name}
        assert page.of("error")[-1] == failure
    assert page.transport.of("file") == []
    assert (await page.cmd("sendFile", {"files": [BytesFile("ok.txt", b"x")]}))["statusCode"] == 0
    failure = await page.reject("sendFile", {"files": [BytesFile("two.txt", b"x")]})
    assert json.loads(failure["responseText"])["errors"][0]["code"] == 201
    assert len(page.transport.of("file")) == 1


@virtual_time
async def test_send_file_maps_server_errors_when_limits_are_unknown():
    gms = mock_gms(file_limits=MockFileLimits(file_types=("txt",), max_files=1))
    page = Page(gms).boot()
    await page.start()
    failure = await page.reject("sendFile", {"files": [BytesFile("a.exe", b"x")]})
    # the plain jqXHR-like object: the original does not let jQuery parse file answers
    assert set(failure) == {"readyState", "status", "statusText", "responseText"}
    assert failure["status"] == 400
    assert json.loads(failure["responseText"])["errors"][0]["code"] == 203
    assert page.of("error")[-1] == failure
    gms.fault("fileUpload", "drop")
    failure = await page.reject("sendFile", {"files": [BytesFile("a.txt", b"x")]})
    assert failure["status"] == 0


@virtual_time
async def test_download_file_builds_the_request_for_the_port():
    page = Page(mock_gms(), config={"apikey": ""}).boot()
    await page.start()
    assert await page.reject("downloadFile", {}) == msg.NO_FILE_ID
    assert await page.cmd("downloadFile", {"fileId": "f1", "fileName": "my.txt"}) is None
    (request,) = page.downloader.requests
    ident = page.service.session.identity
    assert request.url == f"{BASE}/{page.chat_id}/file/f1/download"
    assert request.fields == [("alias", ident.alias), ("secureKey", ident.secure_key),
                              ("userId", ident.user_id)]
    assert request.file_name == "my.txt"

    def broken(request):
        raise RuntimeError("download failed (HTTP 404)")
    page.service.downloader = broken
    assert await page.reject("downloadFile", {"fileId": "x"}) == "download failed (HTTP 404)"
    page.service.downloader = None
    assert await page.reject("downloadFile", {"fileId": "x"}) == msg.NO_DOWNLOADER
