"""``pytest -n 2``: a server per xdist worker, the bundle built once by one worker, builds locked."""

from __future__ import annotations

import fcntl
import json
import os
import socket
from pathlib import Path

import pytest

from cxkit.testing.lock import FileLock

pytest.importorskip("xdist")

#: The suite's conftest: the checkout build is replaced by one that logs who built and when.
BUILD_LOGGING_CONFTEST = '''
import json, os, time
from pathlib import Path

import cxkit.testing.server as server


def fake_build(root, out, *, test_pages):
    assert test_pages
    started = time.time()
    (out / "widgets.js").write_text("/* loader */")
    (out / "e2e.html").write_text("<p>bundled test page</p>")
    time.sleep(0.3)  # a real build takes a while: a second builder, were there one, would overlap it
    with open(os.environ["BUILD_LOG"], "a") as log:
        log.write(json.dumps({"worker": os.environ.get("PYTEST_XDIST_WORKER"), "start": started,
                              "end": time.time()}) + "\\n")


server.build_bundle = fake_build
server.find_checkout = lambda: Path(os.environ["CXKIT_ROOT"])
'''

#: Four tests that each need the server and note which worker saw which server URL.
SUITE = '''
import json, os

import httpx
import pytest


@pytest.mark.parametrize("n", range(4))
def test_uses_the_server(n, cxkit_url, cxkit_bundle_dir):
    assert httpx.get(cxkit_url + "/cxkit/e2e.html").text == "<p>bundled test page</p>"
    with open(os.environ["SEEN_LOG"], "a") as log:
        log.write(json.dumps({"worker": os.environ["PYTEST_XDIST_WORKER"], "url": cxkit_url,
                              "bundle": str(cxkit_bundle_dir)}) + "\\n")
'''


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def xdist_suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.Pytester:
    monkeypatch.setenv("CXKIT_ROOT", str(tmp_path / "checkout"))
    monkeypatch.setenv("CXKIT_BUNDLE", str(tmp_path / "bundle"))
    monkeypatch.setenv("BUILD_LOG", str(tmp_path / "builds.jsonl"))
    monkeypatch.setenv("SEEN_LOG", str(tmp_path / "seen.jsonl"))
    pytester.makeconftest(BUILD_LOGGING_CONFTEST)
    pytester.makepyfile(SUITE)
    return pytester


def servers_by_worker(seen: list[dict]) -> dict[str, set[str]]:
    urls: dict[str, set[str]] = {}
    for row in seen:
        urls.setdefault(row["worker"], set()).add(row["url"])
    return urls


def test_each_worker_has_its_own_server_and_one_worker_builds(xdist_suite: pytest.Pytester, tmp_path: Path) -> None:
    seen_log, build_log = tmp_path / "seen.jsonl", tmp_path / "builds.jsonl"
    xdist_suite.runpytest("-n", "2", "-p", "xdist").assert_outcomes(passed=4)
    urls = servers_by_worker(read_lines(seen_log))
    assert sorted(urls) == ["gw0", "gw1"]
    assert all(len(u) == 1 for u in urls.values())           # one server per worker (session)
    assert len(set.union(*urls.values())) == 2                # on different free ports
    assert {row["bundle"] for row in read_lines(seen_log)} == {str(tmp_path / "bundle")}
    assert len(read_lines(build_log)) == 1                    # prepared once, for both workers

    # the next run is another run: it builds again (incrementally, in real life), once; a
    # fixed port is offset by the worker's number
    seen_log.unlink()
    port = _two_free_ports()
    xdist_suite.runpytest("-n", "2", "-p", "xdist", f"--cxkit-port={port}").assert_outcomes(passed=4)
    assert servers_by_worker(read_lines(seen_log)) == {
        "gw0": {f"http://127.0.0.1:{port}"}, "gw1": {f"http://127.0.0.1:{port + 1}"}}
    assert len(read_lines(build_log)) == 2


def test_without_xdist_every_run_builds(xdist_suite: pytest.Pytester, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)  # when this suite itself runs under xdist
    xdist_suite.makepyfile(SUITE.replace('os.environ["PYTEST_XDIST_WORKER"]', '"main"'))
    for _ in range(2):
        xdist_suite.runpytest().assert_outcomes(passed=4)
    assert [b["worker"] for b in read_lines(tmp_path / "builds.jsonl")] == [None, None]


def test_the_build_lock_excludes_other_holders_and_keeps_a_note(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "build.lock"
    with FileLock(path) as lock:
        assert lock.note() == ""
        lock.write_note("run-1")
        other = os.open(path, os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):  # another holder (another process, or this one) must wait
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(other)
    with FileLock(path) as lock:
        assert lock.note() == "run-1"
        lock.write_note("r2")
        assert lock.note() == "r2"                # shorter notes replace longer ones whole


def _two_free_ports() -> int:
    for _ in range(50):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
            with socket.socket() as b:
                try:
                    b.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
        return port
    raise RuntimeError("no two free neighbouring ports")
