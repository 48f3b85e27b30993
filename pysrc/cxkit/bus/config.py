"""The bus's own options (A.2): their defaults and how a `configure` call is read.

    >>> from cxkit.bus.config import DEFAULT_CONFIG, option_changes
    >>> DEFAULT_CONFIG["async"]
    True
    >>> option_changes({"pluginsPath": "/plugins"}, {"async_": False})
    {'pluginsPath': '/plugins/', 'async': False}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["DEFAULT_CONFIG", "option_changes"]

DEFAULT_CONFIG: dict[str, Any] = {
    "debug": False,
    "async": True,
    "log": True,
    "logStore": False,
    "loadPlugins": True,
    "pluginsPath": "",
    "pluginFilenameFormat": "plugin.min.js",
    "pluginMap": {},
    "unlocked": False,
}


def option_changes(options: Mapping[str, Any] | None, kw: Mapping[str, Any]) -> dict[str, Any]:
    """The options a `configure(options, **kw)` call sets: ``async_`` (``async`` is a Python
    keyword) is ``async``, and ``pluginsPath`` ends with "/".

        >>> option_changes(None, {"debug": True})
        {'debug': True}
    """
    changes = dict(options or {})
    changes.update(kw)
    if "async_" in changes:
        changes["async"] = changes.pop("async_")
    path = changes.get("pluginsPath")
    if path and not str(path).endswith("/"):
        changes["pluginsPath"] = f"{path}/"
    return changes
