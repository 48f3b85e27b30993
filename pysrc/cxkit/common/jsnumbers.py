"""JavaScript's ``String(number)`` for Python numbers (and ``String`` of a boolean): one rule for
event names and form fields.

    >>> from cxkit.common.jsnumbers import js_number_text
    >>> [js_number_text(v) for v in (3, 3.0, 0.5, float("nan"), float("-inf"), 1e21)]
    ['3', '3', '0.5', 'NaN', '-Infinity', '1e+21']
"""

from __future__ import annotations

import math
from decimal import Decimal

__all__ = ["js_number_text", "js_scalar_text"]


def js_number_text(value: int | float) -> str:
    """The text JavaScript prints for ``value``: the shortest digits that read back the same float,
    integral floats without ``.0``, NaN and the infinities spelled as in JS, and the exponent form
    only from 1e21 up or below 1e-6 (Python's ``repr`` switches earlier and writes ``1e-05``).

        >>> js_number_text(1.0), js_number_text(-2.5), js_number_text(float("inf"))
        ('1', '-2.5', 'Infinity')
        >>> js_number_text(1e-7), js_number_text(0.00001), js_number_text(1.5e300)
        ('1e-7', '0.00001', '1.5e+300')
    """
    if isinstance(value, bool):
        raise TypeError("js_number_text takes a number, not a bool")
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"  # -0 too
    return _shortest_js(value)


def js_scalar_text(value: object) -> str | None:
    """JavaScript's ``String(value)`` for a boolean or a number; None for anything else, whose
    text each caller decides (null, strings, containers differ between them).

        >>> js_scalar_text(True), js_scalar_text(2.0), js_scalar_text("2"), js_scalar_text(None)
        ('true', '2', None, None)
    """
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return js_number_text(value)
    return None


def _shortest_js(value: float) -> str:
    """ECMAScript Number::toString for a finite non-zero float, from Python's shortest repr."""
    sign, digit_tuple, exponent = Decimal(repr(value)).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    assert isinstance(exponent, int)
    # value = 0.<digits> x 10^point, the n of the ECMAScript algorithm
    point = len(digit_tuple) + exponent
    minus = "-" if sign else ""
    if 0 < point <= 21:
        if len(digits) <= point:
            return minus + digits + "0" * (point - len(digits))
        return f"{minus}{digits[:point]}.{digits[point:]}"
    if -6 < point <= 0:
        return f"{minus}0.{'0' * -point}{digits}"
    mantissa = digits[0] + (f".{digits[1:]}" if len(digits) > 1 else "")
    return f"{minus}{mantissa}e{'+' if point > 0 else '-'}{abs(point - 1)}"
