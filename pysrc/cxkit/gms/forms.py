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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..common.jsnumbers import js_scalar_text

__all__ = ["Identity", "identity_fields", "identity_parts", "form_value", "param_fields",
           "user_data_fields"]


@dataclass(frozen=True)
class Identity:
    """The session identity GMS hands out on request-chat (empty strings before a chat)."""

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
    become "" as jQuery.param writes them (cxkit.bus.jsvalues.js_string gives "null")."""
    if value is None:
        return ""
    scalar = js_scalar_text(value)
    if scalar is not None:
        return scalar
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def param_fields(prefix: str, value: Any) -> list[tuple[str, str]]:
    """Flatten ``value`` under ``prefix`` like jQuery.param (non-traditional mode)."""
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
    return param_fields("userData", dict(user_data))


def identity_fields(identity: Identity) -> list[tuple[str, str]]:
    """Urlencoded order: alias, secureKey, userId."""
    return [("alias", identity.alias), ("secureKey", identity.secure_key),
            ("userId", identity.user_id)]


def identity_parts(identity: Identity) -> list[tuple[str, str]]:
    """Multipart (FormData) order: alias, userId, secureKey."""
    return [("alias", identity.alias), ("userId", identity.user_id),
            ("secureKey", identity.secure_key)]
