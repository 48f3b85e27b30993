"""Mock GMS throughput and memory: refresh requests/s and p50/p99 latency at 1, 16 and 64 concurrent
keep-alive clients, against a bare Starlette endpoint measured in the same run, and RSS with 10,000
open chats. Each server runs in its own process (uvicorn, one worker); the load comes from wrk when it
is installed (Debian package `wrk`; `./dev bench` installs it), else from httpx clients in other processes
(which saturate before the server does on a 2-core machine).

    .venv/bin/python bench/mockgms.py [--duration 5] [--chats 10000] [--repeat 3] [--against DIR]
                                      [--out bench/results/mockgms.json]

Each level is measured `--repeat` times, the servers taking turns, and the medians are reported: on a
shared 2-core machine one 5 s run can be off by 2x (a Chromium suite next door). `--against DIR` also
runs the mock from another checkout (DIR/pysrc) in the same run, for before/after figures.
Writes JSON and prints a table; asserts nothing (timings are not test material).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

SERVICE = "/genesys/2/chat/bench"

MOCK_SERVER = """
import sys, uvicorn
from cxkit.mockgms import MockGMS, MockConfig
gms = MockGMS(MockConfig(idle_alert_seconds=0, max_chats=50_000, request_log_size=0), agent="silent")
uvicorn.run(gms.app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""

BARE_SERVER = """
import sys, uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
async def endpoint(request):
    form = await request.form()
    return JSONResponse({"statusCode": 0, "messages": [], "chatEnded": False, "got": len(form)})
app = Starlette(routes=[Route("/genesys/2/chat/bench/{chat}/refresh", endpoint, methods=["POST"])])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(code: str, pythonpath: str | None = None) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=pythonpath) if pythonpath else None
    proc = subprocess.Popen([sys.executable, "-c", code, str(port)], env=env)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.post(url + SERVICE + "/x/refresh", timeout=0.5)
            return proc, url
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not start")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def open_chats(url: str, n: int, concurrency: int = 32) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as c:
        sem = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            async with sem:
                r = (await c.post(SERVICE + "/", data={"nickname": f"u{i}", "userData[i]": str(i)})).json()
                out.append({key: r[key] for key in ("chatId", "alias", "secureKey", "userId")})

        await asyncio.gather(*(one(i) for i in range(n)))
    return out


def drive(url: str, chats: list[dict[str, str]], clients: int, duration: float, q: mp.Queue[list[float]]) -> None:
    async def main() -> list[float]:
        latencies: list[float] = []
        deadline = time.perf_counter() + duration

        async def client(chat: dict[str, str]) -> None:
            data = {"alias": chat["alias"], "secureKey": chat["secureKey"], "userId": chat["userId"],
                    "transcriptPosition": "2", "message": ""}
            path = f"{SERVICE}/{chat['chatId']}/refresh"
            async with httpx.AsyncClient(base_url=url, limits=httpx.Limits(max_connections=1), timeout=30) as c:
                while True:
                    t0 = time.perf_counter()
                    if t0 >= deadline:
                        return
                    r = await c.post(path, data=data)
                    r.raise_for_status()
                    latencies.append(time.perf_counter() - t0)

        await asyncio.gather(*(client(chats[i % len(chats)]) for i in range(clients)))
        return latencies

    q.put(asyncio.run(main()))


def measure(url: str, chats: list[dict[str, str]], clients: int, duration: float) -> dict[str, float]:
    procs = min(clients, max(1, (os.cpu_count() or 2) - 1), 4)
    per = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
    q: mp.Queue[list[float]] = mp.Queue()
    workers = [mp.Process(target=drive, args=(url, chats, n, duration, q)) for n in per]
    for w in workers:
        w.start()
    lat = sorted(x for _ in workers for x in q.get())
    for w in workers:
        w.join()
    return {
        "clients": clients,
        "requests": len(lat),
        "rps": round(len(lat) / duration, 1),
        "p50_ms": round(statistics.median(lat) * 1000, 2),
        "p99_ms": round(lat[int(len(lat) * 0.99) - 1] * 1000, 2),
    }


WRK_SCRIPT = """
local paths, bodies, n, i = {}, {}, 0, 0
function init(args)
  for line in io.lines(args[1]) do
    local path, body = line:match("([^ ]+) (.*)")
    n = n + 1; paths[n] = path; bodies[n] = body
  end
  i = math.random(n)
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
function request()
  i = i % n + 1
  return wrk.format(nil, paths[i], nil, bodies[i])
end
"""


def _wrk_ms(text: str) -> float:
    value = float(text[:-2] if text.endswith("ms") else text[:-2] if text.endswith("us") else text[:-1])
    return value / 1000 if text.endswith("us") else value if text.endswith("ms") else value * 1000


def measure_wrk(url: str, chats: list[dict[str, str]], clients: int, duration: float, tmp: Path) -> dict[str, float]:
    """The same load from wrk (C, event loop per thread): the client is no longer the bottleneck."""
    from urllib.parse import urlencode

    lines = [f"{SERVICE}/{c['chatId']}/refresh " + urlencode({
        "alias": c["alias"], "secureKey": c["secureKey"], "userId": c["userId"],
        "transcriptPosition": "2", "message": ""}) for c in chats]
    chats_file, script = tmp / f"chats-{clients}.txt", tmp / "refresh.lua"
    chats_file.write_text("\n".join(lines) + "\n")
    script.write_text(WRK_SCRIPT)
    out = subprocess.run(
        ["wrk", "-t", str(min(clients, 2)), "-c", str(clients), "-d", f"{int(duration)}s", "--latency",
         "-s", str(script), url, "--", str(chats_file)], capture_output=True, text=True, check=True).stdout
    percentiles = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].endswith("%"):
            percentiles[parts[0]] = _wrk_ms(parts[1])
        if line.startswith("Requests/sec:"):
            rps = float(parts[1])
        if "Non-2xx" in line:
            raise RuntimeError(f"wrk saw errors: {line.strip()}")
    return {"clients": clients, "rps": round(rps, 1), "p50_ms": round(percentiles["50%"], 2),
            "p99_ms": round(percentiles["99%"], 2)}


def _median_run(runs: list[dict[str, float]]) -> dict[str, object]:
    keys = ("rps", "p50_ms", "p99_ms")
    out: dict[str, object] = {"clients": runs[0]["clients"]}
    out.update({k: round(statistics.median(r[k] for r in runs), 2) for k in keys})
    out["runs"] = [{k: r[k] for k in keys} for r in runs]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--chats", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs per level and server; medians are reported")
    ap.add_argument("--against", type=Path, help="another checkout whose mock is measured in the same run")
    ap.add_argument("--httpx", action="store_true", help="load from httpx clients even if wrk is installed")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "mockgms.json"))
    args = ap.parse_args()

    result: dict[str, object] = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "duration_s": args.duration,
                                 "repeat": args.repeat, "loadavg_1min_start": round(os.getloadavg()[0], 2)}
    servers = {"mock": start_server(MOCK_SERVER), "bare": start_server(BARE_SERVER)}
    if args.against:
        servers["against"] = start_server(MOCK_SERVER, str(args.against.resolve() / "pysrc"))
        result["against"] = str(args.against)
    try:
        fake = [{"chatId": f"c{i}", "alias": "1", "secureKey": "k", "userId": "u"} for i in range(64)]
        chats = {name: fake if name == "bare" else asyncio.run(open_chats(url, 64))
                 for name, (_, url) in servers.items()}
        rows = []
        use_wrk = shutil.which("wrk") is not None and not args.httpx
        result["load_generator"] = "wrk" if use_wrk else "httpx"
        with tempfile.TemporaryDirectory() as tmp:
            for clients in (1, 16, 64):
                runs: dict[str, list[dict[str, float]]] = {name: [] for name in servers}
                for _ in range(args.repeat):  # the servers take turns, so all see the same machine
                    for name, (_, url) in servers.items():
                        if use_wrk:
                            runs[name].append(measure_wrk(url, chats[name], clients, args.duration, Path(tmp)))
                        else:
                            runs[name].append(measure(url, chats[name], clients, args.duration))
                row: dict[str, object] = {"clients": clients}
                row.update({name: _median_run(r) for name, r in runs.items()})
                row["ratio"] = round(row["mock"]["rps"] / row["bare"]["rps"], 3)  # type: ignore[index]
                rows.append(row)
        result["refresh"] = rows
        result["loadavg_1min_end"] = round(os.getloadavg()[0], 2)

        for name in [n for n in servers if n != "bare"]:
            proc, url = servers[name]
            before = rss_mb(proc.pid)
            asyncio.run(open_chats(url, args.chats - 64))
            rss = {"open_chats": args.chats, "before_mb": round(before, 1), "after_mb": round(rss_mb(proc.pid), 1)}
            result["rss" if name == "mock" else "against_rss"] = rss
    finally:
        for proc, _ in servers.values():
            proc.terminate()
        for proc, _ in servers.values():
            proc.wait()

    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    names = list(servers)
    print(f"medians of {args.repeat} runs of {args.duration:g} s; "
          f"load average {result['loadavg_1min_start']} -> {result['loadavg_1min_end']}")
    print(f"{'clients':>7} | " + " | ".join(f"{n + ' req/s':>13} {'p50 ms':>7} {'p99 ms':>7}" for n in names)
          + " | ratio")
    for row in rows:
        print(f"{row['clients']:>7} | " + " | ".join(
            f"{row[n]['rps']:>13} {row[n]['p50_ms']:>7} {row[n]['p99_ms']:>7}" for n in names) + f" | {row['ratio']}")
    print(f"RSS with {args.chats} open chats: {result['rss']['after_mb']} MB (before: {result['rss']['before_mb']} MB)")
    if "against_rss" in result:
        print(f"against: {result['against_rss']['after_mb']} MB (before: {result['against_rss']['before_mb']} MB)")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
