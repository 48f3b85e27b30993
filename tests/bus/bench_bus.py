"""Micro-benchmark of the Python half of a bus command (not a test; timings are never asserted).

    .venv/bin/python tests/bus/bench_bus.py

Measures command() -> queued handler -> resolve -> done callback, draining right away (what a
queueMicrotask wake does once the JS turn ends), plus 1,000 commands issued before one drain.
"""

import statistics
import time

from cxkit.bus import Bus


def main() -> None:
    drains = []
    bus = Bus(wake=drains.append)
    svc = bus.register_plugin("Svc")
    svc.register_command("echo", lambda e: e.deferred.resolve(e.data))
    svc.ready()
    caller = bus.register_plugin("Caller")
    sink = []
    options = {"message": "hi"}

    samples = []
    for _ in range(20_000):
        t0 = time.perf_counter_ns()
        caller.command("Svc.echo", options).done(sink.append)
        drains.pop()()
        samples.append(time.perf_counter_ns() - t0)
    print(f"sequential: median {statistics.median(samples) / 1000:.2f} us per command")

    rounds = []
    for _ in range(50):
        t0 = time.perf_counter_ns()
        for _ in range(1000):
            caller.command("Svc.echo", options).done(sink.append)
        drains.pop()()
        rounds.append((time.perf_counter_ns() - t0) / 1000)
    print(f"1,000 at once: median {statistics.median(rounds) / 1000:.2f} us per command")

    got = []
    bus.subscribe("Svc.tick", got.append)
    t0 = time.perf_counter_ns()
    for _ in range(10_000):
        svc.publish("tick", options)
        drains.pop()()
    print(f"publish -> 1 subscriber: {(time.perf_counter_ns() - t0) / 10_000 / 1000:.2f} us per event")


if __name__ == "__main__":
    main()
