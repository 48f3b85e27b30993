"""One local server for the bundle, the mock GMS and the agent console.

    >>> from cxkit.server import create_app
    >>> app = create_app("build", mock=MockGMS())    # doctest: +SKIP
    >>> with run_in_thread(app, port=8000) as url:   # doctest: +SKIP
    ...     print(url)
    http://127.0.0.1:8000

The bundle is served under ``/cxkit/`` (``/cxkit/widgets.js``, ``/cxkit/index.html`` the demo,
``/cxkit/e2e.html``), the one path pages embed; ``/`` redirects to the demo. Links to the old
root layout (``/widgets.js``, ``/e2e.html``, ``/pyodide/...``) get a temporary redirect to
``/cxkit/...``, so pages written for it keep working (one more round trip per file).

Static files get the right MIME types (.mjs, .wasm, .whl), long immutable cache headers
for the versioned runtime (``pyodide/<v>/``, ``pyscript/<v>/``, ``wheels/<hash>/``), a short
``max-age`` with ``stale-while-revalidate`` for ``widgets.js`` and ``no-cache`` for everything
else; precompressed ``.br``/``.gz`` twins are sent to browsers that accept them.
``isolate=True`` adds COOP/COEP (needed for PyScript worker mode). Bundle files carry
``Access-Control-Allow-Origin: *`` and ``Cross-Origin-Resource-Policy: cross-origin``, so pages on
other origins can load it (docs/serving.md).
Paths under ``/genesys``, ``/mock`` and ``/agent`` go to the mock GMS when one is given.

``run_in_thread`` (and ``cxkit serve``) start uvicorn through ``cxkit.mockgms.serving.uvicorn_config``
(keep-alive and request-header timeouts); the host name a server is started on is added to its
mock's Host allowlist (``MockConfig.allowed_hosts``), as ``MockGMS.running`` does.
"""

from __future__ import annotations

import contextlib
import mimetypes
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["BUNDLE_PREFIX", "MOCK_PREFIXES", "StaticBundle", "allow_host", "create_app", "run_in_thread"]

#: Where the bundle lives on every cxkit server: pages embed ``<script src="/cxkit/widgets.js">``.
BUNDLE_PREFIX = "/cxkit"
MOCK_PREFIXES = ("/genesys", "/mock", "/agent")
IMMUTABLE_DIRS = ("pyodide/", "pyscript/", "wheels/", "modules/")
#: The loader: used from the cache for 5 minutes without a request, then for a day more while a
#: background request refreshes it (no 304 round trip in front of the page's ``load`` event).
LOADER = "widgets.js"
LOADER_CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=86400"
MIME_TYPES = {
    ".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm",
    ".whl": "application/zip", ".zip": "application/zip", ".json": "application/json",
    ".html": "text/html; charset=utf-8", ".css": "text/css", ".png": "image/png",
    ".svg": "image/svg+xml",
}
ISOLATION_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
}
#: A page on another origin may load the bundle (a static host, another port): module scripts, the
#: worker's imports and Pyodide's fetches are CORS requests, and under the page's own
#: ``Cross-Origin-Embedder-Policy: require-corp`` its plain ``<script src>`` needs CORP. The bundle
#: is public and read without credentials, so any origin may.
BUNDLE_CORS_HEADERS = {"Access-Control-Allow-Origin": "*", "Cross-Origin-Resource-Policy": "cross-origin"}


def _accepted(request: Request) -> list[str]:
    """The twins' encodings the request accepts, by preference; ``;q=0`` refuses one."""
    names = set()
    for part in request.headers.get("accept-encoding", "").split(","):
        name, *params = part.split(";")
        weights = [p.strip()[2:] for p in params if p.strip().lower().startswith("q=")]
        try:
            refused = bool(weights) and float(weights[0]) <= 0
        except ValueError:
            refused = True  # a weight that is no number: not an encoding to count on
        if not refused:
            names.add(name.strip().lower())
    return [enc for enc, suffix in (("br", ".br"), ("gzip", ".gz")) if enc in names]


