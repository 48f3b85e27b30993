"""The host page's main thread with and without cxkit: blocking time, input delay, load, LCP.

    .venv/bin/python bench/mainthread.py     # prints a table, writes bench/results/mainthread.json

A plain host page (a heading, paragraphs, a locally served 640x360 PNG hero image so LCP is an
image, a button) is served by the same server as the bundle (``/site/``), in four variants:

- ``plain``: without ``widgets.js``;
- ``script``: with an inert script instead (the built ``widgets.js`` inside ``if (false) {...}``,
  served as ``/site/widgets.js``: the same bytes, name, cache headers and compressed twins, never
  run): what any script tag of that size costs the page, so a widget variant's ratio against it
  (``xs``) is what cxkit adds beyond being a script;
- ``idle``: ``widgets.js``, worker mode, the default boot policy (after ``load``, when idle);
- ``now``: ``widgets.js``, worker mode, ``cxkit.boot = "now"``;
- ``main``: ``widgets.js``, ``cxkit.thread = "main"`` (PyScript on the page's thread), default
  boot policy: for reference.

The widget variants include ``widgets.js`` at the end of ``<body>`` after the ``_genesys``
config, plus one line of page code that records ``WebChatService.ready``. Per load, from an init
script that runs before the page: ``longtask`` and ``long-animation-frame`` observers (buffered),
LCP entries. At ~1 s after navigation a real click (``page.mouse.click`` on the fixed-position
button); its handler records ``performance.now() - event.timeStamp``. The load is watched until
10 s after ``WebChatService.ready`` (plain: 10 s after the load event). Figures per load: Total
Blocking Time (sum of ``duration - 50`` over long tasks starting in that window), longest task,
number of long tasks, ready time, ``loadEventStart``, LCP (the last entry; the browser stops
reporting LCP at the first input, the click at 1 s), click delay, bytes the server sent (body
bytes, counted in the server; includes the worker's downloads, which the page's Resource Timing
does not see) and requests. Cold: a fresh browser context per load; warm: one persistent
context (disk HTTP cache), one priming load per variant, then the measured loads. Variants
alternate, in reverse order every other round. "Caused by cxkit" is a variant's median minus
the plain page's median (TBT), or the ratio of medians (load, LCP), also against ``script``. Load and LCP are also
taken from ``MAINTHREAD_LOAD_N`` quick loads per variant and mode (no click, the page closed
0.5 s after load; same alternation): their medians are over the full and the quick loads, as a
page that loads in ~0.1 s on localhost needs more than 3 samples. Budgets (DESIGN.md, issue 9):
TBT caused by cxkit <= 50 ms cold and warm; load and LCP with the widget <= 1.05x without.

During a chat (worker mode, default boot policy, the mock GMS in the same server, agent
``silent``, polling): a chat is started in the page, the agent joins and sends 100 messages; then
(i) the page is reloaded ``MAINTHREAD_CHAT_N`` times: each reload restores the chat (``restored``,
100+ messages in ``messageReceived``), watched from navigation until 10 s after ready and at
least 3 s after the last restored message; (ii) ``MAINTHREAD_CHAT_N`` bursts of 50 agent
messages (posted back to back on the control API) are watched from the first post until 2 s
after the page received the 50th. Goal: no task over 50 ms. The ``long-animation-frame``
entries (scripts with source URL and function) say whose code a long frame ran.

Two more sets of cold quick loads (load and LCP only) say what the page-without-script baseline
hides. (1) A page that runs a script file of its own (``own``: ``site.js``, a few lines) with and
without the widget (``own_idle``), and, against the plain page, an empty script file (``empty``)
and one more request that is not a script (``pixel``, a 4-pixel image): whether what a script tag
costs the bench page's cold ``load`` on localhost is its bytes, its request, or its being the
page's first script file (most sites run a script file of their own already). (2) The same
variants under DevTools network emulation (``NETWORK``: 10 Mbit/s down, 5 up, 40 ms latency),
where bytes and round trips cost what they cost on a real connection and the runtime's downloads
would compete with the page's if they started before ``load`` (boot ``now``).

``MAINTHREAD_BENCH_N`` sets the full loads per variant and mode (default 3), ``MAINTHREAD_LOAD_N``
the quick ones (default 8; the two sets above take twice as many), ``MAINTHREAD_CHAT_N`` the
restores and bursts (default 3). No
``context.route`` (it disables the HTTP cache): a request listener fails the run if anything leaves
127.0.0.1.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import struct
import sys
import tempfile
import time
import zlib
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from common import Fresh, Shared, find_chromium, machine
from playwright.sync_api import sync_playwright

from cxkit.bundle import build_bundle, compress_twins, project_root
from cxkit.mockgms import MockGMS
from cxkit.server import create_app, run_in_thread

N = int(os.environ.get("MAINTHREAD_BENCH_N", "3"))
CHAT_N = int(os.environ.get("MAINTHREAD_CHAT_N", "3"))
LOAD_N = int(os.environ.get("MAINTHREAD_LOAD_N", "8"))
WINDOW_MS = int(os.environ.get("MAINTHREAD_WINDOW_MS", "10000"))  # smoke runs only: the budget says 10 s
CLICK_AT_S = 1.0
BUTTON = (90, 30)  # the centre of the fixed-position button
TBT_BUDGET_MS = 50
LOAD_BUDGET = 1.05
RESTORE_MESSAGES = 100
BURST_MESSAGES = 50
BUNDLE = Path(os.environ.get("MAINTHREAD_BUNDLE", "/tmp/cxkit-mainthread-build"))
RESULTS = Path(__file__).parent / "results" / "mainthread.json"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
VARIANTS = ("plain", "script", "idle", "now", "main")
WITHOUT_CXKIT = ("plain", "script")
OWN_VARIANTS = ("plain", "empty", "pixel", "own", "own_idle")
NETWORK_VARIANTS = ("plain", "script", "idle", "now", "own", "own_idle")
#: DevTools network emulation for the NETWORK_VARIANTS loads: a modest home connection.
NETWORK = {"offline": False, "latency": 40, "downloadThroughput": 10_000_000 / 8, "uploadThroughput": 5_000_000 / 8}
#: The page's own script file in the ``own`` variants (what a site's own code would be).
OWN_SCRIPT = """document.documentElement.classList.add("js");
document.querySelectorAll("ul li").forEach(function (li) { li.dataset.seen = "1"; });
"""
ORIGINAL = {"source": "DESIGN.md, issue 9: the original product on a plain page, same machine class",
            "longest_task_ms": [170, 290], "tbt_ms": [150, 240], "ready_ms": 500}

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Northwind Outfitters</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; padding: 72px 24px 24px; max-width: 960px; }
  #buy { position: fixed; left: 20px; top: 10px; width: 140px; height: 40px; }
  img { width: 100%%; height: auto; display: block; }
</style></head>
<body>
<button id="buy" type="button">Add to cart</button>
<h1>Northwind Outfitters: the autumn collection</h1>
<img src="hero.png" width="640" height="360" alt="A jacket on a hillside">
<p>Our new range of waterproof jackets is made for long walks in bad weather. Every seam is taped,
every zip is covered, and the hood adjusts with one hand. Order before Friday for free delivery.</p>
<p>Questions about sizes, returns or an order? Our support team is here from 8 am to 8 pm and
answers chats within a minute on weekdays.</p>
<ul><li>Free returns within 30 days</li><li>Repairs for life</li><li>Made from recycled fabric</li></ul>
<p>Sign up for our newsletter and get 10 %% off your first order.</p>
<script>
  document.getElementById("buy").addEventListener("click", function (e) {
    window.benchClick = { delay: performance.now() - e.timeStamp, at: e.timeStamp };
    this.textContent = "Added";
  });
</script>
%(widget)s
</body></html>
"""

