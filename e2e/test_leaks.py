"""Nothing leaks from churn: 1,000 subscribe/unsubscribe cycles (each with a delivery) and
1,000 rounds of commands from page JS (a Python handler given a function in its payload, a
JS handler through the bus) bring every count back to its baseline, in both modes.

The counts are `cxkit.browser.census` (the bus's tables, JS functions known by handle,
Deferreds, pending JS handlers, the worker link's questions and drops, Pyodide's references
to JS objects and the PyProxies made since tracing started) and, on the page, the loader's
unsettled commands and the published data it keeps, and the link's held functions and open
replies. Counts, not timings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from e2e_support import wait_booted

from cxkit.testing.churn import CENSUS_PY, CHURN_JS, PAGE_COUNTS_JS, SETUP_PY, TRACE_PY

N = 1_000
PAGES = {"worker": "e2e.html", "main": "e2e_python.html"}


def counts(page) -> dict[str, int]:
    """The census in Python, then the page's own counts (the drops the census's collection
    sent arrive before its answer)."""
    found = page.evaluate("src => cxkitPy(src)", CENSUS_PY)
    found.update({f"page_{k}": v for k, v in page.evaluate(PAGE_COUNTS_JS).items()})
    return found


@pytest.fixture(scope="module", params=list(PAGES))
def leak_page(request, browser, server_url: str) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    # boot "now" runs before the page's <script type="py"> exists: name the thread.
    page.add_init_script("window.cxkitTestConfig = (w) => { w.cxkit = {testHook: true, boot: 'now', thread: '%s'}; };"
                         % request.param)
    page.goto(f"{server_url}/cxkit/{PAGES[request.param]}")
    wait_booted(page)
    page.wait_for_function("() => !!window.cxkitPy")
    assert page.evaluate("src => cxkitPy(src)", SETUP_PY) is True
    page.mode = request.param
    assert page.evaluate("__cxkit.thread") == request.param
    yield page
    context.close()


def test_churn_leaks_nothing(leak_page):
    page = leak_page
    assert page.evaluate(CHURN_JS, 50) == {"delivered": 50, "answered": 100}  # warm-up
    assert page.evaluate("src => cxkitPy(src)", TRACE_PY) is True
    baseline = counts(page)
    got = page.evaluate(CHURN_JS, N)
    after = counts(page)
    assert got == {"delivered": N, "answered": 2 * N}
    exact = {k: v for k, v in after.items() if k != "python_objects"}
    assert exact == {k: v for k, v in baseline.items() if k != "python_objects"}
    assert baseline["pyproxies"] == 0  # traced from the baseline on: every one made was destroyed
    # Caches and interned strings may add a few objects, never one per cycle.
    assert after["python_objects"] - baseline["python_objects"] < N // 10, (baseline, after)


def test_counts_see_a_held_subscription(leak_page):
    """The census is not blind: a subscription kept shows in the bus's table and, in worker mode,
    as a JS function held by handle; dropping it gives both back."""
    page = leak_page
    baseline = counts(page)
    page.evaluate("() => window.churn.subscribe('Churn.kept', () => {})")
    held = counts(page)
    assert held["bus_subscribers"] == baseline["bus_subscribers"] + 1
    if page.mode == "worker":
        assert (held["RemoteFunction"], held["page_held"]) == (baseline["RemoteFunction"] + 1, baseline["page_held"] + 1)
    else:
        assert held["js_refs"] > baseline["js_refs"]
    page.evaluate("() => window.churn.unsubscribe('Churn.kept')")
    released = counts(page)
    for key in ("bus_subscribers", "RemoteFunction", "page_held", "js_refs"):
        assert released[key] == baseline[key], key
