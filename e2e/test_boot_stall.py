"""A boot download that stalls fails the boot (worker mode), naming the file, instead of leaving
the page's calls waiting for ever.

A server or proxy that accepts a request and never answers, or stops sending half-way, gives the
browser no error at all. ``_genesys.widgets.cxkit.stallTimeout`` (ms, default 60,000) is how long
a file may go without a byte; these pages set it short. Stalls come from a Playwright route that
never answers (no headers) or from a server that sends part of the wheel and then nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import wait_booted

from cxkit.server import create_app, run_in_thread

EARLY = """
window.cxkitTestConfig = (w) => { w.cxkit = {boot: 'now', stallTimeout: %d}; };
window.cxkitTestEarly = () => {
  window.failed = [];
  addEventListener('cxkit:failed', e => window.failed.push(e.detail));
  window.rejections = [];
  CXBus.registerPlugin('Early').command('WebChatService.getSessionData').fail(why => window.rejections.push(why));
};
"""


def stalled_boot(page: Any, url: str, stall_ms: int, part: str | None = None) -> dict[str, Any]:
    """Boot ``url``'s e2e page with ``part`` never answered; what page code saw once it failed."""
    held: list[Any] = []
    if part:
        page.route(part, lambda route: held.append(route))  # no answer, no error
    page.add_init_script(EARLY % stall_ms)
    page.goto(f"{url}/cxkit/e2e.html")
    page.wait_for_function("window.failed.length === 1 && window.rejections.length === 1", timeout=60_000)
    for route in held:  # let go of the requests (their pages gave up on them) before the page closes
        route.abort()
    return page.evaluate("""() => ({
        failure: __cxkit.failure, failed: window.failed, rejections: window.rejections, attached: __cxkit.attached,
        waiting: __cxkit.waiting(), base: __cxkit.base, manifest: __cxkit.manifest,
        wheel: new URL(__cxkit.manifest.wheels[0], __cxkit.base).href,
        pyodide: new URL(__cxkit.manifest.pyodide, __cxkit.base).href.replace(/[^/]*$/, ''),
    })""")


@pytest.mark.parametrize("part, says", [
    ("**/python_stdlib.zip", "loading Pyodide from {pyodide}: {pyodide}python_stdlib.zip: nothing received for 1.5 s"),
    ("**/wheels/*/*.whl", "{wheel}: nothing received for 1.5 s"),
    ("**/worker.mjs", "cannot start the cxkit worker {base}{manifest[worker]}: nothing received for 1.5 s"),
    ("**/link.mjs", "cannot load {base}{manifest[link]}: nothing received for 1.5 s"),
])
def test_a_file_that_never_answers_fails_the_boot_naming_it(page, server_url, part, says):
    got = stalled_boot(page, server_url, 1500, part)
    assert got["failure"] == says.format(**got), got
    assert got["failed"] == got["rejections"] == [got["failure"]] and not got["attached"] and got["waiting"] == 0


def wheel_served(bundle: Path, pause_s: float | None) -> Any:
    """The bundle's app, with its wheel sent in five parts ``pause_s`` apart, or (None) one part
    and then nothing until the browser goes away."""
    app = create_app(bundle)

    async def served(scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.endswith(".whl"):
            return await app(scope, receive, send)
        body = (bundle / path.removeprefix("/cxkit/")).read_bytes()
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"application/zip"), (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store")]})
        size = len(body) // 5 + 1
        for start in range(0, len(body), size):
            await send({"type": "http.response.body", "body": body[start:start + size], "more_body": True})
            if pause_s is None:
                while (await receive())["type"] != "http.disconnect":  # until the page gives up on it
                    pass
                return
            await asyncio.sleep(pause_s)  # a slow connection, not a wait for the test
        await send({"type": "http.response.body", "body": b""})

    return served


@pytest.fixture
def slow_wheel(request: Any, bundle_dir: Path) -> Iterator[str]:
    with run_in_thread(wheel_served(bundle_dir, request.param)) as url:
        yield url


@pytest.mark.parametrize("slow_wheel", [None], indirect=True)
def test_a_download_that_stops_half_way_fails_the_boot(page, slow_wheel):
    got = stalled_boot(page, slow_wheel, 1000)
    assert got["failure"] == f"{got['wheel']}: nothing received for 1 s", got
    assert got["rejections"] == [got["failure"]]


@pytest.mark.parametrize("slow_wheel", [0.4], indirect=True)
def test_a_slow_download_that_keeps_coming_is_waited_for(page, slow_wheel):
    """Five parts 0.4 s apart: 2 s in all, twice the stall timeout, and never 1 s without a byte."""
    page.add_init_script(EARLY % 1000)
    page.goto(f"{slow_wheel}/cxkit/e2e.html")
    wait_booted(page)
    assert page.evaluate("[__cxkit.attached, __cxkit.failure, window.failed]") == [True, None, []]
