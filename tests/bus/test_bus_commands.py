import asyncio
import logging

import pytest

from cxkit.bus import (
    CANCELLED_BY_BEFORE,
    COMMAND_DOES_NOT_EXIST,
    PLUGIN_LOAD_FAILED,
    Bus,
    CommandEvent,
    CommandRejected,
    RegistrationRefused,
)


def echo(e):
    e.deferred.resolve(e.data)


def test_registration_rules(bus):
    p = bus.register_plugin("A")
    assert p.namespace() == "A" and p.name == "A"
    with pytest.raises(RegistrationRefused, match="'A' is already registered") as taken:
        bus.register_plugin("A")  # taken, exact match
    assert (taken.value.name, taken.value.reason) == ("A", "taken")
    assert isinstance(taken.value, RuntimeError)
    assert bus.register_plugin("a").namespace() == "a"  # case-sensitive
    with pytest.raises(TypeError, match="must be a string, not int"):
        bus.register_plugin(42)
    with pytest.raises(RegistrationRefused):
        bus.register_plugin("CXBus")  # the bus's own plugin
    assert set(bus.registry()) == {"CXBus", "A", "a"}  # nothing half-registered


def test_register_plugin_js_name_answers_false_as_the_original(bus):
    bus.register_plugin("A")
    assert bus.registerPlugin("A") is False
    assert bus.registerPlugin(42) is False
    assert bus.registerPlugin(None) is False
    assert bus.registerPlugin("B") is bus.get_plugin("B")


def test_module_level_register_plugin_raises_too():
    from cxkit import bus as page_bus

    page_bus.set_bus(None)
    try:
        page_bus.register_plugin("Once")
        with pytest.raises(page_bus.RegistrationRefused):
            page_bus.register_plugin("Once")
    finally:
        page_bus.set_bus(None)


def test_master_only_for_first_caller_and_lock(bus):
    master = bus.register_master()
    assert master is not None and bus.registerMaster() is None
    master.lock()
    with pytest.raises(RegistrationRefused, match="registry is locked") as locked:
        bus.register_plugin("Late")
    assert locked.value.reason == "locked" and bus.registerPlugin("Late") is False
    master.unlock()
    assert bus.register_plugin("Late").namespace() == "Late"
    assert master.config(debug=True)["debug"] is True


def test_command_handler_receives_command_event(bus, ready_plugin):
    seen = []
    ready_plugin("Svc", go=lambda e: (seen.append(e), e.deferred.resolve("ok")))
    caller = bus.register_plugin("Caller")
    d = caller.command("Svc.go", {"a": 1})
    assert d.state() == "pending" and seen == []  # handlers run from the queue
    bus.flush()
    assert d.state() == "resolved" and d.args == ("ok",)
    e = seen[0]
    assert isinstance(e, CommandEvent)
    assert e.commander == "Caller" and e.command == "Svc.go" and e.data == {"a": 1} and e.deferred is d
    assert e["commander"] == "Caller" and e.get("data") == {"a": 1} and e["deferred"] is d
    assert isinstance(e.time, int) and e.time > 1_600_000_000_000
    assert set(e) == {"time", "commander", "command", "deferred", "data"}
    assert e.to_dict()["command"] == "Svc.go"


def test_options_default_to_empty_dict_and_keywords(bus, ready_plugin):
    ready_plugin("Svc", echo=echo)
    caller = bus.register_plugin("Caller")
    d1 = caller.command("Svc.echo")
    d2 = caller.command("Svc.echo", a=1, b="x")
    d3 = caller.command("Svc.echo", {"a": 1}, b=2)
    d4 = caller.command("Svc.echo", None)
    bus.flush()
    assert d1.args == ({},) and d2.args == ({"a": 1, "b": "x"},)
    assert d3.args == ({"a": 1, "b": 2},) and d4.args == ({},)


