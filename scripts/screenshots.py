"""Make the README's screenshots of the demo: docs/screenshots/{demo,agent-console,loading}.png.

    .venv/bin/python scripts/screenshots.py            # builds into a temp dir, writes the PNGs
    .venv/bin/python scripts/screenshots.py --out /tmp/shots --chromium /usr/bin/chromium

It serves the bundle with the mock GMS (echo agent) in this process, as ``cxkit serve`` does,
drives a short chat through the Python chat window in Chromium, then opens the agent console
on that chat. Offline: the browser may only reach 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from cxkit.bundle import build_bundle, project_root
from cxkit.mockgms import MockGMS
from cxkit.mockgms.config import MockConfig
from cxkit.server import create_app, run_in_thread

ROOT = project_root()
BOOT_TIMEOUT_MS = 90_000


def _chromium(explicit: str | None) -> str:
    path = explicit or os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        sys.exit(f"no Chromium at {path}: install Debian's chromium or pass --chromium")
    return path


def _offline(page: Page) -> None:
    def route(r) -> None:
        if r.request.url.startswith(("http://127.0.0.1", "data:", "blob:")):
            r.continue_()
        else:
            print(f"blocked a request that left the machine: {r.request.url}", file=sys.stderr)
            r.abort("blockedbyclient")

    page.route("**/*", route)


def loading(page: Page, url: str) -> None:
    """The boot indicator, caught mid-download on a throttled connection."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 20,
                                                  "downloadThroughput": 2_000_000, "uploadThroughput": 2_000_000})
    page.goto(url, wait_until="commit")
    page.wait_for_function("(b => b && parseFloat(b.textContent) > 0.1)(document.querySelector('.cx-bytes'))",
                           timeout=BOOT_TIMEOUT_MS)


def demo_chat(page: Page, url: str) -> None:
    """Start a chat as Ada, exchange a few lines with the echo agent, attach a file."""
    page.goto(url)
    page.wait_for_selector("body[data-chat=ready]", timeout=BOOT_TIMEOUT_MS)
    page.fill(".cx-nickname", "Ada")
    page.click(".cx-start-button")
    page.wait_for_selector(".cx-system:has-text('joined the chat'):not(:has-text('You'))", timeout=20_000)
    for line in ("Hi! My order #1042 has not arrived yet.", "It was due on Monday."):
        page.fill(".cx-input", line)
        page.keyboard.press("Enter")
        page.wait_for_selector(f".cx-agent .cx-text:text-is('{line}')", timeout=20_000)
    page.set_input_files(".cx-file", files=[{"name": "receipt.pdf", "mimeType": "application/pdf",
                                             "buffer": b"%PDF-1.4 demo receipt\n" * 300}])
    page.wait_for_selector(".cx-download", timeout=20_000)
    page.fill(".cx-input", "Here is the receipt.")
    page.keyboard.press("Enter")
    page.wait_for_selector(".cx-typing:not([hidden])", timeout=20_000)
    page.fill(".cx-input", "Thanks")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--bundle", type=Path, help="bundle folder to build into (default: a temp dir)")
    parser.add_argument("--chromium", help="Chromium binary (default: CHROMIUM_PATH or chromium on PATH)")
    args = parser.parse_args()

    bundle = args.bundle or Path(tempfile.mkdtemp(prefix="cxkit-shots-"))
    build_bundle(ROOT, bundle)
    args.out.mkdir(parents=True, exist_ok=True)
    # A slow typist, so the screenshot catches the agent typing indicator.
    mock = MockGMS(MockConfig(echo_join_delay=0.3, echo_typing_delay=2.0), agent="echo")
    with run_in_thread(create_app(bundle, mock=mock)) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(args.chromium),
                                     args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 820, "height": 900}, device_scale_factor=1)
            _offline(page)
            demo_chat(page, f"{url}/cxkit/")
            page.screenshot(path=str(args.out / "demo.png"), full_page=True)

            slow = browser.new_page(viewport={"width": 820, "height": 320})
            _offline(slow)
            loading(slow, f"{url}/cxkit/")
            slow.screenshot(path=str(args.out / "loading.png"))
            slow.close()

            console = browser.new_page(viewport={"width": 1100, "height": 700})
            _offline(console)
            console.goto(f"{url}/agent")
            console.click("#chats li", timeout=20_000)
            console.wait_for_selector("#transcript li", timeout=20_000)
            console.wait_for_timeout(500)
            console.screenshot(path=str(args.out / "agent-console.png"))
        finally:
            browser.close()
    for name in ("demo.png", "agent-console.png", "loading.png"):
        print(args.out / name)


if __name__ == "__main__":
    main()
