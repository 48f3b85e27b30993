"""Plain-data conversion across the JS/Python boundary.

    >>> from cxkit.browser.convert import to_js_plain       # doctest: +SKIP
    >>> to_js_plain({"a": [1, 2], "re": re.compile("x", re.I)})   # a JS object, a JS RegExp

Everything that crosses to JS is plain data (objects, arrays, strings, numbers, RegExp);
nothing becomes a PyProxy, so nothing needs destroying. Objects that are already JS
(elements, Files, functions the page passed in) go back as themselves.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import js
from pyodide.ffi import JsProxy, jsnull, to_js

__all__ = ["to_js_plain", "to_py_plain", "error_text"]

_FLAG_LETTERS = ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"))


def error_text(exc: BaseException) -> str:
    """What an exception becomes on the JS side: a plain string."""
    return f"{type(exc).__name__}: {exc}"


def _default(value: Any, convert: Any, cache: Any) -> Any:
    if isinstance(value, re.Pattern):
        flags = "".join(letter for flag, letter in _FLAG_LETTERS if value.flags & flag)
        return js.RegExp.new(value.pattern, flags)
    if hasattr(value, "to_dict"):
        return convert(value.to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return convert(dataclasses.asdict(value))
    if isinstance(value, BaseException):
        return error_text(value)
    if isinstance(value, tuple):
        return convert(list(value))
    return str(value)


def to_js_plain(value: Any) -> Any:
    """Convert Python data to plain JS data (dicts become plain objects, never Maps)."""
    if value is None or isinstance(value, (bool, int, float, str, JsProxy)):
        return value
    return to_js(
        value,
        dict_converter=js.Object.fromEntries,
        create_pyproxies=False,
        default_converter=_default,
    )


def to_py_plain(value: Any) -> Any:
    """Convert JS data to Python; plain objects and arrays are copied, other JS objects
    (RegExp, elements, Files, functions) stay JS handles."""
    if value is jsnull:
        return None
    if isinstance(value, JsProxy) and hasattr(value, "to_py"):
        if value.typeof == "function":
            return value
        return value.to_py()
    return value