WIDGET = """<script>
  window._genesys = { widgets: {
    webchat: { dataURL: location.origin + "/genesys/2/chat/customer-support" }%(cxkit)s
  } };
</script>
<script src="/cxkit/widgets.js"></script>
<script>
  window.bench = { messages: 0, events: {} };
  (function (p) {
    ["ready", "restored", "agentConnected"].forEach(function (n) {
      p.subscribe("WebChatService." + n, function () {
        window.bench.events[n] = window.bench.events[n] || performance.now();
      });
    });
    p.subscribe("WebChatService.messageReceived", function (e) {
      window.bench.messages += e.data.messages.length; window.bench.lastMessage = performance.now();
    });
  })(CXBus.registerPlugin("HostPage"));
</script>"""

CXKIT_OPTIONS = {"plain": None, "script": None, "idle": "", "now": ', cxkit: { boot: "now" }',
                 "main": ', cxkit: { thread: "main" }'}

#: Runs before the page's own scripts: observers for long tasks, long animation frames, LCP.
INIT_JS = """
window.benchLong = []; window.benchFrames = []; window.benchLcp = [];
new PerformanceObserver(function (l) {
  l.getEntries().forEach(function (e) { benchLong.push([e.startTime, e.duration]); });
}).observe({ type: "longtask", buffered: true });
new PerformanceObserver(function (l) {
  l.getEntries().forEach(function (e) { benchLcp.push([e.startTime, e.size, e.url]); });
}).observe({ type: "largest-contentful-paint", buffered: true });
try {
  new PerformanceObserver(function (l) {
    l.getEntries().forEach(function (e) {
      if (e.blockingDuration <= 0) return;
      benchFrames.push({ start: e.startTime, duration: e.duration, blocking: e.blockingDuration,
        scripts: e.scripts.map(function (s) {
          return { url: s.sourceURL, fn: s.sourceFunctionName, invoker: s.invoker, type: s.invokerType,
                   duration: s.duration, forcedLayout: s.forcedStyleAndLayoutDuration };
        }) });
    });
  }).observe({ type: "long-animation-frame", buffered: true });
} catch (e) { window.benchNoFrames = String(e); }
"""

