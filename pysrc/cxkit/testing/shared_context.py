"""One browser context per test session (per xdist worker) for chat pages, reset between tests.

    def test_one(chat_page): ...     # the page of this session's shared context
    def test_two(chat_page): ...     # the same context, as new: no cookie or storage is left

Booting Pyodide is most of a chat page's cost. In one context the browser keeps what it has
downloaded and compiled, and the loader's memory snapshot (``_genesys.widgets.cxkit.snapshot``,
kept in Cache Storage) lets every boot after the first start from Python's memory with our
modules imported. Isolation is kept: before each test every page is closed, and cookies and
every kind of site storage (local, IndexedDB, service workers, file systems, Cache Storage except
the loader's own ``cxkit`` cache of an origin a page still shows) are cleared for every origin the
context has seen; session storage goes with the pages.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

__all__ = ["SharedContext", "SNAPSHOT_CACHE"]

#: The Cache Storage cache the loader keeps its memory snapshot in (web/worker.mjs).
SNAPSHOT_CACHE = "cxkit"
STORAGE_TYPES = "cookies,local_storage,indexeddb,websql,file_systems,service_workers,shader_cache,storage_buckets"


class SharedContext:
    """A Playwright context reused by the tests of one session, reset to new before each."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.blocked = False  # made with the offline guard's BLOCKING_PROXY
        self.origins: set[str] = set()
        self.spare: Any = None  # the blank page the last reset cleared storage through
        context.on("request", self._note)

    def new_page(self) -> Any:
        """A blank page of the context: the one the last reset left, else a new one (opening a
        page costs ~0.1 s, a tenth of a test's budget)."""
        page, self.spare = self.spare, None
        return page if page is not None and not page.is_closed() else self.context.new_page()

    def _note(self, request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https"):
            self.origins.add(f"{parts.scheme}://{parts.netloc}")

    def reset(self) -> None:
        """Close every page; clear cookies and storage of every origin seen (not the HTTP cache
        nor the loader's snapshot). The blank page storage is cleared through stays open for
        `new_page`: it never loaded anything, so it holds no session storage."""
        shown = set()  # origins whose Cache Storage a page of theirs reached (keeping the snapshot)
        for page in list(self.context.pages):
            if page is not self.spare:
                shown.add(self._clear_caches(page))  # Cache Storage is reached through a page of its origin
                page.close()
        self.context.clear_cookies()
        self.context.clear_permissions()
        if not self.origins:
            return
        scratch = self.new_page()
        try:
            cdp = self.context.new_cdp_session(scratch)
            for origin in sorted(self.origins):
                # an origin no page shows now (the test navigated away): its caches go whole
                kinds = STORAGE_TYPES if origin in shown else STORAGE_TYPES + ",cache_storage"
                cdp.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": kinds})
            cdp.detach()
        except Exception:
            scratch.close()
            raise
        self.spare = scratch

    def _clear_caches(self, page: Any) -> str:
        """Cache Storage of the page's origin but the loader's snapshot; returns the origin."""
        parts = urlsplit(page.url)
        if parts.scheme not in ("http", "https"):
            return ""
        cdp = self.context.new_cdp_session(page)
        try:
            origin = f"{parts.scheme}://{parts.netloc}"
            for cache in cdp.send("CacheStorage.requestCacheNames", {"securityOrigin": origin}).get("caches", []):
                if cache["cacheName"] != SNAPSHOT_CACHE:
                    cdp.send("CacheStorage.deleteCache", {"cacheId": cache["cacheId"]})
        finally:
            cdp.detach()
        return origin
