"""The static server: the bundle under /cxkit/, MIME types, cache headers, precompression, isolation,
path safety, redirects from the old root layout; the headers docs/serving.md promises, from cxkit
serve and from its nginx and Caddy snippets (when those servers are installed)."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from starlette.responses import JSONResponse

from cxkit.server import IMMUTABLE_DIRS, LOADER_CACHE_CONTROL, create_app


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "pyodide" / "1.0").mkdir(parents=True)
    wasm = b"\0asm" + b"x" * 20000
    (tmp_path / "pyodide" / "1.0" / "pyodide.asm.wasm").write_bytes(wasm)
    (tmp_path / "pyodide" / "1.0" / "pyodide.asm.wasm.gz").write_bytes(gzip.compress(wasm))
    (tmp_path / "pyodide" / "1.0" / "pyodide.mjs").write_text("export {}")
    (tmp_path / "wheels").mkdir()
    (tmp_path / "wheels" / "a.whl").write_bytes(b"PK")
    (tmp_path / "widgets.js").write_text("/* loader */")
    (tmp_path / "index.html").write_text("<!doctype html>")
    return tmp_path


def client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def test_mime_types_and_cache_headers(site):
    async with client(create_app(site)) as c:
        r = await c.get("/cxkit/pyodide/1.0/pyodide.mjs")
        assert r.headers["content-type"].startswith("text/javascript")
        assert "immutable" in r.headers["cache-control"]
        r = await c.get("/cxkit/wheels/a.whl")
        assert r.headers["content-type"] == "application/zip"
        r = await c.get("/cxkit/widgets.js")
        assert r.headers["cache-control"] == "public, max-age=300, stale-while-revalidate=86400"
        r = await c.get("/cxkit/index.html")
        assert r.headers["cache-control"] == "no-cache"
        r = await c.get("/cxkit/")
        assert r.text == "<!doctype html>" and r.headers["content-type"].startswith("text/html")


async def test_precompressed_twin_is_sent_when_accepted(site):
    async with client(create_app(site)) as c:
        r = await c.get("/cxkit/pyodide/1.0/pyodide.asm.wasm", headers={"accept-encoding": "gzip"})
        assert r.headers["content-encoding"] == "gzip"
        assert r.headers["content-type"] == "application/wasm"
        assert r.content.startswith(b"\0asm") and len(r.content) == 20004
        r = await c.get("/cxkit/pyodide/1.0/pyodide.asm.wasm", headers={"accept-encoding": "identity"})
        assert "content-encoding" not in r.headers and len(r.content) == 20004
        for refused in ("gzip;q=0", "gzip; q=0.0, identity", "GZIP;Q=0"):  # a weight of 0 refuses it
            r = await c.get("/cxkit/pyodide/1.0/pyodide.asm.wasm", headers={"accept-encoding": refused})
            assert "content-encoding" not in r.headers, refused
        r = await c.get("/cxkit/pyodide/1.0/pyodide.asm.wasm", headers={"accept-encoding": "gzip;q=0.5"})
        assert r.headers["content-encoding"] == "gzip"


async def test_isolation_headers_only_when_asked(site):
    async with client(create_app(site)) as c:
        assert "cross-origin-embedder-policy" not in (await c.get("/cxkit/widgets.js")).headers
    async with client(create_app(site, isolate=True)) as c:
        r = await c.get("/cxkit/widgets.js")
        assert r.headers["cross-origin-opener-policy"] == "same-origin"
        assert r.headers["cross-origin-embedder-policy"] == "require-corp"
        assert r.headers["cross-origin-resource-policy"] == "cross-origin"  # the bundle, for any page


async def test_paths_cannot_escape_the_bundle(site):
    (site.parent / "secret.txt").write_text("no")
    async with client(create_app(site)) as c:
        for path in ("/cxkit/../secret.txt", "/cxkit/%2e%2e/secret.txt", "/../secret.txt", "/%2e%2e/secret.txt",
                     "/cxkit/missing.js", "/missing.js"):
            assert (await c.get(path)).status_code == 404, path
        assert (await c.post("/cxkit/widgets.js")).status_code == 405


async def test_mock_prefixes_go_to_the_mock_and_extra_static_is_mounted(site, tmp_path_factory):
    seen = []

    async def mock(scope, receive, send):
        seen.append(scope["path"])
        await JSONResponse({"mock": True})(scope, receive, send)

    mine = tmp_path_factory.mktemp("mine")
    (mine / "page.html").write_text("mine")
    async with client(create_app(site, mock=mock, extra_static={"/site": mine})) as c:
        assert (await c.post("/genesys/2/chat/x")).json() == {"mock": True}
        assert (await c.get("/mock/chats")).json() == {"mock": True}
        mine_page = await c.get("/site/page.html")
        assert mine_page.text == "mine"
        assert "access-control-allow-origin" not in mine_page.headers  # only the bundle is for any origin
        assert (await c.get("/cxkit/widgets.js")).text == "/* loader */"
    assert seen == ["/genesys/2/chat/x", "/mock/chats"]


async def test_the_root_and_old_root_paths_redirect_under_cxkit(site):
    async with client(create_app(site)) as c:
        for path, target in (("/", "/cxkit/"), ("/cxkit", "/cxkit/"), ("/widgets.js", "/cxkit/widgets.js"),
                             ("/pyodide/1.0/pyodide.mjs?v=1", "/cxkit/pyodide/1.0/pyodide.mjs?v=1")):
            r = await c.get(path)
            assert (r.status_code, r.headers["location"]) == (307, target), path
        r = await c.get("/widgets.js", follow_redirects=True)
        assert r.text == "/* loader */" and str(r.url).endswith("/cxkit/widgets.js")


# -- docs/serving.md: the headers it promises, from cxkit serve, nginx and Caddy ------------------



SERVING_DOC = Path(__file__).resolve().parents[1] / "docs" / "serving.md"
#: suffix -> the Content-Type docs/serving.md promises (before any "; charset=...")
PROMISED_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm",
                  ".json": "application/json", ".whl": "application/zip", ".zip": "application/zip",
                  ".html": "text/html", ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}


def doc_block(language: str) -> str:
    return re.search(rf"```{language}\n(.*?)```", SERVING_DOC.read_text(), re.S).group(1)


@pytest.fixture
def www(tmp_path: Path) -> Path:
    """A web root with a bundle at cxkit/: one file per content type, versioned dirs, twins."""
    bundle = tmp_path / "www" / "cxkit"
    files = {"widgets.js": b"/* loader */", "index.html": b"<!doctype html>", "manifest.json": b"{}",
             "static/chat.css": b"body{}", "static/mark.svg": b"<svg/>", "static/mark.png": b"\x89PNG"}
    for folder in IMMUTABLE_DIRS:
        files[f"{folder}1.0/a.mjs"] = b"export {}"
    files["pyodide/1.0/pyodide.asm.wasm"] = b"\0asm" + b"x" * 20000
    files["pyodide/1.0/python_stdlib.zip"] = b"PK" + b"z" * 100
    files["wheels/1.0/cxkit-0.1.0-py3-none-any.whl"] = b"PK"
    for rel, data in files.items():
        (bundle / rel).parent.mkdir(parents=True, exist_ok=True)
        (bundle / rel).write_bytes(data)
    wasm = bundle / "pyodide/1.0/pyodide.asm.wasm"
    (wasm.parent / (wasm.name + ".gz")).write_bytes(gzip.compress(wasm.read_bytes()))
    import brotli

    (wasm.parent / (wasm.name + ".br")).write_bytes(brotli.compress(wasm.read_bytes()))
    return tmp_path / "www"


def check_promised_headers(get, www: Path, *, brotli: bool) -> None:
    """``get(path, accept_encoding) -> (status, headers)`` answers as docs/serving.md says."""
    bundle = www / "cxkit"
    for path in sorted(p for p in bundle.rglob("*") if p.is_file() and p.suffix in PROMISED_TYPES):
        rel = path.relative_to(bundle).as_posix()
        status, headers = get(f"/cxkit/{rel}", "identity")
        assert status == 200, rel
        assert headers["content-type"].split(";")[0] == PROMISED_TYPES[path.suffix], (rel, headers)
        immutable = rel.startswith(IMMUTABLE_DIRS)
        want = ("public, max-age=31536000, immutable" if immutable
                else LOADER_CACHE_CONTROL if rel == "widgets.js" else "no-cache")
        assert headers.get("cache-control") == want, (rel, headers)
        assert headers.get("access-control-allow-origin") == "*", (rel, headers)  # a page on another origin
        assert headers.get("cross-origin-resource-policy") == "cross-origin", (rel, headers)
        assert "content-encoding" not in headers, rel
    wasm = "/cxkit/pyodide/1.0/pyodide.asm.wasm"
    for accept, encoding in (("gzip", "gzip"), *((("br, gzip", "br"),) if brotli else ())):
        status, headers = get(wasm, accept)
        assert (status, headers.get("content-encoding")) == (200, encoding), headers
        assert headers["content-type"] == "application/wasm"
        assert "accept-encoding" in headers.get("vary", "").lower()
        assert headers["cache-control"] == "public, max-age=31536000, immutable"
        assert headers.get("access-control-allow-origin") == "*"


def http_get(base: str):
    def get(path: str, accept: str):
        r = httpx.get(base + path, headers={"accept-encoding": accept})
        return r.status_code, {k.lower(): v for k, v in r.headers.items()}
    return get


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_listening(proc: subprocess.Popen, port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stdout.read() if proc.stdout else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)  # polling for the listening socket, not waiting out a race
    raise AssertionError(f"nothing listens on {port}")


def test_cxkit_serve_sends_what_serving_md_promises(www: Path) -> None:
    from cxkit.server import run_in_thread

    with run_in_thread(create_app(www / "cxkit")) as url:
        check_promised_headers(http_get(url), www, brotli=True)


@pytest.mark.skipif(not shutil.which("nginx"), reason="nginx is not installed (apt-get install nginx)")
def test_the_nginx_snippet_of_serving_md(www: Path, tmp_path: Path) -> None:
    port = free_port()
    snippet = doc_block("nginx").replace("/srv/www", str(www))
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"""pid {tmp_path}/nginx.pid;
error_log stderr;
events {{}}
http {{
    access_log off;
    server {{
        listen 127.0.0.1:{port};
{snippet}
    }}
}}
""")
    proc = subprocess.Popen(["nginx", "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off; master_process off;"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_listening(proc, port)
        check_promised_headers(http_get(f"http://127.0.0.1:{port}"), www, brotli=False)  # brotli: a module
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.skipif(not shutil.which("caddy"), reason="Caddy is not installed (apt-get install caddy)")
def test_the_caddy_snippet_of_serving_md(www: Path, tmp_path: Path) -> None:
    port = free_port()
    site = doc_block("caddyfile").replace("/srv/www", str(www)).replace(":8080 {", f"http://127.0.0.1:{port} {{")
    config = tmp_path / "Caddyfile"
    config.write_text("{\n\tadmin off\n\tauto_https off\n}\n" + site)
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    proc = subprocess.Popen(["caddy", "run", "--config", str(config), "--adapter", "caddyfile"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        wait_listening(proc, port)
        check_promised_headers(http_get(f"http://127.0.0.1:{port}"), www, brotli=True)
    finally:
        proc.terminate()
        proc.wait(10)


# -- how the server is started: the mock's timeouts, and the host name it is started on -----------

def loopback_name() -> str:
    """A host name of this machine that resolves to loopback and that the mock's Host check would
    refuse (not localhost); skips the test where there is none."""
    name = socket.gethostname()
    try:
        address = socket.gethostbyname(name)
    except OSError:
        address = ""
    if not address.startswith("127.") or name == "localhost" or name.endswith(".localhost"):
        pytest.skip(f"the host name {name!r} does not resolve to loopback here")
    return name


async def test_allow_host_adds_a_name_the_host_check_would_refuse(site):
    from cxkit.mockgms import MockConfig, MockGMS
    from cxkit.server import allow_host

    mock = MockGMS(MockConfig(allowed_hosts=("a.test",)), agent="silent")
    app = create_app(site, mock=mock)
    assert app.mock is mock
    async with client(app) as c:
        assert (await c.get("/mock/chats", headers={"host": "chat.test:8000"})).status_code == 403
        allow_host(mock, "chat.test")
        for ip_or_known in ("127.0.0.1", "::1", "localhost", "a.test", "CHAT.test"):
            allow_host(mock, ip_or_known)
        assert mock.config.allowed_hosts == ("a.test", "chat.test")
        assert (await c.get("/mock/chats", headers={"host": "chat.test:8000"})).status_code == 200
        assert (await c.get("/mock/chats", headers={"host": "evil.test:8000"})).status_code == 403
    allow_host(None, "chat.test")  # a server without a mock: nothing to allow


def test_run_in_thread_closes_a_connection_that_sends_no_headers(site):
    """uvicorn waits for request headers forever; the mock's uvicorn_config closes the connection
    after its header timeout (here 0.3 s, the mock's ``header_timeout_seconds``)."""
    from cxkit.mockgms import MockConfig, MockGMS
    from cxkit.server import run_in_thread

    mock = MockGMS(MockConfig(header_timeout_seconds=0.3), agent="silent")
    with run_in_thread(create_app(site, mock=mock)) as url:
        host, port = url.rsplit("/", 1)[1].split(":")
        with socket.create_connection((host, int(port)), timeout=10) as idle:
            opened = time.monotonic()
            assert idle.recv(1) == b""  # closed by the server, not by our 10 s timeout
            assert time.monotonic() - opened < 5
        assert httpx.get(url + "/mock/chats").json() == {"chats": []}  # the server goes on


def test_run_in_thread_on_a_host_name_lets_requests_naming_it_reach_the_mock(site):
    from cxkit.mockgms import MockGMS
    from cxkit.server import run_in_thread

    name = loopback_name()
    mock = MockGMS(agent="silent")
    with run_in_thread(create_app(site, mock=mock), host=name) as url:
        port = url.rsplit(":", 1)[1]
        named = httpx.get(f"http://127.0.0.1:{port}/mock/chats", headers={"host": f"{name}:{port}"})
        assert (named.status_code, named.json()) == (200, {"chats": []})
        other = httpx.get(f"http://127.0.0.1:{port}/mock/chats", headers={"host": f"rebind.test:{port}"})
        assert other.status_code == 403
