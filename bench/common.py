"""What the browser benches share: the Chromium they run, a fresh or a shared browser context
per load, and the machine facts every result carries.

    from common import Fresh, Shared, find_chromium, machine, serve_in_process
    browser = pw.chromium.launch(executable_path=find_chromium())
    with Fresh(browser) as context: ...          # empty cache: a cold load
    with serve_in_process(build, {"/bare": folder}) as url: ...   # the site's server, own process
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from cxkit.testing.chromium import find_chromium as _find_chromium


def find_chromium() -> str:
    """The Chromium the benches drive (``CHROMIUM_PATH``, else the first on PATH), or exit."""
    path = _find_chromium()
    if not path:
        sys.exit("no Chromium found: apt-get install chromium, or set CHROMIUM_PATH")
    return path


class Fresh:
    """A new browser context (empty cache) for one load, closed after it."""

    def __init__(self, browser: Any) -> None:
        self.browser = browser

    def __enter__(self) -> Any:
        self.context = self.browser.new_context()
        return self.context

    def __exit__(self, *exc: object) -> None:
        self.context.close()


class Shared:
    """The same (persistent, warm) context for every load; left open."""

    def __init__(self, context: Any) -> None:
        self.context = context

    def __enter__(self) -> Any:
        return self.context

    def __exit__(self, *exc: object) -> None:
        pass


def machine(user_agent: str, **extra: Any) -> dict[str, Any]:
    """The facts of this machine a result is read against."""
    return {"cpus": os.cpu_count(), "platform": platform.platform(), "browser": user_agent, **extra}


SERVER_SCRIPT = """
import json, sys, uvicorn
from cxkit.server import create_app
build, extra, port = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
uvicorn.run(create_app(build, extra_static=extra), host="127.0.0.1", port=port, log_level="warning")
"""


@contextmanager
def serve_in_process(build: Path, extra_static: dict[str, str] | None = None) -> Iterator[str]:
    """``build`` (and ``extra_static``, URL prefix -> folder) served by `cxkit serve`'s app in a
    process of its own, as a site's server is: a server thread in the process that drives the
    browser shares that process's interpreter lock and answers in bursts. Yields the base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-c", SERVER_SCRIPT, str(build), json.dumps(extra_static or {}),
                               str(port)])
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:  # until it answers (it takes a second to import)
            try:
                httpx.get(f"{url}/cxkit/widgets.js", timeout=5).raise_for_status()
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the bench server did not start (exit {server.poll()})") from None
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(10)
