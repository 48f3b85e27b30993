"""Chat pages that cannot boot fail within seconds, naming the URL and the HTTP status.

Without this, a wrong ``<script src>`` or a missing page cost the whole boot timeout (60 s) and
ended with a guess ("does the page include widgets.js?").
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cxkit.server import create_app, run_in_thread
from cxkit.testing import ChatPageOpener, CxkitBootError

FAST_S = 15.0  # not a speed claim: these fail at once, where a wait for the boot would take its 60 s timeout
PAGE = """<!doctype html><meta charset="utf-8"><title>shop</title>
<script>window._genesys = {widgets: {webchat: {dataURL: "/genesys/2/chat/shop"}}};</script>
<script src="%s"></script>"""


@pytest.fixture
def site(tmp_path: Path, bundle_dir: Path) -> Iterator[str]:
    """The real bundle at /cxkit/, pages at /t/, a bundle without test pages at /bare/cxkit/."""
    pages = tmp_path / "pages"
    (pages / "html").mkdir(parents=True)
    (pages / "missing-loader.html").write_text(PAGE % "/cxkit/missing/widgets.js")
    (pages / "no-loader.html").write_text(PAGE.split("<script src")[0])
    (pages / "html-loader.html").write_text(PAGE % "/t/html/widgets.js")
    (pages / "html" / "widgets.js").write_text("<!doctype html><p>a dev server's fallback page</p>")
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "widgets.js").write_text("/* a bundle built without --test-pages */")
    app = create_app(bundle_dir, extra_static={"/t": pages, "/bare/cxkit": bare})
    with run_in_thread(app) as url:
        yield url


def fails_fast(page: Any, base: str, path: str | None = None) -> tuple[str, float]:
    started = time.monotonic()
    with pytest.raises(CxkitBootError) as info:
        ChatPageOpener(page, base).open(path)
    return str(info.value), time.monotonic() - started


def test_a_loader_that_answers_404(page: Any, site: str) -> None:
    message, took = fails_fast(page, site, "/t/missing-loader.html")
    assert message == (f"{site}/t/missing-loader.html: the loader {site}/cxkit/missing/widgets.js did not load: "
                       "HTTP 404 Not Found")
    assert took < FAST_S, took


def test_a_page_without_the_loader_says_so_soon_after_its_load_event(page: Any, site: str) -> None:
    """A page that never includes widgets.js cost the whole boot timeout (60 s); it is named 10 s
    after its load event (a tag manager may add the loader a little after it)."""
    message, _took = fails_fast(page, site, "/t/no-loader.html")
    assert message == f"{site}/t/no-loader.html: the loader never ran: no widgets.js on the page 10 s after its load event"


def test_a_loader_that_is_not_javascript(page: Any, site: str) -> None:
    message, took = fails_fast(page, site, "/t/html-loader.html")
    assert message.startswith(f"{site}/t/html-loader.html: the loader {site}/t/html/widgets.js did not load: ")
    assert "SyntaxError" in message and took < FAST_S, (message, took)


def test_a_page_that_does_not_exist(page: Any, site: str) -> None:
    message, took = fails_fast(page, site, "/t/no-such-page.html")
    assert message == f"{site}/t/no-such-page.html: HTTP 404 Not Found"
    assert took < FAST_S, took


def test_the_test_page_of_a_bundle_built_without_test_pages(page: Any, site: str) -> None:
    message, took = fails_fast(page, site + "/bare")   # the default page, /cxkit/e2e.html
    assert message.startswith(f"{site}/bare/cxkit/e2e.html: HTTP 404 Not Found (e2e.html is one of the bundle's "
                              "test pages: a bundle built with `cxkit build` without `--test-pages` has none)")
    assert took < FAST_S, took
