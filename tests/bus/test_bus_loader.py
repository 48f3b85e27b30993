import asyncio

import pytest

from cxkit.bus import PLUGIN_LOAD_FAILED, Bus, Deferred


def echo_factory(calls):
    def factory(bus):
        calls.append(bus)
        p = bus.register_plugin("Echo")
        p.register_command("say", lambda e: e.deferred.resolve(e.data.get("text")))
        p.ready()

    return factory


def test_load_plugin_runs_factory(bus):
    calls = []
    bus.register_plugin_factory("Echo", echo_factory(calls))
    d = bus.load_plugin("Echo")
    assert d.is_resolved() and calls == [bus] and bus.get_plugin("Echo") is not None


def test_load_plugin_rejects_without_reason_when_registered_any_case(bus):
    bus.register_plugin("Echo")
    for name in ("Echo", "echo", "ECHO"):
        d = bus.loadPlugin(name)
        assert d.is_rejected() and d.args == ()


def test_a_name_loaded_before_rejects_without_reason_even_when_it_registered_nothing(bus):
    runs = []
    bus.register_plugin_factory("Helpers", runs.append)
    assert bus.load_plugin("Helpers").is_resolved() and runs == [bus]
    again = bus.load_plugin("helpers")
    assert again.is_rejected() and again.args == () and runs == [bus]


def test_load_plugin_without_factory_rejects_with_file_text(bus):
    d = bus.load_plugin("Nothing")
    assert d.args == ("Could not load plugin file: Nothing",)


def test_factory_lookup_is_case_insensitive(bus):
    calls = []
    bus.register_plugin_factory("echo", echo_factory(calls))
    assert bus.load_plugin("Echo").is_resolved()


def test_factory_that_raises_rejects(bus, caplog):
    def broken(bus):
        raise RuntimeError("factory broke")

    bus.register_plugin_factory("Broken", broken)
    d = bus.load_plugin("Broken")
    assert d.args == ("Could not load plugin file: Broken",)
    assert any(r.exc_info for r in caplog.records)


def test_plugin_map_false_and_load_plugins_off_forbid_loading(bus):
    calls = []
    bus.register_plugin_factory("Echo", echo_factory(calls))
    bus.configure(pluginMap={"Echo": False})
    assert bus.load_plugin("Echo").is_rejected()
    bus.configure(pluginMap={}, loadPlugins=False)
    assert bus.load_plugin("Echo").is_rejected()
    assert calls == []


def test_command_to_unregistered_plugin_loads_then_redispatches(bus):
    calls = []
    bus.register_plugin_factory("Echo", echo_factory(calls))
    bus.plugin.before("Echo.say", lambda o: {**o, "text": o["text"] + "!"})
    d = bus.command("Echo.say", text="hi")
    bus.flush()
    assert d.args == ("hi!",)  # interceptors ran once, before loading
    assert len(calls) == 1


def test_command_with_wrong_case_namespace_fails_like_original(bus):
    bus.register_plugin("Echo").ready()
    d = bus.command("echo.say")
    bus.flush()
    assert d.args == (PLUGIN_LOAD_FAILED,)


def test_factory_that_registers_nothing_fails_the_command(bus):
    bus.register_plugin_factory("Ghost", lambda bus: None)
    d = bus.command("Ghost.x")
    bus.flush()
    assert d.args == (PLUGIN_LOAD_FAILED,)


def test_factory_that_registers_without_ready_buffers(bus):
    def factory(bus):
        p = bus.register_plugin("Slow")
        p.register_command("x", lambda e: e.deferred.resolve("x"))

    bus.register_plugin_factory("Slow", factory)
    d = bus.command("Slow.x")
    bus.flush()
    assert d.state() == "pending"
    bus.get_plugin("Slow").ready()
    bus.flush()
    assert d.args == ("x",)


def test_factory_may_return_a_deferred(bus):
    gate = Deferred()

    def factory(bus):
        p = bus.register_plugin("Gated")
        p.register_command("x", lambda e: e.deferred.resolve("x"))
        p.ready()
        return gate

    bus.register_plugin_factory("Gated", factory)
    d = bus.load_plugin("Gated")
    again = bus.load_plugin("Gated")  # registered already: rejects
    assert d.state() == "pending" and again.is_rejected()
    gate.resolve()
    assert d.is_resolved()


async def test_async_factory():
    bus = Bus()

    async def factory(bus):
        p = bus.register_plugin("Async")
        p.register_command("x", lambda e: e.deferred.resolve("async x"))
        p.ready()

    bus.register_plugin_factory("Async", factory)
    assert await bus.command("Async.x") == "async x"


async def test_async_factory_that_raises_rejects_command():
    bus = Bus()

    async def factory(bus):
        raise RuntimeError("no")

    bus.register_plugin_factory("Bad", factory)
    d = bus.command("Bad.x")
    with pytest.raises(Exception) as info:
        await d
    assert info.value.reason == PLUGIN_LOAD_FAILED


async def test_cancelled_async_factory_rejects_the_load():
    bus = Bus()
    started = asyncio.Event()

    async def factory(bus):
        started.set()
        await asyncio.Event().wait()  # never set

    bus.register_plugin_factory("Stuck", factory)
    d = bus.command("Stuck.x")
    load = bus.load_plugin("Stuck")
    await started.wait()
    (task,) = asyncio.all_tasks() - {asyncio.current_task()}
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()
    assert load.state() == "rejected" and load.args == ("Could not load plugin file: Stuck",)
    assert d.state() == "rejected" and d.args == (PLUGIN_LOAD_FAILED,)


async def test_concurrent_loads_share_one_factory_run():
    bus = Bus()
    runs = []

    async def factory(bus):
        runs.append(1)
        bus.register_plugin("Once").ready()

    bus.register_plugin_factory("Once", factory)
    first, second = bus.load_plugin("Once"), bus.load_plugin("Once")
    await first
    await second
    assert runs == [1]


def test_modules_first_registration_wins(bus):
    first, second = object(), object()
    assert bus.register_module("webchatservicelegacy", first) is True
    assert bus.registerModule("webchatservicelegacy", second) is False
    assert bus.load_module("webchatservicelegacy").args == (first,)
    assert bus.loadModule("nextgen").args == ("Could not load module file: nextgen",)
