import asyncio
import logging

import pytest

from cxkit.bus import CommandRejected, Deferred, Promise


def recorder():
    calls = []

    def record(*args):
        calls.append(args)

    return calls, record


def test_pending_until_settled():
    d = Deferred()
    assert d.state() == "pending"
    assert not d.is_resolved() and not d.isResolved()
    assert not d.is_rejected() and not d.isRejected()


def test_resolve_passes_all_arguments_to_done_and_always():
    d = Deferred()
    done, on_done = recorder()
    always, on_always = recorder()
    failed, on_fail = recorder()
    assert d.done(on_done).fail(on_fail).always(on_always) is d
    d.resolve("a", 2)
    assert done == [("a", 2)] and always == [("a", 2)] and failed == []
    assert d.state() == "resolved" and d.isResolved() and d.args == ("a", 2)


def test_reject_calls_fail_and_always_only():
    d = Deferred()
    done, on_done = recorder()
    failed, on_fail = recorder()
    always, on_always = recorder()
    d.done(on_done).fail(on_fail).always(on_always)
    d.reject("nope")
    assert failed == [("nope",)] and always == [("nope",)] and done == []
    assert d.state() == "rejected" and d.is_rejected()


def test_settles_once():
    d = Deferred()
    d.resolve(1)
    d.reject(2)
    d.resolve(3)
    assert d.state() == "resolved" and d.args == (1,)


def test_callbacks_added_after_settlement_fire_immediately_with_stored_args():
    d = Deferred().resolve(1, 2)
    done, on_done = recorder()
    failed, on_fail = recorder()
    d.done(on_done)
    assert done == [(1, 2)]
    d.fail(on_fail)
    assert failed == []
    r = Deferred().reject("x")
    r.fail(on_fail).always(on_fail)
    assert failed == [("x",), ("x",)]


def test_several_fns_and_lists_of_fns_in_order():
    d = Deferred()
    order = []
    d.done(lambda: order.append(1), [lambda: order.append(2), lambda: order.append(3)], lambda: order.append(4))
    d.resolve()
    assert order == [1, 2, 3, 4]


def test_one_function_and_non_functions_are_handled_like_lists():
    d = Deferred()
    calls, record = recorder()
    d.done(record).done(None).done((record,)).fail(record).fail(42)
    d.resolve(1)
    assert calls == [(1,), (1,)]


def test_settle_watcher_runs_once_after_callbacks_or_at_once_when_settled():
    seen = []

    def watch(tag, resolved, args):
        seen.append((tag, resolved, args))

    d = Deferred()
    d._on_settle(watch, 1)
    d._on_settle(watch, 2)  # a second watcher still hears, through ordinary callbacks
    d.fail(lambda *args: seen.append("fail"))
    d.reject("why", 2)
    d.reject("again")
    assert seen == [(2, False, ("why", 2)), "fail", (1, False, ("why", 2))]
    seen.clear()
    Deferred().resolve(3)._on_settle(watch, 4)
    assert seen == [(4, True, (3,))]


def test_settle_watcher_that_raises_is_logged(caplog):
    d = Deferred()
    d._on_settle(lambda *_: 1 / 0, None)
    with caplog.at_level(logging.ERROR, logger="cxkit.bus"):
        d.resolve()
    assert d.is_resolved() and any(r.exc_info for r in caplog.records)


def test_callback_that_raises_is_logged_and_others_still_run(caplog):
    d = Deferred()
    calls, record = recorder()

    def boom(*args):
        raise ValueError("callback broke")

    d.done(boom, record)
    with caplog.at_level(logging.ERROR, logger="cxkit.bus"):
        d.resolve(5)
    assert calls == [(5,)]
    assert any(r.exc_info and "callback broke" in str(r.exc_info[1]) for r in caplog.records)


def test_then_attaches_and_returns_none():
    d = Deferred()
    done, on_done = recorder()
    failed, on_fail = recorder()
    assert d.then(on_done, on_fail) is None
    d.resolve(7)
    assert done == [(7,)] and failed == []
    r = Deferred()
    assert r.then(None, on_fail) is None
    r.reject("why")
    assert failed == [("why",)]


