"""Which Chromium a Playwright suite launches, when Playwright has none of its own.

    >>> chromium_launch_args({}, browser_name="firefox", bundled_exists=False, env={})
    {}
    >>> args = chromium_launch_args({"headless": True}, browser_name="chromium", bundled_exists=True,
    ...                             env={"CHROMIUM_PATH": "/bin/sh"})   # any existing binary
    >>> args["executable_path"], args["headless"], "--no-sandbox" in args["args"]
    ('/bin/sh', True, True)

The rule, in order (a user who ran ``playwright install chromium`` sees no change):

1. not Chromium (``--browser firefox``), a ``channel`` or an ``executable_path`` already
   chosen: left alone;
2. ``CHROMIUM_PATH`` set: that binary (it must exist);
3. Playwright's own Chromium downloaded: left alone;
4. else the first of chromium, chromium-browser, google-chrome(-stable) on PATH
   (Debian's ``apt-get install chromium``), launched with flags that suit a container;
5. else ``ChromiumNotFound`` saying what to install.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["CHROMIUM_FLAGS", "CHROMIUM_NAMES", "ChromiumNotFound", "chromium_launch_args", "find_chromium",
           "playwright_has_chromium"]

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Flags for a distribution's Chromium in a container or CI (no sandbox as root, no GPU, no
#: background traffic that the offline guard would catch).
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
NOT_FOUND = (
    "no Chromium for Playwright: run `playwright install chromium`, or install your "
    "distribution's package (Debian: `apt-get install chromium`), or set CHROMIUM_PATH to a "
    "Chromium binary"
)


class ChromiumNotFound(RuntimeError):
    """Neither Playwright's Chromium nor a system one is there; the message says what to do.

        >>> chromium_launch_args({}, browser_name="chromium", bundled_exists=True, env={"CHROMIUM_PATH": "/no/chrome"})
        Traceback (most recent call last):
        cxkit.testing.chromium.ChromiumNotFound: CHROMIUM_PATH=/no/chrome does not exist; unset it or fix the path
    """


def find_chromium(env: Mapping[str, str] | None = None) -> str | None:
    """``CHROMIUM_PATH`` if set (and it exists), else the first Chromium on PATH.

        >>> find_chromium({"CHROMIUM_PATH": "/bin/sh"}), find_chromium({"PATH": ""})
        ('/bin/sh', None)
    """
    env = os.environ if env is None else env
    explicit = env.get("CHROMIUM_PATH")
    if explicit:
        return explicit if Path(explicit).exists() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name, path=env.get("PATH"))
        if found:
            return found
    return None


def playwright_has_chromium(executable_path: str) -> bool:
    """Whether Playwright downloaded its Chromium (or only the headless shell) for this path."""
    path = Path(executable_path)
    if path.exists():
        return True
    # <browsers>/chromium-1234/chrome-linux/chrome: look for a headless shell beside it
    registry = path.parents[2] if len(path.parents) > 2 else path.parent
    return any(registry.glob("chromium_headless_shell-*/*"))


def chromium_launch_args(
    base: Mapping[str, Any],
    *,
    browser_name: str | None,
    bundled_exists: bool,
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``base`` launch arguments, pointed at a system Chromium when the rule says so.

        >>> chromium_launch_args({"channel": "chrome"}, browser_name="chromium", bundled_exists=False, env={})
        {'channel': 'chrome'}
        >>> chromium_launch_args({"args": ["--lang=de"]}, browser_name=None, bundled_exists=False,
        ...                      env={"CHROMIUM_PATH": "/bin/sh"})["args"][:2]
        ['--lang=de', '--no-sandbox']
    """
    env = os.environ if env is None else env
    args = dict(base)
    if (browser_name or "chromium") != "chromium" or args.get("channel") or args.get("executable_path"):
        return args
    explicit = env.get("CHROMIUM_PATH")
    if not explicit and bundled_exists:
        return args
    exe = find_chromium(env)
    if exe is None:
        if explicit:
            raise ChromiumNotFound(f"CHROMIUM_PATH={explicit} does not exist; unset it or fix the path")
        raise ChromiumNotFound(NOT_FOUND)
    extra = [flag for flag in CHROMIUM_FLAGS if flag not in (args.get("args") or [])]
    return {**args, "executable_path": exe, "args": [*(args.get("args") or []), *extra]}
