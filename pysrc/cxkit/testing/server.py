"""One local server for a test session: the bundle, the mock GMS and the user's own pages.

    >>> from cxkit.testing.server import serve
    >>> with serve("build", mock_args={"agent": "echo"}) as server:     # doctest: +SKIP
    ...     print(server.url)     # the bundle at /cxkit/, the mock at /genesys, /mock and /agent
    ...     server.reset()        # cheap: forget chats, faults and the request log
    http://127.0.0.1:40117

``serve`` is what the pytest plugin's session fixture runs; use it directly in scripts.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cxkit
from cxkit.bundle import BuildError, build_bundle, user_cache_dir
from cxkit.checkout import find_checkout
from cxkit.mockgms import MockConfig, MockGMS
from cxkit.server import create_app, run_in_thread

from .lock import FileLock

__all__ = ["CxkitServer", "LOCK_NAME", "default_bundle_dir", "make_mock", "resolve_bundle", "serve"]

#: In the bundle folder: held while a test run builds into it; names the run that built last.
LOCK_NAME = ".cxkit-build.lock"


@dataclass
class CxkitServer:
    """A running server: ``url`` (no trailing slash), the in-process ``mock``, what it serves.

        >>> server = CxkitServer("http://127.0.0.1:8000", MockGMS(), Path("build"))
        >>> server.data_url
        'http://127.0.0.1:8000/genesys/2/chat/customer-support'
    """

    url: str
    mock: MockGMS
    bundle_dir: Path
    static: dict[str, Path] = field(default_factory=dict)

    def reset(self) -> None:
        """Forget every chat, fault and logged request (in-process, no HTTP round trip)."""
        self.mock.reset()

    @property
    def data_url(self) -> str:
        """The ``webchat.dataURL`` of the mock's default chat service."""
        return f"{self.url}/genesys/2/chat/customer-support"


def make_mock(mock_args: Mapping[str, Any]) -> MockGMS:
    """A MockGMS from ``{"agent": preset, **MockConfig fields}``.

    >>> make_mock({"agent": "echo", "echo_join_delay": 0}).config.echo_join_delay
    0
    """
    args = dict(mock_args)
    agent = args.pop("agent", "silent")
    if "cors_allow_origins" in args:
        args["cors_allow_origins"] = tuple(args["cors_allow_origins"])
    return MockGMS(MockConfig(**args), agent=agent)


@contextlib.contextmanager
def serve(
    bundle_dir: str | Path,
    *,
    mock_args: Mapping[str, Any] | None = None,
    server_args: Mapping[str, Any] | None = None,
) -> Iterator[CxkitServer]:
    """Serve the bundle, a mock GMS and ``server_args["extra_static"]`` in a daemon thread.

    ``server_args``: ``host`` (127.0.0.1), ``port`` (0 = a free one), ``isolate`` (COOP/COEP),
    ``extra_static`` (``{"/site": folder}``).

        >>> import httpx, tempfile
        >>> with tempfile.TemporaryDirectory() as bundle, serve(bundle, mock_args={"agent": "silent"}) as server:
        ...     httpx.get(server.url + "/mock/chats").json()
        {'chats': []}
    """
    options = {"host": "127.0.0.1", "port": 0, "isolate": False, "extra_static": {}, **(server_args or {})}
    static = {str(prefix): Path(folder) for prefix, folder in (options["extra_static"] or {}).items()}
    mock = make_mock(mock_args or {})
    app = create_app(bundle_dir, mock=mock, isolate=options["isolate"], extra_static=static)
    with run_in_thread(app, host=options["host"], port=options["port"]) as url:
        yield CxkitServer(url=url, mock=mock, bundle_dir=Path(bundle_dir), static=static)


def default_bundle_dir(checkout: Path | None) -> Path:
    """Where the plugin builds the bundle without ``--cxkit-bundle``: ``$CXKIT_BUNDLE``, else
    ``<checkout>/build`` in a checkout, else a user cache folder (``~/.cache/cxkit/test-bundle-<version>``).

        >>> default_bundle_dir(Path("/src/cxkit")) == Path(os.environ.get("CXKIT_BUNDLE") or "/src/cxkit/build")
        True
    """
    if os.environ.get("CXKIT_BUNDLE"):
        return Path(os.environ["CXKIT_BUNDLE"])
    return checkout / "build" if checkout else user_cache_dir(f"test-bundle-{cxkit.__version__}")


def resolve_bundle(option: str | None, *, run_id: str | None = None) -> Path:
    """The bundle folder to serve.

    ``option`` (``--cxkit-bundle``) names a bundle that is served as it is. Without it the
    bundle, test pages included, is (re)built into `default_bundle_dir`: from the checkout cxkit
    runs from, else from the assets installed with cxkit (no Node needed). A build with nothing
    changed only re-checks file stamps. Builds into one folder take turns (a file lock,
    ``<bundle>/.cxkit-build.lock``), and of the processes that share a ``run_id`` (the
    pytest-xdist workers of one run) only the first builds.

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as bundle:
        ...     _ = (Path(bundle) / "widgets.js").write_text("")
        ...     resolve_bundle(bundle) == Path(bundle).resolve()   # served as it is: no build
        True
    """
    if option:
        folder = Path(option).expanduser().resolve()
        if not (folder / "widgets.js").is_file():
            raise BuildError(f"--cxkit-bundle {option}: no widgets.js there; build one with `cxkit build --test-pages`")
        return folder
    checkout = find_checkout()
    out = default_bundle_dir(checkout)
    with FileLock(out / LOCK_NAME) as lock:
        if run_id is None or lock.note() != run_id:
            build_bundle(checkout, out, test_pages=True)
            lock.write_note(run_id or "")
    return out
