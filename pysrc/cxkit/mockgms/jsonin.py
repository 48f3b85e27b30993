"""Strict JSON for everything that comes in: no NaN/Infinity, bounded nesting.

Python's `json` accepts `NaN`, `Infinity` and `-Infinity`, which no JSON encoder may write back:
a stored NaN made every later answer that carries it fail. Deep nesting makes the decoder (and any
later walk of the value) run out of stack. Both are refused at the door as `JsonRefused`, which
each face turns into its own 4xx answer.

    >>> from cxkit.mockgms.jsonin import JsonRefused, load_json
    >>> load_json('{"a": [1, 2.5, "x"]}')
    {'a': [1, 2.5, 'x']}
    >>> load_json('{"x": NaN}')
    Traceback (most recent call last):
    ...
    cxkit.mockgms.jsonin.JsonRefused: NaN is not a JSON number
    >>> load_json("[" * 100 + "]" * 100)
    Traceback (most recent call last):
    ...
    cxkit.mockgms.jsonin.JsonRefused: JSON nested deeper than 32 levels
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = ["JsonRefused", "MAX_DEPTH", "load_json", "check_finite"]

MAX_DEPTH = 32  # GMS payloads (eventAttributes, structured content) are a few levels deep
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKETS = re.compile(r"[\[\]{}]")


class JsonRefused(ValueError):
    """The text is not JSON this server accepts; the message says why."""


def _no_constant(name: str) -> Any:
    raise JsonRefused(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 parses as inf
        raise JsonRefused(f"{text} is out of the range of a JSON number")
    return value


def load_json(raw: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """Parse `raw` strictly; raises JsonRefused for bad text, non-finite numbers or deep nesting."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise JsonRefused("JSON text is not valid UTF-8") from None
    # Nesting is bounded before the decoder recurses: brackets outside strings cannot be counted
    # cheaply, so count them all; only a text with that many brackets pays for the walk.
    if raw.count("[") + raw.count("{") > max_depth:
        _check_depth_of_text(raw, max_depth)
    try:
        return json.loads(raw, parse_constant=_no_constant, parse_float=_finite_float)
    except JsonRefused:
        raise
    except RecursionError:
        raise JsonRefused(f"JSON nested deeper than {max_depth} levels") from None
    except ValueError as exc:  # JSONDecodeError, and int texts over the digit limit
        raise JsonRefused(f"not valid JSON: {exc}") from None


def _check_depth_of_text(raw: str, max_depth: int) -> None:
    depth = 0
    for match in _BRACKETS.finditer(_STRINGS.sub('""', raw)):
        if match.group() in "[{":
            depth += 1
            if depth > max_depth:
                raise JsonRefused(f"JSON nested deeper than {max_depth} levels")
        else:
            depth -= 1


def check_finite(value: Any, max_depth: int = MAX_DEPTH) -> None:
    """Refuse non-finite floats and deep nesting in an already-parsed value (YAML scripts,
    Python callers)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise JsonRefused(f"{item} is not a JSON number")
        if isinstance(item, (dict, list, tuple)):
            if depth >= max_depth:
                raise JsonRefused(f"JSON nested deeper than {max_depth} levels")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
