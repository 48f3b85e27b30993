"""Helpers shared by the e2e tests (imported by name: pytest puts e2e/ on sys.path)."""

from __future__ import annotations

BOOT_TIMEOUT_MS = 60_000


def wait_booted(page, timeout: float = BOOT_TIMEOUT_MS) -> None:
    """Wait until Python is up and the JS face is attached (or fail with the boot error)."""
    page.wait_for_function(
        "() => window.__cxkit && (window.__cxkit.attached || window.__cxkit.failure)", timeout=timeout
    )
