"""Bus command round trip in the page: JS ``command()`` -> handler -> ``done``, per call, both modes.

    .venv/bin/python bench/bus.py            # prints a table, writes bench/results/bus.json

Two pages in one browser, measured in alternating rounds: ``main``, ``/cxkit/e2e_python.html``
(PyScript on the page's thread, its synchronous ``cxkitPy`` test hook) and ``worker``,
``/cxkit/e2e.html`` with ``_genesys.widgets.cxkit = {boot: "now", testHook: true}`` (the bus in a
Web Worker; ``await cxkitPy(...)`` runs Python there). In each page:

- without payload, resolving with ``1`` (the figures this bench always had): ``JsBench.noop``
  registered from JS (JS -> bus -> JS handler -> bus -> JS) and ``PyBench.noop`` registered in
  Python (JS -> bus and handler -> JS);
- with payload: ``JsBench.echo`` and ``PyBench.echo`` get a 3-field object
  (``{id, text, flag}``) and resolve with an object (``{ok, id, echo}``);
- a bare JS worker round trip as the same-run floor for crossing threads: a ``postMessage`` of the
  same 3-field object to a worker that answers with the same reply object;
- in worker mode, the worker's own time per concurrent call (``Worker.busy_s``, its wall-clock
  time in its message handler: parsing the batches, the bus work, encoding and posting the
  answers; read before and after the round): for JS -> Python, when it exceeds the bare worker's
  per-message figure, no batching on the page can meet the concurrent goal. For JS -> JS it also
  holds work after the page's callers were settled (the page's note that a JS handler answered).
  The same per sequential call: each call's batch wakes the worker alone, and that figure against
  the concurrent one shows what a lone batch costs the worker (its Python starts cold after the
  thread slept, and its one ``postMessage`` wakes the page) beside what batching shares.

Each is called 1,000 times sequentially (``await`` each, after 200 warm-up calls) and 1,000 times
concurrently (all issued, then ``Promise.all``); a round is timed as a whole
(``performance.now()`` is coarsened in the page) and divided by 1,000; the figure is the median
over the rounds. ``await Promise.resolve()`` chains give the floor of a promise. Goals (issue 9,
DESIGN.md), per mode, against the same page's bare worker: JS->Python with payload within 2x of
one bare round trip, JS->JS within 3x, concurrent per call no more than the bare worker's
per-message figure. The original's figures (spec/observed-client.md (d)) are the reference.
No ``context.route`` (it disables the HTTP cache); a request listener records anything that
leaves 127.0.0.1 and the run fails if something did.

    .venv/bin/python bench/bus.py --against /tmp/base   # also measure another checkout, same run

``--against DIR`` builds a second checkout (e.g. ``git archive HEAD | tar -x -C DIR``, with
``node_modules`` linked in) and alternates its rounds with ours in the same browser, so a
before/after comparison does not depend on how busy the machine was at two different times.
Its worker page is measured (its main-thread page if it is from before the worker mode).
The bundle is built in a temporary directory, never in the checkout's ``build/``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

from common import find_chromium, machine
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
GOALS = {"py_vs_bare_sequential": 2.0, "js_vs_bare_sequential": 3.0, "concurrent_vs_bare_concurrent": 1.0}
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]

SETUP_PY = """
plugin = bus.register_plugin("PyBench")
plugin.register_command("noop", lambda e: e.deferred.resolve(1))
plugin.register_command("echo", lambda e: e.deferred.resolve({"ok": True, "id": e.data["id"], "echo": e.data["text"]}))
plugin.ready()
result = True
"""

#: The worker page: the bus in a worker, booted at once, with the test hook.
WORKER_INIT = """
window.cxkitTestConfig = (widgets) => { widgets.cxkit = {boot: "now", testHook: true}; };
"""

ROUND_JS = """async ([calls, warmup]) => {
  const p = window.benchPlugin || (window.benchPlugin = (() => {
    const js = CXBus.registerPlugin('JsBench');
    js.registerCommand('noop', e => e.deferred.resolve(1));
    js.registerCommand('echo', e => e.deferred.resolve({ok: true, id: e.data.id, echo: e.data.text}));
    js.ready();
    return CXBus.registerPlugin('BenchCaller');
  })());
  const bare = window.benchBare || (window.benchBare = (() => {
    const source = "onmessage = e => { const d = e.data; postMessage({ok: true, id: d.id, echo: d.text}); };";
    const w = new Worker(URL.createObjectURL(new Blob([source], {type: "text/javascript"})));
    const waiting = new Map();
    w.onmessage = e => { const ok = waiting.get(e.data.id); waiting.delete(e.data.id); ok(e.data); };
    return (msg) => new Promise(ok => { waiting.set(msg.id, ok); w.postMessage(msg); });
  })());
  const payload = i => ({id: i, text: 'hello from the page', flag: true});
  const check = r => { if (!r || r.ok !== true) throw new Error('unexpected reply: ' + JSON.stringify(r)); };
  const call = (name, data) => new Promise((ok, no) => p.command(name, data).done(ok).fail(no));
  // In worker mode, the time the worker's Python spent on the calls (its batches, the bus work,
  // the answers): read before and after a round with payloads, outside the timed part.
  const python = {}, pythonSequential = {};
  const busy = async () => (window.__cxkit.thread === 'worker'  // null: an older checkout (--against)
    ? cxkitPy('result = worker.busy_s').then(s => (typeof s === 'number' ? s : null), () => null) : null);
  async function sequential(name, data) {
    for (let i = 0; i < warmup; i++) await call(name, data && data(i));
    const before = data ? await busy() : null;
    const t = performance.now();
    for (let i = 0; i < calls; i++) await call(name, data && data(i));
    const us = (performance.now() - t) * 1000 / calls;
    const after = before !== null ? await busy() : null;
    if (after !== null) pythonSequential[name] = (after - before) * 1e6 / calls;
    return us;
  }
  async function concurrent(name, data) {
    const before = data ? await busy() : null;
    const t = performance.now();
    const all = [];
    for (let i = 0; i < calls; i++) all.push(call(name, data && data(i)));
    const replies = await Promise.all(all);
    const us = (performance.now() - t) * 1000 / calls;
    if (data) replies.forEach(check);
    const after = before !== null ? await busy() : null;
    if (after !== null) python[name] = (after - before) * 1e6 / calls;
    return us;
  }
  async function bareSequential() {
    for (let i = 0; i < warmup; i++) check(await bare(payload(i)));
    const t = performance.now();
    for (let i = 0; i < calls; i++) await bare(payload(i));
    return (performance.now() - t) * 1000 / calls;
  }
  async function bareConcurrent() {
    const t = performance.now();
    const all = [];
    for (let i = 0; i < calls; i++) all.push(bare(payload(i)));
    await Promise.all(all);
    return (performance.now() - t) * 1000 / calls;
  }
  async function floor() {
    const t = performance.now();
    for (let i = 0; i < calls; i++) await Promise.resolve();
    return (performance.now() - t) * 1000 / calls;
  }
  check(await call('JsBench.echo', payload(0)));
  check(await call('PyBench.echo', payload(0)));
  const figures = {
    js_sequential_us: await sequential('JsBench.noop'),
    py_sequential_us: await sequential('PyBench.noop'),
    js_concurrent_us: await concurrent('JsBench.noop'),
    py_concurrent_us: await concurrent('PyBench.noop'),
    js_payload_sequential_us: await sequential('JsBench.echo', payload),
    py_payload_sequential_us: await sequential('PyBench.echo', payload),
    bare_worker_sequential_us: await bareSequential(),
    js_payload_concurrent_us: await concurrent('JsBench.echo', payload),
    py_payload_concurrent_us: await concurrent('PyBench.echo', payload),
    bare_worker_concurrent_us: await bareConcurrent(),
    promise_resolve_us: await floor(),
  };
  if ('PyBench.echo' in python) {
    figures.py_payload_concurrent_worker_python_us = python['PyBench.echo'];
    figures.js_payload_concurrent_worker_python_us = python['JsBench.echo'];
  }
  if ('PyBench.echo' in pythonSequential) {
    figures.py_payload_sequential_worker_python_us = pythonSequential['PyBench.echo'];
    figures.js_payload_sequential_worker_python_us = pythonSequential['JsBench.echo'];
  }
  return figures;
}"""



def _serve(stack: ExitStack, root: Path) -> str:
    """Build ``root``'s bundle in a temporary directory and serve it."""
    build = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cxkit-bench-")))
    build_bundle(root, build, test_pages=True)  # the bench pages are e2e.html and e2e_python.html
    return stack.enter_context(run_in_thread(create_app(build)))


