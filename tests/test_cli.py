"""The cxkit command: build, serve (bundle + mock GMS on one origin), mock-gms, clean Ctrl-C."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import cxkit
from cxkit.bundle import project_root
from cxkit.cli import main


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "cxkit.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=project_root())


def wait_serving(proc: subprocess.Popen[str]) -> list[str]:
    lines = []
    for line in proc.stdout:  # the server says where it listens once it does
        lines.append(line)
        if "Ctrl-C" in line:
            return lines
    raise AssertionError("server exited early: " + "".join(lines))


def interrupt(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout=15)
    finally:
        proc.kill()


def test_build_writes_the_bundle_without_test_pages_unless_asked(tmp_path: Path, capsys):
    assert main(["build", "--out", str(tmp_path / "b")]) == 0
    assert (tmp_path / "b" / "widgets.js").is_file() and (tmp_path / "b" / "index.html").is_file()
    assert not list((tmp_path / "b").glob("e2e*"))
    assert capsys.readouterr().out.strip() == f"cxkit: bundle ready in {tmp_path / 'b'}"
    assert main(["build", "--out", str(tmp_path / "b"), "--test-pages"]) == 0
    assert (tmp_path / "b" / "e2e.html").is_file()
    assert "with the test pages" in capsys.readouterr().out


def test_serve_serves_bundle_and_mock_and_stops_on_ctrl_c(tmp_path: Path):
    port = free_port()
    proc = start("serve", "--port", str(port), "--out", str(tmp_path / "b"), "--agent", "silent")
    lines = wait_serving(proc)
    assert any(f"http://127.0.0.1:{port}/" in line for line in lines)
    base = f"http://127.0.0.1:{port}"
    assert httpx.get(base + "/cxkit/widgets.js").status_code == 200
    assert httpx.get(base + "/").headers["location"] == "/cxkit/"   # the demo
    assert httpx.get(base + "/mock/chats").json() == {"chats": []}
    started = httpx.post(base + "/genesys/2/chat/customer-support/", data={"nickname": "Jo"}).json()
    assert started["statusCode"] == 0
    assert interrupt(proc) == 0


def test_mock_gms_alone_allows_an_extra_origin(tmp_path: Path):
    port = free_port()
    proc = start("mock-gms", "--port", str(port), "--cors-allow-origin", "https://shop.example")
    wait_serving(proc)
    base = f"http://127.0.0.1:{port}"
    allowed = httpx.options(base + "/genesys/2/chat/x/", headers={
        "Origin": "https://shop.example", "Access-Control-Request-Method": "POST"})
    assert allowed.headers.get("access-control-allow-origin") == "https://shop.example"
    refused = httpx.post(base + "/genesys/2/chat/x/", headers={"Origin": "https://evil.example"},
                         data={"nickname": "Jo"})
    assert refused.status_code == 403
    assert httpx.get(base + "/cxkit/widgets.js").status_code == 404
    assert interrupt(proc) == 0


def test_a_missing_runtime_is_a_one_line_error(tmp_path: Path, capsys, monkeypatch):
    (tmp_path / "pysrc" / "cxkit" / "web").mkdir(parents=True)
    (tmp_path / "pysrc" / "cxkit" / "web" / "widgets.js").write_text("")
    (tmp_path / "package.json").write_text("{}")
    monkeypatch.setenv("CXKIT_ROOT", str(tmp_path))
    assert main(["build"]) == 2
    assert "npm ci" in capsys.readouterr().err


def test_build_without_test_pages(tmp_path: Path):
    assert main(["build", "--out", str(tmp_path / "b"), "--no-test-pages"]) == 0
    assert (tmp_path / "b" / "index.html").is_file()
    assert not list((tmp_path / "b").glob("e2e*"))


@pytest.mark.parametrize("command", ["serve", "mock-gms"])
def test_a_bad_agent_is_a_usage_error_naming_it(command, tmp_path: Path, capsys):
    bad = tmp_path / "agent.yaml"
    bad.write_text("{not: [valid")
    for spec, says in (("dance", "unknown agent preset 'dance'"), (f"script:{bad}", f"agent script {bad}: "),
                       (f"script:{tmp_path / 'none.yaml'}", "No such file or directory")):
        with pytest.raises(SystemExit) as stopped:
            main([command, "--agent", spec])
        err = capsys.readouterr().err
        assert stopped.value.code == 2 and says in err and "Traceback" not in err, err


def test_an_agent_script_is_read_once_and_drives_the_mock(tmp_path: Path, monkeypatch):
    from cxkit import cli
    from cxkit.mockgms import agent

    script = tmp_path / "agent.yaml"
    script.write_text("- {action: join, nickname: Ann}\n")
    reads: list[str] = []
    load = agent.load_script
    monkeypatch.setattr(agent, "load_script", lambda path: reads.append(str(path)) or load(path))
    args = cli.build_parser().parse_args(["mock-gms", "--agent", f"script:{script}"])
    gms = cli._mock(args)
    assert reads == [str(script)]
    assert gms.state.preset is args.agent and gms.state.preset.name == f"script:{script}"


def test_version(capsys):
    import pytest

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out.strip()
    pins = json.loads((project_root() / "package.json").read_text())["dependencies"]
    assert out == (f"cxkit {cxkit.__version__} (Python {sys.version.split()[0]}, Pyodide {pins['pyodide']}, "
                   f"PyScript {pins['@pyscript/core']})")


# -- how serve / mock-gms start uvicorn, and the host names the mock answers to -------------------

def captured_server_config(monkeypatch, *argv: str):
    """Run ``cxkit <argv>`` up to the point where it serves; returns the uvicorn config it built."""
    import uvicorn

    configs = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: configs.append(self.config))
    assert main(list(argv)) == 0
    [config] = configs
    return config


def serve_args(command: str, tmp_path: Path) -> list[str]:
    if command == "serve":
        (tmp_path / "widgets.js").write_text("/* loader */")
        return ["--build-dir", str(tmp_path)]
    return []


@pytest.mark.parametrize("command", ["mock-gms", "serve"])
def test_uvicorn_gets_the_mock_keep_alive_and_header_timeouts(command, tmp_path, monkeypatch):
    from cxkit.mockgms.serving import HEADER_TIMEOUT_S, KEEP_ALIVE_S

    config = captured_server_config(monkeypatch, command, "--port", "8123", *serve_args(command, tmp_path))
    assert (config.host, config.port) == ("127.0.0.1", 8123)
    assert config.timeout_keep_alive == KEEP_ALIVE_S
    assert getattr(config.http, "header_timeout", None) == HEADER_TIMEOUT_S  # uvicorn's own waits forever
    # the "on http://..." line comes once uvicorn listens (run is stubbed here): the tests that
    # start the real command read it and connect at once


async def host_status(app, host: str) -> int:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8123") as c:
        return (await c.get("/mock/chats", headers={"host": host})).status_code


@pytest.mark.parametrize("command", ["mock-gms", "serve"])
async def test_the_host_name_and_allowed_hosts_reach_the_mock(command, tmp_path, monkeypatch):
    config = captured_server_config(monkeypatch, command, "--host", "chat.test", "--port", "8123",
                                    "--allowed-host", "shop.test", "--allowed-host", "Admin.Test",
                                    *serve_args(command, tmp_path))
    assert config.host == "chat.test"
    for host in ("chat.test:8123", "shop.test:8123", "admin.test", "127.0.0.1:8123", "localhost:8123"):
        assert await host_status(config.app, host) == 200, host
    assert await host_status(config.app, "rebind.test:8123") == 403


async def test_an_ip_host_is_not_added_to_the_allowed_hosts(monkeypatch):
    config = captured_server_config(monkeypatch, "mock-gms", "--host", "0.0.0.0")
    assert await host_status(config.app, "0.0.0.0:8001") == 200
    assert await host_status(config.app, "chat.test:8001") == 403


async def get(app, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8123") as c:
        return await c.get(path)


def bundle_and_own_pages(tmp_path: Path) -> tuple[list[str], Path]:
    """``serve`` arguments for a prebuilt bundle, and a folder of the user's pages beside it."""
    (tmp_path / "bundle").mkdir()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "page.html").write_text("mine")
    return serve_args("serve", tmp_path / "bundle"), mine