COLLECT_JS = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const lcp = benchLcp.length ? benchLcp[benchLcp.length - 1] : null;
  const b = window.bench || null;
  return {
    now: performance.now(),
    load: nav.loadEventStart, dcl: nav.domContentLoadedEventStart,
    lcp: lcp ? lcp[0] : null, lcp_url: lcp ? lcp[2] : null,
    ready: b && b.events.ready || null, restored: b && b.events.restored || null,
    messages: b ? b.messages : 0, last_message: b && b.lastMessage || null,
    attached: window.__cxkit ? window.__cxkit.attachedAt || null : null,
    thread: window.__cxkit ? window.__cxkit.thread : null,
    failure: window.__cxkit ? window.__cxkit.failure || null : null,
    click: window.benchClick || null,
    long: benchLong, frames: benchFrames,
  };
}"""



def hero_png(width: int = 640, height: int = 360, seed: int = 7) -> bytes:
    """A gradient with noise in the low bits: ~420 KB that do not compress away."""
    rng = random.Random(seed)
    raw = bytearray()
    for y in range(height):
        noise = rng.randbytes(width * 3)
        raw += b"\x00"
        for x in range(width):
            raw += bytes(((x * 255 // width) ^ (noise[3 * x] & 3), (y * 255 // height) ^ (noise[3 * x + 1] & 3),
                          128 + (noise[3 * x + 2] & 3)))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(raw), 6)) + chunk(b"IEND", b""))


INERT = """<script src="widgets.js"></script>"""
OWN = """<script src="site.js"></script>"""


def write_site(folder: Path, loader: Path) -> None:
    """The variants' pages; ``widgets.js`` here is the built ``loader`` made inert (never run):
    the same bytes on the wire, the same name and so the same cache headers."""
    (folder / "hero.png").write_bytes(hero_png())
    (folder / "widgets.js").write_text("if (false) {\n" + loader.read_text() + "\n}\n")
    compress_twins(folder / "widgets.js")
    (folder / "site.js").write_text(OWN_SCRIPT)
    for variant, options in CXKIT_OPTIONS.items():
        widget = INERT if variant == "script" else "" if options is None else WIDGET % {"cxkit": options}
        (folder / f"{variant}.html").write_text(PAGE % {"widget": widget})
    (folder / "empty.js").write_text("")
    (folder / "pixel.png").write_bytes(hero_png(4, 4))
    (folder / "empty.html").write_text(PAGE % {"widget": '<script src="empty.js"></script>'})
    (folder / "pixel.html").write_text(PAGE % {"widget": '<img src="pixel.png" width="4" height="4" alt="">'})
    (folder / "own.html").write_text(PAGE % {"widget": OWN})
    (folder / "own_idle.html").write_text(PAGE % {"widget": OWN + "\n" + WIDGET % {"cxkit": ""}})


class ByteCounter:
    """ASGI middleware: response body bytes and requests, as the server sent them."""

    def __init__(self, app) -> None:
        self.app = app
        self.bytes = 0
        self.requests = 0

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.requests += 1

        async def counting(message) -> None:
            if message["type"] == "http.response.body":
                self.bytes += len(message.get("body", b""))
            await send(message)
        await self.app(scope, receive, counting)


def tasks_in(long: list, start: float, end: float) -> list[float]:
    return [d for s, d in long if start <= s < end]


def blocking(durations: list[float]) -> dict:
    return {"tbt_ms": round(sum(max(0.0, d - 50) for d in durations), 1),
            "longest_ms": round(max(durations, default=0.0), 1), "long_tasks": len(durations)}


def top_scripts(frames: list, start: float, end: float, n: int = 5) -> list[dict]:
    """The longest script runs inside long animation frames in the window."""
    runs = [dict(s, frame_start=round(f["start"], 1), frame_ms=round(f["duration"], 1))
            for f in frames if start <= f["start"] < end for s in f["scripts"]]
    runs.sort(key=lambda s: -s["duration"])
    return [{k: (round(v, 1) if isinstance(v, float) else v) for k, v in s.items()} for s in runs[:n]]


def settle_until(page, page_ms: float) -> None:
    """Sleep until the page's clock passes ``page_ms``."""
    now = page.evaluate("performance.now()")
    if page_ms > now:
        time.sleep((page_ms - now) / 1000)


