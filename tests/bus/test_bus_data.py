def events_of(bus, name):
    got = []
    bus.subscribe(name, lambda e: got.append(e))
    return got


def test_data_write_returns_value_and_reads_back(bus):
    p = bus.register_plugin("P")
    assert p.data("k", "v") == "v"
    assert p.data("k") == "v"
    assert p.data("missing") is None
    assert p.data() == {"k": "v"}


def test_none_does_not_overwrite(bus):
    p = bus.register_plugin("P")
    p.data("k", 1)
    assert p.data("k", None) == 1


def test_change_publishes_three_events_with_exact_names(bus):
    whole = events_of(bus, "P.data")
    keyed = events_of(bus, "P.data.state")
    direct = events_of(bus, "P.data.state:'open'")
    p = bus.register_plugin("P")
    p.data("other", 1)
    p.data("state", "open")
    bus.flush()
    assert [e.data for e in whole] == [{"other": 1}, {"other": 1, "state": "open"}]
    assert len(keyed) == 1 and keyed[0].publisher == "P" and keyed[0].event == "P.data.state"
    record = keyed[0].data
    assert record["last"] is None and record["value"] == "open" and isinstance(record["time"], int)
    assert len(direct) == 1 and direct[0].data["value"] == "open"


def test_direct_event_names_for_non_strings(bus):
    names = ["P.data.flag:true", "P.data.flag:false", "P.data.n:3", "P.data.f:1.5", "P.data.whole:2"]
    seen = {name: events_of(bus, name) for name in names}
    p = bus.register_plugin("P")
    p.data("flag", True)
    p.data("flag", False)
    p.data("n", 3)
    p.data("f", 1.5)
    p.data("whole", 2.0)
    bus.flush()
    assert {name: len(events) for name, events in seen.items()} == dict.fromkeys(names, 1)


def test_no_events_when_value_loosely_equal(bus):
    keyed = events_of(bus, "P.data.k")
    p = bus.register_plugin("P")
    p.data("k", 1)
    p.data("k", 1)
    p.data("k", "1")  # JS: 1 == "1"
    p.data("k", True)  # JS: "1" == true
    bus.flush()
    assert [e.data["value"] for e in keyed] == [1]
    p.data("k", "2")
    bus.flush()
    assert [e.data["value"] for e in keyed] == [1, "2"]
    assert keyed[-1].data["last"] == True  # noqa: E712  (stored even without an event)


def test_containers_compare_by_identity_like_js(bus):
    keyed = events_of(bus, "P.data.obj")
    p = bus.register_plugin("P")
    value = {"a": 1}
    p.data("obj", value)
    p.data("obj", value)
    p.data("obj", {"a": 1})
    bus.flush()
    assert len(keyed) == 2


def test_read_other_plugins_value(bus):
    bus.register_plugin("App").data("language", "en")
    page = bus.register_plugin("Page")
    assert page.data("App.language") == "en"
    assert bus.data("App.language") == "en"
    assert page.data("Nobody.key") is None


def test_bus_data_is_the_cxbus_plugin_store(bus):
    got = events_of(bus, "CXBus.data.x")
    bus.data("x", 5)
    bus.flush()
    assert bus.data("x") == 5 and bus.plugin.data() == {"x": 5} and len(got) == 1