ISOLATION = {"cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp"}


async def test_serve_isolate_static_and_static_prefix_reach_the_served_app(tmp_path, monkeypatch):
    bundle_args, mine = bundle_and_own_pages(tmp_path)
    config = captured_server_config(monkeypatch, "serve", "--port", "8123", *bundle_args,
                                    "--isolate", "--static", str(mine), "--static-prefix", "/x")
    page = await get(config.app, "/x/page.html")
    assert (page.status_code, page.text) == (200, "mine")
    bundle = await get(config.app, "/cxkit/widgets.js")
    assert (bundle.status_code, bundle.text) == (200, "/* loader */")
    for response in (page, bundle):
        assert {name: response.headers.get(name) for name in ISOLATION} == ISOLATION
    assert (await get(config.app, "/site/page.html")).status_code == 404  # the prefix replaced /site


async def test_serve_without_isolate_sends_no_coop_coep_and_static_defaults_to_site(tmp_path, monkeypatch):
    bundle_args, mine = bundle_and_own_pages(tmp_path)
    config = captured_server_config(monkeypatch, "serve", "--port", "8123", *bundle_args,
                                    "--static", str(mine))
    page = await get(config.app, "/site/page.html")
    assert (page.status_code, page.text) == (200, "mine")
    bundle = await get(config.app, "/cxkit/widgets.js")
    assert bundle.status_code == 200
    for response in (page, bundle):
        assert not set(ISOLATION) & set(response.headers)