def _open(browser, url: str, mode: str, outside: list[str]):
    """The bench page of ``mode`` ("main" or "worker"), booted, with the Python handlers registered."""
    page = browser.new_page()
    page.on("request", lambda r: None if urlsplit(r.url).scheme in ("blob", "data")
            or urlsplit(r.url).hostname in ("127.0.0.1", "localhost") else outside.append(r.url))
    if mode == "worker":
        page.add_init_script(WORKER_INIT)
        page.goto(f"{url}/cxkit/e2e.html")
    else:
        page.goto(f"{url}/cxkit/e2e_python.html")
    page.wait_for_function("window.__cxkit.failure || (window.__cxkit.attached && !!window.cxkitPy)", timeout=120_000)
    failure = page.evaluate("window.__cxkit.failure")
    if failure:
        sys.exit(f"cxkit failed to boot ({mode}): {failure}")
    thread = page.evaluate("window.__cxkit.thread")
    if thread != mode:
        sys.exit(f"the {mode} page runs cxkit on the {thread} thread")
    page.evaluate("src => Promise.resolve(cxkitPy(src))", SETUP_PY)
    return page


def _medians(rounds: list[dict]) -> dict:
    return {key: round(statistics.median(r[key] for r in rounds), 2) for key in rounds[0]}


