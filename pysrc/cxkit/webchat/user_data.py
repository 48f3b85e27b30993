"""userData as the page gives it: data, but now and then a function or a JS object among it.

    >>> import asyncio
    >>> given = {"cart": lambda: 42, "tags": ["a"], "nested": {"at": lambda: "checkout"}}
    >>> copy = data_copy(given)
    >>> copy["tags"] is given["tags"], copy["cart"] is given["cart"]
    (False, True)
    >>> asyncio.run(values_of_functions(given))
    {'cart': 42, 'tags': ['a'], 'nested': {'at': 'checkout'}}

The store the bus shows (``data.userData``) keeps what the page gave, functions as themselves
(back in JS they are the page's own functions). What goes to GMS is data: a function is called
as it is sent and its value goes instead, as jQuery.param (the original's form encoder) does; a
function that answers later (the page's, called from the worker) is awaited.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping
from typing import Any

from ..bus.jsvalues import js_string

__all__ = ["data_copy", "use_function_caller", "values_of_functions"]

logger = logging.getLogger("cxkit.webchat")


def data_copy(value: Any, _memo: dict[int, Any] | None = None) -> Any:
    """``value`` with its dicts and lists copied (a cycle stays a cycle); anything else (a
    function, a JS object) is shared, not copied: ``copy.deepcopy`` cannot copy a JS object."""
    if not isinstance(value, (Mapping, list, tuple)):
        return value
    memo = {} if _memo is None else _memo
    if id(value) in memo:
        return memo[id(value)]
    if isinstance(value, Mapping):
        mapping: dict[Any, Any] = {}
        memo[id(value)] = mapping
        mapping.update((key, data_copy(item, memo)) for key, item in value.items())
        return mapping
    items: list[Any] = []
    memo[id(value)] = items
    items.extend(data_copy(item, memo) for item in value)
    return items


def _call(fn: Callable[[], Any]) -> Any:
    return fn()


_caller: Callable[[Callable[[], Any]], Any] = _call


def use_function_caller(call: Callable[[Callable[[], Any]], Any]) -> None:
    """How `values_of_functions` calls a function it finds (the browser layer's: a page function
    through the loader, so that a Promise it returns always settles); the default calls it."""
    global _caller
    _caller = call


async def values_of_functions(value: Any, path: str = "userData", _inside: frozenset[int] = frozenset()) -> Any:
    """A copy of ``value`` with each function replaced by what it returns (awaited when it
    answers later; a JS object or array a page's function returns as JS's ``String()`` of it, as
    jQuery.param sends it; a Python function's dict or list is sent as data).
    A function that raises is logged naming it and sends an empty value; so does a cycle."""
    if isinstance(value, (Mapping, list, tuple)):
        if id(value) in _inside:
            logger.error("WebChatService: %s refers to itself: sent empty", path)
            return None
        inside = _inside | {id(value)}
        if isinstance(value, Mapping):
            return {key: await values_of_functions(item, f"{path}.{key}", inside) for key, item in value.items()}
        return [await values_of_functions(item, f"{path}[{i}]", inside) for i, item in enumerate(value)]
    if not callable(value):
        return value
    try:
        result = _caller(value)
        if inspect.isawaitable(result):
            result = await result
    except Exception as exc:
        logger.error("WebChatService: %s is a function that failed, so it is sent empty: %s: %s",
                     path, type(exc).__name__, exc)
        return None
    if isinstance(result, (Mapping, list, tuple)):
        if getattr(value, "typeof", None) == "function":  # the page's JS function (seen from a worker)
            return js_string(result)  # as jQuery.param writes it: "[object Object]", "a,b"
        return await values_of_functions(result, path, _inside)
    return result if result is None or isinstance(result, (str, int, float)) else str(result)
