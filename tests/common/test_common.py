"""The shared helpers: JS number text, the ms clock, and spawned tasks kept alive and logged."""

import asyncio
import doctest
import importlib
import logging
import math
import time

import pytest

from cxkit.common import js_number_text, now_ms, spawn


@pytest.mark.parametrize("module", ["cxkit.common", "cxkit.common.clock", "cxkit.common.jsnumbers", "cxkit.common.jsstrings",
                                    "cxkit.common.tasks"])
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.parametrize(("value", "text"), [
    (0, "0"), (-7, "-7"), (3.0, "3"), (-0.0, "0"), (0.5, "0.5"), (-2.5, "-2.5"), (0.1 + 0.2, "0.30000000000000004"),
    (1e20, "100000000000000000000"), (1.2345678901234568e20, "123456789012345680000"), (1e21, "1e+21"),
    (1.5e300, "1.5e+300"), (0.000001, "0.000001"), (0.00001234, "0.00001234"), (1e-7, "1e-7"),
    (-1.5e-7, "-1.5e-7"), (5e-324, "5e-324"), (math.nan, "NaN"), (math.inf, "Infinity"), (-math.inf, "-Infinity"),
    (2**70, "1180591620717411303424"),
])
def test_js_number_text_matches_javascript_string(value, text):
    assert js_number_text(value) == text


def test_js_number_text_refuses_a_bool():
    with pytest.raises(TypeError, match="bool"):
        js_number_text(True)


def test_now_ms_is_the_wall_clock_in_ms():
    before = int(time.time() * 1000)
    stamp = now_ms()
    assert isinstance(stamp, int) and before <= stamp <= int(time.time() * 1000)


async def test_spawn_holds_the_task_in_the_owner_set_until_done():
    owned: set[asyncio.Task] = set()
    gate = asyncio.Event()

    async def wait() -> str:
        await gate.wait()
        return "ok"

    task = spawn(wait(), what="waiting", into=owned)
    assert owned == {task}
    gate.set()
    assert await task == "ok"
    assert owned == set()


async def test_spawn_logs_a_failure_and_hands_it_on(caplog):
    failures: list[BaseException] = []

    async def boom() -> None:
        raise ValueError("broken")

    with caplog.at_level(logging.ERROR, logger="cxkit.test"):
        task = spawn(boom(), what="the boom task", logger=logging.getLogger("cxkit.test"), on_failure=failures.append)
        await asyncio.wait([task])
    assert [str(exc) for exc in failures] == ["broken"]
    assert [r.getMessage() for r in caplog.records] == ["the boom task failed"]
    assert caplog.records[0].exc_info[1] is failures[0]


async def test_spawn_does_not_report_a_cancellation(caplog):
    failures: list[BaseException] = []
    task = spawn(asyncio.Event().wait(), what="sleeper", on_failure=failures.append)
    await asyncio.sleep(0)
    task.cancel()
    await asyncio.wait([task])
    assert task.cancelled() and failures == [] and not caplog.records


async def test_spawn_takes_a_future_too():
    future = asyncio.get_running_loop().create_future()
    task = spawn(future, what="future")
    future.set_result(5)
    assert await task == 5


def test_spawn_without_a_loop_closes_the_coroutine_and_raises():
    async def never() -> None:
        raise AssertionError("must not run")

    coro = never()
    with pytest.raises(RuntimeError):
        spawn(coro, what="nothing")
    assert coro.cr_frame is None  # closed: no "never awaited" warning
