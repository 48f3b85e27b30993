"""Bus.census(): the counts leak checks compare, back to the baseline after churn."""

import gc
import weakref

from cxkit.bus import BusEvent


def test_census_counts_each_table(bus):
    page = bus.register_plugin("Page")
    before = bus.census()
    page.subscribe("Svc.tick", lambda e: None)
    page.subscribe("Svc.tock", lambda e: None)
    page.before("Svc.go", lambda options: options)
    bus.register_plugin("Svc").publish("tick")
    after = bus.census()
    assert after["subscribers"] == before["subscribers"] + 2
    assert after["interceptors"] == before["interceptors"] + 1
    assert after["plugins"] == before["plugins"] + 1
    assert after["queued"] == before["queued"] + 1  # the delivery waits for the next drain
    bus.flush()
    assert bus.census()["queued"] == before["queued"]


def test_subscribe_unsubscribe_and_commands_come_back_to_the_baseline(bus, ready_plugin):
    ready_plugin("Svc", echo=lambda e: e.deferred.resolve(dict(e.data)))
    page = bus.register_plugin("Page")
    got: list[BusEvent] = []
    bus.flush()
    baseline = bus.census()

    class Callback:
        def __call__(self, e):
            got.append(e)

    callbacks = []
    for i in range(500):
        callback = Callback()
        callbacks.append(weakref.ref(callback))
        page.subscribe("Svc.tick", callback)
        page.unsubscribe("Svc.tick")
        page.command("Svc.echo", {"n": i}).done(got.append)
        del callback
    bus.flush()
    gc.collect()
    assert len(got) == 500
    assert bus.census() == baseline
    assert all(ref() is None for ref in callbacks)  # the bus kept none of the unsubscribed functions
