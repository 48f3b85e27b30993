"""JavaScript value rules the bus reproduces: loose equality for data changes, `String(x)` for event names.

    >>> from cxkit.bus.jsvalues import js_string, loosely_equal
    >>> js_string(True), js_string(3.0), js_string(None)
    ('true', '3', 'null')
    >>> loosely_equal(1, "1"), loosely_equal({}, {})
    (True, False)
"""

import math
from typing import Any

from ..common.jsnumbers import js_scalar_text

__all__ = ["js_string", "loosely_equal"]

_PRIMITIVES = (bool, int, float, str)


def js_string(value: Any) -> str:
    """Render a Python value the way JavaScript's `String(value)` renders its JSON-ish counterpart."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    scalar = js_scalar_text(value)
    if scalar is not None:
        return scalar
    if isinstance(value, (list, tuple)):
        return ",".join("" if item is None else js_string(item) for item in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def _to_number(value: Any) -> float:
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0.0
        try:
            return float(int(text, 0)) if text[:2].lower() in ("0x", "0o", "0b") else float(text)
        except ValueError:
            return math.nan
    return float(value)


def loosely_equal(a: Any, b: Any) -> bool:
    """JavaScript `a == b` for JSON-like values: primitives coerce, containers compare by identity."""
    if a is b:
        return True
    if a is None or b is None:
        return False
    if not isinstance(a, _PRIMITIVES) or not isinstance(b, _PRIMITIVES):
        # JS compares objects by reference; other Python objects fall back to their own equality.
        if isinstance(a, (dict, list, tuple)) or isinstance(b, (dict, list, tuple)):
            return False
        return bool(a == b)
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return _to_number(a) == _to_number(b)
