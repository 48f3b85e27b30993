"""A long chat: 10,000 agent messages in one session, then 10,000 subscribe/unsubscribe cycles
and 10,000 rounds of commands, in both modes; memory, time per poll answer and leak counts.

    .venv/bin/python bench/longchat.py                 # worker and main; writes bench/results/longchat.json
    .venv/bin/python bench/longchat.py --mode worker   # one mode; the other's figures are kept

One page per mode: ``worker`` is ``/cxkit/e2e.html`` with ``cxkit: {boot: "now", testHook: true}``
(the bus and the WebChatService in a Web Worker), ``main`` the same page's Python twin,
``/cxkit/e2e_python.html``, with ``thread: "main"`` (PyScript on the page's thread). The page
starts a chat on the mock GMS (agent preset ``silent``, ``max_messages_per_chat`` raised above
the chat's length, idle timers off), the agent joins, then says ``LONGCHAT_MESSAGES`` messages (default 10,000)
in batches of ``LONGCHAT_BATCH`` (default 50), each batch appended at once on the mock's loop
so that one poll answer carries it; the next batch goes once the page's ``messageReceived``
subscriber has counted the last one. Polling runs at the client's own pace (``pollRateMin``
500 ms after activity). The page's subscriber counts messages and keeps nothing else.

Time per poll answer, stamped with ``performance.timeOrigin + now()`` (one wall clock for the
page and its worker): "answer in" when the refresh answer's text is in Python (the test hook
wraps the service's transport), "handled" when ``handle_poll_reply`` returns (parsed, the
messages normalised and kept, the events published), "page" when the page's subscriber runs
(bus delivery, the thread crossing in worker mode). The 50 ms goal is for answer in -> page.
The page's long tasks are counted while messages flow (not while the bench samples memory: its
forced garbage collections are long tasks of their own).
Measuring costs two wrapper calls per poll, in this bench only (the hook is off in production).

Memory, after the agent joined and after each 1,000 messages, each after a garbage collection
(``HeapProfiler.collectGarbage`` in the page and in the worker, ``gc.collect()`` in Python):
the page's JS heap (CDP ``Runtime.getHeapUsage``, used bytes), the worker's JS heap (the same on
the worker's target, reached with ``Target.setAutoAttach`` from the page's CDP session), the
wasm memory (``HEAP8.length``: it only grows, in large steps), the wasm heap break
(``_sbrk(0)``: the top of the C heap, the high-water mark of what Python allocated), the Python
objects the collector tracks, and the transcript kept by design (``transcript.messages`` and
``original_messages`` and the seen indexes: the deep ``sys.getsizeof`` of what they hold,
shared objects once; ``transcript_objects`` are those the collector tracks, ``transcript_allocations``
all of them). Growth per 1,000 messages is measured from 1,000 to the end; "beyond the
transcript" is the heap break's (or the tracked objects') growth minus the transcript's.
The heap break also carries the C allocator's own cost (chunk headers, and the holes left
where a poll answer's short-lived objects sat between kept ones); ``--tracemalloc`` runs the
chat with Python's allocations traced (``tracemalloc.get_traced_memory()``: bytes Python holds,
no allocator overhead) and keeps that run apart (``<mode>_tracemalloc``: its timings are not
comparable, tracing slows every allocation).

Leaks: the churn of e2e/test_leaks.py with 10,000 each: subscribe, publish, a command round
trip, unsubscribe; then commands to a Python handler (with a function in the payload) and to a
JS handler, 50 in flight; ``cxkit.browser.census`` and the page's own counts before and after
(PyProxies traced from the baseline on). Counts, and how far each moved.

The bundle is built into ``LONGCHAT_BUNDLE`` (default /tmp/longchat-build). No ``context.route``
(it disables the HTTP cache): a request listener fails the run if anything leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from common import find_chromium, machine
from playwright.sync_api import sync_playwright

from cxkit.bundle import build_bundle, project_root
from cxkit.mockgms import MockConfig, MockGMS
from cxkit.server import create_app, run_in_thread
from cxkit.testing.churn import CENSUS_PY, CHURN_JS, PAGE_COUNTS_JS, SETUP_PY, TRACE_PY

MESSAGES = int(os.environ.get("LONGCHAT_MESSAGES", "10000"))
BATCH = int(os.environ.get("LONGCHAT_BATCH", "50"))
SAMPLE_EVERY = int(os.environ.get("LONGCHAT_SAMPLE", "1000"))
CHURN = int(os.environ.get("LONGCHAT_CHURN", "10000"))
GOAL_MS = 50.0
BUNDLE = Path(os.environ.get("LONGCHAT_BUNDLE", "/tmp/longchat-build"))
RESULTS = Path(__file__).parent / "results" / "longchat.json"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
PAGES = {"worker": "e2e.html", "main": "e2e_python.html"}

#: The page: counts messages and stamps each messageReceived; notes long tasks.
RECORD_JS = """
window.cxkitTestConfig = (w) => { w.cxkit = {testHook: true, boot: 'now', thread: '%s'}; };
window.cxkitTestEarly = () => {
  window.got = 0; window.arrivals = []; window.events = []; window.longTasks = [];
  new PerformanceObserver(l => l.getEntries().forEach(e => longTasks.push([e.startTime, e.duration])))
    .observe({type: 'longtask'});
  const p = CXBus.registerPlugin('LongChat');
  p.subscribe('WebChatService.messageReceived', e => {
    const at = performance.timeOrigin + performance.now();
    const n = e.data.messages.filter(m => m.type === 'Message').length;
    got += n;
    arrivals.push([at, n]);
  });
  for (const name of ['ready', 'started', 'agentConnected'])
    p.subscribe('WebChatService.' + name, () => events.push(name));
};
"""

#: Python in the page's interpreter (either thread): stamps per refresh answer.
HOOK_PY = """
import gc
import js
svc = next(o for o in gc.get_objects() if type(o).__name__ == "WebChatService")
clock = js.performance
origin = float(clock.timeOrigin)
stamps = []
answer_in = [None]
transport = svc.client.transport
plain_post = transport._post

