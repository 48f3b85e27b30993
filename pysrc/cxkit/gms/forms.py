"""Form fields for GMS Chat API v2 requests, in the order the original client sends them.

Urlencoded requests start with the identity triple ``alias, secureKey, userId``; multipart ones
(file limits, upload) use ``alias, userId, secureKey``. Nested values are flattened the way
jQuery.param does it (``userData[k]``, ``userData[k][sub]``, ``userData[list][]``)::

    >>> from cxkit.gms.forms import Identity, identity_fields, user_data_fields
    >>> identity_fields(Identity(chat_id="c1", alias="117", secure_key="s", user_id="u"))
    [('alias', '117'), ('secureKey', 's'), ('userId', 'u')]
    >>> user_data_fields({"a": 1, "b": {"c": True}, "d": [1, 2]})
    [('userData[a]', '1'), ('userData[b][c]', 'true'), ('userData[d][]', '1'), ('userData[d][]', '2')]
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..common.jsnumbers import js_scalar_text

__all__ = ["Identity", "identity_fields", "identity_parts", "form_value", "json_text", "param_fields",
           "use_json_default", "user_data_fields"]


@dataclass(frozen=True)
class Identity:
    """The session identity GMS hands out on request-chat (empty strings before a chat).

        >>> Identity(chat_id="c1", alias="117", secure_key="s", user_id="u").as_session_data()
        {'sessionID': 'c1', 'userId': 'u', 'secureKey': 's', 'alias': '117'}
    """

    chat_id: str = ""
    alias: str = ""
    secure_key: str = ""
    user_id: str = ""

    def as_session_data(self) -> dict[str, str]:
        """The bus shape: ``{sessionID, userId, secureKey, alias}``."""
        return {"sessionID": self.chat_id, "userId": self.user_id,
                "secureKey": self.secure_key, "alias": self.alias}


def form_value(value: Any) -> str:
    """A scalar as a form field: JavaScript's ``String(value)``, except that null/undefined
    become "" as jQuery.param writes them (cxkit.bus.jsvalues.js_string gives "null").

        >>> form_value(None), form_value(True), form_value(1.0), form_value({"a": [1, 2]})
        ('', 'true', '1', '{"a":[1,2]}')
    """
    if value is None:
        return ""
    scalar = js_scalar_text(value)
    if scalar is not None:
        return scalar
    if isinstance(value, (dict, list, tuple)):
        return json_text(value)
    return str(value)


def json_text(value: Any) -> str:
    """``value`` as compact JSON, as the original's ``JSON.stringify`` writes a JSON body (CometD,
    ``eventAttributes``): a JS object among the data is written as JS writes it (a ``Date`` by its
    ``toJSON``, the ISO time), not refused.

        >>> class When:  # what a JS Date looks like from Python
        ...     def toJSON(self): return "2026-12-07T12:00:00.000Z"
        >>> json_text({"userData": {"at": When(), "n": 1}})
        '{"userData":{"at":"2026-12-07T12:00:00.000Z","n":1}}'
    """
    return json.dumps(value, separators=(",", ":"), default=_json_default)


def _as_json(value: Any) -> Any:
    to_json = getattr(value, "toJSON", None)  # what JSON.stringify asks first
    return to_json() if callable(to_json) else str(value)


_json_default: Callable[[Any], Any] = _as_json


def use_json_default(convert: Callable[[Any], Any]) -> None:
    """How `json_text` writes what JSON cannot (the browser layer's: JS's own ``JSON.stringify``
    for a JS object); the default asks a ``toJSON`` method, else writes ``str(value)``."""
    global _json_default
    _json_default = convert


def param_fields(prefix: str, value: Any) -> list[tuple[str, str]]:
    """Flatten ``value`` under ``prefix`` like jQuery.param (non-traditional mode).

        >>> param_fields("eventAttributes", {"tags": ["a", {"b": None}]})
        [('eventAttributes[tags][]', 'a'), ('eventAttributes[tags][1][b]', '')]
    """
    if isinstance(value, Mapping):
        out: list[tuple[str, str]] = []
        for key, item in value.items():
            out.extend(param_fields(f"{prefix}[{key}]", item))
        return out
    if isinstance(value, (list, tuple)):
        out = []
        for i, item in enumerate(value):
            nested = isinstance(item, (Mapping, list, tuple))
            out.extend(param_fields(f"{prefix}[{i if nested else ''}]", item))
        return out
    return [(prefix, form_value(value))]


def user_data_fields(user_data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The ``userData[...]`` form fields of a request's user data, flattened like jQuery.param.

        >>> user_data_fields({"tier": "gold", "cart": {"items": 2}})
        [('userData[tier]', 'gold'), ('userData[cart][items]', '2')]
    """
    return param_fields("userData", dict(user_data))


def identity_fields(identity: Identity) -> list[tuple[str, str]]:
    """Urlencoded order: alias, secureKey, userId.

        >>> identity_fields(Identity(alias="117", secure_key="s", user_id="u"))
        [('alias', '117'), ('secureKey', 's'), ('userId', 'u')]
    """
    return [("alias", identity.alias), ("secureKey", identity.secure_key),
            ("userId", identity.user_id)]


def identity_parts(identity: Identity) -> list[tuple[str, str]]:
    """Multipart (FormData) order: alias, userId, secureKey.

        >>> identity_parts(Identity(alias="117", secure_key="s", user_id="u"))
        [('alias', '117'), ('userId', 'u'), ('secureKey', 's')]
    """
    return [("alias", identity.alias), ("userId", identity.user_id),
            ("secureKey", identity.secure_key)]
