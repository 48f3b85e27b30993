"""What a page's cxkit holds, counted: for leak checks in tests and benches (test pages run
it through the test hook, ``cxkitPy(source)``, in either thread).

    >>> from cxkit.browser.census import census, trace_proxies   # doctest: +SKIP
    >>> trace_proxies()          # from now on, PyProxies are counted until destroyed
    >>> census()["js_refs"]      # doctest: +SKIP
    231

A page that subscribes and unsubscribes, or sends commands, and has settled, comes back to
the same counts: the bus's tables (``bus_*``), the JS functions the worker holds a handle of
(``RemoteFunction``), Deferreds, JS command handlers waiting for their answer, the worker
link's open questions and unsent drops, Pyodide's references to JS objects (``js_refs``:
JsProxies and the like) and the PyProxies made since `trace_proxies` (``pyproxies``).
``python_objects`` (every object the garbage collector tracks) may move by a few.
"""

from __future__ import annotations

import gc
from collections import Counter
from typing import Any

from ..bus import Bus, get_bus
from .bridge import JsBridge

__all__ = ["WATCHED_TYPES", "census", "trace_proxies"]

#: Python types counted by name, wherever they are held.
WATCHED_TYPES = ("RemoteFunction", "RemoteElement", "Deferred", "BusEvent", "Task")


def _pyodide_module() -> Any:
    import pyodide_js  # only in the browser

    return pyodide_js._module


def trace_proxies() -> None:
    """Count PyProxies from now on: each one made is noted until it is destroyed."""
    _pyodide_module().enable_pyproxy_allocation_tracing()


def census(bus: Bus | None = None) -> dict[str, int]:
    """Counts of what this page's cxkit holds, after a garbage collection (see the module)."""
    gc.collect()
    bus = bus if bus is not None else get_bus()
    counts = {f"bus_{table}": size for table, size in bus.census().items()}
    objects = gc.get_objects()
    counts["python_objects"] = len(objects)
    types = Counter(type(o).__name__ for o in objects)
    for name in WATCHED_TYPES:
        counts[name] = types.get(name, 0)
    by_name: dict[str, list[Any]] = {"WorkerLink": []}
    bridges = []
    for o in objects:
        found = by_name.get(type(o).__name__)
        if found is not None:
            found.append(o)
        elif isinstance(o, JsBridge):  # the worker's is a subclass
            bridges.append(o)
    counts["bridge_pending_handlers"] = sum(b.pending_handlers for b in bridges)
    counts["bridge_given_options"] = sum(b.given_options for b in bridges)
    # Worker mode only (none on the main thread): questions to the page, drops not yet sent,
    # elements known by handle.
    counts["link_asks"] = sum(len(link._asks) for link in by_name["WorkerLink"])
    counts["link_drops"] = sum(len(link._drops) for link in by_name["WorkerLink"])
    counts["link_elements"] = sum(len(link.elements) for link in by_name["WorkerLink"])
    module = _pyodide_module()
    counts["js_refs"] = int(module.hiwire.num_keys())
    counts["pyproxies"] = int(module.pyproxy_alloc_map.size)
    return counts