async def timed_post(url, *args, **kw):
    response = await plain_post(url, *args, **kw)
    if "/refresh" in url:
        answer_in[0] = origin + clock.now()
    return response

plain_handle = svc.handle_poll_reply

def timed_handle(reply):
    plain_handle(reply)
    stamps.append((answer_in[0], origin + clock.now()))

transport._post = timed_post
svc.handle_poll_reply = timed_handle
result = True
"""

SAMPLE_PY = """
import gc, sys
import pyodide_js

def deep_size(o, seen):
    if id(o) in seen:
        return 0
    seen.add(id(o))
    if gc.is_tracked(o):
        tracked[0] += 1
    size = sys.getsizeof(o)
    if isinstance(o, dict):
        size += sum(deep_size(k, seen) + deep_size(v, seen) for k, v in o.items())
    elif isinstance(o, (list, tuple, set, frozenset)):
        size += sum(deep_size(v, seen) for v in o)
    return size

gc.collect()
t = svc.session.transcript
seen_ids = set()
tracked = [0]
module = pyodide_js._module
result = {
    "transcript_messages": len(t.messages),
    "transcript_bytes": (deep_size(t.messages, seen_ids) + deep_size(t.original_messages, seen_ids)
                         + deep_size(t.seen, seen_ids)),
    "transcript_objects": tracked[0],
    "transcript_allocations": len(seen_ids),
    "wasm_memory": int(module.HEAP8.length),
    "heap_break": int(module._sbrk(0)) & 0xFFFFFFFF,
    "python_objects": len(gc.get_objects()),
}
del seen_ids
import tracemalloc
if tracemalloc.is_tracing():
    result["python_traced"] = tracemalloc.get_traced_memory()[0]
