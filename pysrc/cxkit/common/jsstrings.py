"""A string's length as JavaScript (and Java, GMS's language) counts it: UTF-16 code units.

A limit the original checks with ``message.length`` counts a character outside the Basic
Multilingual Plane (most emoji) as two, where Python's ``len`` counts one::

    >>> from cxkit.common.jsstrings import js_length
    >>> len("ok 👍"), js_length("ok 👍")
    (4, 5)
"""

from __future__ import annotations

__all__ = ["js_length"]


def js_length(text: str) -> int:
    """``text.length`` in JavaScript: UTF-16 code units (a lone surrogate counts one).

        >>> js_length("abc"), js_length("😀😀😀"), js_length("\\ud800")
        (3, 6, 1)
    """
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)
