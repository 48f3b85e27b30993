"""Agent message latency and the idle request rate against the mock GMS: polling, and push
(CometD) over the WebSocket and over long-polling.

    .venv/bin/python bench/latency.py                  # all modes; writes bench/results/latency.json
    .venv/bin/python bench/latency.py --mode cometd    # one mode; the others' figures are kept

The polling result stays at the top level of the JSON (as before); the push runs go under
``"cometd"`` (WebSocket, the default of ``cometD.websocketEnabled``) and
``"cometd_long_polling"`` (``websocketEnabled: false``). In CometD modes the page is configured
with ``cometD.enabled`` (``cxkitTestConfig`` hook); messages arrive on the held Bayeux
``/meta/connect``, and the idle figure counts the connects the page made in the window (each is
held up to the server's 25 s timeout), from the mock's own per-transport counts.

One page (``/e2e.html``, agent preset ``silent``) starts a chat; the agent joins; then 20 agent
messages are injected through the control API at random moments (gaps 0.5-4 s from a seeded
``random.Random``). Latency = the page's receive time of the ``messageReceived`` that carries a
message (``performance.timeOrigin + performance.now()``) minus that message's ``utcTime``, which
the mock stamps when the message is appended: the same machine clock. Then the chat idles and
the refresh requests in a 60 s window are counted from ``/mock/requests``.

Reference: the original client against its fake, spec/observed-client.md (d): median 1.13 s,
max 2.73 s over 10 messages 2 s apart; 20 refresh requests a minute while idle.

The bundle is built into ``LATENCY_BUNDLE`` (default /tmp/lat-build). No ``context.route`` (it
disables the HTTP cache): a request listener fails the run if anything leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from common import find_chromium, machine
from playwright.sync_api import sync_playwright

from cxkit.bundle import build_bundle, project_root
from cxkit.mockgms import MockGMS
from cxkit.server import create_app, run_in_thread

SEED = int(os.environ.get("LATENCY_SEED", "20240611"))
MESSAGES = 20
GAP_S = (0.5, 4.0)
IDLE_WINDOW_S = 60.0
BUNDLE = Path(os.environ.get("LATENCY_BUNDLE", "/tmp/lat-build"))
RESULTS = Path(__file__).parent / "results" / "latency.json"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
REFERENCE = {
    "source": "spec/observed-client.md (d), the original client, polling",
    "latency_ms": [1261, 753, 748, 994, 1733, 2729, 723, 1715, 2712, 707],
    "p50_ms": 1130, "max_ms": 2729,
    "idle_refresh_per_min": 20, "idle_gap_ms": [2997, 3003],
}

#: Records, for every message a messageReceived carries, its index, text, utcTime and when the
#: page got it; the recorder runs before boot, through the loader's queue.
RECORD_JS = """
performance.setResourceTimingBufferSize(100000);
window.cxkitTestEarly = () => {
  window.got = [];
  window.events = [];
  const p = CXBus.registerPlugin('LatencyBench');
  p.subscribe('WebChatService.messageReceived', e => {
    const at = performance.timeOrigin + performance.now();
    for (const m of e.data.messages) got.push({index: m.index, type: m.type, text: m.text, utcTime: m.timestamp, at});
  });
  for (const n of ['ready', 'started', 'agentConnected'])
    p.subscribe('WebChatService.' + n, () => events.push(n));
};
"""



def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0-100)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def gaps(times: list[int]) -> list[int]:
    return [b - a for a, b in zip(times, times[1:], strict=False)]


COMETD_JS = """
window.cxkitTestConfig = w => {
  w.webchat.cometD = {enabled: true, cometURL: location.origin + '/genesys/cometd', websocketEnabled: %s,
                      channel: '/service/chatV2/customer-support', apiURL: location.origin + '/genesys/2/chat-ntf'};
};
"""
MODES = {"polling": None, "cometd": "websocket", "cometd_long_polling": "long-polling"}


CONNECT_TIMES_JS = """performance.getEntriesByType('resource')
  .filter(e => e.name.endsWith('/genesys/cometd/connect')).map(e => performance.timeOrigin + e.startTime)"""


def run(mode: str = "polling", build: bool = True) -> dict:
    if build:
        build_bundle(project_root(), BUNDLE, test_pages=True)  # it opens /cxkit/e2e.html
    rng = random.Random(SEED)
    outside: list[str] = []

    def on_request(request) -> None:
        if urlsplit(request.url).hostname not in ("127.0.0.1", "localhost"):
            outside.append(request.url)
    with run_in_thread(create_app(BUNDLE, mock=MockGMS(agent="silent"))) as url, sync_playwright() as pw, \
            httpx.Client(base_url=url, timeout=30) as control:
        browser = pw.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_FLAGS)
        page = browser.new_page()
        page.on("request", on_request)
        transport = MODES[mode]
        cometd_js = COMETD_JS % ("true" if transport == "websocket" else "false")
        page.add_init_script((cometd_js if transport else "") + RECORD_JS)
        page.goto(f"{url}/cxkit/e2e.html")
        page.wait_for_function("() => window.events && events.includes('ready') || window.__cxkit.failure",
                               timeout=120_000)
        if page.evaluate("window.__cxkit.failure"):
            sys.exit(f"cxkit failed to boot: {page.evaluate('window.__cxkit.failure')}")
        user_agent = page.evaluate("navigator.userAgent")
        # timeOrigin + now() and Date.now() are both the wall clock; record how far apart they are.
        clock_skew_ms = page.evaluate("performance.timeOrigin + performance.now() - Date.now()")

        page.evaluate("CXBus.registerPlugin('LatencyStart').command('WebChatService.startChat', {nickname: 'Bench'})")
        chat_id = control.get("/mock/wait-chat", params={"timeout": 30}).raise_for_status().json()["chat"]["chatId"]
        control.post(f"/mock/chats/{chat_id}/agent", json={"action": "join", "nickname": "Anna"}).raise_for_status()
        page.wait_for_function("events.includes('agentConnected')", timeout=30_000)

        sent: dict[str, int] = {}
        planned = [round(rng.uniform(*GAP_S), 3) for _ in range(MESSAGES)]
        messages_start = time.time() * 1000
        for i, gap in enumerate(planned):
            time.sleep(gap)  # the point of the bench: messages arrive at random moments
            text = f"agent message {i + 1}"
            answer = control.post(f"/mock/chats/{chat_id}/agent", json={"action": "say", "text": text})
            sent[text] = answer.raise_for_status().json()["messages"][0]["utcTime"]
        page.wait_for_function("n => got.filter(m => m.type === 'Message').length >= n", arg=MESSAGES,
                               timeout=30_000)
        received = {m["text"]: m for m in page.evaluate("got") if m["type"] == "Message"}
        latencies = [received[t]["at"] - utc for t, utc in sent.items()]
        stamps_match = all(received[t]["utcTime"] == utc for t, utc in sent.items())

        counts_before = control.get("/mock/cometd").json()["transports"]
        idle_start = time.time() * 1000
        time.sleep(IDLE_WINDOW_S)  # the chat idles: count what the page does meanwhile
        idle_end = time.time() * 1000
        counts_after = control.get("/mock/cometd").json()["transports"]
        refreshes = [e["time"] for e in control.get("/mock/requests", params={
            "operation": "refresh", "chatId": chat_id}).raise_for_status().json()["requests"]]
        if transport == "long-polling":
            # Playwright's sync API dispatches request events late (not during time.sleep), so
            # the page's own Resource Timing says when each /meta/connect was sent.
            refreshes = page.evaluate(CONNECT_TIMES_JS)
        browser.close()
    if outside:
        sys.exit(f"requests left 127.0.0.1: {outside}")

    idle = [t for t in refreshes if idle_start <= t < idle_end]
    during = [t for t in refreshes if messages_start <= t < idle_start]
    idle_gaps = gaps(idle)
    idle_count = len(idle)
    if transport:  # the mock's count of connects in the window (the worker's Resource Timing is
        # not the page's, so the page cannot see its connects since Python moved to a worker)
        idle_count = counts_after["connects"][transport] - counts_before["connects"][transport]
    result = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(user_agent),
        "mode": mode,
        "method": f"{MESSAGES} agent messages, seeded random gaps {GAP_S[0]}-{GAP_S[1]} s (seed {SEED}); latency = "
                  "page timeOrigin+now() at messageReceived - message utcTime (mock stamp); idle: "
                  + ("refresh requests" if mode == "polling" else
                     f"Bayeux /meta/connect messages over {transport} (the mock's count; one held up to 25 s)")
                  + f" in a {IDLE_WINDOW_S:.0f} s window right after the last message arrived",
        "seed": SEED,
        "gaps_s": planned,
        "clock_skew_ms": round(clock_skew_ms, 2),
        "utcTime_matches_page_timestamp": stamps_match,
        "latency_ms": {
            "samples": [round(v, 1) for v in latencies],
            "p50": round(statistics.median(latencies), 1),
            "p95": round(percentile(latencies, 95), 1),
            "max": round(max(latencies), 1),
            "min": round(min(latencies), 1),
            "mean": round(statistics.fmean(latencies), 1),
        },
        ("poll_gaps_during_messages_ms" if mode == "polling" else "connect_gaps_during_messages_ms"): gaps(during),
        "transport": transport or "polling",
        "transports_seen_by_the_mock": counts_after,
        "idle": {
            "window_s": IDLE_WINDOW_S,
            "refresh_requests": idle_count,
            "per_minute": round(idle_count * 60 / IDLE_WINDOW_S, 1),
            "gap_ms": {"min": min(idle_gaps), "median": statistics.median(idle_gaps), "max": max(idle_gaps)}
            if idle_gaps else None,
        },
        "reference_original": REFERENCE,
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=(*MODES, "all", "both"), default="all")
    args = parser.parse_args()
    started = time.monotonic()
    modes = tuple(MODES) if args.mode in ("all", "both") else (args.mode,)
    try:
        saved = json.loads(RESULTS.read_text())
    except (OSError, ValueError):
        saved = {}
    results = {mode: run(mode, build=i == 0) for i, mode in enumerate(modes)}
    polling = results.get("polling") or {k: v for k, v in saved.items() if k not in MODES}
    cometd = results.get("cometd") or saved.get("cometd")
    cometd_lp = results.get("cometd_long_polling") or saved.get("cometd_long_polling")
    combined = {**polling, **({"cometd": cometd} if cometd else {}),
                **({"cometd_long_polling": cometd_lp} if cometd_lp else {})}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(combined, indent=2) + "\n")
    for mode, result in results.items():
        report(mode, result)
    if polling and cometd:
        ratio = polling["latency_ms"]["p50"] / max(cometd["latency_ms"]["p50"], 0.1)
        print(f"push (WebSocket) p50 is {ratio:.0f}x lower than polling p50")
    print(f"{MESSAGES} messages per mode, seed {SEED}; {time.monotonic() - started:.0f} s; written to {RESULTS}")


def report(mode: str, result: dict) -> None:
    lat, idle = result["latency_ms"], result["idle"]
    if mode != "polling":
        print(f"{'push (CometD, ' + result['transport'] + ')':28} {'cxkit':>10}")
        for name in ("p50", "p95", "max", "min"):
            print(f"{'latency ' + name + ', ms':28} {lat[name]:>10.1f}")
        print(f"{'idle connect requests/min':28} {idle['per_minute']:>10.1f}")
        return
    print(f"{'polling':28} {'cxkit':>10} {'original':>10}")
    print(f"{'latency p50, ms':28} {lat['p50']:>10.0f} {REFERENCE['p50_ms']:>10}")
    print(f"{'latency p95, ms':28} {lat['p95']:>10.0f} {'-':>10}")
    print(f"{'latency max, ms':28} {lat['max']:>10.0f} {REFERENCE['max_ms']:>10}")
    print(f"{'idle refresh requests/min':28} {idle['per_minute']:>10.0f} {REFERENCE['idle_refresh_per_min']:>10}")
    if idle["gap_ms"]:
        print(f"{'idle refresh gap, ms':28} {idle['gap_ms']['min']:>4}-{idle['gap_ms']['max']:<5} "
              f"{'2997-3003':>10}")


if __name__ == "__main__":
    main()