def test_name_without_dot_uses_callers_namespace(bus, ready_plugin):
    svc = ready_plugin("Svc", echo=echo)
    d = svc.command("echo", {"x": 1})
    bus.flush()
    assert d.args == ({"x": 1},)


def test_commander_identity_lets_a_service_refuse_private_commands(bus, ready_plugin):
    def private(e):
        if e.commander != "Svc":
            e.deferred.reject("Access Denied to private command")
        else:
            e.deferred.resolve()

    svc = ready_plugin("Svc", poll=private)
    outsider = bus.register_plugin("Outsider").command("Svc.poll")
    own = svc.command("poll")
    bus.flush()
    assert outsider.args == ("Access Denied to private command",) and own.is_resolved()


def test_commands_run_in_call_order(bus, ready_plugin):
    order = []
    ready_plugin("Svc", a=lambda e: order.append("a"), b=lambda e: order.append("b"))
    bus.command("Svc.b")
    bus.command("Svc.a")
    bus.command("Svc.b")
    bus.flush()
    assert order == ["b", "a", "b"]


def test_before_interceptors_modify_options_in_registration_order(bus, ready_plugin):
    ready_plugin("Svc", echo=echo)
    other = bus.register_plugin("Other")
    other.before("Svc.echo", lambda o: {**o, "message": o["message"] + " [one]"})
    assert other.before("Svc.echo", lambda o: {**o, "message": o["message"] + " [two]"}) is True
    d = bus.command("Svc.echo", message="orig")
    bus.flush()
    assert d.args == ({"message": "orig [one] [two]"},)


@pytest.mark.parametrize("returned", [False, None, "text", 0, ["list"]])
def test_before_that_does_not_return_a_mapping_cancels(bus, ready_plugin, returned):
    calls = []
    ready_plugin("Svc", echo=lambda e: calls.append(e))
    later = []
    bus.plugin.before("Svc.echo", lambda o: returned)
    bus.plugin.before("Svc.echo", lambda o: later.append(o) or o)
    d = bus.register_plugin("Caller").command("Svc.echo", {"a": 1})
    assert d.state() == "pending"  # rejection is asynchronous, like the original
    bus.flush()
    assert d.state() == "rejected" and d.args == (CANCELLED_BY_BEFORE,)
    assert d.args[0] == "Command was cancelled by a 'before' function."
    assert calls == [] and later == []  # the chain stops at the first non-mapping


def test_before_applies_only_to_exact_full_name(bus, ready_plugin):
    ready_plugin("Svc", echo=echo, other=echo)
    bus.plugin.before("Svc.echo", lambda o: False)
    d = bus.command("Svc.other", a=1)
    bus.flush()
    assert d.args == ({"a": 1},)


def test_before_without_a_function_adds_nothing(bus, ready_plugin):
    """CXBus.before('Svc.echo') with no function: it cancelled every later Svc.echo."""
    ready_plugin("Svc", echo=echo)
    assert bus.plugin.before("Svc.echo", None) is False  # type: ignore[arg-type]
    d = bus.command("Svc.echo", a=1)
    bus.flush()
    assert d.state() == "resolved" and d.args == ({"a": 1},)


def test_before_that_raises_is_logged_and_cancels(bus, ready_plugin, caplog):
    ready_plugin("Svc", echo=echo)

    def broken(options):
        raise KeyError("missing")

    bus.plugin.before("Svc.echo", broken)
    d = bus.command("Svc.echo")
    bus.flush()
    assert d.args == (CANCELLED_BY_BEFORE,)
    assert any(r.exc_info for r in caplog.records if r.name == "cxkit.bus")


def test_string_options_reject_with_cancellation_text(bus, ready_plugin):
    ready_plugin("Svc", echo=echo)
    d = bus.command("Svc.echo", "str")
    bus.flush()
    assert d.args == (CANCELLED_BY_BEFORE,)


