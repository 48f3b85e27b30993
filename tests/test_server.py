"""The static server: the bundle under /cxkit/, MIME types, cache headers, precompression, isolation,
path safety, redirects from the old root layout."""

from __future__ import annotations

import gzip
from pathlib import Path

import httpx
import pytest
from starlette.responses import JSONResponse

from cxkit.server import create_app


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


async def test_isolation_headers_only_when_asked(site):
    async with client(create_app(site)) as c:
        assert "cross-origin-embedder-policy" not in (await c.get("/cxkit/widgets.js")).headers
    async with client(create_app(site, isolate=True)) as c:
        r = await c.get("/cxkit/widgets.js")
        assert r.headers["cross-origin-opener-policy"] == "same-origin"
        assert r.headers["cross-origin-embedder-policy"] == "require-corp"


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
        assert (await c.get("/site/page.html")).text == "mine"
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