def open_page(context, outside: list[str]):
    page = context.new_page()
    page.on("request", lambda r: None if urlsplit(r.url).hostname in ("127.0.0.1", "localhost")
            else outside.append(r.url))
    page.add_init_script(INIT_JS)
    return page


def wait_ready(page, variant: str) -> None:
    if variant in WITHOUT_CXKIT:
        page.wait_for_function("() => performance.getEntriesByType('navigation')[0].loadEventEnd > 0",
                               timeout=60_000, polling=250)
        return
    page.wait_for_function("() => (window.bench && bench.events.ready) || (window.__cxkit && __cxkit.failure)",
                           timeout=120_000, polling=250)
    failure = page.evaluate("window.__cxkit.failure")
    if failure:
        sys.exit(f"cxkit failed to boot ({variant}): {failure}")


def load(context, site: str, variant: str, counter: ByteCounter, outside: list[str], measure: bool = True) -> dict:
    page = open_page(context, outside)
    bytes0, requests0 = counter.bytes, counter.requests
    started = time.monotonic()
    page.goto(f"{site}/{variant}.html", wait_until="commit", timeout=60_000)
    if measure:
        time.sleep(max(0.0, started + CLICK_AT_S - time.monotonic()))
        page.mouse.click(*BUTTON)
    wait_ready(page, variant)
    if not measure:
        page.close()
        return {}
    first = page.evaluate(COLLECT_JS)
    anchor = first["load"] if variant in WITHOUT_CXKIT else first["ready"]
    settle_until(page, anchor + WINDOW_MS)
    s = page.evaluate(COLLECT_JS)
    page.close()
    end = anchor + WINDOW_MS
    sample = {
        "ready_ms": None if variant in WITHOUT_CXKIT else round(s["ready"], 1),
        "load_ms": round(s["load"], 1), "lcp_ms": None if s["lcp"] is None else round(s["lcp"], 1),
        "lcp_url": (s["lcp_url"] or "").rsplit("/", 1)[-1],
        "click_at_ms": round(s["click"]["at"], 1) if s["click"] else None,
        "click_delay_ms": round(s["click"]["delay"], 1) if s["click"] else None,
        **blocking(tasks_in(s["long"], 0, end)),
        "long_task_list": [[round(a, 1), round(d, 1)] for a, d in s["long"] if a < end],
        "bytes": counter.bytes - bytes0, "requests": counter.requests - requests0,
        "thread": s["thread"], "top_scripts": top_scripts(s["frames"], 0, end),
    }
    return sample




