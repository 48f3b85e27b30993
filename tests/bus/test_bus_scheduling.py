import asyncio
import logging

from cxkit.bus import Bus
from cxkit.bus.scheduler import CallQueue


def test_wake_called_once_when_queue_becomes_non_empty():
    drains = []
    q = CallQueue(drains.append)
    out = []
    q.push(out.append, 1)
    q.push(out.append, 2)
    assert len(drains) == 1 and out == []
    drains[0]()
    assert out == [1, 2] and len(q) == 0
    q.push(out.append, 3)
    assert len(drains) == 2 and drains[0] is drains[1]  # one callable: one JS proxy suffices


def test_drain_runs_items_queued_while_draining_without_waking_again():
    drains = []
    q = CallQueue(drains.append)
    out = []
    q.push(lambda: (out.append("a"), q.push(out.append, "c")))
    q.push(out.append, "b")
    q.drain()
    assert out == ["a", "b", "c"] and len(drains) == 1


def test_drain_survives_raising_items(caplog):
    q = CallQueue(lambda drain: None)
    out = []

    def boom():
        raise RuntimeError("queued item broke")

    q.push(boom)
    q.push(out.append, "after")
    with caplog.at_level(logging.ERROR, logger="cxkit.bus"):
        q.drain()
    assert out == ["after"] and any(r.exc_info for r in caplog.records)


def test_bus_wake_receives_a_drain_callable(bus, wake):
    bus.register_plugin("P").publish("x")  # no subscribers: nothing queued
    assert wake.calls == 0
    bus.subscribe("P.x", lambda e: None)
    bus.get_plugin("P").publish("x")
    bus.get_plugin("P").publish("x")
    assert wake.calls == 1 and bus.pending == 2
    bus.flush()
    assert bus.pending == 0


def test_custom_wake_like_queue_microtask():
    microtasks = []
    bus = Bus(wake=microtasks.append)
    got = []
    bus.subscribe("P.x", got.append)
    bus.register_plugin("P").publish("x")
    assert got == [] and len(microtasks) == 1
    microtasks.pop()()
    assert len(got) == 1


def test_without_loop_queue_drains_at_end_of_outermost_call():
    bus = Bus()
    order = []
    svc = bus.register_plugin("Svc")

    def handler(e):
        order.append("handler")
        e.deferred.resolve()

    svc.register_command("go", handler)
    svc.ready()
    bus.subscribe("Svc.x", lambda e: order.append(e.data))
    d = bus.command("Svc.go")
    assert d.is_resolved() and order == ["handler"]
    # data() publishes three events; all are queued before any is delivered
    bus.subscribe("Svc.data", lambda e: order.append(("whole", bus.pending)))
    bus.subscribe("Svc.data.k", lambda e: order.append(("keyed", bus.pending)))
    svc.data("k", 1)
    assert order[1:] == [("whole", 1), ("keyed", 0)]


async def test_default_wake_uses_running_loop():
    bus = Bus()
    got = []
    bus.subscribe("P.x", got.append)
    bus.register_plugin("P").publish("x")
    assert got == []
    done = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().call_soon(done.set_result, None)
    await done
    assert len(got) == 1


async def test_flush_drains_now_even_with_loop():
    bus = Bus()
    got = []
    bus.subscribe("P.x", got.append)
    bus.register_plugin("P").publish("x")
    bus.flush()
    assert len(got) == 1


def test_configure_returns_config_with_defaults(bus):
    config = bus.configure(pluginsPath="plugins")
    assert config["pluginsPath"] == "plugins/"
    assert config["debug"] is False and config["async"] is True and config["pluginMap"] == {}
