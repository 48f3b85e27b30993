"""Boot time: cxkit versus a bare page that only boots the same Pyodide, on each thread.

    .venv/bin/python bench/boot.py           # prints a table, writes bench/results/boot.json

One run, four pages alternating, from the same server (`cxkit serve`'s app in a process of its
own, as a site's server is; see `common.serve_in_process`); pairs, each compared in the same run:

- worker (the default on a website): ``/cxkit/e2e.html`` with ``_genesys.widgets.cxkit =
  {boot: "now"}`` (the loader, its worker, Pyodide and our wheel in a Web Worker), measured at
  ``WebChatService.ready`` on the page, against ``/bare/bare_worker.html``, which starts a module
  Web Worker that does ``loadPyodide()`` from the bundled Pyodide, runs one Python statement and
  posts back; measured when the page gets that message.
- main (PyScript pages): ``/cxkit/e2e.html`` with ``{thread: "main", boot: "now"}``, measured at
  ``App.ready`` (the ``onReady`` callback) as this bench always did, against ``/bare/bare.html``,
  which does ``loadPyodide()`` + one statement on the page's thread.
- snapshot: the worker page with ``{boot: "now", snapshot: true}`` (the loader's opt-in memory
  snapshot, kept in Cache Storage: a boot without one makes it, later boots start from it),
  against the same bare worker. Cold, every load makes the snapshot (an empty cache); warm, the
  priming load made it and the measured loads start from it. Goal (issue 9): warm ready <= 1.0 s.

Times are ``performance.now()`` in the page (ms since navigation start). Cold: each load in a
fresh browser context (empty cache). Warm: one persistent context (``launch_persistent_context``,
on-disk HTTP cache), one priming load of each page, then the measured loads. Budget
(DESIGN.md, issue 9): cxkit / bare <= 1.15, cold and warm, for each pair. The bundle (with the test
pages) is built in a temporary directory, never in the checkout's ``build/``. No ``context.route``
(it disables the HTTP cache); a request listener records anything that leaves 127.0.0.1 and the
run fails if something did.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from common import Fresh, Shared, find_chromium, machine, serve_in_process
from playwright.sync_api import sync_playwright

from cxkit.bundle import build_bundle, project_root

N = int(os.environ.get("BOOT_BENCH_N", "7"))
BUDGET = 1.15
SNAPSHOT_WARM_GOAL_MS = 1000
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

BARE_WORKER_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>bare Pyodide in a worker</title>
<script>
  new Worker("bare_worker.mjs", { type: "module" }).onmessage = function (e) {
    if (e.data === "ready") window.benchReady = performance.now(); else window.benchFailure = String(e.data);
  };
</script></head><body><p>bare Pyodide in a worker</p></body></html>
"""

BARE_WORKER_MJS = """import { loadPyodide } from "/cxkit/%(pyodide)s";
try {
  const pyodide = await loadPyodide({ indexURL: "/cxkit/%(pyodide_dir)s/" });
  pyodide.runPython("import sys; sys.version");
  postMessage("ready");
} catch (e) {
  postMessage(String(e));
}
"""

CXKIT_INIT = """
window.cxkitTestConfig = (widgets) => {
  widgets.cxkit = %(cxkit)s;
  widgets.onReady = () => { window.benchApp = performance.now(); };
};
window.cxkitTestEarly = () => {
  CXBus.registerPlugin('BootBench').subscribe('WebChatService.ready', () => {
    window.benchService = performance.now();
  });
};
"""

#: kind -> (path, init script or None, what "ready" is)
PAGES = {
    "cxkit_worker": ("/cxkit/e2e.html", CXKIT_INIT % {"cxkit": '{boot: "now"}'}, "benchService"),
    "bare_worker": ("/bare/bare_worker.html", None, "benchReady"),
    "cxkit_main": ("/cxkit/e2e.html", CXKIT_INIT % {"cxkit": '{thread: "main", boot: "now"}'}, "benchApp"),
    "cxkit_snapshot": ("/cxkit/e2e.html", CXKIT_INIT % {"cxkit": '{boot: "now", snapshot: true}'}, "benchService"),
    "bare_main": ("/bare/bare.html", None, "benchReady"),
}
PAIRS = {"worker": ("cxkit_worker", "bare_worker"), "main": ("cxkit_main", "bare_main"),
         "snapshot": ("cxkit_snapshot", "bare_worker")}

COLLECT_JS = """() => ({
  app: window.benchApp || null,
  service: window.benchService || null,
  bare: window.benchReady || null,
  thread: window.__cxkit ? window.__cxkit.thread : null,
  attached: window.__cxkit ? window.__cxkit.attachedAt || null : null,
  bytes: performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))
           .reduce((n, e) => n + (e.transferSize || 0), 0),
})"""



def load(context, base: str, kind: str, outside: list[str]) -> dict:
    path, init, key = PAGES[kind]
    page = context.new_page()
    page.on("request", lambda r: None if urlsplit(r.url).hostname in ("127.0.0.1", "localhost")
            else outside.append(r.url))
    if init:
        page.add_init_script(init)
    page.goto(base + path)
    page.wait_for_function(f"() => window.{key} !== undefined || window.benchFailure"
                           " || (window.__cxkit && window.__cxkit.failure)", timeout=120_000)
    sample = page.evaluate(COLLECT_JS)
    failure = page.evaluate("window.benchFailure || (window.__cxkit && window.__cxkit.failure) || null")
    if failure:
        sys.exit(f"{kind} failed to boot: {failure}")
    expected = "worker" if kind in ("cxkit_worker", "cxkit_snapshot") else "main" if kind == "cxkit_main" else None
    if expected and sample["thread"] != expected:
        sys.exit(f"{kind} booted on the {sample['thread']} thread")
    sample["ready"] = page.evaluate(f"window.{key}")
    page.close()
    return sample