LOAD_JS = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  return { load: nav.loadEventStart, lcp: benchLcp.length ? benchLcp[benchLcp.length - 1][0] : null };
}"""


def quick_loads(contexts, site: str, n: int, outside: list[str], variants: tuple[str, ...] = VARIANTS,
                network: dict | None = None) -> dict[str, list[dict]]:
    """Load event and LCP only: no click (input ends LCP), the page closed 0.5 s after load;
    ``network``: DevTools network emulation for the page."""
    samples: dict[str, list[dict]] = {v: [] for v in variants}
    for i in range(n):
        for variant in variants if i % 2 == 0 else variants[::-1]:
            with contexts() as context:
                page = open_page(context, outside)
                if network:
                    cdp = context.new_cdp_session(page)
                    cdp.send("Network.enable")
                    cdp.send("Network.emulateNetworkConditions", network)
                page.goto(f"{site}/{variant}.html", wait_until="load", timeout=60_000)
                page.wait_for_timeout(500)
                s = page.evaluate(LOAD_JS)
                page.close()
            samples[variant].append({"load_ms": round(s["load"], 1),
                                     "lcp_ms": None if s["lcp"] is None else round(s["lcp"], 1)})
    return samples


def measure(contexts, site: str, n: int, counter: ByteCounter, outside: list[str]) -> dict[str, list[dict]]:
    samples: dict[str, list[dict]] = {v: [] for v in VARIANTS}
    for i in range(n):
        for variant in VARIANTS if i % 2 == 0 else VARIANTS[::-1]:
            with contexts() as context:
                samples[variant].append(load(context, site, variant, counter, outside))
            last = samples[variant][-1]
            print(f"  {variant:6} ready {last['ready_ms'] or 0:7.0f}  TBT {last['tbt_ms']:6.0f}"
                  f"  longest {last['longest_ms']:6.0f}"
                  f"  click {last['click_delay_ms'] if last['click_delay_ms'] is not None else float('nan'):6.1f}"
                  f"  load {last['load_ms']:5.0f}  LCP {last['lcp_ms'] or 0:5.0f}", flush=True)
    return samples


def med(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 1) if values else None


def summary(samples: dict[str, list[dict]], quick: dict[str, list[dict]]) -> dict:
    out: dict = {}
    for variant, loads in samples.items():
        out[variant] = {key: med([s[key] for s in loads]) for key in
                        ("tbt_ms", "longest_ms", "long_tasks", "ready_ms", "load_ms", "lcp_ms", "click_delay_ms",
                         "bytes", "requests")}
        out[variant]["tbt_ms_range"] = [min(s["tbt_ms"] for s in loads), max(s["tbt_ms"] for s in loads)]
        out[variant]["longest_ms_range"] = [min(s["longest_ms"] for s in loads), max(s["longest_ms"] for s in loads)]
        # load and LCP: the full loads (clicked at 1 s) and the quick loads (no input), together
        both = loads + quick[variant]
        out[variant]["load_ms"] = med([s["load_ms"] for s in both])
        out[variant]["lcp_ms"] = med([s["lcp_ms"] for s in both])
        out[variant]["load_samples"] = len(both)
    plain, script = out["plain"], out["script"]
    for variant in VARIANTS[1:]:
        v = out[variant]
        if variant not in WITHOUT_CXKIT:  # what cxkit adds beyond any script tag of its size
            v["load_ratio_vs_script"] = round(v["load_ms"] / script["load_ms"], 3) if script["load_ms"] else None
            v["lcp_ratio_vs_script"] = (round(v["lcp_ms"] / script["lcp_ms"], 3)
                                        if script["lcp_ms"] and v["lcp_ms"] else None)
        v["tbt_caused_ms"] = round(v["tbt_ms"] - plain["tbt_ms"], 1)
        v["load_added_ms"] = round(v["load_ms"] - plain["load_ms"], 1)
        v["lcp_added_ms"] = round(v["lcp_ms"] - plain["lcp_ms"], 1) if v["lcp_ms"] and plain["lcp_ms"] else None
        v["tbt_budget_met"] = v["tbt_caused_ms"] <= TBT_BUDGET_MS
        load_ratios(v, plain)
    return out


def load_ratios(v: dict, base: dict) -> None:
    """``v``'s load and LCP medians as ratios of ``base``'s, and whether each is within budget."""
    v["load_ratio"] = round(v["load_ms"] / base["load_ms"], 3) if base["load_ms"] else None
    v["lcp_ratio"] = round(v["lcp_ms"] / base["lcp_ms"], 3) if base["lcp_ms"] and v["lcp_ms"] else None
    v["load_budget_met"] = v["load_ratio"] is not None and v["load_ratio"] <= LOAD_BUDGET
    v["lcp_budget_met"] = v["lcp_ratio"] is not None and v["lcp_ratio"] <= LOAD_BUDGET


def quick_summary(quick: dict[str, list[dict]]) -> dict:
    """Medians of load and LCP per variant, and each variant's ratios against the one
    `QUICK_PAIRS` names as its page without the widget (or without any script)."""
    out: dict = {}
    for variant, loads in quick.items():
        out[variant] = {"load_ms": med([s["load_ms"] for s in loads]), "lcp_ms": med([s["lcp_ms"] for s in loads]),
                        "load_samples": len(loads)}
    for variant, against in QUICK_PAIRS.items():
        if variant in out:
            out[variant]["against"] = against
            load_ratios(out[variant], out[against])
    return out


#: Each variant of the two extra sets against its page without the widget ("own_idle": the page
#: with its own script) or without any script ("own": what the page's own script costs it).
QUICK_PAIRS = {"script": "plain", "idle": "plain", "now": "plain", "own": "plain", "own_idle": "own",
               "empty": "plain", "pixel": "plain"}


def during_chat(browser, site: str, control: httpx.Client, outside: list[str]) -> dict:
    """Worker mode, default boot: a 100-message restore (reloads) and bursts of 50 agent messages."""
    context = browser.new_context()
    page = open_page(context, outside)
    page.goto(f"{site}/idle.html")
    wait_ready(page, "idle")
    after = control.get("/mock/chats").raise_for_status().json()["chats"]
    page.evaluate("CXBus.registerPlugin('BenchStart').command('WebChatService.startChat', {nickname: 'Bench'})")
    waited = control.get("/mock/wait-chat", params={"timeout": 30, "after": len(after)}).raise_for_status()
    chat_id = waited.json()["chat"]["chatId"]
    control.post(f"/mock/chats/{chat_id}/agent", json={"action": "join", "nickname": "Anna"}).raise_for_status()
    page.wait_for_function("() => window.bench && bench.events.agentConnected", timeout=30_000, polling=250)
    for i in range(RESTORE_MESSAGES):
        control.post(f"/mock/chats/{chat_id}/agent",
                     json={"action": "say", "text": f"history message {i + 1}: " + "lorem ipsum " * 6}
                     ).raise_for_status()
    page.wait_for_function("n => window.bench && bench.messages >= n", arg=RESTORE_MESSAGES,
                           timeout=60_000, polling=250)

    restores = []
    for _ in range(CHAT_N):
        page.goto(f"{site}/idle.html", wait_until="commit")
        page.wait_for_function("n => window.bench && bench.events.restored && bench.messages >= n",
                               arg=RESTORE_MESSAGES, timeout=120_000, polling=250)
        s = page.evaluate(COLLECT_JS)
        end = max(s["ready"] + WINDOW_MS, s["last_message"] + 3000)
        settle_until(page, end)
        s = page.evaluate(COLLECT_JS)
        durations = tasks_in(s["long"], 0, end)
        restores.append({"ready_ms": round(s["ready"], 1), "restored_ms": round(s["restored"], 1),
                         "messages": s["messages"], "last_message_ms": round(s["last_message"], 1),
                         **blocking(durations),
                         "long_task_list": [[round(a, 1), round(d, 1)] for a, d in s["long"] if a < end],
                         "top_scripts": top_scripts(s["frames"], 0, end)})
        print(f"  restore: {s['messages']} messages by {s['last_message']:.0f} ms, longest task "
              f"{restores[-1]['longest_ms']:.0f} ms, TBT {restores[-1]['tbt_ms']:.0f} ms", flush=True)

    bursts = []
    for k in range(CHAT_N):
        time.sleep(1.0)
        start = page.evaluate("performance.now()")
        have = page.evaluate("bench.messages")
        for i in range(BURST_MESSAGES):
            control.post(f"/mock/chats/{chat_id}/agent",
                         json={"action": "say", "text": f"burst {k + 1} message {i + 1}"}).raise_for_status()
        page.wait_for_function("n => window.bench && bench.messages >= n", arg=have + BURST_MESSAGES,
                               timeout=60_000, polling=250)
        last = page.evaluate("bench.lastMessage")
        settle_until(page, last + 2000)
        s = page.evaluate(COLLECT_JS)
        durations = tasks_in(s["long"], start, last + 2000)
        bursts.append({"received_after_ms": round(last - start, 1), **blocking(durations),
                       "top_scripts": top_scripts(s["frames"], start, last + 2000)})
        print(f"  burst: 50 messages in {last - start:.0f} ms, longest task {bursts[-1]['longest_ms']:.0f} ms, "
              f"TBT {bursts[-1]['tbt_ms']:.0f} ms", flush=True)
    context.close()
    return {
        "restore": {"samples": restores, "longest_ms_max": max(r["longest_ms"] for r in restores),
                    "longest_ms_median": med([r["longest_ms"] for r in restores]),
                    "tbt_ms_median": med([r["tbt_ms"] for r in restores]),
                    "ready_ms_median": med([r["ready_ms"] for r in restores]),
                    "last_message_ms_median": med([r["last_message_ms"] for r in restores])},
        "burst": {"samples": bursts, "longest_ms_max": max(b["longest_ms"] for b in bursts),
                  "longest_ms_median": med([b["longest_ms"] for b in bursts]),
                  "tbt_ms_median": med([b["tbt_ms"] for b in bursts]),
                  "received_after_ms_median": med([b["received_after_ms"] for b in bursts])},
        "goal_longest_ms": 50,
    }


def run(n: int = N) -> dict:
    build_bundle(project_root(), BUNDLE)
    outside: list[str] = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as site_dir, tempfile.TemporaryDirectory() as profile:
        write_site(Path(site_dir), BUNDLE / "widgets.js")
        counter = ByteCounter(create_app(BUNDLE, mock=MockGMS(agent="silent"), extra_static={"/site": site_dir}))
        with run_in_thread(counter) as url, sync_playwright() as pw, httpx.Client(base_url=url, timeout=60) as control:
            site = f"{url}/site"
            browser = pw.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_FLAGS)
            with Fresh(browser) as context:  # the browser's first navigation pays for starting its processes
                load(context, site, "plain", counter, outside, measure=False)
            print("cold", flush=True)
            cold = measure(lambda: Fresh(browser), site, n, counter, outside)
            cold_quick = quick_loads(lambda: Fresh(browser), site, LOAD_N, outside)
            print("cold, a page with a script of its own", flush=True)
            own = quick_loads(lambda: Fresh(browser), site, 2 * LOAD_N, outside, OWN_VARIANTS)
            print("cold, network emulated", flush=True)
            network = quick_loads(lambda: Fresh(browser), site, 2 * LOAD_N, outside, NETWORK_VARIANTS, NETWORK)
            print("during a chat", flush=True)
            chat = during_chat(browser, site, control, outside)
            browser.close()
            persistent = pw.chromium.launch_persistent_context(profile, executable_path=find_chromium(),
                                                                args=CHROMIUM_FLAGS)
            for variant in VARIANTS:  # prime the HTTP cache and V8's code cache
                load(persistent, site, variant, counter, outside, measure=False)
            print("warm", flush=True)
            warm = measure(lambda: Shared(persistent), site, n, counter, outside)
            warm_quick = quick_loads(lambda: Shared(persistent), site, LOAD_N, outside)
            page = persistent.new_page()
            user_agent = page.evaluate("navigator.userAgent")
            page.close()
            persistent.close()
    if outside:
        sys.exit(f"requests left 127.0.0.1: {outside}")
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(user_agent, loadavg_1min=[round(load_before, 2), round(os.getloadavg()[0], 2)]),
        "method": f"{n} loads per variant and mode, alternating; click at {CLICK_AT_S} s; window: navigation -> "
                  f"{WINDOW_MS / 1000:.0f} s after WebChatService.ready (plain: after load); "
                  "TBT = sum(longtask - 50 ms); "
                  f"medians; caused = variant median - plain median; ratios of medians; load and LCP medians over "
                  f"those loads plus {LOAD_N} quick loads per variant and mode (no click, closed 0.5 s after load)",
        "variants": {"plain": "no widgets.js", "script": "an inert script of widgets.js's bytes (never run)",
                     "idle": "worker, boot idle (default)", "now": "worker, boot now",
                     "main": "thread main (PyScript), boot idle (default)",
                     "own": "no widgets.js; a script file of the page's own (site.js)",
                     "empty": "no widgets.js; an empty script file", "pixel": "no widgets.js; a 4-pixel image",
                     "own_idle": "site.js, then widgets.js as idle"},
        "budgets": {"tbt_caused_ms": TBT_BUDGET_MS, "load_ratio": LOAD_BUDGET, "lcp_ratio": LOAD_BUDGET,
                    "task_during_chat_ms": 50},
        "cold": summary(cold, cold_quick), "warm": summary(warm, warm_quick), "during_chat": chat,
        "cold_own_script": quick_summary(own),
        "cold_network": {"conditions": NETWORK, **quick_summary(network)},
        "samples": {"cold": cold, "warm": warm, "cold_quick": cold_quick, "warm_quick": warm_quick,
                    "cold_own_script": own, "cold_network": network},
        "reference_original": ORIGINAL,
    }


def fmt(v, spec: str = ".0f") -> str:
    return "-" if v is None else format(v, spec)


def main() -> None:
    started = time.monotonic()
    result = run()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    head = (f"{'median':11} {'TBT':>6} {'caused':>7} {'longest':>8} {'#long':>6} {'click':>7} {'ready':>7}"
            f" {'load':>6} {'x':>5} {'xs':>5} {'LCP':>6} {'x':>5} {'xs':>5} {'MB':>6}")
    for mode in ("cold", "warm"):
        print(f"\n{mode}, ms\n{head}")
        for variant in VARIANTS:
            r = result[mode][variant]
            print(f"{variant:11} {fmt(r['tbt_ms']):>6} {fmt(r.get('tbt_caused_ms')):>7} {fmt(r['longest_ms']):>8}"
                  f" {fmt(r['long_tasks']):>6} {fmt(r['click_delay_ms'], '.1f'):>7} {fmt(r['ready_ms']):>7}"
                  f" {fmt(r['load_ms']):>6} {fmt(r.get('load_ratio'), '.2f'):>5}"
                  f" {fmt(r.get('load_ratio_vs_script'), '.2f'):>5} {fmt(r['lcp_ms']):>6}"
                  f" {fmt(r.get('lcp_ratio'), '.2f'):>5} {fmt(r.get('lcp_ratio_vs_script'), '.2f'):>5}"
                  f" {r['bytes'] / 1e6:>6.1f}")
    for key, title in (("cold_own_script", "cold, a page with a script of its own"),
                       ("cold_network", "cold, network emulated (10/5 Mbit/s, 40 ms)")):
        print(f"\n{title}, ms: median load, LCP; x against the page named")
        for variant, r in result[key].items():
            if variant == "conditions":
                continue
            print(f"{variant:11} {fmt(r['load_ms']):>6} {fmt(r['lcp_ms']):>6}"
                  + (f"  {fmt(r['load_ratio'], '.2f')} / {fmt(r['lcp_ratio'], '.2f')} x {r['against']}"
                     if "against" in r else ""))
    chat = result["during_chat"]
    print(f"\nduring a chat (worker): restore of {RESTORE_MESSAGES} messages: longest task "
          f"{chat['restore']['longest_ms_median']:.0f} ms (max {chat['restore']['longest_ms_max']:.0f}), TBT "
          f"{chat['restore']['tbt_ms_median']:.0f} ms; burst of {BURST_MESSAGES}: longest "
          f"{chat['burst']['longest_ms_median']:.0f} ms (max {chat['burst']['longest_ms_max']:.0f}), TBT "
          f"{chat['burst']['tbt_ms_median']:.0f} ms; goal: no task over 50 ms")
    print(f"x: against the plain page, xs: against the page with an inert script of widgets.js's bytes\n"
          f"budgets: TBT caused <= {TBT_BUDGET_MS} ms, load and LCP <= {LOAD_BUDGET}x plain; "
          f"{time.monotonic() - started:.0f} s; written to {RESULTS}")


if __name__ == "__main__":
    main()