def _ratios(m: dict) -> dict:
    seq, conc = m["bare_worker_sequential_us"], m["bare_worker_concurrent_us"]
    out = {
        "py_payload_sequential_vs_bare": round(m["py_payload_sequential_us"] / seq, 2),
        "js_payload_sequential_vs_bare": round(m["js_payload_sequential_us"] / seq, 2),
        "py_payload_concurrent_vs_bare": round(m["py_payload_concurrent_us"] / conc, 2),
        "js_payload_concurrent_vs_bare": round(m["js_payload_concurrent_us"] / conc, 2),
    }
    if "py_payload_concurrent_worker_python_us" in m:  # worker mode: Python's own share of a concurrent call
        out["worker_python_py_concurrent_vs_bare"] = round(m["py_payload_concurrent_worker_python_us"] / conc, 2)
        out["worker_python_js_concurrent_vs_bare"] = round(m["js_payload_concurrent_worker_python_us"] / conc, 2)
    if "py_payload_sequential_worker_python_us" in m:  # one call's batch at a time: Python starts cold
        out["worker_python_py_sequential_vs_bare"] = round(m["py_payload_sequential_worker_python_us"] / seq, 2)
        out["worker_python_py_sequential_vs_concurrent"] = round(
            m["py_payload_sequential_worker_python_us"] / m["py_payload_concurrent_worker_python_us"], 2)
    out["goals_met"] = {
        "py_sequential_within_2x": out["py_payload_sequential_vs_bare"] <= GOALS["py_vs_bare_sequential"],
        "js_sequential_within_3x": out["js_payload_sequential_vs_bare"] <= GOALS["js_vs_bare_sequential"],
        "py_concurrent_within_bare": out["py_payload_concurrent_vs_bare"] <= GOALS["concurrent_vs_bare_concurrent"],
        "js_concurrent_within_bare": out["js_payload_concurrent_vs_bare"] <= GOALS["concurrent_vs_bare_concurrent"],
    }
    return out