def measure(contexts, base: str, n: int, outside: list[str]) -> dict[str, list[dict]]:
    """n loads of each page, alternating which goes first; ``contexts()`` gives the context for one load."""
    samples: dict[str, list[dict]] = {kind: [] for kind in PAGES}
    kinds = list(PAGES)
    for i in range(n):
        for kind in kinds if i % 2 == 0 else kinds[::-1]:
            with contexts() as context:
                samples[kind].append(load(context, base, kind, outside))
    return samples


def pair_summary(cx_samples: list[dict], bare_samples: list[dict], measured_at: str) -> dict:
    cx = [s["ready"] for s in cx_samples]
    bare = [s["ready"] for s in bare_samples]
    out = {
        "cxkit_measured_at": measured_at,
        "cxkit_ms": [round(v, 1) for v in cx],
        "bare_ms": [round(v, 1) for v in bare],
        "cxkit_median_ms": round(statistics.median(cx), 1),
        "bare_median_ms": round(statistics.median(bare), 1),
        "cxkit_page_bytes_median": statistics.median(s["bytes"] for s in cx_samples),
        "bare_page_bytes_median": statistics.median(s["bytes"] for s in bare_samples),
    }
    out["ratio"] = round(out["cxkit_median_ms"] / out["bare_median_ms"], 3)
    out["budget_met"] = out["ratio"] <= BUDGET
    for name, key in (("attached", "attached"), ("app_ready", "app"), ("webchatservice_ready", "service")):
        values = [s[key] for s in cx_samples if s[key] is not None]
        if values:
            out[f"cxkit_{name}_median_ms"] = round(statistics.median(values), 1)
    return out


def summary(samples: dict[str, list[dict]]) -> dict:
    return {
        "worker": pair_summary(samples["cxkit_worker"], samples["bare_worker"], "WebChatService.ready"),
        "main": pair_summary(samples["cxkit_main"], samples["bare_main"], "App.ready (onReady)"),
        "snapshot": pair_summary(samples["cxkit_snapshot"], samples["bare_worker"], "WebChatService.ready"),
    }




def run(n: int = N) -> dict:
    outside: list[str] = []
    with tempfile.TemporaryDirectory() as bare_dir, tempfile.TemporaryDirectory() as profile, \
            tempfile.TemporaryDirectory(prefix="cxkit-bench-") as build_dir:
        build = Path(build_dir)
        build_bundle(project_root(), build, test_pages=True)  # the cxkit pages are e2e.html
        manifest = json.loads((build / "manifest.json").read_text())
        pyodide = manifest["pyodide"]
        names = {"pyodide": pyodide, "pyodide_dir": pyodide.rsplit("/", 1)[0]}
        Path(bare_dir, "bare.html").write_text(BARE_HTML % names)
        Path(bare_dir, "bare_worker.html").write_text(BARE_WORKER_HTML)
        Path(bare_dir, "bare_worker.mjs").write_text(BARE_WORKER_MJS % names)
        with serve_in_process(build, {"/bare": bare_dir}) as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_FLAGS)
            with Fresh(browser) as context:  # the browser's first navigation pays for starting its processes
                context.new_page().goto(f"{url}/bare/bare_worker.html")
            cold = measure(lambda: Fresh(browser), url, n, outside)
            browser.close()
            persistent = pw.chromium.launch_persistent_context(profile, executable_path=find_chromium(),
                                                                args=CHROMIUM_FLAGS)
            for kind in PAGES:  # prime the HTTP cache and V8's code cache
                load(persistent, url, kind, outside)
            warm = measure(lambda: Shared(persistent), url, n, outside)
            page = persistent.new_page()
            user_agent = page.evaluate("navigator.userAgent")
            persistent.close()
    if outside:
        sys.exit(f"requests left 127.0.0.1: {outside}")
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(user_agent, loadavg_1min=round(os.getloadavg()[0], 2)),
        "method": f"{n} loads of each of four pages per mode, alternating; ms from navigation start to "
                  "WebChatService.ready (cxkit, worker, boot now) / the worker's message after loadPyodide() + one "
                  "statement (bare worker); App.ready, i.e. onReady (cxkit, thread main, boot now) / the end of the "
                  "Python statement (bare main thread); medians; page bytes = the page's Resource Timing (a "
                  "worker's own downloads are not in it)",
        "budget_ratio": BUDGET,
        "snapshot_warm_goal_ms": SNAPSHOT_WARM_GOAL_MS,
        "cold": summary(cold),
        "warm": summary(warm),
    }


def main() -> None:
    started = time.monotonic()
    result = run()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'median, ms':22} {'cxkit':>8} {'bare':>8} {'ratio':>7}  budget {BUDGET}")
    pairs = (("worker", "worker (WCS.ready)"), ("main", "main (App.ready)"), ("snapshot", "snapshot (WCS.ready)"))
    for pair, label in pairs:
        for mode in ("cold", "warm"):
            r = result[mode][pair]
            flag = "ok" if r["budget_met"] else "OVER"
            print(f"{label + ', ' + mode:22} {r['cxkit_median_ms']:>8.0f} {r['bare_median_ms']:>8.0f}"
                  f" {r['ratio']:>7.2f}  {flag}")
    warm = result["warm"]["snapshot"]["cxkit_median_ms"]
    print(f"snapshot, warm: ready {warm:.0f} ms (goal <= {SNAPSHOT_WARM_GOAL_MS} ms: "
          f"{'met' if warm <= SNAPSHOT_WARM_GOAL_MS else 'missed'})")
    print(f"{time.monotonic() - started:.0f} s; written to {RESULTS}")


if __name__ == "__main__":
    main()