def test_commands_to_unready_plugin_are_buffered_until_ready(bus):
    order = []
    svc = bus.register_plugin("Svc")
    svc.register_command("a", lambda e: (order.append(("a", e.data)), e.deferred.resolve()))
    svc.register_command("b", lambda e: (order.append(("b", e.data)), e.deferred.resolve()))
    d1 = bus.command("Svc.a", n=1)
    d2 = bus.command("Svc.b", n=2)
    d3 = bus.command("Svc.a", n=3)
    bus.flush()
    assert order == [] and d1.state() == "pending"
    svc.ready()
    bus.flush()
    assert order == [("a", {"n": 1}), ("b", {"n": 2}), ("a", {"n": 3})]
    assert d1.is_resolved() and d2.is_resolved() and d3.is_resolved()


def test_a_plugin_that_gives_up_rejects_what_waited_for_it_and_what_comes_later(bus):
    ran = []
    svc = bus.register_plugin("Svc")
    svc.register_command("a", lambda e: (ran.append(e.data), e.deferred.resolve()))
    waiting = [bus.command("Svc.a", n=1), bus.command("Svc.a", n=2)]
    bus.flush()
    assert svc.give_up("Svc could not start: OSError: no cookies") is True
    later = bus.command("Svc.a", n=3)
    bus.flush()
    for d in waiting + [later]:
        assert d.state() == "rejected" and d.args == ("Svc could not start: OSError: no cookies",)
    assert ran == []
    other = bus.register_plugin("Other")   # the bus itself stays up
    other.register_command("b", echo)
    other.ready()
    d = bus.command("Other.b", x=1)
    bus.flush()
    assert d.args == ({"x": 1},)


def test_giving_up_after_ready_changes_nothing(bus):
    svc = bus.register_plugin("Svc")
    svc.register_command("a", echo)
    svc.ready()
    assert svc.give_up("too late") is False
    d = bus.command("Svc.a", n=1)
    bus.flush()
    assert d.args == ({"n": 1},)


def test_buffered_commands_do_not_rerun_interceptors(bus):
    runs = []
    svc = bus.register_plugin("Svc")
    svc.register_command("echo", echo)
    bus.plugin.before("Svc.echo", lambda o: runs.append(1) or {**o, "n": o.get("n", 0) + 1})
    d = bus.command("Svc.echo")
    svc.ready()
    bus.flush()
    assert runs == [1] and d.args == ({"n": 1},)


def test_plugin_may_command_itself_before_ready(bus):
    svc = bus.register_plugin("Svc")
    svc.register_command("echo", echo)
    d = svc.command("echo", x=1)
    bus.flush()
    assert d.args == ({"x": 1},)


def test_unknown_command_on_ready_plugin_rejects(bus, ready_plugin):
    # Deliberate difference: the original leaves this promise pending forever.
    ready_plugin("Svc")
    d = bus.command("Svc.doesNotExist")
    bus.flush()
    assert d.state() == "rejected" and d.args == (COMMAND_DOES_NOT_EXIST,) == ("Command does not exist",)


def test_command_to_unknown_plugin_without_factory_rejects_with_load_text(bus):
    d = bus.command("NoSuchPlugin.foo")
    bus.flush()
    assert d.args == (PLUGIN_LOAD_FAILED,)
    assert d.args[0] == "Could not load plugin file in given location. Check your plugins path option."


def test_automatic_commands_on_every_plugin(bus):
    p = bus.register_plugin("Fresh")
    p.ready()
    ds = [bus.command(f"Fresh.{name}") for name in ("COMMANDS", "EVENTS", "LOAD")]
    bus.flush()
    assert all(d.is_resolved() for d in ds)
    assert bus.registry()["Fresh"]["commands"] == ["COMMANDS", "EVENTS", "LOAD"]


def test_register_command_overwrites_and_decorator_form(bus):
    svc = bus.register_plugin("Svc")
    assert svc.register_command("x", lambda e: e.deferred.resolve(1)) is True
    assert svc.registerCommand("x", lambda e: e.deferred.resolve(2)) is True

    @svc.register_command("y")
    def y(e):
        e.deferred.resolve("y")

    assert callable(y)
    svc.ready()
    dx, dy = bus.command("Svc.x"), bus.command("Svc.y")
    bus.flush()
    assert dx.args == (2,) and dy.args == ("y",)