def test_mock_gms_on_a_host_name_answers_requests_naming_it():
    """For real: bound to this machine's name (when it resolves to loopback), the mock answers
    pages that use that name; ``--allowed-host`` adds another."""
    name = socket.gethostname()
    try:
        loopback = socket.gethostbyname(name).startswith("127.") and not name.endswith("localhost")
    except OSError:
        loopback = False
    if not loopback:
        pytest.skip(f"the host name {name!r} does not resolve to loopback here")
    port = free_port()
    proc = start("mock-gms", "--host", name, "--port", str(port), "--allowed-host", "shop.test")
    lines = wait_serving(proc)
    assert any(f"http://{name}:{port}/" in line for line in lines)
    base = f"http://127.0.0.1:{port}"
    for host in (name, "shop.test"):
        answer = httpx.get(base + "/mock/chats", headers={"host": f"{host}:{port}"})
        assert (answer.status_code, answer.json()) == (200, {"chats": []}), host
    assert httpx.get(base + "/mock/chats", headers={"host": f"rebind.test:{port}"}).status_code == 403
    assert interrupt(proc) == 0


@pytest.mark.parametrize("serving, checkout, test_pages, expected", [
    (True, None, False, "cache"),        # `cxkit serve` of an installed cxkit: a user cache folder per version
    (True, None, True, "test cache"),    # ... with --test-pages: its own (a plain serve beside it keeps its own)
    (False, None, False, "cwd"),         # `cxkit build` of an installed cxkit: ./build
    (True, "checkout", False, "checkout"),  # in a checkout: <checkout>/build
])
def test_where_the_bundle_goes_without_out(tmp_path: Path, monkeypatch, serving, checkout, test_pages, expected):
    """README: an installed cxkit serves from ``~/.cache/cxkit/bundle-<version>`` (``$XDG_CACHE_HOME``),
    with ``--test-pages`` from ``bundle-<version>-test-pages``: one folder served both ways was rebuilt
    under the other server (a plain serve answered the test pages, a test serve lost them)."""
    import argparse

    import cxkit.bundle
    import cxkit.checkout
    from cxkit.cli import _build

    built: list[tuple[object, Path]] = []
    monkeypatch.setattr(cxkit.bundle, "build_bundle", lambda root, out, **kw: built.append((root, out)))
    root = tmp_path / "repo" if checkout else None
    monkeypatch.setattr(cxkit.checkout, "find_checkout", lambda: root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    out = _build(argparse.Namespace(out=None, test_pages=test_pages), serving=serving)
    assert out.resolve() == {"cache": tmp_path / "cache" / "cxkit" / f"bundle-{cxkit.__version__}",
                             "test cache": tmp_path / "cache" / "cxkit" / f"bundle-{cxkit.__version__}-test-pages",
                             "cwd": tmp_path / "build", "checkout": tmp_path / "repo" / "build"}[expected]
    assert built == [(root, out)]


def test_serve_of_a_build_dir_without_a_bundle_is_an_error(tmp_path: Path, capsys):
    """``--build-dir`` names a prebuilt bundle: a folder without one said "demo page http://..." and
    then answered 404 for everything."""
    from cxkit.cli import main

    assert main(["serve", "--build-dir", str(tmp_path / "none"), "--port", "1"]) == 2
    assert capsys.readouterr().err == (f"cxkit: --build-dir {tmp_path / 'none'}: no widgets.js there; "
                                       f"build one with `cxkit build --out {tmp_path / 'none'}`\n")
