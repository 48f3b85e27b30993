"""Boot time: a page with cxkit versus a bare page that only boots the same Pyodide.

    .venv/bin/python bench/boot.py           # prints a table, writes bench/results/boot.json

One run, both pages alternating, from the same server: ``/e2e.html`` (the loader, PyScript,
our wheel; measured at ``App.ready``, i.e. the ``onReady`` callback, and at the moment the JS
face is attached) against ``/bare/bare.html``, which does ``loadPyodide()`` from the bundled
Pyodide and runs one Python statement. Times are ``performance.now()`` in the page (ms since
navigation start). Cold: each load in a fresh browser context (empty cache). Warm: one
persistent context (``launch_persistent_context``, on-disk HTTP cache), one priming load of
each page, then the measured loads. Budget (DESIGN.md): cxkit / bare <= 1.15, cold and warm.
No ``context.route`` (it disables the HTTP cache); a request listener records anything that
leaves 127.0.0.1 and the run fails if something did.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

from cxkit.bundle import build_bundle, project_root
from cxkit.server import create_app, run_in_thread

N = int(os.environ.get("BOOT_BENCH_N", "7"))
BUDGET = 1.15
RESULTS = Path(__file__).parent / "results" / "boot.json"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]

BARE_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>bare Pyodide</title>
<script type="module">
  import { loadPyodide } from "/cxkit/%(pyodide)s";
  const pyodide = await loadPyodide({ indexURL: "/cxkit/%(pyodide_dir)s/" });
  pyodide.runPython("import sys; sys.version");
  window.benchReady = performance.now();
</script></head><body><p>bare Pyodide</p></body></html>
"""

CXKIT_INIT = """
window.cxkitTestConfig = (widgets) => {
  widgets.onReady = () => { window.benchReady = performance.now(); };
};
window.cxkitTestEarly = () => {
  CXBus.registerPlugin('BootBench').subscribe('WebChatService.ready', () => { window.benchService = performance.now(); });
};
"""

COLLECT_JS = """() => ({
  ready: window.benchReady,
  service: window.benchService || null,
  attached: window.__cxkit ? window.__cxkit.attachedAt || null : null,
  bytes: performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))
           .reduce((n, e) => n + (e.transferSize || 0), 0),
})"""


def find_chromium() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        sys.exit("no Chromium found: apt-get install chromium, or set CHROMIUM_PATH")
    return path


def load(context, url: str, outside: list[str]) -> dict:
    page = context.new_page()
    page.on("request", lambda r: None if urlsplit(r.url).hostname in ("127.0.0.1", "localhost") else outside.append(r.url))
    if url.endswith("/e2e.html"):
        page.add_init_script(CXKIT_INIT)
    page.goto(url)
    page.wait_for_function("() => window.benchReady !== undefined || (window.__cxkit && window.__cxkit.failure)",
                           timeout=120_000)
    sample = page.evaluate(COLLECT_JS)
    if sample["ready"] is None:
        sys.exit(f"cxkit failed to boot: {page.evaluate('window.__cxkit.failure')}")
    page.close()
    return sample


def measure(contexts, urls: dict[str, str], n: int, outside: list[str]) -> dict[str, list[dict]]:
    """n loads of each page, alternating which goes first; ``contexts()`` gives the context for one load."""
    samples: dict[str, list[dict]] = {kind: [] for kind in urls}
    kinds = list(urls)
    for i in range(n):
        for kind in kinds if i % 2 == 0 else kinds[::-1]:
            with contexts() as context:
                samples[kind].append(load(context, urls[kind], outside))
    return samples


def summary(samples: dict[str, list[dict]]) -> dict:
    cx = [s["ready"] for s in samples["cxkit"]]
    bare = [s["ready"] for s in samples["bare"]]
    out = {
        "cxkit_app_ready_ms": [round(v, 1) for v in cx],
        "bare_ms": [round(v, 1) for v in bare],
        "cxkit_median_ms": round(statistics.median(cx), 1),
        "bare_median_ms": round(statistics.median(bare), 1),
        "cxkit_bytes_median": statistics.median(s["bytes"] for s in samples["cxkit"]),
        "bare_bytes_median": statistics.median(s["bytes"] for s in samples["bare"]),
    }
    out["ratio"] = round(out["cxkit_median_ms"] / out["bare_median_ms"], 3)
    attached = [s["attached"] for s in samples["cxkit"] if s["attached"] is not None]
    if attached:
        out["cxkit_attached_median_ms"] = round(statistics.median(attached), 1)
    service = [s["service"] for s in samples["cxkit"] if s["service"] is not None]
    if service:
        out["cxkit_webchatservice_ready_median_ms"] = round(statistics.median(service), 1)
    return out


class _Fresh:
    """A fresh (empty-cache) context per load."""

    def __init__(self, browser) -> None:
        self.browser = browser

    def __call__(self) -> "_Fresh":
        self.context = self.browser.new_context()
        return self

    def __enter__(self):
        return self.context

    def __exit__(self, *exc) -> None:
        self.context.close()


class _Shared:
    """The same persistent context for every load."""

    def __init__(self, context) -> None:
        self.context = context

    def __call__(self) -> "_Shared":
        return self

    def __enter__(self):
        return self.context

    def __exit__(self, *exc) -> None:
        pass


def run(n: int = N) -> dict:
    root = project_root()
    build = root / "build"
    build_bundle(root, build)
    manifest = json.loads((build / "manifest.json").read_text())
    outside: list[str] = []
    with tempfile.TemporaryDirectory() as bare_dir, tempfile.TemporaryDirectory() as profile:
        pyodide = manifest["pyodide"]
        Path(bare_dir, "bare.html").write_text(BARE_HTML % {"pyodide": pyodide, "pyodide_dir": pyodide.rsplit("/", 1)[0]})
        with run_in_thread(create_app(build, extra_static={"/bare": bare_dir})) as url, sync_playwright() as pw:
            urls = {"cxkit": f"{url}/cxkit/e2e.html", "bare": f"{url}/bare/bare.html"}
            browser = pw.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_FLAGS)
            cold = measure(_Fresh(browser), urls, n, outside)
            browser.close()
            persistent = pw.chromium.launch_persistent_context(profile, executable_path=find_chromium(),
                                                                args=CHROMIUM_FLAGS)
            for kind in urls:  # prime the HTTP cache and V8's code cache
                load(persistent, urls[kind], outside)
            warm = measure(_Shared(persistent), urls, n, outside)
            user_agent = persistent.pages[0].evaluate("navigator.userAgent") if persistent.pages else ""
            persistent.close()
    if outside:
        sys.exit(f"requests left 127.0.0.1: {outside}")
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "browser": user_agent},
        "method": f"{n} loads of each page per mode, alternating; ms from navigation start to App.ready "
                  "(cxkit: the onReady callback) / to the end of the Python statement (bare); medians",
        "budget_ratio": BUDGET,
        "cold": summary(cold),
        "warm": summary(warm),
    }


def main() -> None:
    result = run()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'median, ms':12} {'cxkit App.ready':>16} {'bare Pyodide':>13} {'ratio':>7}  budget {BUDGET}")
    for mode in ("cold", "warm"):
        r = result[mode]
        flag = "ok" if r["ratio"] <= BUDGET else "OVER"
        print(f"{mode:12} {r['cxkit_median_ms']:>16.0f} {r['bare_median_ms']:>13.0f} {r['ratio']:>7.2f}  {flag}")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