def test_handler_that_raises_is_logged_and_rejects_with_message(bus, ready_plugin, caplog):
    # Difference from the original: its promise would stay pending; ours rejects.
    def broken(e):
        raise ValueError("handler broke")

    ready_plugin("Svc", broken=broken, fine=echo)
    d = bus.command("Svc.broken")
    ok = bus.command("Svc.fine", a=1)
    with caplog.at_level(logging.ERROR, logger="cxkit.bus"):
        bus.flush()
    assert d.args == ("handler broke",) and ok.args == ({"a": 1},)
    record = next(r for r in caplog.records if r.exc_info)
    assert "Svc.broken" in record.getMessage() and isinstance(record.exc_info[1], ValueError)


def test_handler_may_settle_later(bus, ready_plugin):
    pending = []
    ready_plugin("Svc", later=lambda e: pending.append(e.deferred))
    d = bus.command("Svc.later")
    bus.flush()
    assert d.state() == "pending"
    pending[0].resolve("eventually")
    assert d.args == ("eventually",)


def test_handler_returning_the_resolved_deferred_is_not_treated_as_async(bus, ready_plugin, caplog):
    ready_plugin("Svc", go=lambda e: e.deferred.resolve(1))
    d = bus.command("Svc.go")
    bus.flush()
    assert d.args == (1,) and not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_command_event_travels_between_commands(bus, ready_plugin):
    inner = ready_plugin("Inner", work=lambda e: e.deferred.resolve(e.data["n"] * 2))

    def outer(e):
        bus.get_plugin("Outer").command("Inner.work", n=e.data["n"]).done(e.deferred.resolve)

    ready_plugin("Outer", run=outer)
    d = bus.command("Outer.run", n=21)
    bus.flush()
    assert d.args == (42,) and inner is not None


async def test_await_command_with_default_asyncio_wake():
    bus = Bus()
    svc = bus.register_plugin("Svc")
    svc.register_command("add", lambda e: e.deferred.resolve(e.data["a"] + e.data["b"]))
    svc.register_command("no", lambda e: e.deferred.reject("refused", 1))
    svc.ready()
    assert await bus.command("Svc.add", a=1, b=2) == 3
    with pytest.raises(CommandRejected) as info:
        await bus.command("Svc.no")
    assert info.value.reason == "refused" and info.value.args == ("refused", 1)


async def test_async_def_handlers():
    bus = Bus()
    svc = bus.register_plugin("Svc")

    @svc.register_command("slow")
    async def slow(e):
        await bus.command("Svc.fast")
        e.deferred.resolve("slow done")

    @svc.register_command("fast")
    async def fast(e):
        e.deferred.resolve()

    @svc.register_command("bad")
    async def bad(e):
        raise RuntimeError("async broke")

    svc.ready()
    assert await svc.command("slow") == "slow done"
    with pytest.raises(CommandRejected, match="async broke"):
        await svc.command("bad")


async def test_async_handler_passes_on_a_structured_rejection_unchanged():
    bus = Bus()
    svc = bus.register_plugin("Svc")
    reply = {"statusCode": 2, "errors": [{"code": 102, "advice": "chat not found"}]}
    svc.register_command("gms", lambda e: e.deferred.reject(reply, "second"))

    @svc.register_command("outer")
    async def outer(e):
        await bus.command("Svc.gms")
        e.deferred.resolve("unreachable")

    svc.ready()
    with pytest.raises(CommandRejected) as info:
        await svc.command("outer")
    assert info.value.args == (reply, "second")


def test_sync_handler_raising_command_rejected_passes_its_arguments_on(bus, ready_plugin):
    reply = {"statusCode": 2}
    ready_plugin("Svc", no=lambda e: (_ for _ in ()).throw(CommandRejected(reply, 7)))
    d = bus.command("Svc.no")
    bus.flush()
    assert d.state() == "rejected" and d.args == (reply, 7)