def run(against: Path | None = None) -> dict:
    outside: list[str] = []
    with sync_playwright() as pw, ExitStack() as stack:
        browser = pw.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_FLAGS)
        stack.callback(browser.close)
        url = _serve(stack, project_root())
        pages = {mode: _open(browser, url, mode, outside) for mode in ("main", "worker")}
        if against:
            mode = "worker" if (against / "pysrc" / "cxkit" / "web" / "link.mjs").exists() else "main"
            pages["against"] = _open(browser, _serve(stack, against), mode, outside)
        rounds: dict[str, list[dict]] = {name: [] for name in pages}
        for i in range(ROUNDS):  # alternate, so all see the same machine
            for name in (list(pages) if i % 2 == 0 else list(pages)[::-1]):
                rounds[name].append(pages[name].evaluate(ROUND_JS, [CALLS, WARMUP]))
        user_agent = pages["main"].evaluate("navigator.userAgent")
    if outside:
        sys.exit(f"requests left 127.0.0.1: {outside}")
    modes = {}
    for mode in ("main", "worker"):
        m = _medians(rounds[mode])
        modes[mode] = {"median_us": m, "vs_bare_worker": _ratios(m), "rounds_us": rounds[mode]}
    result = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(user_agent, loadavg_1min=round(os.getloadavg()[0], 2)),
        "method": f"{ROUNDS} rounds of {CALLS} calls (after {WARMUP} warm-up calls for sequential) per page, pages "
                  "alternating; per call = round time / calls; figures are medians over rounds, in microseconds; "
                  "payload: {id, text, flag} in, {ok, id, echo} out; bare worker: postMessage of the payload to a "
                  "worker that posts the reply object back; worker_python: the time the worker's Python spent "
                  "on a round with payloads, sequential or concurrent (Worker.busy_s before and after it), per call",
        # the main-thread figures at the top level, as before the worker mode existed
        "median_us": modes["main"]["median_us"],
        "main": modes["main"],
        "worker": modes["worker"],
        "goals": GOALS,
        "original_us": ORIGINAL,
    }
    if against:
        result["against"] = {"root": str(against), "median_us": _medians(rounds["against"]),
                             "rounds_us": rounds["against"]}
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", type=Path, help="another checkout to measure in the same run")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    result = run(args.against)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    m, w, o = result["main"]["median_us"], result["worker"]["median_us"], ORIGINAL
    a = result.get("against", {}).get("median_us")
    rows = [("JS -> Python handler -> JS, sequential", "py_sequential_us", "sequential_us"),
            ("JS -> JS handler (via bus) -> JS, sequential", "js_sequential_us", "sequential_us"),
            ("JS -> Python handler -> JS, concurrent", "py_concurrent_us", "concurrent_us"),
            ("JS -> JS handler (via bus) -> JS, concurrent", "js_concurrent_us", "concurrent_us"),
            ("payload: JS -> Python, sequential", "py_payload_sequential_us", "sequential_us"),
            ("payload: JS -> JS (via bus), sequential", "js_payload_sequential_us", "sequential_us"),
            ("payload: bare worker round trip, sequential", "bare_worker_sequential_us", None),
            ("  of JS -> Python: the worker's Python", "py_payload_sequential_worker_python_us", None),
            ("  of JS -> JS: the worker's Python", "js_payload_sequential_worker_python_us", None),
            ("payload: JS -> Python, concurrent", "py_payload_concurrent_us", "concurrent_us"),
            ("payload: JS -> JS (via bus), concurrent", "js_payload_concurrent_us", "concurrent_us"),
            ("payload: bare worker round trip, concurrent", "bare_worker_concurrent_us", None),
            ("  of JS -> Python: the worker's Python", "py_payload_concurrent_worker_python_us", None),
            ("  of JS -> JS: the worker's Python", "js_payload_concurrent_worker_python_us", None),
            ("await Promise.resolve() (floor)", "promise_resolve_us", None)]
    print(f"{'per call, median of ' + str(ROUNDS) + ' rounds':44} {'main':>10} {'worker':>10}"
          + (f" {'against':>10}" if a else "") + f" {'original':>10}")
    for label, key, orig in rows:
        if key not in w:  # the worker's own figures: an older bundle has none
            continue
        main_us = f"{m[key]:>8.1f}us" if key in m else f"{'-':>10}"
        print(f"{label:44} {main_us} {w[key]:>8.1f}us" + (f" {a[key]:>8.1f}us" if a and key in a else "")
              + (f" {o[orig]:>8.0f}us" if orig else ""))
    print("payload vs the same page's bare worker round trip (goals: Python <= 2x, JS <= 3x sequential; "
          "concurrent <= 1x)")
    for mode in ("main", "worker"):
        r = result[mode]["vs_bare_worker"]
        missed = [k for k, v in r["goals_met"].items() if not v]
        print(f"  {mode:7} Python {r['py_payload_sequential_vs_bare']:.2f}x"
              f"  JS {r['js_payload_sequential_vs_bare']:.2f}x"
              f"  concurrent Python {r['py_payload_concurrent_vs_bare']:.2f}x"
              f"  JS {r['js_payload_concurrent_vs_bare']:.2f}x"
              f"  {'missed: ' + ', '.join(missed) if missed else 'all met'}")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
