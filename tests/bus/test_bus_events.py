import logging

from cxkit.bus import BusEvent


def collect(bucket):
    return lambda e: bucket.append(e)


def test_subscriber_receives_bus_event_asynchronously(bus):
    got = []
    page = bus.register_plugin("Page")
    assert page.subscribe("Clock.tick", collect(got)) == "Clock.tick"
    clock = bus.register_plugin("Clock")
    assert clock.publish("tick", {"n": 1}) is True
    assert got == []
    bus.flush()
    e = got[0]
    assert isinstance(e, BusEvent)
    assert (e.publisher, e.event, e.data) == ("Clock", "Clock.tick", {"n": 1})
    assert e["publisher"] == "Clock" and e["data"] == {"n": 1} and e.get("event") == "Clock.tick"
    assert isinstance(e.time, int) and e.time > 1_600_000_000_000


def test_data_defaults_to_empty_dict(bus):
    got = []
    bus.subscribe("Clock.tick", collect(got))
    bus.register_plugin("Clock").publish("tick")
    bus.flush()
    assert got[0].data == {}


def test_publish_is_always_in_own_namespace(bus):
    got = []
    bus.subscribe("Other.tick", collect(got))
    bus.subscribe("Clock.Other.tick", collect(got))
    bus.register_plugin("Clock").publish("Other.tick")
    bus.flush()
    assert [e.event for e in got] == ["Clock.Other.tick"]


def test_exact_names_only(bus):
    got = []
    bus.subscribe("Clock.tick", collect(got))
    clock = bus.register_plugin("Clock")
    clock.publish("tick2")
    clock.publish("tic")
    bus.flush()
    assert got == []


def test_delivery_order_follows_publish_and_subscription_order(bus):
    order = []
    a, b = bus.register_plugin("A"), bus.register_plugin("B")
    a.subscribe("P.x", lambda e: order.append(("a", e.data["n"])))
    b.subscribe("P.x", lambda e: order.append(("b", e.data["n"])))
    p = bus.register_plugin("P")
    p.publish("x", {"n": 1})
    p.publish("x", {"n": 2})
    bus.flush()
    assert order == [("a", 1), ("b", 1), ("a", 2), ("b", 2)]


def test_things_queued_during_delivery_run_after_current_queue(bus):
    order = []
    p = bus.register_plugin("P")
    bus.subscribe("P.first", lambda e: (order.append("first"), p.publish("third")))
    bus.subscribe("P.second", lambda e: order.append("second"))
    bus.subscribe("P.third", lambda e: order.append("third"))
    p.publish("first")
    p.publish("second")
    bus.flush()
    assert order == ["first", "second", "third"]


def test_emit_over_copy_of_handler_list(bus):
    order = []
    late = bus.register_plugin("Late")
    p = bus.register_plugin("P")

    def first(e):
        order.append("first")
        late.subscribe("P.x", lambda e: order.append("late"))

    bus.subscribe("P.x", first)
    p.publish("x")
    bus.flush()
    assert order == ["first"]
    p.publish("x")
    bus.flush()
    assert order == ["first", "first", "late"]


def test_subscriber_that_raises_is_logged_others_still_run(bus, caplog):
    got = []

    def broken(e):
        raise RuntimeError("subscriber broke")

    bus.subscribe("P.x", broken)
    bus.register_plugin("S2").subscribe("P.x", collect(got))
    bus.register_plugin("P").publish("x")
    with caplog.at_level(logging.ERROR, logger="cxkit.bus"):
        bus.flush()
    assert len(got) == 1
    record = next(r for r in caplog.records if r.exc_info)
    assert "P.x" in record.getMessage() and "subscriber broke" in str(record.exc_info[1])


def test_subscribe_refusals(bus):
    assert bus.subscribe("P.x", None) is False
    assert bus.subscribe("P.x", "not callable") is False
    assert bus.subscribe(12, lambda e: None) is False


def test_unsubscribe_removes_all_of_that_plugins_callbacks(bus):
    got_a, got_b = [], []
    a, b = bus.register_plugin("A"), bus.register_plugin("B")
    a.subscribe("P.x", collect(got_a))
    a.subscribe("P.x", collect(got_a))
    b.subscribe("P.x", collect(got_b))
    assert a.unsubscribe("P.x") is True
    assert a.unsubscribe("P.x") is False
    assert a.unsubscribe("P.never") is False
    bus.register_plugin("P").publish("x")
    bus.flush()
    assert got_a == [] and len(got_b) == 1