class StaticBundle:
    """ASGI app serving one folder (the built bundle or a user's static folder)."""

    def __init__(self, root: str | Path, *, isolate: bool = False, cors: bool = False) -> None:
        self.root = Path(root).resolve()
        self.isolate = isolate
        self.cors = cors

    def resolve(self, url_path: str) -> Path | None:
        rel = url_path.lstrip("/")
        path = (self.root / rel).resolve()
        if path != self.root and self.root not in path.parents:
            return None
        if path.is_dir():
            path = path / "index.html"
        return path if path.is_file() else None

    def response(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return PlainTextResponse("Method Not Allowed", status_code=405)
        path = self.resolve(request.url.path)
        if path is None:
            return PlainTextResponse("Not Found", status_code=404)
        rel = path.relative_to(self.root).as_posix()
        headers = {
            "Cache-Control": "public, max-age=31536000, immutable" if rel.startswith(IMMUTABLE_DIRS)
            else LOADER_CACHE_CONTROL if rel == LOADER else "no-cache",
            "Vary": "Accept-Encoding",
        }
        if self.isolate:
            headers.update(ISOLATION_HEADERS)
        if self.cors:
            headers.update(BUNDLE_CORS_HEADERS)
        media = MIME_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        for encoding in _accepted(request):
            twin = path.with_name(path.name + (".br" if encoding == "br" else ".gz"))
            if twin.is_file():
                headers["Content-Encoding"] = encoding
                return FileResponse(twin, media_type=media, headers=headers)
        return FileResponse(path, media_type=media, headers=headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        await self.response(Request(scope, receive))(scope, receive, send)


def create_app(
    build_dir: str | Path,
    *,
    mock: Any = None,
    isolate: bool = False,
    extra_static: Mapping[str, str | Path] | None = None,
) -> ASGIApp:
    """The ``cxkit serve`` app: the bundle at ``/cxkit/``, the mock GMS at its prefixes.

    ``extra_static`` maps a URL prefix (e.g. ``/site``) to a folder of the user's pages.
    """
    bundle = StaticBundle(build_dir, isolate=isolate, cors=True)
    mounts = sorted(
        ((prefix.rstrip("/"), StaticBundle(folder, isolate=isolate))
         for prefix, folder in (extra_static or {}).items()),
        key=lambda item: -len(item[0]),
    )
    mock_app = getattr(mock, "app", mock)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            if mock_app is not None:
                await mock_app(scope, receive, send)
                return
            message = await receive()
            while message["type"] != "lifespan.shutdown":
                await send({"type": message["type"] + ".complete"})
                message = await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        path = scope.get("path", "")
        if mock_app is not None and path.startswith(MOCK_PREFIXES):
            await mock_app(scope, receive, send)
            return
        for prefix, static in mounts:
            if path == prefix or path.startswith(prefix + "/"):
                inner = dict(scope, path=path[len(prefix):] or "/")
                await static(inner, receive, send)
                return
        if scope["type"] != "http":
            return
        if path.startswith(BUNDLE_PREFIX + "/"):
            await bundle(dict(scope, path=path[len(BUNDLE_PREFIX):]), receive, send)
            return
        if path in ("/", BUNDLE_PREFIX) or bundle.resolve(path) is not None:
            # the demo, and links written for the old root layout (/widgets.js, /e2e.html)
            query = scope.get("query_string", b"").decode("latin-1")
            target = BUNDLE_PREFIX + ("/" if path == BUNDLE_PREFIX else path) + (f"?{query}" if query else "")
            await RedirectResponse(target, status_code=307)(scope, receive, send)
            return
        await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)

    app.mock = mock  # type: ignore[attr-defined]  # run_in_thread allows its host name on it
    return app


def allow_host(mock: Any, host: str) -> None:
    """Add ``host`` to the mock's Host allowlist unless the check already lets it through
    (IP literals, localhost): a server started on a name is reached by that name."""
    from cxkit.mockgms.hosts import host_allowed

    config = getattr(mock, "config", None)
    if config is not None and not host_allowed(host, config.allowed_hosts):
        config.allowed_hosts = (*config.allowed_hosts, host)


@contextlib.contextmanager
def run_in_thread(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a daemon thread; yields its base URL (no trailing slash).

        >>> with run_in_thread(create_app("build")) as url:   # doctest: +SKIP
        ...     print(url)
        http://127.0.0.1:43127
    """
    from cxkit.mockgms.serving import HEADER_TIMEOUT_S, uvicorn_config
    from cxkit.mockgms.threaded import serve_in_thread

    mock = getattr(app, "mock", None)
    allow_host(mock, host)
    header_timeout = getattr(getattr(mock, "config", None), "header_timeout_seconds", HEADER_TIMEOUT_S)
    config = uvicorn_config(app, lifespan="auto", header_timeout=header_timeout)
    with serve_in_thread(config, host, port, name="cxkit-server") as (bound_host, bound_port):
        yield f"http://{bound_host}:{bound_port}"
