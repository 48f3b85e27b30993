"""Bus command round trip in the page: JS ``command()`` -> handler -> ``done``, per call.

    .venv/bin/python bench/bus.py            # prints a table, writes bench/results/bus.json

Two handlers, both resolving at once with ``1``: one registered from JS (``JsBench.noop``,
JS -> Python bus -> JS handler -> Python -> JS) and one registered in Python (``PyBench.noop``,
JS -> Python bus and handler -> JS). Each is called 1,000 times sequentially (``await`` each)
and 1,000 times concurrently (all issued, then ``Promise.all``); a round is timed as a whole
(``performance.now()`` is coarsened in the page) and divided by 1,000, and the figure is the
median over the rounds. ``await Promise.resolve()`` chains give a same-run floor. The
original's figures (spec/observed-client.md (d)) are copied in as the reference.
No ``context.route`` (it disables the HTTP cache); a request listener records anything that
leaves 127.0.0.1 and the run fails if something did.

    .venv/bin/python bench/bus.py --against /tmp/base   # also measure another checkout, same run

``--against DIR`` builds a second checkout (e.g. ``git archive HEAD | tar -x -C DIR``, with
``node_modules`` linked in) and alternates its rounds with ours in the same browser, so a
before/after comparison does not depend on how busy the machine was at two different times.
The bundle is built in a temporary directory, never in the checkout's ``build/``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from contextlib import ExitStack
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

from cxkit.bundle import build_bundle, project_root
from cxkit.server import create_app, run_in_thread

ROUNDS = 7
CALLS = 1000
WARMUP = 200
RESULTS = Path(__file__).parent / "results" / "bus.json"
ORIGINAL = {  # Genesys Widgets 9.0.018.07 on this machine class, spec/observed-client.md (d)
    "sequential_us": 4320.0,
    "concurrent_us": 15.1,
    "note": "1000 sequential awaited Probe.noop; 1000 concurrent getSessionData (15.1 ms total)",
}
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]

SETUP_PY = """
plugin = bus.register_plugin("PyBench")
plugin.register_command("noop", lambda e: e.deferred.resolve(1))
plugin.ready()
result = True
"""

ROUND_JS = """async ([calls, warmup]) => {
  const p = window.benchPlugin || (window.benchPlugin = (() => {
    const js = CXBus.registerPlugin('JsBench');
    js.registerCommand('noop', e => e.deferred.resolve(1));
    js.ready();
    return CXBus.registerPlugin('BenchCaller');
  })());
  async function sequential(name) {
    for (let i = 0; i < warmup; i++) await p.command(name);
    const t = performance.now();
    for (let i = 0; i < calls; i++) await p.command(name);
    return (performance.now() - t) * 1000 / calls;
  }
  async function concurrent(name) {
    const t = performance.now();
    const all = [];
    for (let i = 0; i < calls; i++) all.push(new Promise((ok, no) => p.command(name).done(ok).fail(no)));
    await Promise.all(all);
    return (performance.now() - t) * 1000 / calls;
  }
  async function floor() {
    const t = performance.now();
    for (let i = 0; i < calls; i++) await Promise.resolve();
    return (performance.now() - t) * 1000 / calls;
  }
  return {
    js_sequential_us: await sequential('JsBench.noop'),
    py_sequential_us: await sequential('PyBench.noop'),
    js_concurrent_us: await concurrent('JsBench.noop'),
    py_concurrent_us: await concurrent('PyBench.noop'),
    promise_resolve_us: await floor(),
  };
}"""


def find_chromium() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        sys.exit("no Chromium found: apt-get install chromium, or set CHROMIUM_PATH")
    return path


def _open(stack: ExitStack, browser, root: Path, outside: list[str]):
    """Build ``root``'s bundle in a temporary directory, serve it, open the bench page."""
    build = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cxkit-bench-")))
    build_bundle(root, build)
    url = stack.enter_context(run_in_thread(create_app(build)))
    page = browser.new_page()
    page.on("request", lambda r: None if urlsplit(r.url).hostname in ("127.0.0.1", "localhost") else outside.append(r.url))
    page.goto(f"{url}/cxkit/e2e_python.html")
    page.wait_for_function("window.__cxkit.attached && !!window.cxkitPy", timeout=60_000)
    page.evaluate("src => cxkitPy(src)", SETUP_PY)
    return page


def _medians(rounds: list[dict]) -> dict:
    return {key: round(statistics.median(r[key] for r in rounds), 2) for key in rounds[0]}


def run(against: Path | None = None) -> dict:
    outside: list[str] = []
    with sync_playwright() as pw, ExitStack() as stack:
        browser = pw.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_FLAGS)
        stack.callback(browser.close)
        page = _open(stack, browser, project_root(), outside)
        other = _open(stack, browser, against, outside) if against else None
        rounds, other_rounds = [], []
        for _ in range(ROUNDS):  # alternate, so both see the same machine
            rounds.append(page.evaluate(ROUND_JS, [CALLS, WARMUP]))
            if other is not None:
                other_rounds.append(other.evaluate(ROUND_JS, [CALLS, WARMUP]))
        user_agent = page.evaluate("navigator.userAgent")
    if outside:
        sys.exit(f"requests left 127.0.0.1: {outside}")
    result = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "browser": user_agent,
                    "loadavg_1min": round(os.getloadavg()[0], 2)},
        "method": f"{ROUNDS} rounds of {CALLS} calls (after {WARMUP} warm-up calls for sequential); "
                  "per call = round time / calls; figures are medians over rounds, in microseconds",
        "median_us": _medians(rounds),
        "rounds_us": rounds,
        "target_us": {"py_sequential": 100, "concurrent": ORIGINAL["concurrent_us"]},
        "original_us": ORIGINAL,
    }
    if other_rounds:
        result["against"] = {"root": str(against), "median_us": _medians(other_rounds), "rounds_us": other_rounds}
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", type=Path, help="another checkout to measure in the same run")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    result = run(args.against)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    m, o = result["median_us"], ORIGINAL
    a = result.get("against", {}).get("median_us")
    rows = [("JS -> Python handler -> JS, sequential", "py_sequential_us", "sequential_us"),
            ("JS -> JS handler (via bus) -> JS, sequential", "js_sequential_us", "sequential_us"),
            ("JS -> Python handler -> JS, concurrent", "py_concurrent_us", "concurrent_us"),
            ("JS -> JS handler (via bus) -> JS, concurrent", "js_concurrent_us", "concurrent_us"),
            ("await Promise.resolve() (floor)", "promise_resolve_us", None)]
    print(f"{'per call, median of ' + str(ROUNDS) + ' rounds':44} {'cxkit':>10}" + (f" {'against':>10}" if a else "") + f" {'original':>10}")
    for label, key, orig in rows:
        print(f"{label:44} {m[key]:>8.1f}us" + (f" {a[key]:>8.1f}us" if a else "") + (f" {o[orig]:>8.0f}us" if orig else ""))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