"""

STAMPS_PY = "result = [list(s) for s in stamps]"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class WorkerHeap:
    """The worker's JS heap over the page's CDP session (``Target.sendMessageToTarget``)."""

    def __init__(self, page: Any, cdp: Any) -> None:
        self.page, self.cdp = page, cdp
        self.session: str | None = None
        self.answers: dict[int, Any] = {}
        self.ids = 0
        cdp.on("Target.attachedToTarget", self._attached)
        cdp.on("Target.receivedMessageFromTarget", self._received)
        cdp.send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": False, "flatten": False})

    def _attached(self, event: dict) -> None:
        if event["targetInfo"]["type"] == "worker":
            self.session = event["sessionId"]

    def _received(self, event: dict) -> None:
        message = json.loads(event["message"])
        if "id" in message:
            self.answers[message["id"]] = message.get("result", message.get("error"))

    def call(self, method: str) -> Any:
        if self.session is None:
            self.page.wait_for_timeout(200)  # the attach event is dispatched while Playwright waits
            if self.session is None:
                return None
        self.ids += 1
        self.cdp.send("Target.sendMessageToTarget", {"sessionId": self.session,
                                                     "message": json.dumps({"id": self.ids, "method": method})})
        end = time.monotonic() + 30
        while self.ids not in self.answers and time.monotonic() < end:
            self.page.wait_for_timeout(10)  # Playwright's sync API dispatches CDP events while it waits
        return self.answers.pop(self.ids, None)

    def used(self) -> int | None:
        self.call("HeapProfiler.collectGarbage")
        usage = self.call("Runtime.getHeapUsage")
        return usage.get("usedSize") if usage else None


def run(mode: str, build: bool, trace: bool = False) -> dict[str, Any]:
    if build:
        build_bundle(project_root(), BUNDLE, test_pages=True)
    outside: list[str] = []
    # No idle timers: the customer says nothing for the whole chat, which may outlast them.
    mock = MockGMS(MockConfig(max_messages_per_chat=MESSAGES + 1000, idle_alert_seconds=0), agent="silent")
    started = time.monotonic()
    with run_in_thread(create_app(BUNDLE, mock=mock)) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_FLAGS)
        page = browser.new_page()
        page.on("request", lambda r: None if urlsplit(r.url).hostname in ("127.0.0.1", "localhost")
                else outside.append(r.url))
        page.add_init_script(RECORD_JS % mode)
        cdp = page.context.new_cdp_session(page)
        worker_heap = WorkerHeap(page, cdp) if mode == "worker" else None
        if mock._loop is None:  # batches are appended on the server's loop, or they could be split
            sys.exit("the mock GMS did not start its lifespan")
        page.goto(f"{url}/cxkit/{PAGES[mode]}")
        page.wait_for_function("() => window.events && events.includes('ready') || window.__cxkit.failure",
                               timeout=180_000)
        if page.evaluate("window.__cxkit.failure"):
            sys.exit(f"cxkit failed to boot: {page.evaluate('window.__cxkit.failure')}")
        assert page.evaluate("window.__cxkit.thread") == mode
        user_agent = page.evaluate("navigator.userAgent")

        def py(source: str) -> Any:
            return page.evaluate("src => cxkitPy(src)", source)

        def page_heap() -> int:
            cdp.send("HeapProfiler.collectGarbage")
            return cdp.send("Runtime.getHeapUsage")["usedSize"]

        page.evaluate("CXBus.registerPlugin('LongChatStart').command('WebChatService.startChat', {nickname: 'Bench'})")
        chat_id = mock.wait_chat_blocking(timeout=60)["chatId"]
        mock.agent(chat_id, "join", nickname="Anna")
        page.wait_for_function("events.includes('agentConnected')", timeout=60_000)
        assert py(HOOK_PY) is True

        samples: list[dict[str, Any]] = []

        sampling: list[list[float]] = []  # page time spans of the sampling (its forced GCs are long tasks)

        def sample(at: int) -> None:
            began = page.evaluate("performance.now()")
            found = py(SAMPLE_PY)
            found.update(messages=at, page_js_heap=page_heap(),
                         worker_js_heap=worker_heap.used() if worker_heap else None)
            samples.append(found)
            sampling.append([began, page.evaluate("performance.now()")])
            print(f"  {mode} {at:>6} messages, {time.monotonic() - started:6.0f} s: {found}", flush=True)

        if trace:
            assert py("import tracemalloc\ntracemalloc.start(1)\nresult = True") is True
        sample(0)
        chat_started = time.monotonic()
        sent = 0
        while sent < MESSAGES:
            size = min(BATCH, MESSAGES - sent)
            texts = [f"agent message {sent + i + 1}: the quick brown fox jumps over the lazy dog" for i in range(size)]
            # One call on the mock's loop: the whole batch is in the transcript before any poll sees it.
            mock._call(lambda texts=texts: [mock.agent(chat_id, "say", text=t) for t in texts])
            sent += size
            page.wait_for_function("n => window.got >= n", arg=sent, timeout=60_000)
            if sent % SAMPLE_EVERY == 0:
                sample(sent)
        chat_s = time.monotonic() - chat_started
        stamps = py(STAMPS_PY)
        arrivals = page.evaluate("arrivals")
        long_tasks = [d for start, d in page.evaluate("longTasks")
                      if not any(a <= start <= b for a, b in sampling)]

        assert py(SETUP_PY) is True
        assert page.evaluate(CHURN_JS, 50) == {"delivered": 50, "answered": 100}  # warm-up
        assert py(TRACE_PY) is True
        before = {**py(CENSUS_PY), **{f"page_{k}": v for k, v in page.evaluate(PAGE_COUNTS_JS).items()}}
        churn_started = time.monotonic()
        churned = page.evaluate(CHURN_JS, CHURN)
        churn_s = time.monotonic() - churn_started
        after = {**py(CENSUS_PY), **{f"page_{k}": v for k, v in page.evaluate(PAGE_COUNTS_JS).items()}}
        browser.close()
    if outside:
        sys.exit(f"requests left 127.0.0.1: {outside}")
    if churned != {"delivered": CHURN, "answered": 2 * CHURN}:
        sys.exit(f"the churn lost something: {churned}")
    return summarise(mode, user_agent, samples, stamps, arrivals, long_tasks, before, after,
                     {"chat_s": round(chat_s, 1), "churn_s": round(churn_s, 1),
                      "total_s": round(time.monotonic() - started, 1)})


def answers(stamps: list[list[float]], arrivals: list[list[float]]) -> list[dict[str, float]]:
    """Each messageReceived with the refresh answer that carried it (the last one in before it)."""
    found = []
    stamps = [s for s in stamps if s[0] is not None]
    j = 0
    for at, count in arrivals:
        while j + 1 < len(stamps) and stamps[j + 1][0] <= at:
            j += 1
        if not stamps or stamps[j][0] > at:
            continue
        answer_in, handled = stamps[j]
        found.append({"messages": count, "handled_ms": handled - answer_in, "page_ms": at - answer_in})
    return found


def stats(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 2), "p95": round(percentile(values, 95), 2),
            "max": round(max(values), 2), "n": len(values)}


def summarise(mode: str, user_agent: str, samples: list[dict], stamps: list, arrivals: list, long_tasks: list,
              before: dict, after: dict, durations: dict) -> dict[str, Any]:
    matched = [a for a in answers(stamps, arrivals) if a["messages"] > 0]
    first = next((s for s in samples if s["messages"] == SAMPLE_EVERY), samples[0])
    last = samples[-1]
    thousands = (last["messages"] - first["messages"]) / 1000 or 1

    def per_1000(key: str) -> float | None:
        if first.get(key) is None or last.get(key) is None:
            return None
        return round((last[key] - first[key]) / thousands)

    growth = {key: per_1000(key) for key in ("transcript_bytes", "heap_break", "wasm_memory", "page_js_heap",
                                             "worker_js_heap", "transcript_objects", "transcript_allocations",
                                             "python_objects", "python_traced")}
    growth["heap_break_beyond_transcript"] = growth["heap_break"] - growth["transcript_bytes"]
    growth["python_objects_beyond_transcript"] = growth["python_objects"] - growth["transcript_objects"]
    if growth["python_traced"] is not None:
        growth["python_traced_beyond_transcript"] = growth["python_traced"] - growth["transcript_bytes"]
    by_thousand = []  # time per answer, per 1,000 messages delivered: does it grow with the transcript?
    delivered = 0
    bucket: list[float] = []
    for a in matched:
        delivered += a["messages"]
        bucket.append(a["page_ms"])
        if delivered % SAMPLE_EVERY == 0 or delivered >= MESSAGES:
            by_thousand.append(round(statistics.median(bucket), 2))
            bucket = []
    moved = {k: after[k] - before[k] for k in before if isinstance(before[k], int) and after.get(k) != before[k]}
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(user_agent, load_average=os.getloadavg()),
        "mode": mode,
        "messages": MESSAGES, "batch": BATCH, "durations_s": durations,
        "per_poll_answer_ms": {
            "answer_in_to_page": stats([a["page_ms"] for a in matched]),
            "answer_in_to_handled": stats([a["handled_ms"] for a in matched]),
            "messages_per_answer": stats([a["messages"] for a in matched]),
            "median_answer_in_to_page_per_1000": by_thousand,
            "goal_ms": GOAL_MS,
            "over_goal": sum(1 for a in matched if a["page_ms"] > GOAL_MS),
        },
        "answers": [[a["messages"], round(a["handled_ms"], 1), round(a["page_ms"], 1)] for a in matched],
        "page_long_tasks_ms": {"count": len(long_tasks), "max": round(max(long_tasks), 1) if long_tasks else 0},
        "memory_samples": samples,
        "growth_per_1000_messages_bytes": growth,
        "leaks": {"cycles": CHURN, "commands": 2 * CHURN, "before": before, "after": after, "moved": moved},
    }


def report(result: dict[str, Any]) -> None:
    mode, t, g = result["mode"], result["per_poll_answer_ms"], result["growth_per_1000_messages_bytes"]
    print(f"== {mode}: {result['messages']} messages in answers of ~{result['batch']} "
          f"({result['durations_s']['chat_s']} s)")
    for name in ("answer_in_to_page", "answer_in_to_handled"):
        s = t[name]
        print(f"  {name:24} median {s['median']:7.2f} ms  p95 {s['p95']:7.2f}  max {s['max']:7.2f}  (n={s['n']})")
    print(f"  over {t['goal_ms']:.0f} ms: {t['over_goal']}; "
          f"medians per 1,000: {t['median_answer_in_to_page_per_1000']}")
    print(f"  page long tasks: {result['page_long_tasks_ms']}")
    for key, value in g.items():
        print(f"  growth per 1,000 messages {key:30} {value if value is not None else '-':>10}")
    leaks = result["leaks"]
    print(f"  churn: {leaks['cycles']} cycles + {leaks['commands']} commands; counts that moved: {leaks['moved']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=(*PAGES, "both"), default="both")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also trace Python's allocations "
                             "(slower: memory figures only; kept as <mode>_tracemalloc)")
    args = parser.parse_args()
    modes = tuple(PAGES) if args.mode == "both" else (args.mode,)
    try:
        saved = json.loads(RESULTS.read_text())
    except (OSError, ValueError):
        saved = {}
    for i, mode in enumerate(modes):
        key = f"{mode}_tracemalloc" if args.tracemalloc else mode
        saved[key] = run(mode, build=i == 0, trace=args.tracemalloc)
        report(saved[key])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(saved, indent=2) + "\n")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