def test_sticky_republish_reaches_late_subscribers(bus):
    got = []
    app = bus.register_plugin("App")
    assert app.republish("ready", {"cfg": 1}) is True
    bus.flush()
    page = bus.register_plugin("Page")
    page.subscribe("App.ready", collect(got))
    assert got == []  # async, like other deliveries
    bus.flush()
    assert [(e.publisher, e.event, e.data) for e in got] == [("App", "App.ready", {"cfg": 1})]


def test_sticky_keeps_last_data_and_plain_publish_is_not_sticky(bus):
    got = []
    app = bus.register_plugin("App")
    app.republish("state", {"v": 1})
    app.republish("state", {"v": 2})
    app.publish("plain", {"v": 3})
    bus.flush()
    bus.subscribe("App.state", collect(got))
    bus.subscribe("App.plain", collect(got))
    bus.flush()
    assert [e.data for e in got] == [{"v": 2}]


def test_republish_also_delivers_to_current_subscribers(bus):
    got = []
    bus.subscribe("App.ready", collect(got))
    bus.register_plugin("App").republish("ready")
    bus.flush()
    assert len(got) == 1 and got[0].data == {}


def test_publish_direct(bus):
    got = []
    bus.subscribe("P.noisy", collect(got))
    p = bus.register_plugin("P")
    assert p.publish_direct("noisy", 1) is True
    assert p.publishDirect("noisy", 2) is True
    bus.flush()
    assert [e.data for e in got] == [1, 2]


def test_subscribe_before_publisher_exists(bus):
    got = []
    bus.subscribe("Future.ready", collect(got))
    bus.register_plugin("Future").publish("ready")
    bus.flush()
    assert len(got) == 1


def test_on_decorator_returns_function_unchanged(bus):
    got = []
    page = bus.register_plugin("Page")

    @page.on("P.x")
    def handler(e):
        got.append(e.data)

    assert handler.__name__ == "handler"
    bus.register_plugin("P").publish("x", "d")
    bus.flush()
    assert got == ["d"]


def test_subscribers_and_registry(bus):
    a = bus.register_plugin("A")
    b = bus.register_plugin("B")
    a.subscribe("P.x", lambda e: None)
    b.subscribe("P.x", lambda e: None)
    b.subscribe("P.y", lambda e: None)
    b.subscribe("PX.z", lambda e: None)
    p = bus.register_plugin("P")
    p.register_events(["x", "y"])
    p.registerEvents("z")
    p.register_events("x")
    p.register_command("go", lambda e: None)
    assert p.subscribers() == {"P.x": ["A", "B"], "P.y": ["B"]}
    registry = p.registry()
    assert registry["P"] == {"events": ["x", "y", "z"], "commands": ["COMMANDS", "EVENTS", "LOAD", "go"]}
    assert set(registry) == {"CXBus", "A", "B", "P"} and registry == bus.registry()


def test_sync_mode_delivers_and_runs_handlers_immediately(bus):
    bus.configure(**{"async": False})
    got = []
    bus.subscribe("P.x", collect(got))
    bus.register_plugin("P").publish("x")
    assert len(got) == 1 and bus.pending == 0
    svc = bus.register_plugin("Svc")
    svc.register_command("go", lambda e: e.deferred.resolve("now"))
    svc.ready()
    assert bus.command("Svc.go").args == ("now",)
    bus.configure(async_=True)
    d = bus.command("Svc.go")
    assert d.state() == "pending"
    bus.flush()
    assert d.args == ("now",)


def test_debug_logs_publications_and_subscriptions(bus, caplog):
    caplog.set_level(logging.DEBUG, logger="cxkit.bus")
    bus.configure({"debug": True})
    bus.subscribe("P.x", lambda e: None)
    p = bus.register_plugin("P")
    p.publish("x", {"a": 1})
    p.publish_direct("quiet")  # nobody listens: not logged
    messages = [r.getMessage() for r in caplog.records]
    assert any("CXBus subscribed to P.x" in m for m in messages)
    assert any("P publishes P.x" in m for m in messages)
    assert not any("P.quiet" in m for m in messages)
