"""Pre-filters: regular expressions that hide matching chat messages (spec B.2).

The built-in filter hides Co-browse session tokens (``{start:123456789}``); custom filters come
from ``addPrefilter`` / ``sendFilteredMessage`` and persist in the filters cookie as
``{"custom":[{"source":"secret","flags":""}]}``. A filter may be a ``re.Pattern``, an object with
JavaScript-style ``source``/``flags`` attributes (the glue's view of a JS RegExp), or a mapping
``{"source", "flags"}``; a plain string is *not* a filter, as in the original::

    >>> import re
    >>> from cxkit.webchat.filters import Prefilters
    >>> filters = Prefilters()
    >>> filters.add([re.compile("secret", re.I)])
    >>> filters.hides({"type": "Message", "text": "my SECRET"}), filters.to_cookie()
    (True, [{'source': 'secret', 'flags': 'i'}])
    >>> filters.hides({"type": "Message", "text": "{start:123456789}"})
    True
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["COBROWSE_FILTER", "InvalidFilter", "Prefilter", "Prefilters", "to_prefilter"]

COBROWSE_FILTER = re.compile(r"\{start:[0-9]{9}\}")

_PY_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}
_JS_ONLY_FLAGS = set("gyudv")


class InvalidFilter(ValueError):
    pass


@dataclass(frozen=True)
class Prefilter:
    source: str
    flags: str
    pattern: re.Pattern[str]
    original: Any

    def as_cookie(self) -> dict[str, str]:
        return {"source": self.source, "flags": self.flags}


# JavaScript's \d, \w and \b are ASCII (Python's are Unicode: "١٢٣" is three \d there), and
# its $ without the m flag is the end of the text only (Python's also matches before a final
# newline): a page's filter must hide what it hides in the original, no more.
_ASCII_ESCAPES = {c: f"(?a:\\{c})" for c in "dDwWbB"}
_ASCII_IN_SET = {"d": "0-9", "w": "A-Za-z0-9_"}
_NAMED_GROUP = re.compile(r"\(\?<([A-Za-z_]\w*)>")
_NAMED_REFERENCE = re.compile(r"\\k<([A-Za-z_]\w*)>")


def _js_source_to_python(source: str, multiline: bool = False) -> str:
    r"""A JavaScript RegExp source as a Python pattern that matches the same texts (the syntax
    both share, with JavaScript's meaning).

        >>> _js_source_to_python(r"^\w+ (?<n>\d)[\d-]\k<n>$")
        '^(?a:\\w)+ (?P<n>(?a:\\d))[0-9-](?P=n)\\Z'
    """
    out: list[str] = []
    i, in_set = 0, False
    while i < len(source):
        ch = source[i]
        if ch == "\\" and i + 1 < len(source):
            following = source[i + 1]
            reference = _NAMED_REFERENCE.match(source, i)
            if reference and not in_set:
                out.append(f"(?P={reference.group(1)})")
                i = reference.end()
                continue
            out.append(_ASCII_IN_SET.get(following, source[i:i + 2]) if in_set
                       else _ASCII_ESCAPES.get(following, source[i:i + 2]))
            i += 2
            continue
        group = None if in_set else _NAMED_GROUP.match(source, i)
        if group:
            out.append(f"(?P<{group.group(1)}>")
            i = group.end()
            continue
        if in_set:
            in_set = ch != "]"
        elif ch == "[":
            in_set = True
        elif ch == "$" and not multiline:
            ch = "\\Z"
        out.append(ch)
        i += 1
    return "".join(out)


def _compile(source: str, flags: str, original: Any) -> Prefilter:
    py_flags = 0
    for flag in flags:
        if flag in _PY_FLAGS:
            py_flags |= _PY_FLAGS[flag]
        elif flag not in _JS_ONLY_FLAGS:
            raise InvalidFilter(f"unknown regular expression flag {flag!r}")
    try:
        pattern = re.compile(_js_source_to_python(source, "m" in flags), py_flags)
    except re.error as exc:
        raise InvalidFilter(str(exc)) from exc
    return Prefilter(source, flags, pattern, original)


def to_prefilter(value: Any) -> Prefilter:
    """A `Prefilter` from a regex-like value; raises `InvalidFilter` for anything else."""
    if isinstance(value, re.Pattern):
        if not isinstance(value.pattern, str):
            raise InvalidFilter("byte patterns cannot filter text")
        flags = "".join(f for f, bit in _PY_FLAGS.items() if value.flags & bit)
        return Prefilter(value.pattern, flags, value, value)
    if isinstance(value, Mapping):
        source, flags = value.get("source"), value.get("flags", "")
    elif not isinstance(value, (str, bytes)) and hasattr(value, "source"):
        source, flags = value.source, getattr(value, "flags", "")
    else:
        raise InvalidFilter(f"not a regular expression: {value!r}")
    if not isinstance(source, str) or not isinstance(flags, str):
        raise InvalidFilter(f"not a regular expression: {value!r}")
    return _compile(source, flags, value)


def _is_single(value: Any) -> bool:
    """A regex-like value or a non-iterable; JS arrays arrive as iterable proxies, not lists."""
    if isinstance(value, (str, bytes, Mapping, re.Pattern)) or hasattr(value, "source"):
        return True
    try:
        iter(value)
    except TypeError:
        return True
    return False


class Prefilters:
    """The built-in co-browse filter plus the session's custom filters."""

    def __init__(self) -> None:
        self.custom: list[Prefilter] = []

    def add(self, values: Any) -> None:
        """Add one regex-like value or a non-empty list of them; all are checked first."""
        items = [values] if _is_single(values) else list(values)
        if not items:
            raise InvalidFilter("empty filter list")
        checked = [to_prefilter(v) for v in items]
        self.custom.extend(checked)

    def restore(self, saved: list[dict[str, str]]) -> None:
        for item in saved:
            try:
                self.custom.append(_compile(item["source"], item.get("flags") or "", None))
            except (InvalidFilter, KeyError):
                continue

    def clear(self) -> None:
        self.custom.clear()

    def registered(self) -> list[Any]:
        """The custom filters as the caller gave them (restored ones as ``re.Pattern``)."""
        return [f.original if f.original is not None else f.pattern for f in self.custom]

    def to_cookie(self) -> list[dict[str, str]]:
        return [f.as_cookie() for f in self.custom]

    def hides(self, raw: Mapping[str, Any]) -> bool:
        """Only chat text (type ``Message``) is filtered."""
        text = raw.get("text")
        if raw.get("type") != "Message" or not isinstance(text, str):
            return False
        if COBROWSE_FILTER.search(text):
            return True
        return any(f.pattern.search(text) for f in self.custom)
