"""downloadFile's fetch waits for a file that keeps coming, however long, and gives up on one
that stops: its timeout is for the next byte, not for the whole body (a whole-request timeout
failed every download slower than 60 s, a 10 MB file at 1 Mbit/s).

The worker's transport fetches from a server that sends a file in five parts 0.4 s apart, or
one part and then nothing, with a 1 s timeout (the default is 60 s).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import wait_async, wait_booted

from cxkit.server import create_app, run_in_thread

BODY = bytes(range(256)) * 400  # 100 KiB in five parts


def served(bundle: Path) -> Any:
    app = create_app(bundle)

    async def file_route(scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/file/"):
            return await app(scope, receive, send)
        while (await receive()).get("more_body"):  # the multipart form
            pass
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"application/pdf"), (b"content-disposition", b'attachment; filename="r.pdf"')]})
        size = len(BODY) // 5
        for start in range(0, len(BODY), size):
            await send({"type": "http.response.body", "body": BODY[start:start + size], "more_body": True})
            if path == "/file/stops":
                while (await receive())["type"] != "http.disconnect":  # until the page gives up on it
                    pass
                return
            await asyncio.sleep(0.4)  # a slow connection, not a wait for the test
        await send({"type": "http.response.body", "body": b""})

    return file_route


@pytest.fixture
def site(bundle_dir: Path) -> Iterator[str]:
    with run_in_thread(served(bundle_dir)) as url:
        yield url


FETCH = """
import asyncio
from cxkit.browser.fetch import FetchTransport
box = {}
async def fetch():
    status, blob, name = await FetchTransport().fetch_blob(%r, [("secureKey", "k")], headers={}, timeout=1.0)
    box["got"] = [status, int(blob.size) if blob is not None else None, name]
asyncio.ensure_future(fetch())
result = True
"""


@pytest.mark.parametrize("which, expected", [
    ("slow", [200, len(BODY), "r.pdf"]),  # 1.6 s in all, never 1 s without a byte
    ("stops", [0, None, ""]),
])
def test_a_download_is_waited_for_while_it_comes(page, site, which, expected):
    page.add_init_script("window.cxkitTestConfig = (w) => { w.cxkit = {boot: 'now', testHook: true}; };")
    page.goto(f"{site}/cxkit/e2e.html")
    wait_booted(page)
    page.wait_for_function("() => !!window.cxkitPy")
    page.evaluate("src => cxkitPy(src)", FETCH % f"{site}/file/{which}")
    wait_async(page, "() => cxkitPy('result = \"got\" in box')", timeout=20_000)
    assert page.evaluate("() => cxkitPy('result = box[\"got\"]')") == expected
