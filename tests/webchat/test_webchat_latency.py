"""Issue 11 item 14: agent message -> messageReceived latency of the polling algorithm (spec B.5),
on the virtual clock (no network time, so what remains is the algorithm alone).

The original's 1.13 s median (spec/observed-client.md (d)) and bench/latency.py's 1.6 s come
from two different workloads, not two algorithms: replaying each workload here gives each
figure. The original's trace: 10 messages 2 s apart, the first just after the 5th refresh
(~4 s after startChat), so four of them arrive while polling still ramps up (gaps 1.25-2.25 s)
and the 2 s spacing against the 3 s period cycles through three phases (0.7, 1.7, 2.7 s).
The bench: 20 messages at random gaps of 0.5-4 s, nearly all in the steady 3 s regime: the
latency is about uniform in [0, 3 s], median about 1.5 s."""

import asyncio
import random
import statistics

from webchat_harness import Page, mock_gms
from webchat_vclock import virtual_time

OBSERVED_MS = [1261, 753, 748, 994, 1733, 2729, 723, 1715, 2712, 707]  # observed-client.md (d)


async def agent_messages_latency(page: Page, send_times: list[float]) -> list[float]:
    """Say one agent message at each loop time; return each one's latency in ms."""
    loop = asyncio.get_running_loop()
    received: dict[str, float] = {}
    page.probe.subscribe("WebChatService.messageReceived", lambda e: received.update(
        {m["text"]: loop.time() for m in e.data["messages"] if m["type"] == "Message"}))
    sent: dict[str, float] = {}
    for i, at in enumerate(send_times):
        await asyncio.sleep(max(0.0, at - loop.time()))
        sent[f"m{i}"] = loop.time()
        page.agent("say", text=f"m{i}")
    await asyncio.sleep(4)
    return [round((received[text] - at) * 1000) for text, at in sent.items()]


@virtual_time
async def test_14_the_original_s_workload_gives_the_original_s_latencies():
    page = Page(mock_gms()).boot()
    await page.start()
    page.agent("join")
    await page.wait_for(lambda: len(page.transport.of("refresh")) >= 5, step=0.001)
    first = asyncio.get_running_loop().time() + 0.01
    latencies = await agent_messages_latency(page, [first + 2 * k for k in range(10)])
    assert all(abs(ours - theirs) <= 50 for ours, theirs in zip(latencies, OBSERVED_MS, strict=True)), latencies
    assert abs(statistics.median(latencies) - statistics.median(OBSERVED_MS)) <= 30  # 1.13 s
    assert max(latencies) <= 2750


@virtual_time
async def test_14_the_bench_workload_gives_1_6_s_at_that_run_s_phase_and_1_to_2_s_at_others():
    rng = random.Random(20240611)  # bench/latency.py: SEED, MESSAGES, GAP_S
    gaps = [round(rng.uniform(0.5, 4.0), 3) for _ in range(20)]
    medians = {}
    for phase in (0.0, 0.6, 1.6, 2.7):  # where the first gap starts, after the agent joined
        page = Page(mock_gms()).boot()
        await page.start()
        page.agent("join")
        start = asyncio.get_running_loop().time() + phase
        times = [start + sum(gaps[:k + 1]) for k in range(len(gaps))]
        medians[phase] = statistics.median(await agent_messages_latency(page, times))
        await page.cmd("endChat")
    # bench/results/latency.json's run (p50 1599 ms) started its messages at phase ~0; the
    # same messages starting elsewhere on the poll grid give anything from ~1.0 to ~2.0 s.
    assert abs(medians[0.0] - 1599) <= 50, medians
    assert medians[1.6] < 1000 < 1900 < medians[2.7], medians
