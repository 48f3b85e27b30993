"""Small pure-Python helpers that every layer may use (bus, webchat, gms, mockgms, ui, tools).

They import nothing else from cxkit and nothing outside the standard library, so they run in
CPython and in Pyodide alike:

    >>> from cxkit.common import js_number_text, now_ms
    >>> js_number_text(2.0), now_ms() > 0
    ('2', True)
"""

from .clock import now_ms
from .jsnumbers import js_number_text
from .tasks import spawn

__all__ = ["js_number_text", "now_ms", "spawn"]
