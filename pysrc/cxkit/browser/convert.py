"""Plain-data conversion across the JS/Python boundary.

    >>> from cxkit.browser.convert import to_js_plain       # doctest: +SKIP
    >>> to_js_plain({"a": [1, 2], "re": re.compile("x", re.I)})   # a JS object, a JS RegExp

Everything that crosses to JS is plain data (objects, arrays, strings, numbers, RegExp);
nothing becomes a PyProxy, so nothing needs destroying. Objects that are already JS
(elements, Files, functions the page passed in) go back as themselves.

Speed matters here (every bus call crosses): scalars pass untouched, and the Python side is
reduced to dicts, lists and JS handles before one ``to_js`` call, because a Python
``default_converter`` costs a proxy per call (about 15 us). Between threads, ``to_json`` is
faster still: the C JSON encoder writes the text, the page's ``JSON.parse`` reads it, and no JS
object is made on the Python side at all.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

import js
from pyodide.ffi import JsProxy, jsnull, to_js

from ..gms.forms import use_json_default

__all__ = ["calmed", "to_js_plain", "to_json", "from_json", "to_py_plain", "error_text"]

_FLAG_LETTERS = ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"))
_SCALARS = frozenset((type(None), bool, int, float, str))
_from_entries = js.Object.fromEntries
_new_object = js.Object.new


def error_text(exc: BaseException) -> str:
    """What an exception becomes on the JS side: a plain string."""
    return f"{type(exc).__name__}: {exc}"


def _plain(value: Any) -> Any:
    """``value`` as dicts, lists, scalars and JS handles only."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict:
        return {k: _plain(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [_plain(v) for v in value]
    if value is jsnull:  # a JS null that came in: None, as JSON's null is
        return None
    if isinstance(value, JsProxy):
        return value
    if isinstance(value, re.Pattern):
        flags = "".join(letter for flag, letter in _FLAG_LETTERS if value.flags & flag)
        return js.RegExp.new(value.pattern, flags)
    stand_in_for = getattr(value, "js_function", None)  # a Python wrapper of a page's function
    if stand_in_for is not None:
        return _plain(stand_in_for)
    if hasattr(value, "to_dict"):
        return _plain(value.to_dict())
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, BaseException):
        return error_text(value)
    if isinstance(value, (bool, int, float, str)):  # subclasses (IntEnum, str enums)
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):  # a page's typed array, back as a Uint8Array
        return bytes(value)
    return str(value)


def to_js_plain(value: Any) -> Any:
    """Convert Python data to plain JS data (dicts become plain objects, never Maps)."""
    if type(value) in _SCALARS:
        return value
    if type(value) is dict and not value:
        # Command data is usually {}: a new JS object costs 0.8 us, going through to_js 3.4 us.
        return _new_object()
    value = _plain(value)
    if type(value) in _SCALARS or isinstance(value, JsProxy):
        return value
    return to_js(value, dict_converter=_from_entries, create_pyproxies=False)


def _json_default(value: Any) -> Any:
    if isinstance(value, (JsProxy, re.Pattern, bytes, bytearray, memoryview)):
        raise TypeError("a JS object, a RegExp or bytes have no JSON form")
    return _plain(value)


_encode = json.JSONEncoder(default=_json_default, allow_nan=False, separators=(",", ":")).encode


def _c_encoder() -> Callable[[Any, int], Any] | None:
    """The C encoder `_encode` makes on each call, made once: every op crosses through it, and
    ``JSONEncoder.encode``'s Python layers cost more than the C work for a small op."""
    if c_make_encoder is None:  # a Python without the C accelerator
        return None
    return c_make_encoder({}, _json_default, encode_basestring_ascii, None, ":", ",", False, False, False)


_c_encode = _c_encoder()
_scan_json = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def to_json(value: Any) -> str:
    """``value`` as JSON text that ``JSON.parse`` turns into what `to_js_plain` makes of it.

        >>> to_json({"id": 1, "tags": ("a", "b"), "at": None})   # doctest: +SKIP
        '{"id":1,"tags":["a","b"],"at":null}'

    Raises ``TypeError`` for a value holding a JS object (a File, an element) or a pattern, and
    ``ValueError`` for NaN, an infinity or a cycle: those cross with `to_js_plain`.
    """
    global _c_encode
    if _c_encode is None:
        return _encode(value)
    try:
        return "".join(_c_encode(value, 0))
    except BaseException:
        _c_encode = _c_encoder()  # its cycle markers may keep what the failed call left in them
        raise


def from_json(text: str) -> Any:
    """JSON text as ``JSON.stringify`` writes it (no surrounding blanks), read with the C scanner
    `json.loads` wraps; anything else goes through `json.loads` and its error messages.

        >>> from_json('[1,{"a":null}]')   # doctest: +SKIP
        [1, {'a': None}]
    """
    try:
        value, end = _scan_json(text, 0)
    except StopIteration:
        end = -1
    return value if end == len(text) else json.loads(text)


def _nulls_to_none(value: Any, seen: set[int] | None = None) -> Any:
    """``value`` (what ``to_py`` made, in place) with JS nulls as None; an object the data refers to
    twice, or within itself, is visited once (``to_py`` keeps such a loop a loop)."""
    kind = type(value)
    if kind is not dict and kind is not list:
        return None if value is jsnull else value
    seen = set() if seen is None else seen
    if id(value) in seen:
        return value
    seen.add(id(value))
    items = value.items() if kind is dict else enumerate(value)
    for k, v in items:  # only existing keys change: iterating as it goes is safe
        if v is jsnull or type(v) is dict or type(v) is list:
            value[k] = _nulls_to_none(v, seen)
    return value


def to_py_plain(value: Any) -> Any:
    """Convert JS data to Python; plain objects and arrays are copied (JS null is None, as it is
    when the data comes as JSON), other JS objects (RegExp, elements, Files, functions) stay JS
    handles."""
    kind = type(value)
    if kind in _SCALARS or kind is dict or kind is list:  # Python already (a worker's batch)
        return value
    if value is jsnull:
        return None
    if isinstance(value, JsProxy) and value.typeof != "function":
        return _nulls_to_none(value.to_py())
    return value


def calmed(fn: Any) -> Any:
    """A page function (a JsProxy, on the page's thread) as the loader's ``calmed`` wraps it: a
    Promise it returns rejects only with an Error, so Pyodide's future of it always settles.
    Anything else (a worker's stand-in, a Python callable) is returned as it is."""
    wrap = getattr(getattr(js.globalThis, "__cxkit", None), "calmed", None) if isinstance(fn, JsProxy) else None
    return wrap(fn) if wrap is not None else fn


def _as_stringify_writes(value: Any) -> Any:
    """A value in a JSON body (CometD) as the original's ``JSON.stringify`` writes it: a JS Date
    by its ``toJSON``, a Map or a class instance as its own fields, a function as nothing; the
    worker's stand-ins for a page function or element as a function or an element would be."""
    if value is jsnull:
        return None
    if isinstance(value, JsProxy):
        text = js.JSON.stringify(value)  # undefined (a function) is None here
        return None if text is None else from_json(str(text))
    if isinstance(value, (set, frozenset)):  # a JS Set the page's thread converted: JS writes {}
        return {}
    if isinstance(value, (bytes, bytearray, memoryview)):  # a typed array: JS writes its indexes
        return {str(i): b for i, b in enumerate(bytes(value))}
    kind = getattr(value, "kind", None)
    if kind in ("fn", "el"):
        return None if kind == "fn" else {}
    return str(value)


use_json_default(_as_stringify_writes)  # the browser layer is loaded before any JSON body is written