def _other_tasks() -> set:
    return asyncio.all_tasks() - {asyncio.current_task()}


async def test_async_handler_whose_await_is_cancelled_rejects():
    bus = Bus()
    svc = bus.register_plugin("Svc")
    request = asyncio.get_running_loop().create_future()
    started = asyncio.Event()

    @svc.register_command("fetch")
    async def fetch(e):
        started.set()
        await request  # a transport request that gets cancelled
        e.deferred.resolve("unreachable")

    svc.ready()
    d = svc.command("fetch")
    await started.wait()
    request.cancel()
    await asyncio.gather(*_other_tasks(), return_exceptions=True)
    assert d.state() == "rejected" and d.args == ("Command was cancelled",)


async def test_cancelled_async_handler_task_rejects_and_stays_cancelled():
    bus = Bus()
    svc = bus.register_plugin("Svc")
    started = asyncio.Event()

    @svc.register_command("wait")
    async def wait(e):
        started.set()
        await asyncio.Event().wait()  # never set

    svc.ready()
    d = svc.command("wait")
    await started.wait()
    (task,) = _other_tasks()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()
    assert d.state() == "rejected" and d.args == ("Command was cancelled",)


def test_async_handler_without_loop_rejects(caplog):
    bus = Bus()
    svc = bus.register_plugin("Svc")

    async def handler(e):
        e.deferred.resolve()

    svc.register_command("a", handler)
    svc.ready()
    d = bus.command("Svc.a")
    assert d.is_rejected()


def test_debug_logs_commands_and_failures(bus, ready_plugin, caplog):
    caplog.set_level(logging.DEBUG, logger="cxkit.bus")
    bus.configure(debug=True)
    ready_plugin("Svc", no=lambda e: e.deferred.reject("nope"))
    bus.command("Svc.no", a=1)
    bus.flush()
    messages = [r.getMessage() for r in caplog.records]
    assert "Error (Svc.no): nope" in messages
    assert any("commands Svc.no" in m for m in messages)
    assert any("registered plugin Svc" in m for m in messages)


def test_no_logging_without_debug(bus, ready_plugin, caplog):
    caplog.set_level(logging.DEBUG, logger="cxkit.bus")
    ready_plugin("Svc", no=lambda e: e.deferred.reject("nope"))
    bus.command("Svc.no")
    bus.flush()
    assert caplog.records == []


async def test_a_plain_command_leaves_bus_version_alone_a_subscription_or_data_write_moves_it():
    """docs/threads.md: a plain command does not change `Bus.version` (so the worker sends no
    mirror of the bus's state with its answer); a subscription or a data write does."""
    bus = Bus()
    svc = bus.register_plugin("Svc")
    svc.register_command("add", lambda e: e.deferred.resolve(e.data["a"] + e.data["b"]))
    svc.register_command("no", lambda e: e.deferred.reject("refused"))

    @svc.register_command("later")
    async def later(e):
        await asyncio.sleep(0)
        e.deferred.resolve("done")

    svc.ready()
    caller = bus.register_plugin("Caller")
    changes = []
    bus.watch(lambda: changes.append(bus.version))
    before = bus.version
    assert await caller.command("Svc.add", a=1, b=2) == 3
    assert await bus.command("Svc.later") == "done"
    with pytest.raises(CommandRejected):
        await caller.command("Svc.no")
    assert bus.version == before and changes == []
    caller.subscribe("Svc.ready", lambda e: None)
    assert bus.version == before + 1 and changes == [before + 1]
    svc.register_command("data", lambda e: e.deferred.resolve(svc.data("k", e.data["k"])))
    assert bus.version == before + 2
    await caller.command("Svc.data", k="v")  # a command whose handler writes data
    assert bus.version == before + 3 and changes == [before + 1, before + 2, before + 3]