def test_progress_and_notify():
    d = Deferred()
    seen, on_progress = recorder()
    d.notify("too early")
    d.progress(on_progress)
    d.notify(1).notify(2, "b")
    d.resolve()
    d.notify(3)
    assert seen == [(1,), (2, "b")]


def test_then_progress_argument():
    d = Deferred()
    seen, on_progress = recorder()
    d.then(None, None, on_progress)
    d.notify(50)
    assert seen == [(50,)]


def test_with_variants_take_context_and_arg_list():
    d = Deferred()
    done, on_done = recorder()
    d.done(on_done)
    d.resolveWith(object(), [1, 2])
    assert done == [(1, 2)]
    r = Deferred()
    failed, on_fail = recorder()
    r.fail(on_fail).rejectWith(None, ["bad"])
    assert failed == [("bad",)]
    n = Deferred()
    seen, on_progress = recorder()
    n.progress(on_progress).notifyWith(None, [10])
    assert seen == [(10,)]


def test_pipe_filters_resolution_into_new_deferred():
    d = Deferred()
    piped = d.pipe(lambda a, b: a + b)
    assert piped is not d and piped.state() == "pending"
    d.resolve(2, 3)
    assert piped.state() == "resolved" and piped.args == (5,)


def test_pipe_without_filters_passes_through():
    d = Deferred()
    piped = d.pipe()
    d.reject("r1", "r2")
    assert piped.state() == "rejected" and piped.args == ("r1", "r2")


def test_pipe_fail_filter_rejects_with_its_value():
    d = Deferred()
    piped = d.pipe(None, lambda reason: f"wrapped {reason}")
    d.reject("x")
    assert piped.state() == "rejected" and piped.args == ("wrapped x",)


def test_pipe_filter_returning_a_deferred_is_followed():
    d = Deferred()
    inner = Deferred()
    piped = d.pipe(lambda *_: inner)
    d.resolve()
    assert piped.state() == "pending"
    inner.resolve("later")
    assert piped.args == ("later",) and piped.is_resolved()


def test_pipe_filter_that_raises_rejects(caplog):
    d = Deferred()

    def bad(*_):
        raise RuntimeError("filter failed")

    piped = d.pipe(bad)
    with caplog.at_level(logging.ERROR, logger="cxkit.bus"):
        d.resolve()
    assert piped.args == ("filter failed",) and piped.is_rejected()


def test_promise_is_read_only_view():
    d = Deferred()
    p = d.promise()
    assert isinstance(p, Promise)
    assert not hasattr(p, "resolve") and not hasattr(p, "reject")
    done, on_done = recorder()
    assert p.done(on_done) is p
    assert p.then(on_done) is None
    d.resolve("v")
    assert done == [("v",), ("v",)]
    assert p.state() == "resolved" and p.isResolved() and p.promise() is p


async def test_await_single_value():
    d = Deferred()
    asyncio.get_running_loop().call_soon(d.resolve, "value")
    assert await d == "value"


async def test_await_no_args_and_several_args():
    assert await Deferred().resolve() is None
    assert await Deferred().resolve(1, 2) == (1, 2)


async def test_await_rejection_raises_command_rejected():
    d = Deferred()
    asyncio.get_running_loop().call_soon(d.reject, "reason", "extra")
    with pytest.raises(CommandRejected) as info:
        await d
    assert info.value.reason == "reason"
    assert info.value.args == ("reason", "extra")
    assert isinstance(info.value, Exception)


async def test_await_rejection_without_reason():
    with pytest.raises(CommandRejected) as info:
        await Deferred().reject()
    assert info.value.reason is None and info.value.args == ()


async def test_await_promise_view():
    d = Deferred()
    asyncio.get_running_loop().call_soon(d.resolve, 3)
    assert await d.promise() == 3


async def test_awaiting_task_can_be_cancelled_and_deferred_settles_later():
    d = Deferred()
    task = asyncio.ensure_future(_await(d))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    d.resolve(1)  # the orphaned future must not blow up
    assert d.is_resolved()


async def _await(d):
    return await d
